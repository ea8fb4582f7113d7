"""Aliases drawn as badges (`Text`, not a widget): the same look in tree rows, the overview and dialogs.

`latest` is managed by the store and drawn apart from the aliases people set. Badges keep a visible shape under
NO_COLOR (Textual then greys every colour, and a grey background still reads as a badge).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from tui.safe import safe_str

USER_BADGE = "bold #101010 on #7fb4e0"
LATEST_BADGE = "bold #101010 on #9ccf8a"


def badge(alias: str, max_length: int | None = None) -> Text:
    """One badge; an alias longer than `max_length` is cut and ends in "…"."""
    style = LATEST_BADGE if alias == "latest" else USER_BADGE
    shown = safe_str(alias)
    if max_length is not None and len(shown) > max_length:
        shown = shown[: max_length - 1] + "…"
    return Text(f" {shown} ", style=style)


def alias_badges(aliases: Iterable[str], *, separator: str = " ", max_length: int | None = None) -> Text:
    """Badges for `aliases`, user aliases first (in the given order), `latest` last."""
    ordered = [a for a in aliases if a != "latest"] + [a for a in aliases if a == "latest"]
    text = Text()
    for i, alias in enumerate(ordered):
        if i:
            text.append(separator)
        text.append_text(badge(alias, max_length))
    return text

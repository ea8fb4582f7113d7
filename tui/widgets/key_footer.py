"""The footer every screen and dialog shows: the key that lists all keys first, then as many whole keys as fit.

Textual's `Footer` lays every shown binding out in one row and lets the row run off the right edge, so at 80
columns the last ones (`? Keys` among them) never show, and its docked `^p palette` key overdraws a cut label. This
footer decides what one row holds instead:

1. pinned first, the `?` key whatever it does on this screen (`? Keys`, `? Close` on the keys list); where `?` is
   a typed character (a text field has focus) the `f1` key, which works everywhere;
2. then the screen's shown bindings (the focused widget's, the screen's, the app's, in that order), each whole or
   not at all: what does not fit is left out, never cut (`?` lists it, and the palette runs it);
3. `^p palette` last, when there is room for it.

It recomposes when the bindings change (focus moved, an action became available) and when the width changes.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

HELP_KEYS = ("question_mark", "f1")  # the pinned key: `?`, else f1 where `?` is typed into a text field


class Item(NamedTuple):
    key: str
    key_display: str
    description: str
    action: str
    enabled: bool
    tooltip: str

    @property
    def width(self) -> int:
        """Cells taken in a compact footer: key, a space, description, and the gap after it."""
        return cell_len(self.key_display) + 1 + cell_len(self.description) + 1


def fit(pinned: Item | None, items: list[Item], width: int) -> list[Item]:
    """`pinned` first, then every item of `items` that still fits in `width` cells, in order."""
    chosen = [pinned] if pinned is not None else []
    used = pinned.width if pinned is not None else 0
    for item in items:
        if used + item.width - 1 <= width:  # the last item's gap may fall off the edge
            chosen.append(item)
            used += item.width
    return chosen


class KeyFooter(Footer):
    """A one-row, compact footer that always shows how to list every key (`?`) and never cuts a key."""

    DEFAULT_CSS = """
    KeyFooter {
        overflow: hidden hidden;
    }
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(**kwargs)
        self._laid_out_for = 0
        self._shown: list[Item] | None = None  # kept while a dialog covers the screen: its keys are not ours

    def _item(self, binding: Binding, enabled: bool, tooltip: str = "") -> Item:
        return Item(binding.key, self.app.get_key_display(binding), binding.description, binding.action, enabled,
                    tooltip or binding.tooltip or binding.description)

    def _app_priority(self, key: str) -> Item | None:
        """The app's priority binding of `key` when it would run here (dialogs leave the app's other keys out)."""
        app = self.app
        for binding in app._bindings.key_to_bindings.get(key, ()):
            if binding.priority and app.check_action(binding.action.removeprefix("app."), ()):
                return self._item(binding, True)
        return None

    def items(self) -> tuple[Item | None, list[Item]]:
        """(pinned, the rest in order of importance) for the screen as it is now."""
        active = self.screen.active_bindings
        pinned = None
        for key in HELP_KEYS:
            if key in active and active[key].enabled:
                pinned = self._item(active[key].binding, True, active[key].tooltip)
            else:
                pinned = self._app_priority(key)
            if pinned is not None:
                break
        seen = {pinned.action} if pinned is not None else set()
        rest: list[Item] = []
        for node, binding, enabled, tooltip in active.values():
            if binding.show and binding.description and binding.action not in seen:
                seen.add(binding.action)
                rest.append(self._item(binding, enabled, tooltip))
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE and palette is not None:
            rest.append(self._item(palette.binding, palette.enabled, palette.tooltip))
        return pinned, rest

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self.size.width or self.app.size.width
        if self.app.screen is self.screen or self._shown is None or width != self._laid_out_for:
            self._shown = fit(*self.items(), width)
        self._laid_out_for = width
        for item in self._shown:
            yield FooterKey(item.key, item.key_display, item.description, item.action, disabled=not item.enabled,
                            tooltip=item.tooltip).data_bind(compact=Footer.compact)

    def bindings_changed(self, screen) -> None:
        # A screen under a dialog or the palette keeps its row: the keys there are the dialog's, not its own.
        if self.app.screen is not self.screen:
            return
        width = self.size.width or self.app.size.width
        if (self._bindings_ready and self._shown is not None and width == self._laid_out_for and screen is self.screen
                and fit(*self.items(), width) == self._shown):
            return  # the same keys as shown: no new row of widgets (a recompose restyles ten of them, ~10 ms)
        super().bindings_changed(screen)

    def on_resize(self) -> None:
        if self._bindings_ready and self.size.width != self._laid_out_for:
            self.call_after_refresh(self.recompose)

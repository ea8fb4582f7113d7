"""The one way a user- or file-supplied string becomes something the TUI shows.

Artifact names, descriptions, metadata, file names, run names, config values and log lines come from other people's
files. Shown naively they are an attack surface: Rich/Textual markup in them would be interpreted
(`[@click=app.quit]x[/]` would become a clickable action, `model[/bold]` would raise a MarkupError), and control
characters would reach the terminal (ESC starts escape sequences, OSC can set the window title or write the
clipboard, C1 controls are 8-bit escapes, bidi overrides make text read differently from what it is).

Rich's `Text` and Textual's `Content` already stop markup, but pass those characters through untouched. So every
widget builds its text through this module:

- `safe_str(value)` returns a plain `str` with every control, format (bidi, zero-width) and separator character
  replaced by a visible stand-in: C0 controls by their Unicode Control Picture (ESC -> "␛", BEL -> "␇"), DEL by
  "␡", C1 controls by `\\x9b`-style escapes, and format characters by `<U+202E>`.
- `safe_text(value, style)` returns a `rich.text.Text` of that string (never markup-parsed); the stand-ins are dimmed
  so that a file literally named "␛" can be told from one holding ESC.
- `safe_content(value)` is the same as a Textual `Content`, for widgets that take one.

Nothing here parses markup, and nothing returns a markup string: widgets compose `Text` objects instead.
"""

from __future__ import annotations

import json
import unicodedata
from typing import TYPE_CHECKING, Any

from rich.text import Text

if TYPE_CHECKING:  # textual is imported lazily by safe_content: Content is only needed by a few widgets
    from textual.content import Content

__all__ = ["MARKER_STYLE", "safe_str", "safe_text", "safe_content", "safe_json", "join_text", "is_safe",
           "typed_text"]

MARKER_STYLE = "dim"
"""Style of the visible stand-ins for control characters inside a `safe_text`."""

_CONTROL_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)}
_CONTROL_PICTURES[0x7F] = "\u2421"  # ␡
_KEEP_MULTILINE = {"\n", "\t"}
# Characters that are not category C*/Z[lp] but still reorder or hide text on a terminal.
_EXTRA_UNSAFE = {"\u115f", "\u1160", "\u3164", "\uffa0"}  # Hangul fillers: invisible "letters"


def _stand_in(char: str) -> str | None:
    """The visible replacement for one character, or None when it is safe to show as it is."""
    code = ord(char)
    if code < 0x20 or code == 0x7F:
        return _CONTROL_PICTURES[code]
    if code < 0x80:
        return None
    if code <= 0x9F:  # C1 controls: 8-bit CSI (0x9b), OSC (0x9d), ...
        return f"\\x{code:02x}"
    if char in _EXTRA_UNSAFE:
        return f"<U+{code:04X}>"
    category = unicodedata.category(char)
    # Cf: format (bidi overrides/isolates/marks, zero-width, BOM, soft hyphen); Cs: lone surrogates (from
    # surrogateescape'd file names); Zl/Zp: line and paragraph separators; Cc is covered above.
    if category in ("Cf", "Cs", "Zl", "Zp"):
        return f"<U+{code:04X}>"
    return None


def _as_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    if isinstance(value, (dict, list, tuple)):
        return safe_json(value)
    return str(value)


def _pieces(value: Any, multiline: bool) -> list[tuple[str, bool]]:
    """The text cut into runs of (text, is_stand_in)."""
    text = _as_str(value)
    pieces: list[tuple[str, bool]] = []
    plain_start = 0
    for i, char in enumerate(text):
        code = ord(char)
        if 0x20 <= code < 0x7F:  # fast path: printable ASCII
            continue
        if multiline and char in _KEEP_MULTILINE:
            continue
        stand_in = _stand_in(char)
        if stand_in is None:
            continue
        if plain_start < i:
            pieces.append((text[plain_start:i], False))
        pieces.append((stand_in, True))
        plain_start = i + 1
    if plain_start < len(text):
        pieces.append((text[plain_start:], False))
    return pieces


def is_safe(value: str) -> bool:
    """True when `value` would be shown unchanged (no control, format or separator characters)."""
    return not any(stand_in for _, stand_in in _pieces(value, multiline=False))


def typed_text(value: str) -> tuple[str, int]:
    """What text pasted into an input field keeps: its first line (as Textual's Input does), tabs as spaces, and
    no control, format (bidi, zero-width) or separator character at all; -> (kept text, characters dropped from
    that line).

    Dropped rather than made visible: what an input holds becomes a filter, an alias or a setting, and a stand-in
    such as "␛" typed into it would be stored as that character."""
    line = value.splitlines()[0] if value else ""
    line = line.replace("\t", " ")
    if line.isascii() and line.isprintable():
        return line, 0
    kept = "".join(char for char in line if _stand_in(char) is None)
    return kept, len(line) - len(kept)


MAX_SHOWN = 100_000  # characters of one value ever escaped and drawn: a 1 MB description costs what 100 KB does


def _bounded(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters not shown)"


def safe_str(value: Any, *, multiline: bool = False, limit: int | None = MAX_SHOWN) -> str:
    """`value` as a string with control/escape/bidi characters made visible; never markup.

    `multiline=True` keeps newlines and tabs (for descriptions and notes shown in a wrapping area); everything else is
    replaced either way. Non-strings are converted: None -> "", dicts and lists -> compact JSON, others -> `str()`.
    """
    text = _bounded(_as_str(value), limit)
    if text.isascii() and text.isprintable():
        return text
    return "".join(piece for piece, _ in _pieces(text, multiline))


def safe_text(value: Any, style: str = "", *, multiline: bool = False, end: str = "",
              limit: int | None = MAX_SHOWN) -> Text:
    """`value` as a Rich `Text` (never markup-parsed) with control characters made visible and dimmed; at most
    `limit` characters of it (the rest is counted, not drawn)."""
    text = _bounded(_as_str(value), limit)
    if text.isascii() and text.isprintable():
        return Text(text, style=style, end=end)
    result = Text(style=style, end=end)
    for piece, stand_in in _pieces(text, multiline):
        if stand_in:
            result.append(piece, MARKER_STYLE)
        else:
            result.append(piece)
    return result


def safe_content(value: Any, *, multiline: bool = False) -> "Content":
    """`value` as a Textual `Content` (never markup-parsed) with control characters made visible."""
    from textual.content import Content  # the CLI prints through this module and never loads Textual

    return Content(safe_str(value, multiline=multiline))


def safe_json(value: Any, *, indent: int | None = None) -> str:
    """JSON text of `value` as it is stored (non-ASCII kept), with control characters made visible."""
    try:
        raw = json.dumps(value, ensure_ascii=False, indent=indent, default=str, allow_nan=True)
    except (TypeError, ValueError):
        raw = repr(value)
    return safe_str(raw, multiline=indent is not None)


def join_text(*parts: Text | tuple[str, str] | str, separator: str = "") -> Text:
    """Assemble `Text` from parts without parsing markup: a `str` part is treated as trusted plain text (our own
    labels), a `(str, style)` tuple is styled trusted text, and `Text` parts (from `safe_text`) are kept as they are.
    """
    result = Text()
    for i, part in enumerate(parts):
        if i and separator:
            result.append(separator)
        if isinstance(part, Text):
            result.append_text(part)
        elif isinstance(part, tuple):
            result.append(part[0], part[1])
        else:
            result.append(part)
    return result

"""tui.safe: user strings are shown as literal text, with every control/escape/bidi character made visible."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.text import Text

from tui.safe import is_safe, safe_content, safe_json, safe_str, safe_text

INJECTIONS = [
    "[@click=app.quit]x[/]",
    "model[/bold]",
    "[bold red]loud[/]",
    "\x1b[2J\x1b[31mred",
    "\x1b]0;pwned\x07title",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x9b31m8-bit CSI \x9d0;osc\x9c",
    "abc\u202edcba\u2066iso\u2069",
    "zero\u200bwidth\ufeffbom",
    "line\u2028sep",
    "\r\bback",
]


def rendered(text: Text) -> str:
    console = Console(width=200, file=open("/dev/null", "w"), force_terminal=True, color_system="truecolor")
    with console.capture() as capture:
        console.print(text, end="")
    return capture.get()


@pytest.mark.parametrize("value", INJECTIONS)
def test_no_control_character_survives(value):
    shown = safe_str(value)
    assert is_safe(shown)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert not any(c in shown for c in "\u202e\u2066\u2069\u200b\ufeff\u2028")


@pytest.mark.parametrize("value", INJECTIONS)
def test_markup_is_never_interpreted(value):
    text = safe_text(value)
    assert isinstance(text, Text)
    assert text.plain == safe_str(value)
    # The only styles are the dim stand-ins: nothing from the value became a style or a link/action.
    assert all(span.style == "dim" for span in text.spans)
    assert "@click" not in "".join(str(span.style) for span in text.spans)


def test_printable_text_is_unchanged():
    for value in ["mnist-raw", "[@click=app.quit]x[/]", "model[/bold]", "données 日本 🎉", "a b\tc"[:3]]:
        assert safe_str(value) == value
        assert safe_text(value).plain == value


def test_visible_forms():
    assert safe_str("a\x1bb") == "a␛b"
    assert safe_str("\x07") == "␇"
    assert safe_str("\x7f") == "␡"
    assert safe_str("\x9b") == "\\x9b"
    assert safe_str("x\u202ey") == "x<U+202E>y"
    assert safe_str("tab\there") == "tab␉here"


def test_multiline_keeps_newlines_and_tabs_only():
    assert safe_str("a\nb\tc\x1b", multiline=True) == "a\nb\tc␛"
    assert safe_str("a\r\nb", multiline=True) == "a␍\nb"


def test_no_escape_reaches_the_terminal():
    for value in INJECTIONS:
        out = rendered(safe_text(value, "bold"))
        # Rich's own SGR codes are the only escapes: strip them and nothing control-like may remain.
        import re

        stripped = re.sub(r"\x1b\[[0-9;]*m", "", out)
        assert "\x1b" not in stripped and "\x07" not in stripped and "\x9b" not in stripped
        assert stripped == safe_str(value)


def test_non_strings():
    assert safe_str(None) == ""
    assert safe_str(3) == "3"
    assert safe_str({"k": "v\x1b"}) == '{"k": "v\\u001b"}'  # JSON escapes it already
    assert safe_str(b"\xffbytes\x1b") == "\\xffbytes␛"
    assert safe_json({"a": [1, "日本"]}) == '{"a": [1, "日本"]}'
    assert safe_str("lone \udcff surrogate") == "lone <U+DCFF> surrogate"


def test_safe_content_is_literal():
    content = safe_content("[@click=app.quit]x[/]\x1b")
    assert content.plain == "[@click=app.quit]x[/]␛"
    assert not content.spans


def test_a_huge_value_is_drawn_bounded_with_what_was_left_out_counted():
    from tui.safe import safe_str, safe_text

    hostile = ("\x1b[2J\u202e" + "x" * 98) * 10_000  # a 1 MB description of escapes
    text = safe_text(hostile, multiline=True, limit=4_000)
    assert text.plain.endswith(f"({len(hostile) - 4_000:,} more characters not shown)") and len(text.plain) < 5_000
    assert "\x1b" not in text.plain and "\u202e" not in text.plain
    assert len(safe_str("y" * 1_000_000)) < 100_100  # every helper has a default bound

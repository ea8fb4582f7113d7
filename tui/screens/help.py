"""`?` (or `f1`): every key that works on the screen or dialog underneath, read from its live bindings (so it
never goes stale), the keys of its panes that work once they have focus (widgets that name themselves with
`HELP_SCOPE`, e.g. the Files tab's enter and s), plus the keys every screen shares. The footer shows only what fits
in one row; this is the whole list."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.widgets.key_footer import KeyFooter

COMMON_KEYS = [
    ("up/down", "move the cursor"),
    ("enter", "open, expand or choose"),
    ("space", "expand or collapse a tree row"),
    ("tab / shift+tab", "move between panes (the focused one's title is drawn reversed)"),
    ("f1", "this list, also where ? is typed into a text field"),
    ("ctrl+p", "command palette: every action by name"),
    ("escape", "close a dialog or this help"),
]


def key_table(screen: Screen) -> Table:
    """Key and description of each binding active on `screen`, shown ones first."""
    app = screen.app
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    # The screen's and the app's keys, and the keys a focused widget shows in the footer; a widget's plain
    # cursor keys are summed up by COMMON_KEYS instead.
    bindings = sorted(
        (a for a in screen.active_bindings.values() if a.binding.show or isinstance(a.node, (Screen, App))),
        key=lambda active: not active.binding.show,
    )
    seen: set[str] = set()
    for active in bindings:
        binding = active.binding
        if not binding.description or binding.description in seen:
            continue
        seen.add(binding.description)
        style = "" if binding.show else "dim"
        table.add_row(Text(app.get_key_display(binding), style=style), Text(binding.description, style=style))
    for widget in screen.query("*"):
        scope = getattr(type(widget), "HELP_SCOPE", None)
        if not scope:
            continue
        for binding in _shown_bindings(widget):
            label = f"{binding.description} ({scope})"
            if binding.description in seen or label in seen:
                continue
            seen.add(label)
            table.add_row(Text(app.get_key_display(binding)), Text(label))
    for key, description in COMMON_KEYS:
        table.add_row(Text(key, style="dim"), Text(description, style="dim"))
    return table


def _shown_bindings(widget) -> list[Binding]:
    """The bindings of `widget`'s own class that it shows in the footer when it has focus."""
    return [b for b in Binding.make_bindings(type(widget).BINDINGS) if b.show and b.description]


class HelpScreen(ModalScreen[None]):
    """The keys of `screen`, in a box over it."""

    BINDINGS = [
        Binding("question_mark", "close", "Close", key_display="?/esc"),  # pinned first in the footer
        Binding("escape", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, screen: Screen) -> None:
        super().__init__(classes="dialog")
        self._under = screen

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog-box"):
            yield Static(Text(f"Keys: {self._under.title or self._under.__class__.__name__}", style="bold"),
                         id="dialog-title")
            yield Static(key_table(self._under), id="help-keys")
        yield KeyFooter()

    def action_close(self) -> None:
        self.dismiss(None)

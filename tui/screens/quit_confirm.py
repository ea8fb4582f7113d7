"""Quitting while runs are active asks first: leave them running (they run in processes of their own; the next TUI
shows them live again), cancel them and quit (their runs end "cancelled", nothing half-logged), or stay.

Returns "leave", "cancel" or None (stay) through `dismiss`.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.runner.job_view import Job
from tui.safe import safe_text
from tui.widgets.key_footer import KeyFooter

__all__ = ["QuitConfirmScreen"]


class QuitConfirmScreen(ModalScreen["str | None"]):
    """"N runs are active": `l` quit and leave them running, `c` cancel them and quit, `esc` stay."""

    CSS_PATH = "../styles/runner.tcss"  # loaded when the screen first opens, not with the first screen

    BINDINGS = [
        Binding("l", "answer('leave')", "Quit, leave runs running"),
        Binding("c,y", "answer('cancel')", "Cancel runs and quit"),
        Binding("n,escape", "answer(None)", "Stay"),
    ]

    def __init__(self, active: list[Job]) -> None:
        super().__init__(id="quit-confirm")
        self.active = list(active)

    def compose(self) -> ComposeResult:
        count = len(self.active)
        message = Text(f"{count} run{'s are' if count != 1 else ' is'} still active:\n", style="bold")
        for job in self.active[:5]:
            message.append("  • ")
            message.append_text(safe_text(job.label))
            message.append(f" ({job.state})\n", "dim")
        if count > 5:
            message.append(f"  … and {count - 5} more\n", "dim")
        message.append("They run in processes of their own: leave them running (reopen artifacts-tui to watch "
                       "them), or cancel them (their runs end \"cancelled\" and log nothing more).")
        with Vertical(id="quit-box"):
            yield Static(message, id="quit-message")
            with Horizontal(id="quit-buttons"):
                yield Button("Stay (esc)", compact=True, id="quit-stay")
                yield Button("Quit, leave running (l)", variant="primary", compact=True, id="quit-leave")
                yield Button("Quit, cancel runs (c)", variant="error", compact=True, id="quit-cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#quit-leave", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss({"quit-leave": "leave", "quit-cancel": "cancel"}.get(event.button.id or ""))

    def action_answer(self, choice: str | None) -> None:
        self.dismiss(choice)

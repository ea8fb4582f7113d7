"""Quitting while runs are active asks first: quitting cancels them (their runs end "cancelled", nothing half-logged).

Returns True through `dismiss` when the user chose to cancel the runs and quit.
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

__all__ = ["QuitConfirmScreen"]


class QuitConfirmScreen(ModalScreen[bool]):
    """"N runs are active: cancel them and quit?" `y` / `n`."""

    BINDINGS = [
        Binding("y", "answer(True)", "Cancel runs and quit"),
        Binding("n,escape", "answer(False)", "Keep running"),
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
        message.append("Quitting cancels them: their runs end \"cancelled\" and log nothing more.")
        with Vertical(id="quit-box"):
            yield Static(message, id="quit-message")
            with Horizontal(id="quit-buttons"):
                yield Button("Keep running (n)", compact=True, id="quit-no")
                yield Button("Cancel runs and quit (y)", variant="error", compact=True, id="quit-yes")

    def on_mount(self) -> None:
        self.query_one("#quit-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit-yes")

    def action_answer(self, quit_: bool) -> None:
        self.dismiss(quit_)

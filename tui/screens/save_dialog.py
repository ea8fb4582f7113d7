"""`s` on a file: save it to a path of the user's choosing, prefilled with W&B's download place
(`./artifacts/<name>:vN/<path>`).

The copy is core's (`version.save_file`, the download code: nothing written outside the chosen root, no planted
symlink followed), run in a worker. A file already at the path is kept: the dialog says so, and enter again on the
same path replaces it. Returns where the file was written through `dismiss` (None when cancelled).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from core.errors import TargetExistsError
from tui.format import describe_error
from tui.safe import is_safe, safe_text
from tui.screens.base import StoreCalls


def default_target(version: Any, path: str) -> str:
    """./artifacts/<name>:vN/<path>, where W&B's download puts it; characters an input would draw raw (bidi,
    zero-width) become "_" so that what the field shows is what gets written."""
    target = f"./{version.default_root().as_posix()}/{path}"
    return target if is_safe(target) else "".join(ch if is_safe(ch) else "_" for ch in target)


def saved_message(path: str, where: Path) -> str:
    return f"{path} saved to {where}"


class SaveFileDialog(StoreCalls, ModalScreen[Path | None]):
    """Where to save the file at `path` of `version`."""

    CSS_PATH = "../styles/save_dialog.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, version: Any, path: str) -> None:
        super().__init__(classes="dialog")
        self.version = version
        self.path = path
        self._replace: str | None = None  # the target the user was told exists: enter on it again replaces it

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            title = Text("Save ", style="bold")
            title.append_text(safe_text(self.path, "bold"))
            title.append(" of ", style="bold")
            title.append_text(safe_text(self.version.full_name, "bold"))
            yield Static(title, id="dialog-title")
            yield Input(default_target(self.version, self.path), id="save-target")
            yield Static(Text("enter saves; a relative path is below the current directory", style="dim"),
                         id="save-feedback")
            with Horizontal(id="dialog-buttons"):
                yield Button("Save", variant="primary", id="confirm")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _feedback(self, text: Text) -> None:
        self.query_one("#save-feedback", Static).update(text)

    @on(Input.Changed, "#save-target")
    def _changed(self, event: Input.Changed) -> None:
        if self._replace is not None and event.value != self._replace:
            self._replace = None
            self.query_one("#confirm", Button).label = "Save"
            self._feedback(Text("enter saves", style="dim"))

    @on(Input.Submitted, "#save-target")
    @on(Button.Pressed, "#confirm")
    def _save(self) -> None:
        target = self.query_one(Input).value.strip()
        if not target:
            self._feedback(Text("type a path to save the file to", style="red"))
            return
        overwrite = self._replace == target
        self._feedback(Text("saving…", style="dim"))
        self.fetch("save", lambda: self.version.save_file(self.path, target, overwrite=overwrite),
                   self._saved, on_error=lambda error: self._refused(target, error))

    def _saved(self, where: Path) -> None:
        if self.is_current:
            self.dismiss(where)

    def _refused(self, target: str, error: BaseException) -> None:
        if isinstance(error, TargetExistsError):
            self._replace = target
            self.query_one("#confirm", Button).label = "Replace"
            text = safe_text(str(error), "bold")
            text.append("\nenter again replaces it; edit the path to save elsewhere", style="")
            self._feedback(text)
            return
        self._replace = None
        self._feedback(safe_text(describe_error(error), "red"))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

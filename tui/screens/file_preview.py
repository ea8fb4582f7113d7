"""The preview of one file of a version (enter on a file in the Files tab): its bytes, bounded, read and decoded
in a worker, shown by kind; `s` saves it to a chosen path, escape goes back to the file list."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from tui.format import describe_error
from tui.safe import safe_str
from tui.screens.base import StoreCalls
from tui.widgets.file_preview import FilePreview
from tui.widgets.key_footer import KeyFooter
from tui.widgets.title_bar import TitleBar


def read_preview(version: Any, path: str):
    """(the bytes read, their Preview): what the worker hands to the screen."""
    from tui.preview import build_preview, read_limit

    head = version.read_file(path, limit=read_limit(path))
    return head, build_preview(head)


class FilePreviewScreen(StoreCalls, Screen[None]):
    """One file of `version`, shown by kind."""

    CSS_PATH = "../styles/preview.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the file list"),
        Binding("s", "save", "Save…", tooltip="Save this file to a path you choose"),
    ]

    def __init__(self, version: Any, path: str) -> None:
        super().__init__(id="file-preview-screen")
        self.version = version
        self.path = path
        self.title = "Preview"
        self.sub_title = safe_str(f"{version.full_name} {path}")

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield FilePreview(self.path, id="file-preview")
        yield KeyFooter()

    def on_mount(self) -> None:
        widget = self.query_one(FilePreview)
        self.fetch("preview", lambda: read_preview(self.version, self.path), self._shown, loading=widget,
                   on_error=self._read_failed)

    def _shown(self, result) -> None:
        if self.is_attached:  # escape may have closed the screen while the worker read
            self.query_one(FilePreview).show(*result)

    def _read_failed(self, error: BaseException) -> None:
        if self.is_attached:
            self.query_one(FilePreview).show_error(describe_error(error))

    def action_back(self) -> None:
        if self.is_current:
            self.dismiss(None)

    def action_save(self) -> None:
        from tui.screens.save_dialog import SaveFileDialog, saved_message

        def saved(where) -> None:
            if where is not None:
                self.notify(saved_message(self.path, where), title="Saved", markup=False, timeout=4)

        self.app.push_screen(SaveFileDialog(self.version, self.path), saved)

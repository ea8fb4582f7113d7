"""The Files tab: every file of a version with its size, digest, whether its blob is intact, and whether a
downloaded copy exists.

Enter on a file runs its screen's `preview_file` action and `s` its `save_file` (a key runs the screen's action at
once, so an escape pressed right after enter reaches the preview it opened); a click on a row posts
`PreviewRequested`. The screen reads which file through `cursor_path`.
A missing or corrupt blob is a row that says so, never a crash. Blobs are re-hashed as `verify` does (so a flipped
byte shows CORRUPT), up to VERIFY_BYTES per version shown; beyond that a blob of the right size reads "size ok"
(`artifacts-tui verify` re-hashes everything). A re-hash is remembered until the blob changes, so coming back to
a version reads nothing again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from tui.safe import safe_text
from tui import format as formatting

MAX_ROWS = 5000
VERIFY_BYTES = 256 * 1024 * 1024  # re-hashed per version shown, off the UI thread (about 0.5 s of md5 here)

_BLOB = {
    "ok": Text("ok", style="green"),
    "unverified": Text("size ok", style="dim"),  # past VERIFY_BYTES: right size, not re-hashed
    "missing": Text("MISSING", style="bold red"),
    "corrupt": Text("CORRUPT", style="bold red"),
    "remote": Text("on server", style="dim"),  # a W&B store's file not fetched yet
}


class FileTable(DataTable):
    """Path, size, digest, blob state and local copy of each file."""

    HELP_SCOPE = "Files tab"  # the help screen lists these keys under this name
    BINDINGS = [
        Binding("enter", "screen.preview_file", "Preview",
                tooltip="Show the file: text, JSON, CSV, W&B Table, image, hex"),
        Binding("s", "screen.save_file", "Save…", tooltip="Save the file to a path you choose"),
    ]

    class PreviewRequested(Message):
        """A click on the file at `path`."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def on_mount(self) -> None:
        self._paths: list[str] = []
        self.cursor_type = "row"
        self.zebra_stripes = False
        self.add_column("Path", key="path")
        self.add_column("Size", key="size")
        self.add_column("Blob", key="blob")
        self.add_column("Local", key="local")
        self.add_column("Digest", key="digest")

    def set_files(self, states: Sequence[Any]) -> None:
        """`core.FileState` rows: (path, digest, size, blob, downloaded)."""
        self.clear()
        self._paths = [state.path for state in states[:MAX_ROWS]]
        for state in states[:MAX_ROWS]:
            self.add_row(
                safe_text(state.path),
                Text(formatting.human_size(state.size), justify="right"),
                _BLOB.get(state.blob, safe_text(state.blob, "bold red")),
                Text("yes", style="green") if state.downloaded else Text("no", style="dim"),
                safe_text(state.digest, "dim"),
                key=state.path,
            )
        if len(states) > MAX_ROWS:
            self.add_row(Text(f"… {len(states) - MAX_ROWS:,} more files", style="dim italic"), "", "", "", "")

    @property
    def cursor_path(self) -> str | None:
        """The path of the file under the cursor (None on the "more files" row or an empty table)."""
        row = self.cursor_row
        return self._paths[row] if self.row_count and 0 <= row < len(self._paths) else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        path = self._paths[event.cursor_row] if 0 <= event.cursor_row < len(self._paths) else None
        if path is not None:
            self.post_message(self.PreviewRequested(path))

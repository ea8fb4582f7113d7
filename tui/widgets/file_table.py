"""The Files tab: every file of a version with its size, digest, whether its blob is intact, and whether a
downloaded copy exists.

A missing or corrupt blob is a row that says so, never a crash. Blobs are re-hashed as `verify` does (so a flipped
byte shows CORRUPT), up to VERIFY_BYTES per version shown; beyond that a blob of the right size reads "size ok"
(`artifacts-tui verify` re-hashes everything). A re-hash is remembered until the blob changes, so coming back to
a version reads nothing again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
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

    def on_mount(self) -> None:
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

"""The Diff tab: files added, removed and changed between the selected version and another of its collection.

The other version is chosen from the keyboard: type its number (`v3` or `3`) and press enter, or step with
`[` and `]`. The widget only asks (`CompareRequested`); the screen reads both file lists in a worker and hands the
rows back through `show_diff`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from tui.safe import safe_text
from tui import format as formatting

_VERSION = re.compile(r"^v?([0-9]+)$", re.ASCII)


@dataclass(frozen=True)
class DiffRow:
    status: str  # "added" | "removed" | "changed"
    path: str
    old_size: int | None
    new_size: int | None


def diff_files(old: Sequence[Any], new: Sequence[Any]) -> list[DiffRow]:
    """Rows for the files of `new` against `old` (`core.FileEntry`: path, digest, size), sorted by path."""
    before = {f.path: f for f in old}
    after = {f.path: f for f in new}
    rows = []
    for path in sorted(before.keys() | after.keys()):
        a, b = before.get(path), after.get(path)
        if a is None:
            rows.append(DiffRow("added", path, None, b.size))
        elif b is None:
            rows.append(DiffRow("removed", path, a.size, None))
        elif a.digest != b.digest:
            rows.append(DiffRow("changed", path, a.size, b.size))
    return rows


_STATUS = {"added": ("+ added", "green"), "removed": ("- removed", "red"), "changed": ("~ changed", "yellow")}


def parse_version(text: str) -> int | None:
    match = _VERSION.match(text.strip())
    return int(match.group(1)) if match else None


class VersionDiff(Vertical):
    """Against which version, and the table of differing files."""

    BINDINGS = [
        Binding("left_square_bracket", "step(-1)", "Older", show=True),
        Binding("right_square_bracket", "step(1)", "Newer", show=True),
    ]

    class CompareRequested(Message):
        def __init__(self, index: int, other: int) -> None:
            super().__init__()
            self.index = index
            self.other = other

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._index: int | None = None
        self._other: int | None = None
        self._total = 0

    def compose(self) -> ComposeResult:
        with Horizontal(id="diff-bar"):
            yield Label(Text("against v"), id="diff-against")
            yield Input(placeholder="N", id="diff-other", restrict=r"v?[0-9]*", max_length=10)
            yield Label(Text(" [ ] step, enter compare", style="dim"), id="diff-hint")
        yield Static("", id="diff-summary")
        table = DataTable(id="diff-table", cursor_type="row")
        table.add_columns("Change", "Path", "Size")
        yield table

    def set_version(self, index: int, total: int) -> None:
        """Show the diff of version `index` (of `total`) against its predecessor (or successor for v0); the same
        version again (a refresh) keeps the version the user chose to compare with."""
        same = index == self._index and self._other is not None and self._other < total
        self._index, self._total = index, total
        other = self._other if same else index - 1 if index > 0 else (1 if total > 1 else None)
        self._request(other)

    def action_step(self, delta: int) -> None:
        if self._index is None or self._other is None:
            return
        other = self._other + delta
        if other == self._index:
            other += delta
        if 0 <= other < self._total:
            self._request(other)

    @on(Input.Submitted, "#diff-other")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        other = parse_version(event.value)
        if other is None or not 0 <= other < self._total or other == self._index:
            self._summary(Text(f"choose a version from v0 to v{max(self._total - 1, 0)}, not this one", style="red"))
            return
        self._request(other)

    def _request(self, other: int | None) -> None:
        self._other = other
        self.query_one("#diff-other", Input).value = "" if other is None else str(other)
        table = self.query_one("#diff-table", DataTable)
        table.clear()
        if other is None or self._index is None:
            self._summary(Text("this collection has a single version: nothing to compare", style="dim"))
            return
        self._summary(Text(f"comparing v{self._index} with v{other}…", style="dim"))
        index = self._index
        # Built in this widget's own turn: a message made while a parent handles an event counts that parent as
        # its sender, and Textual stops bubbling it there.
        self.call_later(lambda: self.post_message(self.CompareRequested(index, other)))

    def show_diff(self, index: int, other: int, rows: Sequence[DiffRow]) -> None:
        if (index, other) != (self._index, self._other):
            return  # an answer to an older question
        table = self.query_one("#diff-table", DataTable)
        table.clear()
        for row in rows:
            label, style = _STATUS[row.status]
            if row.status == "changed":
                size = f"{formatting.human_size(row.old_size)} → {formatting.human_size(row.new_size)}"
            else:
                size = formatting.human_size(row.new_size if row.status == "added" else row.old_size)
            table.add_row(Text(label, style=style), safe_text(row.path), size)
        counts = {s: sum(1 for r in rows if r.status == s) for s in _STATUS}
        if rows:
            text = Text(f"v{other} → v{index}: ")
            text.append(f"{counts['added']} added", style="green")
            text.append(", ")
            text.append(f"{counts['removed']} removed", style="red")
            text.append(", ")
            text.append(f"{counts['changed']} changed", style="yellow")
        else:
            text = Text(f"v{other} → v{index}: same files, same contents", style="dim")
        self._summary(text)

    def _summary(self, text: Text) -> None:
        self.query_one("#diff-summary", Static).update(text)

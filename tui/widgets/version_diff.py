"""The Diff tab: what differs between the selected version and another of its collection: its description, its
metadata (nested keys by dotted path) and its files (a changed file with old -> new size and digest).

Each row is a symbol (+ added, - removed, ~ changed, so it reads without colour) and a few short lines, so that a
row stays legible in the right pane at 80 columns (about 40 wide) instead of being cut.

The other version is chosen from the keyboard: type its number (`v3` or `3`) and press enter, or step with
`[` and `]`. The widget only asks (`CompareRequested`); the screen reads both file lists in a worker and hands the
rows back through `show_diff`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
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
    path: str    # a file's path; a metadata key ("source.name"); "description"
    old_size: int | None = None
    new_size: int | None = None
    old_digest: str | None = None
    new_digest: str | None = None
    kind: str = "file"  # "file" | "metadata" | "description"
    old_value: str | None = None  # metadata and description: the value as text (JSON for metadata)
    new_value: str | None = None


MAX_METADATA_ROWS = 200
VALUE_CHARS = 60  # of a value drawn in a row (the rest is cut with "…")
DIGEST_HEAD = 8
ONE_LINE = 34     # "old → new" on one line up to this long, else on two


def diff_files(old: Sequence[Any], new: Sequence[Any]) -> list[DiffRow]:
    """Rows for the files of `new` against `old` (`core.FileEntry`: path, digest, size), sorted by path."""
    before = {f.path: f for f in old}
    after = {f.path: f for f in new}
    rows = []
    for path in sorted(before.keys() | after.keys()):
        a, b = before.get(path), after.get(path)
        if a is None:
            rows.append(DiffRow("added", path, None, b.size, None, b.digest))
        elif b is None:
            rows.append(DiffRow("removed", path, a.size, None, a.digest, None))
        elif a.digest != b.digest:
            rows.append(DiffRow("changed", path, a.size, b.size, a.digest, b.digest))
    return rows


def _flat(value: Mapping[str, Any], prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    for key, item in value.items():
        if isinstance(item, dict) and item and depth < 5:
            yield from _flat(item, f"{prefix}{key}.", depth + 1)
        else:
            yield f"{prefix}{key}", item


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))


def diff_metadata(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[DiffRow]:
    """Rows for the metadata keys (nested ones by dotted path) that differ, sorted by key."""
    before, after = dict(_flat(old or {})), dict(_flat(new or {}))
    rows = []
    for key in sorted(before.keys() | after.keys()):
        if key not in before:
            rows.append(DiffRow("added", key, kind="metadata", new_value=_json(after[key])))
        elif key not in after:
            rows.append(DiffRow("removed", key, kind="metadata", old_value=_json(before[key])))
        elif _json(before[key]) != _json(after[key]):
            rows.append(DiffRow("changed", key, kind="metadata", old_value=_json(before[key]),
                                new_value=_json(after[key])))
    return rows


def diff_versions(old: Any, new: Any) -> list[DiffRow]:
    """Everything that differs from version `old` to `new`: description, metadata, then files (reads the file
    lists: call it in a worker)."""
    rows = []
    if (old.description or "") != (new.description or ""):
        status = "added" if not old.description else "removed" if not new.description else "changed"
        rows.append(DiffRow(status, "description", kind="description", old_value=old.description or None,
                            new_value=new.description or None))
    rows += diff_metadata(old.metadata, new.metadata)
    return rows + diff_files(old.files(), new.files())


_STATUS = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow")}


def _short(value: str | None, width: int, skip: int = 0) -> Text:
    """`value` on one line of at most `width` characters; `skip`: leave out that many leading characters (the
    part an old and a new value share), marked with "…"."""
    text = (value or "").replace("\n", " ")
    if skip > 0:
        text = "…" + text[skip:]
    return safe_text(text[:width - 1] + "…" if len(text) > width else text)


def _shared_start(old: str | None, new: str | None, width: int) -> int:
    """How much of a common beginning to leave out so that where two long values differ shows."""
    old, new = (old or "").replace("\n", " "), (new or "").replace("\n", " ")
    if max(len(old), len(new)) <= width:
        return 0
    same = 0
    for a, b in zip(old, new):
        if a != b:
            break
        same += 1
    return 0 if same + 12 <= width else same + 12 - width  # the first difference and a dozen characters after it


def _detail(row: DiffRow, width: int = VALUE_CHARS) -> list[Text]:
    """The lines under a row's title: sizes and digest heads of a file, old and new value of the rest."""
    if row.kind == "file":
        if row.status == "changed":
            sizes = f"{formatting.human_size(row.old_size)} → {formatting.human_size(row.new_size)}"
            digests = Text("digest ", style="dim")
            digests.append_text(safe_text((row.old_digest or "")[:DIGEST_HEAD]))
            digests.append(" → ")
            digests.append_text(safe_text((row.new_digest or "")[:DIGEST_HEAD]))
            return [Text(sizes), digests]
        size, digest = (row.new_size, row.new_digest) if row.status == "added" else (row.old_size, row.old_digest)
        line = Text(f"{formatting.human_size(size)}  ")
        line.append("digest ", style="dim")
        line.append_text(safe_text((digest or "")[:DIGEST_HEAD]))
        return [line]
    width = max(12, width - 4)  # after "was " / "now "
    if row.status == "added":
        return [Text("now ", style="dim") + _short(row.new_value, width)]
    if row.status == "removed":
        return [Text("was ", style="dim") + _short(row.old_value, width)]
    if row.kind == "metadata" and len(row.old_value or "") + len(row.new_value or "") + 3 <= min(ONE_LINE, width):
        return [safe_text(row.old_value) + Text(" → ") + safe_text(row.new_value)]
    skip = _shared_start(row.old_value, row.new_value, width)
    return [Text("was ", style="dim") + _short(row.old_value, width, skip),
            Text("now ", style="dim") + _short(row.new_value, width, skip)]


def row_cells(row: DiffRow, width: int = VALUE_CHARS) -> tuple[Text, Text, int]:
    """(symbol, title and detail lines, height) of one row."""
    symbol, style = _STATUS[row.status]
    title = safe_text(row.path, "bold") if row.kind == "file" else Text(row.kind, style="italic")
    if row.kind == "metadata":
        title.append(" ")
        title.append_text(safe_text(row.path, "bold"))
    lines = [title] + [Text("  ") + line for line in _detail(row, width - 2)]
    return Text(symbol, style=f"bold {style}"), Text("\n").join(lines), len(lines)


def parse_version(text: str) -> int | None:
    match = _VERSION.match(text.strip())
    return int(match.group(1)) if match else None


class VersionDiff(Vertical):
    """Against which version, and the table of differing files."""

    HELP_SCOPE = "Diff tab"  # the help screen lists these keys under this name
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
        table = DataTable(id="diff-table", cursor_type="row", show_header=False)
        table.add_columns("", "What")
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
        metadata = [r for r in rows if r.kind == "metadata"]
        hidden = set(map(id, metadata[MAX_METADATA_ROWS:]))
        width = table.size.width - 6 if table.size.width > 20 else ONE_LINE  # the room for a row's text
        for row in rows:  # description, metadata, files (diff_versions' order)
            if id(row) not in hidden:
                symbol, what, height = row_cells(row, width)
                table.add_row(symbol, what, height=height)
        if len(metadata) > MAX_METADATA_ROWS:
            table.add_row("", Text(f"… {len(metadata) - MAX_METADATA_ROWS} more metadata keys differ", style="dim"))
        files = [r for r in rows if r.kind == "file"]
        counts = {s: sum(1 for r in files if r.status == s) for s in _STATUS}
        if rows:
            text = Text(f"v{other} → v{index}: ")
            text.append(f"{counts['added']} added", style="green")
            text.append(", ")
            text.append(f"{counts['removed']} removed", style="red")
            text.append(", ")
            text.append(f"{counts['changed']} changed", style="yellow")
            others = []
            if metadata:
                others.append(f"metadata: {len(metadata)} key{'s' if len(metadata) != 1 else ''}")
            if any(r.kind == "description" for r in rows):
                others.append("description")
            if others:
                text.append(f"; also {', '.join(others)}", style="")
        else:
            text = Text(f"v{other} → v{index}: same files, same contents, same metadata", style="dim")
        self._summary(text)

    def _summary(self, text: Text) -> None:
        self.query_one("#diff-summary", Static).update(text)

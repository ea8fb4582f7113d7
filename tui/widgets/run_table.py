"""The runs of a project as a table: name, job type, state, created, runtime and a few summary metrics, filtered,
sorted and grouped as the user asks.

`build_view` is pure, so the screen runs it in a worker (a project may hold many runs): it filters the runs the
store gave (`parse_filter`: `state:running job:train lr=0.01 word`), sorts them by one column (missing values last
either way), groups them by their W&B group when asked, picks the metric columns from the runs that match (keeping
the ones shown before, so columns stay put while runs come and go and whatever run is highlighted), and keeps at
most `limit` rows; a last row says how many more there are. `RunTable.set_view` rebuilds the rows but keeps the
cursor on the same row, so a run starting or finishing elsewhere never moves the selection. Runs marked for
comparison carry `*` in the row label column. Cursor keys pressed while a new view is being computed are held and
replayed on it (`hold`/`release`), so a fast `/ train enter down space` acts on the filtered rows.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from tui.safe import safe_json, safe_text
from tui import format as formatting

MAX_METRICS = 4   # metric columns chosen; the table shows as many as its width allows
ROW_PAGE = 100    # rows a view holds at first, and adds each time the "more" row is chosen
STATE_ORDER = ("running", "crashed", "failed", "cancelled", "finished")
MARK = "*"
GROUP_KEY = "\0group:"   # row keys of group headers; run ids are printable, so never collide
MORE_KEY = "\0more"

# column key -> (header, direction a first `s` on it sorts in: True = descending)
BASE_COLUMNS = {"name": ("Name", False), "job": ("Job", False), "state": ("State", False),
                "created": ("Created", True), "runtime": ("Runtime", True)}


def state_text(state: str) -> Text:
    """"✓ finished" and the like, in the state's style (`tui.format.RUN_STATES`)."""
    return safe_text(formatting.run_state(state), formatting.run_state_style(state))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def metric_text(value: Any) -> Text:
    if not _is_number(value):
        return safe_text(value if isinstance(value, str) else safe_json(value), "dim")
    if isinstance(value, float):
        return Text(f"{value:.4g}", justify="right")
    return Text(str(value), justify="right")


def summary_keys(runs: Iterable[Any], limit: int = MAX_METRICS, previous: Sequence[str] = ()) -> list[str]:
    """The numeric summary keys most runs share (`_`-prefixed internals never); those in `previous` that some run
    still has keep their place in front, so the columns do not jump as runs come, go or are filtered."""
    counts: Counter[str] = Counter()
    for run in runs:
        for key, value in (run.summary or {}).items():
            if not key.startswith("_") and _is_number(value):
                counts[key] += 1
    kept = [key for key in previous if counts.get(key)]
    rest = sorted((key for key in counts if key not in kept), key=lambda key: (-counts[key], key))
    return (kept + rest)[:limit]


def runtime_seconds(run: Any, now: datetime) -> float | None:
    """How long the run ran: to now while it runs, to its last heartbeat when it crashed, else to its end."""
    start = run.created_at
    if start is None:
        return None
    end = {"running": now, "crashed": getattr(run, "heartbeat_at", None)}.get(run.state, run.updated_at)
    if end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def format_runtime(seconds: float | None) -> str:
    """"45s", "12m05s", "3h07m", "2d04h": two units at most, so the column stays narrow."""
    if seconds is None:
        return "?"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


# ----- the filter ----------------------------------------------------------------------------------------------

FIELDS = {"state": "state", "job": "job", "type": "job", "job_type": "job", "name": "name", "group": "group",
          "tag": "tag", "id": "id"}
_COMPARISON = re.compile(r"^([^=!<>]+)(!=|>=|<=|=|>|<)(.*)$")


@dataclass(frozen=True)
class Term:
    """One word of a filter. `field`: a FIELDS value, "text" (a bare word) or "value" (a config/summary key)."""
    field: str
    value: str
    negate: bool = False
    key: str = ""
    op: str = ""


def parse_filter(text: str) -> list[Term]:
    """`state:running job:train lr=0.01 loss<0.2 -state:failed "two words"`: every term must hold (a leading `-`
    negates one). `field:value` for state (a prefix; `state:failed,crashed` for either), job, name, group, tag
    and id; `key=value` (also `!=`, `<`, `>`, `<=`, `>=`) for a config value, else a summary value (`a.b` reaches
    into nested config); any other word is looked for in the name, id, job type and group."""
    words = text.split()
    for closing in ("", '"', "'"):  # an unclosed quote while typing reads as closed at the end
        try:
            words = shlex.split(text + closing)
            break
        except ValueError:
            continue
    terms = []
    for word in words:
        negate = word.startswith("-") and len(word) > 1
        if negate:
            word = word[1:]
        name, colon, value = word.partition(":")
        comparison = _COMPARISON.match(word)
        if colon and name.casefold() in FIELDS and value:
            terms.append(Term(FIELDS[name.casefold()], value.casefold(), negate))
        elif comparison and not colon:
            key, op, value = comparison.groups()
            terms.append(Term("value", value, negate, key=key, op=op))
        else:
            terms.append(Term("text", word.casefold(), negate))
    return terms


def _lookup(mapping: Any, key: str) -> tuple[bool, Any]:
    if not isinstance(mapping, dict):
        return False, None
    if key in mapping:
        return True, mapping[key]
    node = mapping
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None


def _compare(value: Any, op: str, wanted: str) -> bool:
    if wanted == "":  # `lr=` while typing: runs that have the key
        return op != "!="
    number = _number(wanted)
    if _is_number(value) and number is not None:
        a = float(value)
        return {"=": a == number, "!=": a != number, ">": a > number, "<": a < number,
                ">=": a >= number, "<=": a <= number}[op]
    if op not in ("=", "!="):
        return False
    shown = value if isinstance(value, str) else json.dumps(value)
    return (shown.casefold() == wanted.casefold()) == (op == "=")


def _holds(run: Any, term: Term) -> bool:
    value = term.value
    if term.field == "state":
        return any(part and run.state.startswith(part) for part in value.split(","))
    if term.field == "job":
        return value in (run.job_type or "").casefold()
    if term.field == "name":
        return value in (run.name or "").casefold() or value in str(run.id).casefold()
    if term.field == "group":
        return value in (run.group or "").casefold()
    if term.field == "tag":
        return any(value in str(tag).casefold() for tag in run.tags or ())
    if term.field == "id":
        return value == str(run.id).casefold()
    if term.field == "value":
        found, got = _lookup(run.config, term.key)
        if not found:
            found, got = _lookup(run.summary, term.key)
        return _compare(got, term.op, value) if found else term.op == "!="
    haystack = " ".join((run.name or "", str(run.id), run.job_type or "", run.group or "")).casefold()
    return value in haystack


def matches(run: Any, terms: Sequence[Term]) -> bool:
    return all(_holds(run, term) != term.negate for term in terms)


# ----- sorting, grouping, the view ------------------------------------------------------------------------------

def sort_value(run: Any, column: str, now: datetime) -> Any:
    """What `column` sorts `run` by; None when the run has no value there (sorted last, either direction)."""
    if column == "name":
        return (run.name or str(run.id)).casefold()
    if column == "job":
        return (run.job_type or "").casefold() or None
    if column == "state":
        return STATE_ORDER.index(run.state) if run.state in STATE_ORDER else len(STATE_ORDER)
    if column == "created":
        return run.created_at.timestamp() if run.created_at is not None else None
    if column == "runtime":
        return runtime_seconds(run, now)
    if column.startswith("m:"):
        value = (run.summary or {}).get(column[2:])
        return float(value) if _is_number(value) else None
    return None


def sort_runs(runs: Sequence[Any], column: str, descending: bool, now: datetime) -> list[Any]:
    """Sorted by `column`; ties keep the given order (the store's: newest first)."""
    keyed = [(sort_value(run, column, now), run) for run in runs]
    present = [pair for pair in keyed if pair[0] is not None]
    present.sort(key=lambda pair: pair[0], reverse=descending)
    return [run for _, run in present] + [run for value, run in keyed if value is None]


@dataclass
class GroupRow:
    """A group's header row: its name (None: runs without a group) and every member's id, shown or not."""
    name: str | None
    run_ids: list[str] = field(default_factory=list)
    collapsed: bool = False

    @property
    def key(self) -> str:
        return group_key(self.name)


def group_key(name: str | None) -> str:
    return GROUP_KEY + ("\0" if name is None else name)


@dataclass
class ViewSpec:
    """What the user asked the table to show."""
    filter_text: str = ""
    sort: str = "created"
    descending: bool = True
    grouped: bool = False
    collapsed: frozenset[str] = frozenset()   # group keys whose runs are hidden
    limit: int = ROW_PAGE


@dataclass
class RunsView:
    rows: list[Any]           # core.RunInfo or GroupRow, in order
    total: int                # runs in the project
    matched: int              # runs the filter kept
    more: int                 # rows left out by the limit
    metrics: list[str]        # metric columns, most wanted first
    spec: ViewSpec
    position: dict[str, int] = field(default_factory=dict)  # run id -> index among the matched, sorted runs


def build_view(runs: Sequence[Any], spec: ViewSpec, now: datetime, previous_metrics: Sequence[str] = ()) -> RunsView:
    """The rows `spec` asks for, at most `spec.limit` of them (headers included)."""
    terms = parse_filter(spec.filter_text)
    kept = [run for run in runs if matches(run, terms)] if terms else list(runs)
    ordered = sort_runs(kept, spec.sort, spec.descending, now)
    metrics = summary_keys(kept, previous=previous_metrics)
    rows: list[Any] = []
    if spec.grouped:
        groups: dict[str | None, GroupRow] = {}
        members: dict[str | None, list[Any]] = {}
        for run in ordered:
            name = run.group or None
            if name not in groups:
                groups[name] = GroupRow(name)
                members[name] = []
            groups[name].run_ids.append(run.id)
            members[name].append(run)
        for name, header in groups.items():
            header.collapsed = header.key in spec.collapsed
            rows.append(header)
            if not header.collapsed:
                rows.extend(members[name])
    else:
        rows = ordered
    return RunsView(rows=rows[:spec.limit], total=len(runs), matched=len(kept), more=max(0, len(rows) - spec.limit),
                    metrics=metrics, spec=spec, position={run.id: i for i, run in enumerate(ordered)})


def column_keys(metrics: Sequence[str]) -> list[str]:
    """The columns `s` cycles through, in table order."""
    return [*BASE_COLUMNS, *(f"m:{key}" for key in metrics)]


def column_title(column: str) -> str:
    return column[2:] if column.startswith("m:") else BASE_COLUMNS.get(column, (column, False))[0]


def sort_arrow(descending: bool) -> str:
    return "▼" if descending else "▲"


# ----- the widget -------------------------------------------------------------------------------------------------

class RunTable(DataTable):
    """One row per run (and per group when grouped); `RunHighlighted` when the cursor lands on a run,
    `MoreRequested` when the user chooses the last "more" row, `GroupChosen` on a group's header."""

    class RunHighlighted(Message):
        def __init__(self, run: Any) -> None:
            super().__init__()
            self.run = run

    class MoreRequested(Message):
        """Show another page of rows."""

    class GroupChosen(Message):
        """Enter on a group's header: fold or unfold it."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    HELD_KEYS = 64  # cursor keys kept while a view is computed

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._runs: dict[str, Any] = {}
        self._groups: dict[str, GroupRow] = {}
        self._view: RunsView | None = None
        self._marked: set[str] = set()
        self._layout: list[tuple[str, Text, int]] | None = None
        self._held: list[Callable[[], Any]] = []
        self.pending = False
        self.metrics: list[str] = []  # the metric columns shown

    # ----- keys pressed while a view is computed ---------------------------------------------------------------

    def hold(self) -> None:
        """A new view is on its way: keep cursor keys (and `defer`red calls) for it."""
        self.pending = True

    def release(self) -> None:
        self.pending = False
        held, self._held = self._held, []
        for call in held:
            call()

    def defer(self, call: Callable[[], Any]) -> None:
        """`call()` now, or once the view on its way is shown."""
        if self.pending and len(self._held) < self.HELD_KEYS:
            self._held.append(call)
        elif not self.pending:
            call()

    def action_cursor_up(self) -> None:
        self.defer(super().action_cursor_up)

    def action_cursor_down(self) -> None:
        self.defer(super().action_cursor_down)

    def action_page_up(self) -> None:
        self.defer(super().action_page_up)

    def action_page_down(self) -> None:
        self.defer(super().action_page_down)

    def action_scroll_top(self) -> None:
        self.defer(super().action_scroll_top)

    def action_scroll_bottom(self) -> None:
        self.defer(super().action_scroll_bottom)

    def action_select_cursor(self) -> None:
        self.defer(super().action_select_cursor)

    # ----- rows --------------------------------------------------------------------------------------------------

    @property
    def view(self) -> RunsView | None:
        return self._view

    def _columns_for(self, view: RunsView, width: int) -> list[tuple[str, Text, int]]:
        """(key, header, width) of each column: the five fixed ones, then as many metrics as fit, then the rest of
        the width to the names."""
        spec = view.spec
        runs = [row for row in view.rows if not isinstance(row, GroupRow)]

        def header(key: str) -> Text:
            text = safe_text(column_title(key))
            if key == spec.sort:
                text.append(sort_arrow(spec.descending), "bold")
            return text

        def widen(key: str, width: int) -> int:  # the sorted column's arrow takes a cell more
            return width + (key == spec.sort)

        longest_job = max((len(run.job_type or "") for run in runs), default=3)
        states = {run.state for run in runs}
        fixed = [("job", widen("job", min(max(longest_job, 3), 10))),
                 ("state", max((len(formatting.run_state(state)) for state in states), default=5)),
                 ("created", widen("created", 7)), ("runtime", widen("runtime", 7))]
        room = width - 4 - sum(w + 2 for _, w in fixed)  # 4: the mark column and the scroll bar
        name_min = 12
        metric_columns = []
        for key in view.metrics:
            values = max((len(metric_text(run.summary.get(key, "")).plain) for run in runs), default=0)
            w = widen(f"m:{key}", min(max(len(key), values, 6), 12))
            if room - (w + 2) < name_min + 2:
                break
            metric_columns.append((f"m:{key}", w))
            room -= w + 2
        longest_name = max((len(run.name or str(run.id)) for run in runs), default=4)
        longest_group = max((len(row.name or "no group") + 2 for row in view.rows if isinstance(row, GroupRow)),
                            default=0)
        name_width = max(name_min, min(room - 2, widen("name", max(longest_name, longest_group, 4)), 40))
        return [(key, header(key), w) for key, w in [("name", name_width), *fixed, *metric_columns]]

    def set_view(self, view: RunsView, select: str | None = None, marked: Iterable[str] = (), *,
                 top: bool = False) -> None:
        """Show `view`; keep the cursor on `select` (a row key), else on the row it was on, or with `top` on the
        first row (a new sort or filter: its first rows are what the user asked to see)."""
        keep = select or (None if top else self.current_key)
        more_at = self.cursor_row if keep == MORE_KEY else None  # "more" chosen: the cursor on the first new row
        self._view = view
        self._marked = set(marked)
        now = self.app.clock()
        layout = self._columns_for(view, self.size.width or self.app.size.width)
        rebuild_columns = layout != self._layout or not self.columns
        self.clear(columns=rebuild_columns)
        if rebuild_columns:
            for key, title, width in layout:
                self.add_column(title, key=key, width=width)
            self._layout = layout
        self.metrics = [key[2:] for key, _, _ in layout if key.startswith("m:")]
        self._runs, self._groups = {}, {}
        for row in view.rows:
            if isinstance(row, GroupRow):
                self._groups[row.key] = row
                self.add_row(*self._group_cells(row), key=row.key, label=Text(" "))
            else:
                self._runs[row.id] = row
                self.add_row(*self._run_cells(row, now), key=row.id, label=self._label(row.id))
        if view.more:
            more = Text(f"… {view.more} more rows (enter: {ROW_PAGE} more; or narrow the filter with /)",
                        style="dim italic", no_wrap=True, overflow="ellipsis")
            self.add_row(more, *[""] * (len(layout) - 1), key=MORE_KEY, label=Text(" "))
        if keep is not None and (keep in self._runs or keep in self._groups):
            self.move_cursor(row=self.get_row_index(keep), animate=False)
        elif more_at is not None:
            self.move_cursor(row=min(more_at, self.row_count - 1), animate=False)

    def _label(self, run_id: str) -> Text:
        return Text(MARK, style="bold") if run_id in self._marked else Text(" ")

    def _run_cells(self, run: Any, now: datetime) -> list[Text]:
        name = safe_text(run.name or run.id, "bold")
        name.no_wrap, name.overflow = True, "ellipsis"
        job = safe_text(run.job_type or "", "italic")
        job.no_wrap, job.overflow = True, "ellipsis"
        cells = [
            name,
            job,
            state_text(run.state),
            Text(formatting.age(run.created_at, now), justify="right"),
            Text(format_runtime(runtime_seconds(run, now)), justify="right"),
        ]
        cells += [metric_text(run.summary.get(key, "")) for key in self.metrics]
        return cells

    def _group_cells(self, group: GroupRow) -> list[Text]:
        title = Text("▸ " if group.collapsed else "▾ ", style="bold")
        title.append_text(safe_text(group.name, "bold") if group.name is not None else Text("no group", "dim italic"))
        title.no_wrap, title.overflow = True, "ellipsis"
        count = len(group.run_ids)
        cells = [title, Text(f"{count} run{'s' if count != 1 else ''}", style="dim")]
        return cells + [Text("")] * (len(self.columns) - len(cells))

    def set_marked(self, marked: Iterable[str]) -> None:
        """Redraw the mark of every row whose mark changed."""
        marked = set(marked)
        changed = (marked ^ self._marked) & set(self._runs)
        self._marked = marked
        for run_id in changed:
            row = self.rows.get(RowKey(run_id))
            if row is not None:
                row.label = self._label(run_id)
                self.update_cell(run_id, "name", self.get_cell(run_id, "name"))  # redraws the row

    @property
    def current_key(self) -> str | None:
        """The row key under the cursor: a run id, a group key (`group_key`) or the "more" row's."""
        if not self.row_count or self.cursor_row < 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # cursor outside the rows while the table is being rebuilt
            return None

    @property
    def current_run_id(self) -> str | None:
        key = self.current_key
        return key if key in self._runs else None

    def group(self, key: str) -> GroupRow | None:
        return self._groups.get(key)

    def run_info(self, run_id: str) -> Any:
        return self._runs.get(run_id)

    def on_resize(self) -> None:
        if self._view is not None and self._columns_for(self._view, self.size.width) != self._layout:
            self.set_view(self._view, marked=self._marked)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        run = self._runs.get(event.row_key.value) if event.row_key is not None else None
        if run is not None:
            self.post_message(self.RunHighlighted(run))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value if event.row_key is not None else None
        if key == MORE_KEY:
            event.stop()
            self.post_message(self.MoreRequested())
        elif key in self._groups:
            event.stop()
            self.post_message(self.GroupChosen(key))

"""The runs of a project as a table: name, job type, state, created, runtime and a few summary metrics, one row per
run (and one per group when grouped by pipeline), as `tui.run_query.build_view` chose them.

`RunTable.set_view` rebuilds the rows but keeps the cursor on the same row, so a run starting or finishing elsewhere
never moves the selection; a new sort, filter or grouping puts it on the first row. Column widths follow the
table's width: the fixed columns, then as many metric columns as fit, then the rest to the names. Runs marked for
comparison carry `*` in the row label column. Cursor keys (and calls `defer`red by the screen) that come while a new
view is being computed are held and replayed on it (`hold`/`release`), so a fast `/ train enter down space` acts on
the filtered rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from tui.run_query import (
    ROW_PAGE, GroupRow, RunsView, column_title, format_runtime, is_number, runtime_seconds, sort_arrow,
)
from tui.safe import safe_json, safe_text
from tui import format as formatting

MARK = "*"
MORE_KEY = "\0more"


def state_text(state: str) -> Text:
    """"✓ finished" and the like, in the state's style (`tui.format.RUN_STATES`)."""
    return safe_text(formatting.run_state(state), formatting.run_state_style(state))


def metric_text(value: Any) -> Text:
    if not is_number(value):
        return safe_text(value if isinstance(value, str) else safe_json(value), "dim")
    if isinstance(value, float):
        return Text(f"{value:.4g}", justify="right")
    return Text(str(value), justify="right")


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

"""The runs of one project (table on top, the highlighted run's details below), refreshed live: filtered (`/`),
sorted by any column (`s` the next column, `S` the other direction), grouped by pipeline (`g`), and compared
(`space` marks runs, `v` overlays one metric of each in one chart).

Pushed by the explorer; it dismisses with "project/name:vN" when the user opens one of a run's artifacts (the
explorer then selects it), or None when the user goes back. Every store read runs in a worker; so does building
the table's view (filter, sort, group), which can grow with the project; cursor keys pressed meanwhile wait for it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from tui.messages import JumpToVersion
from tui.safe import safe_str, safe_text
from tui.screens.base import StoreScreen
from tui.screens.lineage import LineageScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.run_details import RunDetails, RunOverview
from tui.run_query import (
    BASE_COLUMNS, ROW_PAGE, RunsView, ViewSpec, build_view, column_keys, column_title, sort_arrow,
)
from tui.widgets.run_table import RunTable
from tui.widgets.title_bar import TitleBar


ARTIFACT_PAGE = 50    # a run's artifacts shown at first, and added by each "more" row (a run may log 90,000)
CHART_SAMPLES = 1000  # history rows a chart reads (store.history samples=: min and max of each bucket kept)
COMPARE_SAMPLES = 500  # history rows read per compared run
MAX_COMPARED = 6       # runs overlaid at once: each keeps a shape of its own (a line, then ◆ ● ▲ ■ ✚)
SELECT_ROWS = 1000     # rows a view may grow to, to show a run asked for by id; past them a filter shows it alone
FILTER_PAUSE_S = 0.15  # typing in the filter: the rows follow once the keys pause (enter: at once)


def load_overview(store: Any, project: str, run_id: str, limit: int = ARTIFACT_PAGE) -> RunOverview:
    """The run and its newest `limit` inputs and outputs (one more of each is read, to know there are more)."""
    run = store.run(project, run_id)
    inputs = store.run_versions(run, "input", limit=limit + 1, newest_first=True)
    outputs = store.run_versions(run, "output", limit=limit + 1, newest_first=True)
    return RunOverview(run, inputs[:limit], outputs[:limit],
                       more_inputs=len(inputs) > limit, more_outputs=len(outputs) > limit)


REREAD_S = 5.0  # a run that dies writes nothing, so the token never moves: re-read to show "crashed" and ages


class RunsScreen(StoreScreen):
    """Runs with job type, state, created, runtime and summary metrics; config, summary, artifacts and chart of
    one; one metric of several runs in one chart."""

    CSS_PATH = "../styles/runs.tcss"  # loaded when the screen first opens, not with the first screen

    AUTO_FOCUS = "#run-table"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Clear the filter, else go back", priority=True),
        Binding("slash", "filter", "Filter", tooltip="Filter: state:running job:train lr=0.01 name (-x negates)",
                priority=True),
        Binding("enter", "filter_done", "Keep the filter", show=False, priority=True),
        Binding("s", "sort", "Sort", tooltip="Sort by the next column (the header shows ▲/▼)"),
        Binding("S", "reverse", "Reverse", key_display="S", tooltip="Sort the other way"),
        Binding("g", "group", "Group", tooltip="Group the runs by pipeline (their group); enter folds one"),
        Binding("space", "mark", "Mark", tooltip="Mark or unmark the run (a group header: all its runs)"),
        Binding("v", "compare", "Compare", tooltip="One metric of every marked run in one chart"),
        Binding("l", "lineage", "Lineage", tooltip="The lineage graph of this project"),
        Binding("c", "chart", "Chart", tooltip="Show the metric chart of the highlighted run"),
        Binding("1", "tab('run-overview')", "Overview tab", show=False),
        Binding("2", "tab('run-config')", "Config tab", show=False),
        Binding("3", "tab('run-summary')", "Summary tab", show=False),
        Binding("4", "tab('run-chart')", "Chart tab", show=False),
        Binding("5", "tab('run-compare')", "Compare tab", show=False),
        Binding("left_square_bracket", "metric(-1)", "Prev metric", show=False),
        Binding("right_square_bracket", "metric(1)", "Next metric", show=False),
    ]

    def __init__(self, store: Any, project: str, run_id: str | None = None) -> None:
        super().__init__(store, id="runs")
        self.project = project
        self._select = run_id
        self._run_id: str | None = None
        self._artifact_limit = ARTIFACT_PAGE  # grows with each "more" row chosen; back to a page for another run
        self._runs: list[Any] | None = None    # the store's latest answer
        self.spec = ViewSpec()
        self._to_top = False                   # the next view is a new sort/filter/grouping: cursor to its top
        self._filter_timer: Any = None
        self._settling = False                 # enter/escape in the filter: its last keys are still on their way
        self._marked: dict[str, Any] = {}      # run id -> RunInfo, in the order marked (the chart's order)
        self._histories: dict[str, tuple[str, list[dict]]] = {}  # run id -> (state when read, sampled rows)
        self.title = f"Runs of {safe_str(project)}"

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="runs-body"):
            yield Input(placeholder="state:running job:train lr=0.01 name  (enter keeps it, esc clears)",
                        select_on_focus=False, id="runs-filter")  # `/` again edits the filter, not replaces it
            yield Static(id="runs-status")
            yield RunTable(id="run-table")
            yield Static(id="runs-empty")
            yield RunDetails(id="run-details")
        yield KeyFooter()

    @property
    def table(self) -> RunTable:
        return self.query_one(RunTable)

    @property
    def details(self) -> RunDetails:
        return self.query_one(RunDetails)

    def on_mount(self) -> None:
        self.table.focus()
        self._load_runs()
        self.set_interval(REREAD_S, self._reread)

    def _reread(self) -> None:
        if self.visible and not self.fetching("runs", "run"):  # not while under the runner
            self.refresh_data()

    def refresh_data(self) -> None:
        self._load_runs()
        if self._run_id is not None:
            self._load_run(self._run_id, tail=True)

    # ----- the table: runs read, then the view built, both in workers ----------------------------------------------

    def _load_runs(self) -> None:
        self.fetch("runs", lambda: self.store.runs(self.project), self._runs_loaded,
                   loading=self.table if self._runs is None else None)

    def _runs_loaded(self, runs: list[Any]) -> None:
        self._runs = runs
        by_id = {run.id: run for run in runs}
        for run_id in list(self._marked):
            if run_id in by_id:
                self._marked[run_id] = by_id[run_id]
        self.set_class(not runs, "-no-runs")
        if not runs:
            message = Text("No runs in this project yet. Runs appear here as soon as a script calls ")
            message.append("core.init(...)", style="bold")
            message.append(" (or the tutorial pipeline starts).")
            self.query_one("#runs-empty", Static).update(message)
        self._rebuild()
        if self._marked and self.details.active_tab == "run-compare":
            self._load_compare(refresh=True)

    def _rebuild(self) -> None:
        """Build the view of `self.spec` in a worker; keys for the table wait until it is shown."""
        if self._runs is None:
            return
        runs, spec, now, previous = self._runs, self.spec, self.app.clock(), list(self.table.view.metrics
                                                                                  if self.table.view else [])
        table = self.table
        table.hold()
        self._show_status()
        self.fetch("view", lambda: build_view(runs, spec, now, previous), self._view_built,
                   on_error=self._view_failed)

    def _view_built(self, view: RunsView) -> None:
        table = self.table
        if self._select is not None and view.spec is self.spec:
            select = self._select
            position = view.position.get(select)
            if position is not None and not view.spec.grouped and position >= view.spec.limit:
                if position < SELECT_ROWS:  # show the pages down to it
                    self._change(limit=(position // ROW_PAGE + 1) * ROW_PAGE, top=False)
                else:  # too far down to list: the filter shows it alone, and says so
                    self.query_one("#runs-filter", Input).value = f"id:{select}"
                    self._change(filter_text=f"id:{select}", top=False)
                return
            self._select = None
            table.set_view(view, select=select, marked=self._marked)
        else:
            table.set_view(view, marked=self._marked, top=self._to_top)
        self._to_top = False
        self._show_status()
        if view.spec is self.spec and not self._settling and self._filter_timer is None:
            table.release()

    def _view_failed(self, error: BaseException) -> None:
        self.table.release()
        self.show_error(error)

    def _show_status(self) -> None:
        """One line above the table: how many runs, the sort, the grouping, the marks and the filter."""
        view, spec = self.table.view, self.spec
        text = Text(no_wrap=True, overflow="ellipsis")
        filtered = spec.filter_text.strip()
        if view is not None:
            if filtered:
                text.append(f"{view.matched} of {view.total} runs match ", "bold")
                text.append_text(safe_text(filtered, "italic"))
            else:
                text.append(f"{view.total} run{'s' if view.total != 1 else ''}", "bold")
        text.append(f"  sort {column_title(spec.sort)}{sort_arrow(spec.descending)}", "dim")
        if spec.grouped:
            text.append("  by pipeline", "dim")
        if self._marked:
            text.append(f"  {len(self._marked)} marked: v compares", "dim")
        self.query_one("#runs-status", Static).update(text)

    def _change(self, *, top: bool = True, later: bool = False, **changes: Any) -> None:
        """A new spec (the old one may still be in a worker: never mutate it), then its view; with `top` the
        cursor starts on its first row; `later`: once the keys pause (the table holds its keys meanwhile)."""
        self.spec = ViewSpec(**{**vars(self.spec), **changes})
        self._to_top = self._to_top or top
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        if later:
            self.table.hold()
            self._show_status()
            self._filter_timer = self.set_timer(FILTER_PAUSE_S, self._rebuild_now)
        else:
            self._rebuild()

    def _rebuild_now(self) -> None:
        self._filter_timer = None
        self._rebuild()

    # ----- filter, sort, group ---------------------------------------------------------------------------------

    # Keys can arrive faster than widgets handle them (a paste, tmux send-keys, a quick typist over SSH). The app
    # hands each key to whatever has focus when it reads the key, so focus moves in the app's own order: `/`,
    # escape, and enter in the filter are priority bindings (run as the app reads them) and move focus at once.
    # Keys already handed to the Input before enter are still typed into it; `FilterSettled`, queued behind them,
    # tells when its text is final. The table holds the keys after enter until the rows of that text are shown.

    class FilterSettled(Message):
        """Posted to the filter Input behind the keys it has still to handle; bubbles back to the screen."""

        def __init__(self, clear: bool) -> None:
            super().__init__()
            self.clear = clear

    @property
    def filter_input(self) -> Input:
        return self.query_one("#runs-filter", Input)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        typing = self.focused is self.filter_input
        if action == "filter":
            return not typing
        if action == "filter_done":
            return typing
        return True

    def action_filter(self) -> None:
        self.set_class(True, "-filtering")
        self.set_focus(self.filter_input)  # now, not later: the keys after `/` go to the Input

    def action_filter_done(self) -> None:
        self._leave_filter(clear=False)

    def _leave_filter(self, *, clear: bool) -> None:
        self.set_class(False, "-filtering")
        self.set_focus(self.table)
        self._settling = True
        self.table.hold()
        self.filter_input.post_message(self.FilterSettled(clear))

    def on_runs_screen_filter_settled(self, event: FilterSettled) -> None:
        event.stop()
        self._settling = False
        if event.clear:
            self.filter_input.value = ""
        text = self.filter_input.value
        if text != self.spec.filter_text or self._filter_timer is not None:
            self._change(filter_text=text, limit=ROW_PAGE, top=text != self.spec.filter_text)
        elif not self.fetching("view"):
            self.table.release()  # nothing changed and nothing on its way: the held keys act now

    @on(Input.Changed, "#runs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        text = self.filter_input.value  # not event.value: changes can arrive after the text they led to
        if text != self.spec.filter_text:
            self._change(filter_text=text, limit=ROW_PAGE, later=True)

    def action_back(self) -> None:
        if self.focused is self.filter_input:
            self._leave_filter(clear=True)
        elif self.spec.filter_text:
            self.filter_input.value = ""
            self._change(filter_text="", limit=ROW_PAGE)
        else:
            self.dismiss(None)

    def action_sort(self) -> None:
        metrics = self.table.metrics
        columns = column_keys(metrics)
        position = columns.index(self.spec.sort) if self.spec.sort in columns else -1
        column = columns[(position + 1) % len(columns)]
        self._change(sort=column, descending=BASE_COLUMNS.get(column, ("", True))[1])

    def action_reverse(self) -> None:
        self._change(descending=not self.spec.descending)

    def action_group(self) -> None:
        self._change(grouped=not self.spec.grouped, limit=ROW_PAGE)

    def on_run_table_group_chosen(self, event: RunTable.GroupChosen) -> None:
        event.stop()
        self._change(collapsed=self.spec.collapsed ^ {event.key}, top=False)

    def on_run_table_more_requested(self, event: RunTable.MoreRequested) -> None:
        event.stop()
        self._change(limit=self.spec.limit + ROW_PAGE, top=False)

    # ----- marks and the comparison ----------------------------------------------------------------------------

    def action_mark(self) -> None:
        self.table.defer(self._mark_current)

    def _mark_current(self) -> None:
        table = self.table
        key = table.current_key
        group = table.group(key) if key is not None else None
        if group is not None:
            ids = group.run_ids
        elif key is not None and table.run_info(key) is not None:
            ids = [key]
        else:
            return
        if all(run_id in self._marked for run_id in ids):
            for run_id in ids:
                self._marked.pop(run_id, None)
        else:
            runs = {run.id: run for run in self._runs or []}
            for run_id in ids:
                if run_id not in self._marked and run_id in runs:
                    if len(self._marked) >= MAX_COMPARED:
                        self.notify(f"At most {MAX_COMPARED} runs are compared at once: unmark one first.",
                                    timeout=3)
                        break
                    self._marked[run_id] = runs[run_id]
        for run_id in list(self._histories):
            if run_id not in self._marked:
                del self._histories[run_id]
        table.set_marked(self._marked)
        self._show_status()
        if self.details.active_tab == "run-compare":
            self._load_compare()

    def action_compare(self) -> None:
        self.table.defer(self._open_compare)

    def _open_compare(self) -> None:
        if self.details.active_tab == "run-compare":
            self._load_compare()
        else:
            self.details.show_tab("run-compare")  # on_tabbed_content_tab_activated reads what it needs

    def on_tabbed_content_tab_activated(self, event: Any) -> None:
        if event.pane.id == "run-compare":  # by key or by a click on the tab
            self._load_compare()

    def _load_compare(self, *, refresh: bool = False) -> None:
        """Read the sampled history of each marked run not read yet (or still running, or changed state since).
        A refresh never starts a read while one is in flight."""
        if refresh and self.fetching("compare"):
            return
        marked = dict(self._marked)
        need = [run_id for run_id, run in marked.items()
                if run_id not in self._histories or run.state == "running" or self._histories[run_id][0] != run.state]
        if not need:
            self._draw_compare()
            return

        def read() -> dict[str, tuple[str, list[dict]]]:
            return {run_id: (marked[run_id].state, self.store.history(run_id, samples=COMPARE_SAMPLES))
                    for run_id in need}

        def landed(found: dict[str, tuple[str, list[dict]]]) -> None:
            self._histories.update({run_id: rows for run_id, rows in found.items() if run_id in self._marked})
            self._draw_compare()

        self.fetch("compare", read, landed)

    def _draw_compare(self) -> None:
        self.details.show_compare([(run, self._histories[run_id][1]) for run_id, run in self._marked.items()
                                   if run_id in self._histories])

    # ----- the highlighted run ---------------------------------------------------------------------------------

    def on_run_table_run_highlighted(self, event: RunTable.RunHighlighted) -> None:
        if event.run.id != self._run_id:
            self._run_id = event.run.id
            self._artifact_limit = ARTIFACT_PAGE
            self._load_run(event.run.id, tail=False)

    def _load_run(self, run_id: str, *, tail: bool) -> None:
        details = self.details

        def shown(data: RunOverview) -> None:
            if data.run.id == self._run_id:
                details.show_run(data)
                self._load_history(run_id)

        limit = self._artifact_limit
        self.fetch("run", lambda: load_overview(self.store, self.project, run_id, limit), shown,
                   loading=None if tail else details)

    def on_run_details_more_artifacts(self, event: RunDetails.MoreArtifacts) -> None:
        event.stop()
        if self._run_id is not None:
            self._artifact_limit += ARTIFACT_PAGE
            self._load_run(self._run_id, tail=True)

    def _load_history(self, run_id: str) -> None:
        """The chart's rows: sampled across the run at first, then the sampled tail after the last step shown (or
        all of it sampled again once the live tail has grown the chart past a few samples' worth). One read at a
        time: a re-read never starts while one is in flight; when it lands, a run highlighted meanwhile is read."""
        if self.fetching("history"):
            return
        details = self.details
        whole = details.last_step is None or details.point_count > 4 * CHART_SAMPLES
        after = None if whole else details.last_step

        def shown(rows: list[dict]) -> None:
            if run_id != self._run_id:
                if self._run_id is not None and details.run_id == self._run_id:
                    self._load_history(self._run_id)
                return
            if whole:
                details.replace_rows(rows)
            elif details.last_step == after:
                details.add_rows(rows)

        self.fetch("history", lambda: self.store.history(run_id, after_step=after, samples=CHART_SAMPLES), shown)

    def action_tab(self, tab: str) -> None:
        if tab == "run-compare":
            self.action_compare()
        else:
            self.details.show_tab(tab)

    def action_chart(self) -> None:
        self.details.show_tab("run-chart")

    def action_metric(self, delta: int) -> None:
        details = self.details
        if details.active_tab == "run-compare":
            details.action_compare_metric(delta)
            return
        details.show_tab("run-chart")
        details.action_metric(delta)

    def on_jump_to_version(self, event: JumpToVersion) -> None:
        event.stop()
        self.dismiss(event.ref)

    def action_lineage(self) -> None:
        def picked(ref: str | None) -> None:
            if ref:
                self.dismiss(ref)

        self.app.push_screen(LineageScreen(self.store, self.project, focus=None), picked)

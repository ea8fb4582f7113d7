"""The runs of one project (table on top, the highlighted run's details below), refreshed live.

Pushed by the explorer; it dismisses with "project/name:vN" when the user opens one of a run's artifacts (the
explorer then selects it), or None when the user goes back.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Static

from tui.messages import JumpToVersion
from tui.safe import safe_str
from tui.screens.base import StoreScreen
from tui.screens.lineage import LineageScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.run_details import RunDetails, RunOverview
from tui.widgets.run_table import RunTable


ARTIFACT_PAGE = 50    # a run's artifacts shown at first, and added by each "more" row (a run may log 90,000)
CHART_SAMPLES = 1000  # history rows a chart reads (store.history samples=: min and max of each bucket kept)


def load_overview(store: Any, project: str, run_id: str, limit: int = ARTIFACT_PAGE) -> RunOverview:
    """The run and its newest `limit` inputs and outputs (one more of each is read, to know there are more)."""
    run = store.run(project, run_id)
    inputs = store.run_versions(run, "input", limit=limit + 1, newest_first=True)
    outputs = store.run_versions(run, "output", limit=limit + 1, newest_first=True)
    return RunOverview(run, inputs[:limit], outputs[:limit],
                       more_inputs=len(inputs) > limit, more_outputs=len(outputs) > limit)


REREAD_S = 5.0  # a run that dies writes nothing, so the token never moves: re-read to show "crashed" and ages


class RunsScreen(StoreScreen):
    """Runs with job type, state, age and summary metrics; config, summary, artifacts and chart of one."""

    AUTO_FOCUS = "#run-table"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("l", "lineage", "Lineage", tooltip="The lineage graph of this project"),
        Binding("c", "chart", "Chart", tooltip="Show the metric chart of the highlighted run"),
        Binding("1", "tab('run-overview')", "Overview tab", show=False),
        Binding("2", "tab('run-config')", "Config tab", show=False),
        Binding("3", "tab('run-summary')", "Summary tab", show=False),
        Binding("4", "tab('run-chart')", "Chart tab", show=False),
        Binding("left_square_bracket", "metric(-1)", "Prev metric", show=False),
        Binding("right_square_bracket", "metric(1)", "Next metric", show=False),
    ]

    def __init__(self, store: Any, project: str, run_id: str | None = None) -> None:
        super().__init__(store, id="runs")
        self.project = project
        self._select = run_id
        self._run_id: str | None = None
        self._artifact_limit = ARTIFACT_PAGE  # grows with each "more" row chosen; back to a page for another run
        self.title = f"Runs of {safe_str(project)}"

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="runs-body"):
            yield RunTable(id="run-table")
            yield Static(id="runs-empty")
            yield RunDetails(id="run-details")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(RunTable).focus()
        self._load_runs()
        self.set_interval(REREAD_S, self._reread)

    def _reread(self) -> None:
        if self.is_current and not self.fetching("runs", "run"):
            self.refresh_data()

    def refresh_data(self) -> None:
        self._load_runs()
        if self._run_id is not None:
            self._load_run(self._run_id, tail=True)

    def _load_runs(self) -> None:
        self.fetch("runs", lambda: self.store.runs(self.project), self._runs_loaded,
                   loading=self.query_one(RunTable) if self._run_id is None else None)

    def _runs_loaded(self, runs: list[Any]) -> None:
        table = self.query_one(RunTable)
        table.set_runs(runs, select=self._select)
        self._select = None
        self.set_class(not runs, "-no-runs")
        if not runs:
            message = Text("No runs in this project yet. Runs appear here as soon as a script calls ")
            message.append("core.init(...)", style="bold")
            message.append(" (or the tutorial pipeline starts).")
            self.query_one("#runs-empty", Static).update(message)

    def on_run_table_run_highlighted(self, event: RunTable.RunHighlighted) -> None:
        if event.run.id != self._run_id:
            self._run_id = event.run.id
            self._artifact_limit = ARTIFACT_PAGE
            self._load_run(event.run.id, tail=False)

    def _load_run(self, run_id: str, *, tail: bool) -> None:
        details = self.query_one(RunDetails)

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
        details = self.query_one(RunDetails)
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

    def action_back(self) -> None:
        self.dismiss(None)

    def action_tab(self, tab: str) -> None:
        self.query_one(RunDetails).show_tab(tab)

    def action_chart(self) -> None:
        self.query_one(RunDetails).show_tab("run-chart")

    def action_metric(self, delta: int) -> None:
        details = self.query_one(RunDetails)
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

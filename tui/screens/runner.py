"""The runner: launched stages and runs of other processes, and the live view of the selected one.

Top: the jobs (queued, running, ended; runs found running elsewhere are marked so). Below: the selected job's
progress (batches, epochs, elapsed, ETA, device and memory in use), its loss chart (train and validation loss) and
accuracy chart against examples seen, beside them the system chart (GPU utilisation and memory, CPU, RAM, as shares,
against time: the `system/...` samples its runs record every few seconds), and its log. `e` swaps the charts for the
report stage's hardest examples, drawn in the terminal. `r` opens the launch form, `c` cancels the selected job, `t`
starts the tutorial pipeline on digits.

The screen only mediates: the app's `JobQueue` runs and follows the jobs and publishes `changed` (at most four times a
second) when one moved; the screen redraws the job's row and, for the selected job, its widgets. It keeps no state
of its own beyond which job is selected, so it can be closed and reopened while a run goes on.
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable

from tui.runner.launch_request import LaunchRequest
from tui.runner.job_view import HERE, Job, is_image_value
from tui.runner.queue import JobQueue
from tui.safe import safe_str, safe_text
from tui.screens.base import StoreCalls
from tui.screens.launch import LaunchScreen
from tui.widgets.image_grid import ImageGrid, Tile, load_tiles
from tui.widgets.key_footer import KeyFooter
from tui.widgets.loss_chart import LossChart
from tui.widgets.run_log import RunLog
from tui.widgets.run_progress import RunProgress
from tui.widgets.run_table import state_text
from tui.widgets.title_bar import TitleBar

__all__ = ["RunnerScreen", "split_series", "system_series"]

# 78 cells with the table's padding: an 80-column pane shows every column whole ("ep 20/20 100%", "● cancelled")
COLUMNS = (("key", "#", 3), ("job", "job", 20), ("state", "state", 11), ("progress", "progress", 13),
           ("logged", "logged", 21))
WIDTHS = {key: width for key, _, width in COLUMNS}
LIVE, EXAMPLES = "runner-live", "runner-examples"
ROW_INTERVAL_S = 1.0
CHART_INTERVAL_S = 0.45  # charts redraw at most about twice a second while training (progress: 4)


def split_series(points: dict[str, list[tuple[int, float]]]) -> tuple[dict, dict]:
    """(loss series, other series): losses share a scale, accuracies another. Train before validation."""
    def order(name: str) -> tuple[int, str]:
        return (0 if name.startswith("train") else 1, name)

    loss = {k: points[k] for k in sorted(points, key=order) if "loss" in k.lower()}
    other = {k: points[k] for k in sorted(points, key=order) if "loss" not in k.lower()}
    return loss, other


SYSTEM_ORDER = ("gpu", "vram", "cpu", "ram")  # the GPU first (a solid line) where there is one


def system_series(points: dict[str, list[tuple[float, float]]]) -> tuple[dict[str, list[tuple[float, float]]], str]:
    """The system chart's series in the order drawn, and the x unit: seconds, minutes past 2 minutes, hours past 2
    hours (the samples are against seconds since the job started)."""
    def order(name: str) -> tuple[int, int, str]:
        kind = name.rstrip("0123456789")
        return (SYSTEM_ORDER.index(kind) if kind in SYSTEM_ORDER else len(SYSTEM_ORDER), len(name), name)

    span = max((series[-1][0] for series in points.values() if series), default=0.0)
    unit, div = ("h", 3600.0) if span >= 7200 else ("m", 60.0) if span >= 120 else ("s", 1.0)
    names = sorted(points, key=order)
    if div == 1.0:
        return {name: points[name] for name in names}, unit
    return {name: [(x / div, y) for x, y in points[name]] for name in names}, unit


def _progress_cell(job: Job) -> str:
    """"ep 13/20 62%", shortened to fit its column: "13/20 62%", then "62%"."""
    progress = job.progress
    if progress is None:
        return ""
    percent = f"{progress.fraction:.0%}"
    if progress.epoch is None or not job.epochs:
        return percent
    epochs = f"{min(progress.epoch + 1, job.epochs)}/{job.epochs}"
    return next(cell for cell in (f"ep {epochs} {percent}", f"{epochs} {percent}", percent)
                if len(cell) <= WIDTHS["progress"])


def _logged_cell(job: Job) -> Text:
    """The newest version logged, and how many more ("trained-model:v0 +3"), ellipsized to fit its column (the log
    and the toast at the end name every one)."""
    logged = job.versions_logged
    if not logged:
        return Text("")
    more = f" +{len(logged) - 1}" if len(logged) > 1 else ""
    text = safe_text(logged[-1])
    text.truncate(WIDTHS["logged"] - len(more), overflow="ellipsis")
    text.append(more, "dim")
    return text


def _fit(text: Text, width: int) -> Text:
    text.truncate(width, overflow="ellipsis")
    return text


class RunnerScreen(StoreCalls, Screen):
    """Jobs and the live view of one; `jobs` is the app's `JobQueue`."""

    CSS_PATH = "../styles/runner.tcss"  # loaded when the screen first opens, not with the first screen

    TITLE = "Runner"
    BINDINGS = [
        Binding("r", "launch", "Run…", tooltip="Launch a pipeline stage, or the whole pipeline"),
        Binding("c", "cancel", "Cancel run", tooltip="Cancel the selected run (nothing is logged)"),
        Binding("e", "examples", "Examples", tooltip="Show the report's hardest examples / the charts"),
        Binding("t", "tutorial", "Tutorial", tooltip="Run the tutorial pipeline on the digits dataset"),
        Binding("escape", "back", "Back", tooltip="Back to the previous screen"),
    ]

    def __init__(self, store: Any, jobs: JobQueue) -> None:
        super().__init__(id="runner")
        self.store = store
        self.jobs = jobs
        self.selected: Job | None = None
        self._follow_newest = True
        self._tiles_for: tuple[int, str] | None = None
        self._rows_shown: dict[int, tuple[dict[str, str], float]] = {}
        self._charts_at = 0.0
        self._system_shown: tuple | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        table: DataTable = DataTable(id="runner-jobs", cursor_type="row", zebra_stripes=True)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        yield RunProgress(id="runner-progress")
        with ContentSwitcher(initial=LIVE, id="runner-views"):
            with Vertical(id=LIVE):
                with Horizontal(id="runner-charts"):
                    yield LossChart("loss", id="runner-loss")
                    yield LossChart("accuracy", id="runner-accuracy")
                    yield LossChart("system", id="runner-system", x_unit="s")
                yield RunLog(id="runner-log")
            with VerticalScroll(id=EXAMPLES):
                yield ImageGrid(id="runner-images")
        yield KeyFooter()

    def on_mount(self) -> None:
        if self.jobs.app is None:
            self.jobs.attach(self.app)
        assert self.jobs.changed is not None
        self.jobs.changed.subscribe(self, self._job_changed)
        for job in self.jobs.jobs:
            self._add_row(job)
        # the newest running run (what `c` should find under the cursor), else the newest queued, else the newest
        newest = (next((j for j in reversed(self.jobs.jobs) if j.state == "running"), None)
                  or next((j for j in reversed(self.jobs.jobs) if j.active), None))
        self._select(newest or (self.jobs.jobs[-1] if self.jobs.jobs else None))
        self.set_interval(1.0, self._clock)

    # -- jobs -----------------------------------------------------------------------------------------------------

    def _row_cells(self, job: Job) -> dict[str, Any]:
        return {
            "key": str(job.key),
            "job": _fit(safe_text(job.label), WIDTHS["job"]),
            "state": state_text(job.state),
            "progress": _progress_cell(job),
            "logged": _logged_cell(job),
        }

    def _add_row(self, job: Job) -> None:
        cells = self._row_cells(job)
        self.query_one(DataTable).add_row(*(cells[key] for key, _, _ in COLUMNS), key=str(job.key))
        self._rows_shown[job.key] = ({key: str(value) for key, value in cells.items()}, time.monotonic())

    def _update_row(self, job: Job) -> None:
        """Redraw the job's row when its state or versions changed, its progress at most once a second (a table
        redraw is not cheap, and the training thread shares the CPU)."""
        cells = self._row_cells(job)
        plain = {key: str(value) for key, value in cells.items()}
        shown, when = self._rows_shown.get(job.key, ({}, 0.0))
        now = time.monotonic()
        progress_only = all(plain[k] == shown.get(k) for k in plain if k != "progress")
        if plain == shown or (progress_only and now - when < ROW_INTERVAL_S):
            return
        table = self.query_one(DataTable)
        for key, value in cells.items():
            if plain[key] != shown.get(key):
                table.update_cell(str(job.key), key, value)
        self._rows_shown[job.key] = (plain, now)

    def _job_changed(self, job: Job) -> None:
        table = self.query_one(DataTable)
        row_key = str(job.key)
        if job not in self.jobs.jobs:  # a run first taken for another process's turned out to be ours
            if row_key in table.rows:
                table.remove_row(row_key)
            if self.selected is job:
                self._select(self.jobs.jobs[-1] if self.jobs.jobs else None)
            return
        if row_key not in table.rows:
            self._add_row(job)
            if self._follow_newest and (job.active or self.selected is None or not self.selected.active):
                self._select(job)
        else:
            self._update_row(job)
        if job is self.selected:
            self._show(job, force=False)

    def _select(self, job: Job | None) -> None:
        self.selected = job
        if job is not None:
            table = self.query_one(DataTable)
            row = table.get_row_index(str(job.key))
            if table.cursor_row != row:
                table.move_cursor(row=row, animate=False)
        self.query_one(ContentSwitcher).current = LIVE
        self._show(job)

    @on(DataTable.RowHighlighted, "#runner-jobs")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The cursor is the one source of the selection. A highlight the cursor has since left (keys pressed
        # faster than events are handled, or our own move_cursor) is stale: taking it would select a row the
        # cursor is not on, and its own move_cursor would answer with another stale event, for ever.
        if event.cursor_row != event.data_table.cursor_row:
            return
        job = self.jobs.job(int(event.row_key.value)) if event.row_key.value else None
        if job is not None and job is not self.selected:
            self._follow_newest = job.active or job is self.jobs.jobs[-1]
            self._select(job)

    def _show(self, job: Job | None, *, force: bool = True) -> None:
        self.query_one(RunProgress).show(job)
        self.query_one(RunLog).show(job, force=force or job is None or not job.active)
        self._show_charts(job, force=force)
        if job is not None and job.report_run_id and self._tiles_for != (job.key, job.report_run_id):
            self._tiles_for = (job.key, job.report_run_id)
            self._load_tiles(job.key, job.report_run_id, list(job.image_rows))

    def _show_charts(self, job: Job | None, *, force: bool = True) -> None:
        """Redraw the charts; while the job trains at most every CHART_INTERVAL_S (the clock catches up)."""
        now = time.monotonic()
        if not force and job is not None and job.active and now - self._charts_at < CHART_INTERVAL_S:
            return
        self._charts_at = now
        loss, other = split_series(job.points if job is not None else {})
        waiting = "waiting for points…" if job is not None and job.active else "no points logged"  # fits 80/3
        self.query_one("#runner-loss", LossChart).set_series(loss, empty=waiting)
        other_title = "accuracy" if all("acc" in k for k in other) else "other metrics"
        self.query_one("#runner-accuracy", LossChart).set_series(other, title=other_title, empty=waiting)
        self._show_system(job)

    def _show_system(self, job: Job | None) -> None:
        """The system chart: shown while a job runs (its first sample comes within seconds) or once it has any."""
        chart = self.query_one("#runner-system", LossChart)
        points = job.system_points if job is not None else {}
        shown = bool(points) or (job is not None and job.active)
        if chart.display != shown:
            chart.display = shown
        shape = (job.key if job is not None else None, {name: len(series) for name, series in points.items()})
        if shape == self._system_shown or not shown:
            return  # no new sample: the chart stays as drawn (converting thousands of points is not free)
        self._system_shown = shape
        series, unit = system_series(points)
        chart.set_series(series, empty="waiting for a sample…", x_unit=unit)

    def _clock(self) -> None:
        if self.selected is not None and self.selected.active:
            self.query_one(RunProgress).show(self.selected)
            self._show_charts(self.selected)
            self.query_one(RunLog).show(self.selected, force=False)
        for job in self.jobs.jobs:
            if job.active and str(job.key) in self.query_one(DataTable).rows:
                self._update_row(job)

    # -- the hardest examples -------------------------------------------------------------------------------------

    def _load_tiles(self, key: int, run_id: str, rows: list[dict]) -> None:
        def read() -> list[Tile]:
            found = rows
            if not found:
                for row in self.store.history(run_id):
                    found = next((v for v in row.values() if is_image_value(v)), found)
            return load_tiles(self.store, run_id, found if isinstance(found, list) else [found])

        self.fetch("runner-images", read, lambda tiles: self._show_tiles(key, tiles))

    def _show_tiles(self, key: int, tiles: list[Tile]) -> None:
        if self.selected is None or self.selected.key != key:
            return
        note = f"The {len(tiles)} hardest test examples, captioned prediction,label (e: back to the charts)"
        self.query_one(ImageGrid).set_tiles(tiles, note)
        self.query_one(ContentSwitcher).current = EXAMPLES

    # -- actions --------------------------------------------------------------------------------------------------

    def action_launch(self) -> None:
        # the last launch (this session's, else the store's book's), else the run shown; each stage's fields as its
        # own last launch left them
        initial = self.jobs.last_request
        if initial is None and self.selected is not None and self.selected.request is not None:
            initial = self.selected.request

        def launched(request: LaunchRequest | None) -> None:
            if request is not None:
                self._follow_newest = True
                self.jobs.submit(request)

        self.app.push_screen(LaunchScreen(self.store, initial, self.jobs.remembered), launched)

    def action_tutorial(self) -> None:
        if self.jobs.active:
            self.notify("A run is already queued or running; press r to launch another one on purpose.",
                        severity="warning", markup=False)
            return
        self._follow_newest = True
        self.jobs.submit(LaunchRequest())

    def action_cancel(self) -> None:
        job = self.selected  # the run shown below, which is always the cursor's row
        if job is None:
            self.notify("No run selected.", severity="warning", markup=False)
        elif job.origin != HERE:
            self.notify(safe_str(f"{job.label} runs in another process ({job.detail}); cancel it there."),
                        severity="warning", markup=False)
        elif not self.jobs.cancel(job):
            self.notify(safe_str(f"{job.label} has already ended ({job.state})."), severity="warning", markup=False)

    def action_examples(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        if switcher.current == EXAMPLES:
            switcher.current = LIVE
        elif self.query_one(ImageGrid).tiles:
            switcher.current = EXAMPLES
        else:
            self.notify("No examples yet: they come with a finished report stage.", markup=False)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

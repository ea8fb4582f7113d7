"""Details of one run, in tabs: Overview (state, times, host, and the artifacts it used and logged, each
selectable to jump to it), Config, Summary, and Chart (its metric history, one metric at a time, stepped with
`[` and `]`); and Compare: one metric of each run marked in the table, overlaid in one chart (also stepped with
`[` and `]`), each run told apart by its line or marker and named in the legend with its last value.

The screen reads the store and hands the data down; choosing an artifact posts `JumpToVersion`. History rows
arrive from `store.history` (each with `_step`); `add_rows` appends the new ones when a running run logs more, so
the chart follows live. Metric names come from the logging script, so they pass through `tui.safe`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from tui.messages import JumpToVersion
from tui.safe import safe_text
from tui import format as formatting
from tui.widgets.alias_badges import alias_badges
from tui.widgets.metadata_tree import MetadataTree
from tui.widgets.loss_chart import LossChart
from tui.widgets.run_table import state_text

COMPARE_NAME = 16  # cells of a run's name in the compare legend: several runs share one or two lines


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


@dataclass
class RunOverview:
    run: Any                                         # core.RunInfo
    inputs: list[Any] = field(default_factory=list)  # core.ArtifactVersion
    outputs: list[Any] = field(default_factory=list)
    more_inputs: bool = False                        # whether older ones than these were left out
    more_outputs: bool = False


def _legend_name(run: Any, taken: set[str]) -> str:
    """The run's name, cut to COMPARE_NAME cells, made unique among `taken` with its id."""
    name = str(run.name or run.id)
    if len(name) > COMPARE_NAME:
        name = name[:COMPARE_NAME - 1] + "…"
    if name in taken:
        name = f"{name[:COMPARE_NAME - 6]}…{str(run.id)[:5]}"
    while name in taken:
        name += "'"
    return name


def run_fields(run: Any, now) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("run", safe_text(run.name or run.id))
    grid.add_row("id", safe_text(run.id))
    grid.add_row("job type", safe_text(run.job_type or "", "italic"))
    grid.add_row("state", state_text(run.state))
    grid.add_row("created", Text(f"{formatting.timestamp(run.created_at)} ({formatting.ago(run.created_at, now)})"))
    updated = getattr(run, "updated_at", None)
    if updated is not None:
        grid.add_row("updated", Text(formatting.ago(updated, now)))
    host = getattr(run, "host", None)
    if host:
        grid.add_row("host", safe_text(f"{host} (pid {getattr(run, 'pid', '?')})"))
    if getattr(run, "group", None):
        grid.add_row("group", safe_text(run.group))
    if getattr(run, "tags", None):
        grid.add_row("tags", safe_text(", ".join(str(t) for t in run.tags)))
    if getattr(run, "notes", None):
        grid.add_row("notes", safe_text(run.notes, multiline=True))
    if getattr(run, "error", None):
        grid.add_row("error", safe_text(run.error, "red", multiline=True))
    return grid


def artifact_option(role: str, version: Any) -> Option:
    text = Text(f"{role:<5}", style="dim")
    text.append_text(safe_text(version.qualified_name, "bold"))
    text.append(" ")
    text.append_text(safe_text(version.type, "italic"))
    if version.aliases:
        text.append(" ")
        text.append_text(alias_badges(version.aliases))
    return Option(text)


class RunDetails(Vertical):
    """The tabs for one run."""

    class MoreArtifacts(Message):
        """The user chose the "older artifacts" row: show another page of them."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._targets: list[str] = []
        self._run_id: str | None = None
        self._series: dict[str, list[tuple[int, float]]] = {}
        self._metric: str | None = None
        self.last_step: int | None = None  # of the history rows shown so far
        self._compared: list[tuple[str, dict[str, list[tuple[int, float]]]]] = []  # (legend name, series)
        self._compare_metric: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Select a run to see its details.", style="dim"), id="run-empty")
        with TabbedContent(id="run-tabs", initial="run-overview"):
            with TabPane("Overview", id="run-overview"):
                with VerticalScroll():
                    yield Static(id="run-fields")
                    yield Static(Text("Artifacts (enter to open)", style="bold"))
                    yield OptionList(id="run-artifacts")
            with TabPane("Config", id="run-config"):
                yield MetadataTree(empty_text="no config", id="config-tree")
            with TabPane("Summary", id="run-summary"):
                yield MetadataTree(empty_text="no summary", id="summary-tree")
            with TabPane("Chart", id="run-chart"):
                yield Static(Text("no metrics logged", style="dim"), id="chart-title")
                yield LossChart(legend=False, empty="", id="chart-plot")
            with TabPane("Compare", id="run-compare"):
                yield Static(id="compare-title")
                yield LossChart(empty="", id="compare-plot")

    def on_mount(self) -> None:
        self.set_class(True, "-empty")

    @property
    def run_id(self) -> str | None:
        return self._run_id

    # ----- the chart -------------------------------------------------------------------------------------------

    @property
    def metrics(self) -> list[str]:
        return sorted(self._series)

    @property
    def metric(self) -> str | None:
        """The metric the chart shows."""
        return self._metric

    def clear_chart(self) -> None:
        self._series.clear()
        self._metric = None  # the next run's metrics are its own; keeping the name would point at nothing
        self.last_step = None
        self._draw_chart()

    @property
    def point_count(self) -> int:
        return sum(len(points) for points in self._series.values())

    def replace_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        """Show only `rows` (a fresh sampled read of the whole run), keeping the metric shown."""
        metric = self._metric
        self._series.clear()
        self.last_step = None
        self._metric = metric
        self.add_rows(rows)

    def add_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        """Fold history rows (after `last_step`) into the chart."""
        for row in rows:
            step = row.get("_step")
            if not isinstance(step, int):
                continue
            self.last_step = step if self.last_step is None else max(self.last_step, step)
            for key, value in row.items():
                if not key.startswith("_") and _is_number(value):
                    self._series.setdefault(key, []).append((step, float(value)))
        if self._metric not in self._series:
            self._metric = next((name for name in self.metrics if "loss" in name.lower()),  # what people watch
                                self.metrics[0] if self._series else None)
        self._draw_chart()

    def action_metric(self, delta: int) -> None:
        names = self.metrics
        if names:
            position = names.index(self._metric) if self._metric in names else 0
            self._metric = names[(position + delta) % len(names)]
            self._draw_chart()

    def _draw_chart(self) -> None:
        title = self.query_one("#chart-title", Static)
        chart = self.query_one("#chart-plot", LossChart)
        points = self._series.get(self._metric) if self._metric is not None else None
        if not points:
            title.update(Text("no metrics logged", style="dim"))
            chart.set_series({})
            return
        names = self.metrics
        step, last = points[-1]
        heading = safe_text(self._metric, "bold")
        heading.append(f"  {names.index(self._metric) + 1}/{len(names)}", style="dim")
        heading.append(f"  last {last:.4g} at step {step}", style="dim")
        if len(names) > 1:
            heading.append("  [ ] other metric", style="dim")
        title.update(heading)
        chart.set_series({self._metric: points})

    # ----- the comparison ----------------------------------------------------------------------------------------

    @property
    def compare_metrics(self) -> list[str]:
        return sorted({name for _, series in self._compared for name in series})

    @property
    def compare_metric(self) -> str | None:
        """The metric the compare chart shows."""
        return self._compare_metric

    @property
    def compared(self) -> dict[str, list[tuple[int, float]]]:
        """Legend name -> points of the metric shown, of each compared run that logged it."""
        metric = self._compare_metric
        return {name: series[metric] for name, series in self._compared if metric in series}

    def show_compare(self, runs: Sequence[tuple[Any, Sequence[dict[str, Any]]]]) -> None:
        """Overlay (run, sampled history rows) pairs, in the order given; keeps the metric shown if any has it."""
        compared = []
        taken: set[str] = set()
        for run, rows in runs:
            name = _legend_name(run, taken)
            taken.add(name)
            series: dict[str, list[tuple[int, float]]] = {}
            for row in rows:
                step = row.get("_step")
                if isinstance(step, int):
                    for key, value in row.items():
                        if not key.startswith("_") and _is_number(value):
                            series.setdefault(key, []).append((step, float(value)))
            compared.append((name, series))
        self._compared = compared
        names = self.compare_metrics
        if self._compare_metric not in names:
            self._compare_metric = next((name for name in names if "loss" in name.lower()),
                                        names[0] if names else None)
        self._draw_compare(len(runs))

    def action_compare_metric(self, delta: int) -> None:
        names = self.compare_metrics
        if names:
            position = names.index(self._compare_metric) if self._compare_metric in names else 0
            self._compare_metric = names[(position + delta) % len(names)]
            self._draw_compare(len(self._compared))

    def _draw_compare(self, count: int) -> None:
        title = self.query_one("#compare-title", Static)
        chart = self.query_one("#compare-plot", LossChart)
        shown = self.compared
        if not count:
            title.update(Text("Mark runs with space (in the table), then v: one metric of each in one chart.",
                              style="dim"))
        elif not shown:
            title.update(Text(f"no metrics logged by the {count} marked run{'s' if count != 1 else ''}",
                              style="dim"))
        else:
            names = self.compare_metrics
            heading = safe_text(self._compare_metric, "bold")
            heading.append(f" of {len(shown)} run{'s' if len(shown) != 1 else ''}", style="bold")
            heading.append(f"  {names.index(self._compare_metric) + 1}/{len(names)}", style="dim")
            if len(shown) < count:
                heading.append(f"  ({count - len(shown)} without it)", style="dim")
            if len(names) > 1:
                heading.append("  [ ] other metric", style="dim")
            title.update(heading)
        chart.set_series(shown)

    def show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active

    def show_run(self, data: RunOverview) -> None:
        """Show `data`; when it is the same run as before, keep the chart (the screen appends to it)."""
        self.set_class(False, "-empty")
        run = data.run
        if run.id != self._run_id:
            self._run_id = run.id
            self.clear_chart()
        self.query_one("#run-fields", Static).update(run_fields(run, self.app.clock()))
        self.query_one("#config-tree", MetadataTree).set_value(run.config)
        self.query_one("#summary-tree", MetadataTree).set_value(run.summary)
        options = self.query_one("#run-artifacts", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        self._targets = []
        more = False
        for role, versions, older in (("in", data.inputs, data.more_inputs), ("out", data.outputs, data.more_outputs)):
            for version in versions:
                options.add_option(artifact_option(role, version))
                self._targets.append(version.full_name)
            more = more or older
        if more:  # after the targets, so an option's index is its target's
            options.add_option(Option(Text("… older artifacts (enter to show more)", style="dim italic"),
                                      id="more-artifacts"))
        if not self._targets:
            options.add_option(Option(Text("no artifacts used or logged", style="dim"), disabled=True))
        elif highlighted is not None and highlighted < len(self._targets):
            options.highlighted = highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == "more-artifacts":
            self.post_message(self.MoreArtifacts())
        elif event.option_index < len(self._targets):
            self.post_message(JumpToVersion(self._targets[event.option_index]))

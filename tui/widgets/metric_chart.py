"""A run's metric history as a line chart (textual-plotext), one metric at a time, stepped with `[` and `]`.

Rows arrive from `store.history` (each with `_step`); `add_rows` appends the new ones when a running run logs
more, so the chart follows live. Metric names come from the logging script, so they are shown in the line above
the plot (through `tui.safe`) and never handed to plotext, whose output is parsed as ANSI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tui.safe import safe_text

MAX_POINTS = 2000  # plotted points per metric (evenly thinned beyond that)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


class MetricChart(Vertical):
    """The chart of one metric over steps, and a line naming it."""

    BINDINGS = [
        Binding("left_square_bracket", "metric(-1)", "Prev metric"),
        Binding("right_square_bracket", "metric(1)", "Next metric"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._series: dict[str, tuple[list[int], list[float]]] = {}
        self._metric: str | None = None
        self.last_step: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("no metrics logged", style="dim"), id="chart-title")
        yield PlotextPlot(id="chart-plot")

    def clear(self) -> None:
        self._series.clear()
        self._metric = None  # the next run's metrics are its own; keeping the name would point at nothing
        self.last_step = None
        self._draw()

    def add_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        for row in rows:
            step = row.get("_step")
            if not isinstance(step, int):
                continue
            self.last_step = step if self.last_step is None else max(self.last_step, step)
            for key, value in row.items():
                if key.startswith("_") or not _is_number(value):
                    continue
                xs, ys = self._series.setdefault(key, ([], []))
                xs.append(step)
                ys.append(float(value))
        if self._metric not in self._series:
            self._metric = self._default_metric()
        self._draw()

    @property
    def metrics(self) -> list[str]:
        return sorted(self._series)

    @property
    def metric(self) -> str | None:
        return self._metric

    def _default_metric(self) -> str | None:
        names = self.metrics
        for name in names:  # the loss is what people watch
            if "loss" in name.lower():
                return name
        return names[0] if names else None

    def action_metric(self, delta: int) -> None:
        names = self.metrics
        if not names:
            return
        position = names.index(self._metric) if self._metric in names else 0
        self._metric = names[(position + delta) % len(names)]
        self._draw()

    def _draw(self) -> None:
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        title = self.query_one("#chart-title", Static)
        series = self._series.get(self._metric) if self._metric is not None else None
        if not series or not series[0]:
            title.update(Text("no metrics logged", style="dim"))
            plot.refresh()
            return
        xs, ys = series
        if len(xs) > MAX_POINTS:
            stride = len(xs) // MAX_POINTS + 1
            xs, ys = xs[::stride] + xs[-1:], ys[::stride] + ys[-1:]
        names = self.metrics
        heading = safe_text(self._metric, "bold")
        heading.append(f"  {names.index(self._metric) + 1}/{len(names)}", style="dim")
        heading.append(f"  last {ys[-1]:.4g} at step {xs[-1]}", style="dim")
        if len(names) > 1:
            heading.append("  [ ] other metric", style="dim")
        title.update(heading)
        plt.plot(xs, ys, marker="braille")
        plt.xlabel("step")
        plot.refresh()

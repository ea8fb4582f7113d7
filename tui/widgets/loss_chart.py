"""The one chart of series over steps: a braille line chart of a few metric series against a count (examples seen,
or steps), with y ticks, x ticks, and a legend with values.

The runner draws train/loss and validation/loss in one chart and validation/accuracy in another, updated while a
model trains; the runs view draws one metric of a run's history at a time (naming it above the chart, so without a
legend). Each terminal cell holds 2x4 braille dots, so a 38x8 pane plots 76x32 points. Series are told apart
by shape as well as colour, so the chart reads the same with NO_COLOR or on a monochrome terminal: the first series
is a solid braille line, the others a dotted line with a marker glyph (◆ ● ▲ ■) at each logged point (on a dense
series, one every few cells), and the legend shows each series' sample, name and last value. The runner's system
chart plots seconds on its x axis: `x_unit` labels the ticks ("30s", "2m").

`render_chart` is pure (points in, `Text` lines out) and costs O(points + width x height) whatever the number of
points: points are first reduced to each dot column's entry, exit, min and max. Series names come from whoever
logged the run, so they pass through `tui.safe`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from tui.safe import safe_str

__all__ = ["MARKERS", "LossChart", "format_count", "nice_ticks", "render_chart"]

MARKERS = ("◆", "●", "▲", "■", "✚")
LINE_SAMPLE = "⠤⠤"
DOTTED_SAMPLE = "⠄"
_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row % 4][col % 2]
_SERIES_CLASSES = 4


def format_count(value: float) -> str:
    """A count (examples seen, steps), compactly: 950, 1.2k, 60k, 1.5M."""
    value = float(value)
    magnitude = abs(value)
    if magnitude < 1000:
        return f"{value:.0f}" if value == int(value) else f"{value:.3g}"
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= div:
            return f"{value / div:.3g}{suffix}"
    return f"{value:g}"  # pragma: no cover


def _format_value(value: float, step: float) -> str:
    if abs(value) >= 10_000:
        return format_count(value)
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 2
    if step > 0 and round(step / 10 ** math.floor(math.log10(step)), 6) == 2.5:
        decimals += 1
    text = f"{value:.{decimals}f}"
    return "0" if text.strip("-0.") == "" else text


def _last(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 10_000 else format_count(value)


def nice_ticks(low: float, high: float, target: int, *, inside: bool = False) -> tuple[list[float], float]:
    """Ticks at 1, 2, 2.5 or 5 x 10^k, about `target` of them, and their step. They cover [low, high] (the first
    and last tick at or beyond the ends), or with `inside` lie within it (at least `target` of them, then)."""
    span = high - low
    if span <= 0 or not math.isfinite(span):
        span = abs(high) * 0.1 or 1.0
        low, high = low - span / 2, high + span / 2
    raw = span / max(1, target - (0 if inside else 1))
    magnitude = 10 ** math.floor(math.log10(raw))
    if inside:
        step = next(m * magnitude for m in (5, 2.5, 2, 1) if m * magnitude <= raw * 1.001)
        first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    else:
        step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
        first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [i * step for i in range(first, last + 1)], step


class _Canvas:
    """Braille dots of one series, by cell."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], int] = {}
        self.markers: set[tuple[int, int]] = set()

    def dot(self, x: int, y: int) -> None:
        key = (x >> 1, y >> 2)
        self.cells[key] = self.cells.get(key, 0) | _BITS[y & 3][x & 1]

    def line(self, x0: int, y0: int, x1: int, y1: int, dotted: bool) -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0))
        if steps == 0:
            self.dot(x0, y0)
            return
        for i in range(steps + 1):
            if dotted and i % 2:
                continue
            self.dot(round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps))


def _reduce(points: Sequence[tuple[float, float]], x_low: float, x_scale: float, y_high: float, y_scale: float,
            x_max: int, y_max: int) -> list[tuple[int, int, int, int, int]]:
    """Per dot column, in x order: (x, entry y, exit y, min y, max y). The point-to-dot mapping is inlined: this
    loop is the chart's only O(points) part, run at each redraw of a series of thousands of points."""
    columns: dict[int, list[int]] = {}
    get = columns.get
    for x, y in points:
        dx = int((x - x_low) * x_scale + 0.5)  # rounds: below 0 it is clamped anyway
        dx = 0 if dx < 0 else x_max if dx > x_max else dx
        dy = int((y_high - y) * y_scale + 0.5)
        dy = 0 if dy < 0 else y_max if dy > y_max else dy
        column = get(dx)
        if column is None:
            columns[dx] = [dy, dy, dy, dy]
        else:
            column[1] = dy
            if dy < column[2]:
                column[2] = dy
            elif dy > column[3]:
                column[3] = dy
    return [(dx, *columns[dx]) for dx in sorted(columns)]


def _thin(cells: set[tuple[int, int]], cols: int, phase: int = 0) -> set[tuple[int, int]]:
    """Markers of a dense series (system samples every few seconds for hours) at least 4 cells apart, so that
    its dotted line still shows between them; a sparse one (a validation point per epoch) keeps all. Each series
    starts at its own `phase`, so that two dense series along the same row do not hide each other's markers."""
    if len(cells) <= cols // 4:
        return cells
    kept, last = set(), phase % 4 - 4
    for col, row in sorted(cells):
        if col >= last + 4:
            kept.add((col, row))
            last = col
    return kept


def _short_names(names: list[str], title: str = "") -> list[str]:
    """Legend names without a "/suffix" they all share ("train/loss", "validation/loss" -> "train", "validation"),
    or, for a lone series, that is the chart's title ("validation/accuracy" under "accuracy" -> "validation")."""
    if len(names) == 1 and title and names[0].endswith("/" + title) and len(names[0]) > len(title) + 1:
        return [names[0][: -len(title) - 1]]
    if len(names) < 2 or not all("/" in name for name in names):
        return names
    suffixes = {name.rpartition("/")[2] for name in names}
    return [name.rpartition("/")[0] for name in names] if len(suffixes) == 1 else names


def _finite(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    # x - x is 0 for a finite number, nan for inf and nan (cheaper than math.isfinite twice per point)
    return [(x, y) for x, y in points if x - x == 0 and y - y == 0]


def render_chart(
    title: str,
    series: Mapping[str, Sequence[tuple[float, float]]],
    width: int,
    height: int,
    *,
    styles: Sequence[Style] = (),
    axis_style: Style | str = "dim",
    title_style: Style | str = "bold",
    empty: str = "waiting for data…",
    legend: bool = True,
    x_unit: str = "",
) -> list[Text]:
    """The chart as `height` lines of at most `width` cells. Series are drawn in order; the first is a solid line.
    With no title and no legend the plot starts on the first line. `x_unit` follows each x label but 0 ("30s")."""
    styles = list(styles) or [Style()]
    data = {safe_str(name): _finite(points) for name, points in series.items()}
    data = {name: points for name, points in data.items() if points}

    def style_of(i: int) -> Style | str:
        return styles[i % len(styles)]

    title = safe_str(title)
    names = _short_names(list(data), title)
    header = Text(title, style=title_style, no_wrap=True, overflow="ellipsis")
    items = []
    for i, (name, points) in enumerate(data.items()):
        item = Text(no_wrap=True)
        item.append(LINE_SAMPLE if i == 0 else MARKERS[(i - 1) % len(MARKERS)], style_of(i))
        item.append(f" {names[i]} ")
        item.append(_last(points[-1][1]), "bold")
        items.append(item)
    headers = [header] if title or legend else []
    for item in items if legend else ():  # the legend wraps to a second line rather than losing a series
        if headers[-1].cell_len + 2 + item.cell_len > width and len(headers) < 2 and headers[-1].cell_len > 0:
            headers.append(Text(" " * min(len(title), 2), no_wrap=True))
        headers[-1].append("  ")
        headers[-1].append_text(item)
    for line in headers:
        line.truncate(width, overflow="ellipsis")
    rows = height - 2 - len(headers)
    if not data or rows < 1 or width < 12:
        lines = headers[:1]
        if height > len(lines):
            lines.append(Text(empty if not data else "(too small)", style=axis_style))
        return lines[:max(1, height)]

    ys = [y for points in data.values() for _, y in points]
    y_ticks, y_step = nice_ticks(min(ys), max(ys), max(2, min(10, rows - 1)))
    y_low, y_high = y_ticks[0], y_ticks[-1]
    y_labels = [_format_value(t, y_step) for t in y_ticks]
    label_width = max(len(label) for label in y_labels)
    cols = width - label_width - 1
    if cols < 4:
        return headers[:1]
    xs = [x for points in data.values() for x, _ in points]
    x_low = 0.0 if min(xs) >= 0 else min(xs)
    x_high = max(xs) if max(xs) > x_low else x_low + 1
    dots_w, dots_h = cols * 2, rows * 4

    x_max, y_max = dots_w - 1, dots_h - 1
    x_scale, y_scale = x_max / (x_high - x_low), y_max / (y_high - y_low)

    def to_dot(x: float, y: float) -> tuple[int, int]:
        dx = round((x - x_low) * x_scale)
        dy = round((y_high - y) * y_scale)
        return min(max(dx, 0), x_max), min(max(dy, 0), y_max)

    canvases = []
    for i, points in enumerate(data.values()):
        canvas, dotted = _Canvas(), i > 0
        previous = None
        for dx, entry, exit_, low, high in _reduce(points, x_low, x_scale, y_high, y_scale, x_max, y_max):
            if previous is not None:
                canvas.line(previous[0], previous[1], dx, entry, dotted)
            canvas.line(dx, low, dx, high, dotted)
            previous = (dx, exit_)
            if dotted:
                canvas.markers.add((dx >> 1, exit_ >> 2))
                if low != exit_ or high != exit_:  # several points in this dot column: mark its extremes too
                    canvas.markers.update({(dx >> 1, low >> 2), (dx >> 1, high >> 2)})
        if dotted:
            canvas.markers = _thin(canvas.markers, cols, phase=i - 1)
        canvases.append(canvas)

    # Which series owns each cell: a marker over any line, else the series with the most dots there.
    grid: dict[tuple[int, int], tuple[str, int]] = {}
    bits: dict[tuple[int, int], int] = {}
    counts: dict[tuple[int, int], tuple[int, int]] = {}
    for i, canvas in enumerate(canvases):
        for key, mask in canvas.cells.items():
            bits[key] = bits.get(key, 0) | mask
            n = mask.bit_count()
            if key not in counts or n > counts[key][0]:
                counts[key] = (n, i)
    for key, mask in bits.items():
        grid[key] = (chr(0x2800 + mask), counts[key][1])
    for i, canvas in enumerate(canvases):
        if i:
            glyph = MARKERS[(i - 1) % len(MARKERS)]
            for key in canvas.markers:
                grid[key] = (glyph, i)

    tick_rows: dict[int, str] = {}
    for tick, label in zip(y_ticks, y_labels):
        tick_rows.setdefault(to_dot(x_low, tick)[1] >> 2, label)
    lines = headers
    for row in range(rows):
        line = Text(no_wrap=True)
        label = tick_rows.get(row)
        line.append((label or "").rjust(label_width) + ("┤" if label else "│"), axis_style)
        run_text, run_owner = "", None
        for col in range(cols):
            char, owner = grid.get((col, row), (" ", None))
            if owner != run_owner and run_text:
                line.append(run_text, style_of(run_owner) if run_owner is not None else "")
                run_text = ""
            run_owner = owner
            run_text += char
        if run_text:
            line.append(run_text, style_of(run_owner) if run_owner is not None else "")
        lines.append(line)

    x_ticks, _ = nice_ticks(x_low, x_high, max(2, cols // 10), inside=True)
    axis = ["─"] * cols
    labels = [" "] * (cols + label_width + 1)
    free_from = 0
    for tick in x_ticks:
        col = to_dot(tick, y_low)[0] >> 1
        axis[col] = "┬"
        text = format_count(tick) + (x_unit if tick else "")
        start = min(max(label_width + 1 + col - len(text) // 2, 0), len(labels) - len(text))
        if start >= free_from:
            labels[start:start + len(text)] = list(text)
            free_from = start + len(text) + 1
    lines.append(Text(" " * label_width + "└" + "".join(axis), style=axis_style, no_wrap=True))
    lines.append(Text("".join(labels).rstrip(), style=axis_style, no_wrap=True))
    return lines


class LossChart(Widget):
    """A chart of named series of (examples seen, value) points; `set_series` replaces them and redraws."""

    COMPONENT_CLASSES = {
        "loss-chart--title",
        "loss-chart--axis",
        *(f"loss-chart--series-{i}" for i in range(_SERIES_CLASSES)),
    }
    DEFAULT_CSS = """
    LossChart { height: 1fr; min-height: 5; }
    LossChart > .loss-chart--title { text-style: bold; }
    LossChart > .loss-chart--axis { color: $text-muted; }
    LossChart > .loss-chart--series-0 { color: $primary; }
    LossChart > .loss-chart--series-1 { color: $warning; }
    LossChart > .loss-chart--series-2 { color: $success; }
    LossChart > .loss-chart--series-3 { color: $error; }
    """

    def __init__(self, title: str = "", *, empty: str = "waiting for data…", legend: bool = True,
                 x_unit: str = "", id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.empty = empty
        self.legend = legend
        self.x_unit = x_unit
        self._series: dict[str, list[tuple[float, float]]] = {}
        self._lengths: dict[str, int] = {}
        self._cache: tuple[tuple, list[Strip]] | None = None
        self._style_cache: tuple[str, tuple] | None = None

    @property
    def series(self) -> dict[str, list[tuple[float, float]]]:
        return self._series

    def set_series(self, series: Mapping[str, Sequence[tuple[float, float]]], *, title: str | None = None,
                   empty: str | None = None, x_unit: str | None = None) -> None:
        """Show these series (copied), redrawing only when something changed."""
        lengths = {name: len(points) for name, points in series.items()}
        changed = lengths != self._lengths or any(
            points and self._series.get(name, [None])[-1] != tuple(points[-1]) for name, points in series.items()
        )
        if title is not None and title != self.title:
            self.title, changed = title, True
        if empty is not None and empty != self.empty:
            self.empty, changed = empty, True
        if x_unit is not None and x_unit != self.x_unit:
            self.x_unit, changed = x_unit, True
        if not changed:
            return
        self._series = {name: [tuple(p) for p in points] for name, points in series.items()}
        self._lengths = lengths
        self._cache = None
        self.refresh()

    def _styles(self) -> tuple[list[Style], Style, Style, Style]:
        """Series, axis, title and base styles; looked up once per theme (each lookup walks the DOM)."""
        theme = self.app.theme
        if self._style_cache is None or self._style_cache[0] != theme:
            series = [self.get_component_rich_style(f"loss-chart--series-{i}", partial=True)
                      for i in range(_SERIES_CLASSES)]
            self._style_cache = (theme, (series, self.get_component_rich_style("loss-chart--axis", partial=True),
                                         self.get_component_rich_style("loss-chart--title", partial=True),
                                         self.rich_style))
        return self._style_cache[1]

    def on_resize(self) -> None:
        self._cache = None

    def render_line(self, y: int) -> Strip:
        # The line API, not render(): a chart redraws several times a second while a model trains, and Strips of
        # plain segments skip the wrapping and markup passes a Text renderable goes through.
        width, height = self.content_size
        series, axis, title, base = self._styles()
        key = (width, height, base)
        if self._cache is None or self._cache[0] != key:
            lines = render_chart(self.title, self._series, width, height, styles=series, axis_style=axis,
                                 title_style=title, empty=self.empty, legend=self.legend,
                                 x_unit=self.x_unit)
            console = self.app.console
            strips = [Strip(list(line.render(console)), line.cell_len).adjust_cell_length(width).apply_style(base)
                      for line in lines]
            self._cache = (key, strips)
        strips = self._cache[1]
        return strips[y] if y < len(strips) else Strip.blank(width, base)

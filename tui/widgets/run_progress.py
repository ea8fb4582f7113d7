"""Where one run stands, in three lines: stage, state, run and device; a progress bar of batches (or of the
stage's other units); the epoch, elapsed time and ETA (or the error, or the test results, once it ended).

The bar's done and remaining parts differ in glyph (━ and ─) as well as colour, so it reads with NO_COLOR. Run ids,
stage names, devices and errors can come from other processes' runs, so they pass through `tui.safe`.
"""

from __future__ import annotations

import time
from functools import lru_cache

from rich.console import Console
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from tui.format import RUN_STATES, run_state_style
from tui.runner.job_view import Job, format_duration
from tui.safe import safe_text

__all__ = ["RunProgress", "progress_lines"]

PLURALS = {"batch": "batches", "pass": "passes"}


def _bar(fraction: float, width: int) -> Text:
    fraction = min(max(fraction, 0.0), 1.0)
    done = round(fraction * width)
    bar = Text(no_wrap=True)
    bar.append("━" * done, "bold")
    bar.append("─" * (width - done), "dim")
    return bar


def progress_lines(job: Job | None, width: int, now: float | None = None) -> list[Text]:
    """The three lines for `job` at `width` cells (one dim line when there is no job)."""
    if job is None:
        return [Text("No run selected. Press r to launch a stage.", style="dim")]
    now = now or time.time()
    head = Text(no_wrap=True, overflow="ellipsis")
    style = run_state_style(job.state)
    head.append(f"{RUN_STATES.get(job.state, ('?',))[0]} ", style)
    head.append_text(safe_text(job.stage or job.title, "bold"))
    head.append("  ")
    head.append_text(safe_text(job.state, style))
    if job.run_id:
        head.append("  run ", "dim")
        head.append_text(safe_text(job.run_id))
    if job.device:
        head.append("  device ", "dim")
        head.append_text(safe_text(job.device))
    system = job.system_summary()
    if system:
        head.append("  ")
        head.append_text(safe_text(system))
    if job.detail:
        head.append("  ")
        head.append_text(safe_text(job.detail, "dim"))

    progress = job.progress
    bar_line = Text(no_wrap=True)
    if progress is not None:
        unit = PLURALS.get(progress.unit, f"{progress.unit}s")
        counts = f" {progress.done:,}/{progress.total:,} {unit} {progress.fraction:4.0%}"
        label = "progress "
        bar_line.append(label, "dim")
        bar_line.append_text(_bar(progress.fraction, max(4, width - len(label) - len(counts))))
        bar_line.append(counts)
    elif job.state == "queued":
        bar_line.append("queued: waiting for a free slot (runs in parallel: one per GPU, else one)", "dim")
    elif job.active:
        bar_line.append("starting…", "dim")

    tail = Text(no_wrap=True, overflow="ellipsis")
    if progress is not None and progress.epoch is not None and job.epochs:
        tail.append(f"epoch {min(progress.epoch + 1, job.epochs)}/{job.epochs}   ")
    if job.examples:
        tail.append(f"{job.examples:,} examples   ", "dim")
    tail.append("elapsed ", "dim")
    tail.append(format_duration(job.elapsed(now)))
    if job.active and job.origin == "here":
        pipeline = job.request is not None and len(job.request.stages) > 1
        tail.append("   stage ETA " if pipeline else "   ETA ", "dim")
        tail.append(format_duration(job.eta(now)))
    if job.results:
        tail.append("   ")
        tail.append("  ".join(f"{k.removeprefix('test/')} {v:.4g}" for k, v in sorted(job.results.items())))
    if job.error and job.state in ("failed", "crashed"):
        # The error matters more than the bar: it gets two wrapped lines (the log and the toast have all of it).
        head.append("  elapsed ", "dim")
        head.append(format_duration(job.elapsed(now)))
        error = safe_text(job.error, style)
        lines = [head, *error.wrap(_console(), max(1, width))[:2]]
    else:
        lines = [head, bar_line, tail]
    for line in lines:
        line.no_wrap = True
        line.truncate(width, overflow="ellipsis")
    return lines


@lru_cache(maxsize=1)
def _console():
    return Console(width=10_000, color_system=None, file=None, legacy_windows=False)


class RunProgress(Widget):
    """The progress of the selected job; `show(job)` switches jobs or redraws, and only when a line changed (the
    training thread shares the CPU with every redraw)."""

    DEFAULT_CSS = "RunProgress { height: 3; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.job: Job | None = None
        self._lines: list[Text] | None = None
        self._strips: list[Strip] | None = None

    def show(self, job: Job | None) -> None:
        lines = progress_lines(job, self.content_size.width or 80)
        if job is self.job and self._lines is not None and [l.plain for l in lines] == [l.plain for l in self._lines]:
            return
        self.job, self._lines, self._strips = job, lines, None
        self.refresh()

    def on_resize(self) -> None:
        self._lines, self._strips = None, None

    def render_line(self, y: int) -> Strip:
        # The line API: this redraws several times a second during training; plain segments are the cheap path.
        width = self.content_size.width
        if self._strips is None:
            if self._lines is None:
                self._lines = progress_lines(self.job, width or 80)
            console, base = self.app.console, self.rich_style
            self._strips = [Strip(list(line.render(console)), line.cell_len).adjust_cell_length(width).apply_style(base)
                            for line in self._lines]
        return self._strips[y] if y < len(self._strips) else Strip.blank(width, self.rich_style)

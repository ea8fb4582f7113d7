"""The scrolling log of a run: the lines its stages print (or, for a run of another process, its logged rows).

Lines come from stage code and from other processes' runs, so each is made safe (`tui.safe.safe_str`: control and
escape characters made visible) before it reaches Textual's `Log`, which neither parses markup nor filters control
characters. The job keeps its last lines; `show(job)` appends only the ones written since the last call.

Each write that grows a `Log` changes its virtual size, which makes Textual lay the whole screen out again (about
10 ms for the runner screen), taken from the training thread's CPU while a model trains. So while a job runs its
lines are written at most once a second (the runner's clock calls again), and here a new virtual size only updates
the log's own scrollbar: the screen is laid out again only when the scrollbar appears.
"""

from __future__ import annotations

import time

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Log

from tui.runner.job_view import LOG_LINES, Job
from tui.safe import safe_str

__all__ = ["RunLog"]

WRITE_INTERVAL_S = 1.0


class RunLog(Log):
    """The log of the job last passed to `show`."""

    DEFAULT_CSS = "RunLog { height: 1fr; }"

    # Widget.virtual_size with layout=False: the log's size is fixed by CSS, only its scrollbar depends on it.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False, repaint=True)

    def watch_virtual_size(self, size: Size) -> None:
        self._scroll_update(size)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(max_lines=LOG_LINES, auto_scroll=True, id=id, classes=classes)
        self._job: Job | None = None
        self._written = 0
        self._last_write = 0.0

    def show(self, job: Job | None, *, force: bool = True) -> None:
        """Append the job's new lines; without `force`, only when the last write is WRITE_INTERVAL_S old (call
        again later: the runner's clock does, once a second)."""
        if job is not self._job:
            self.clear()
            self._job, self._written, self._last_write = job, 0, 0.0
        if job is None or job.log_count == self._written:
            return
        if not force and time.monotonic() - self._last_write < WRITE_INTERVAL_S:
            return
        new = min(job.log_count - self._written, len(job.log))
        if new > 0:
            self.write_lines([safe_str(line) for line in list(job.log)[-new:]])
        self._written = job.log_count
        self._last_write = time.monotonic()

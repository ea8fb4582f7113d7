"""`Job`: what the runner shows about one run, folded from pipeline events or from a run's history rows.

A job is either a launch from this app (its stages report `core.pipeline` events) or a run found in the store that
another process is writing (its `run.log` rows arrive from `store.history`). Both end up in the same fields, so the
runner's widgets draw one thing. Jobs are mutated only on the UI thread (the queue folds events in batches), so the
widgets read them without locks. Nothing here imports Textual; strings from runs stay raw until a widget shows them
through `tui.safe`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.pipeline.events import LoggedVersion, LogLine, Metrics, Progress, StageFailed, StageFinished, StageStarted

__all__ = ["ACTIVE_STATES", "ELSEWHERE", "HERE", "Job", "chart_keys", "format_duration", "is_image_value",
           "system_shares"]

HERE = "here"
ELSEWHERE = "elsewhere"
ACTIVE_STATES = ("queued", "running")
MAX_POINTS = 10_000  # per series; beyond it every other point is dropped (hours of batch_log_interval=1)
LOG_LINES = 2_000
NOT_CHARTED = ("epoch",)
RESULT_PREFIX = "test/"  # final evaluation values: shown as numbers, not as a one-point chart


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def is_image_value(value: Any) -> bool:
    """A history value holding images logged with `core.Image` (one, or a list of them)."""
    if isinstance(value, dict):
        return value.get("_type") == "image-file"
    return isinstance(value, list) and bool(value) and all(is_image_value(v) and isinstance(v, dict) for v in value)


def chart_keys(key: str) -> bool:
    return not key.startswith("_") and key not in NOT_CHARTED and not key.startswith(RESULT_PREFIX)


def system_shares(row: Mapping[str, Any]) -> dict[str, float]:
    """What the live view charts of one system sample, all as shares on one 0-100 scale: each GPU's utilisation
    (`gpu`, or `gpu0`, `gpu1`... when the run sees several) and memory in use (`vram`), the process's CPU (psutil's
    per-core figure: 200 is two busy cores) and its resident memory as a share of the machine's RAM (`ram`)."""
    shares: dict[str, float] = {}
    gpus = sorted({key.split(".")[1] for key in row if key.startswith("system/gpu.") and key.count(".") == 2},
                  key=lambda index: (len(index), index))
    for index in gpus:
        name = "" if len(gpus) == 1 else index
        util = row.get(f"system/gpu.{index}.gpu_percent")
        used, total = row.get(f"system/gpu.{index}.memory_allocated_mb"), row.get(f"system/gpu.{index}.memory_total_mb")
        if _number(util):
            shares[f"gpu{name}"] = float(util)
        if _number(used) and _number(total) and total > 0:
            shares[f"vram{name}"] = 100.0 * used / total
    for key, name in (("system/cpu_percent", "cpu"), ("system/memory_percent", "ram")):
        if _number(row.get(key)):
            shares[name] = float(row[key])
    return shares


def format_duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "--:--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@dataclass(eq=False)
class Job:
    """One launch or one followed run; `revision` moves whenever something shown changed."""

    key: int
    title: str
    project: str
    origin: str = HERE
    request: Any = None  # tui.runner.launch_request.LaunchRequest for launches from here
    state: str = "queued"
    stage: str = ""
    run_id: str = ""
    run_ids: list[str] = field(default_factory=list)
    error: str = ""
    outputs: list[LoggedVersion] = field(default_factory=list)
    progress: Progress | None = None
    epochs: int | None = None
    examples: int = 0
    started_at: float | None = None  # wall clock (time.time())
    ended_at: float | None = None
    points: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    results: dict[str, float] = field(default_factory=dict)
    log: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    log_count: int = 0  # lines ever added (the log keeps the last LOG_LINES)
    device: str = ""
    detail: str = ""  # where a followed run runs: "pid 123 on host"
    report_run_id: str = ""
    image_rows: list[dict] = field(default_factory=list)
    group: str = ""  # a launch's run group: every run its child process opens carries it
    cancelling: bool = False
    ended_runs: set[str] = field(default_factory=set)
    system: dict[str, Any] = field(default_factory=dict)  # the latest system/... sample of the current run
    # system_shares of every sample, against seconds since the job started (its runs one after the other)
    system_points: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    revision: int = 0
    _rate_origin: tuple[float, int] | None = field(default=None, repr=False)
    _system_origin: float | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def label(self) -> str:
        return self.title if self.origin == HERE else f"{self.title} (elsewhere)"

    def elapsed(self, now: float | None = None) -> float | None:
        if self.started_at is None:
            return None
        end = self.ended_at if self.ended_at is not None else (now or time.time())
        return max(0.0, end - self.started_at)

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left in the current stage, from its rate since its first progress event."""
        if not self.active or self.progress is None or self._rate_origin is None:
            return None
        t0, done0 = self._rate_origin
        done, total = self.progress.done, self.progress.total
        if done <= done0 or total <= 0:
            return None
        rate = (done - done0) / max(1e-9, (now or time.time()) - t0)
        return (total - done) / rate if rate > 0 else None

    # -- folding ------------------------------------------------------------------------------------------------

    def add_log(self, text: str) -> None:
        for line in str(text).splitlines() or [""]:
            self.log.append(line)
            self.log_count += 1
        self.revision += 1

    def add_metrics(self, step: int, values: Mapping[str, Any]) -> None:
        for key, value in values.items():
            if not _number(value):
                continue
            if key.startswith(RESULT_PREFIX):
                self.results[key] = float(value)
            elif chart_keys(key):
                series = self.points.setdefault(key, [])
                if series and series[-1][0] >= step:
                    continue  # a row read again (its step got more keys later): the point is there already
                series.append((int(step), float(value)))
                if len(series) > MAX_POINTS:
                    series[:] = series[::2]
        if "epoch" in values and _number(values["epoch"]) and self.origin == ELSEWHERE:
            self._epoch_seen(int(values["epoch"]))
        self.examples = max(self.examples, int(step))
        self.revision += 1

    def set_progress(self, progress: Progress) -> None:
        if progress.stage != self.stage:
            return
        if self._rate_origin is None or (self.progress is not None and progress.done < self.progress.done):
            self._rate_origin = (time.time(), progress.done)
        self.progress = progress
        self.revision += 1

    def apply(self, event: Any) -> None:
        """Fold one pipeline event (not `Progress`: the queue keeps only the latest and calls `set_progress`)."""
        if isinstance(event, StageStarted):
            self.stage, self.run_id, self.progress, self._rate_origin = event.stage, event.run_id, None, None
            self.run_ids.append(event.run_id)
            inputs = f", using {', '.join(event.inputs)}" if event.inputs else ""
            self.add_log(f"── {event.stage}: run {event.run_id} started{inputs}")
        elif isinstance(event, Metrics):
            self.add_metrics(event.step, event.values)
        elif isinstance(event, LogLine):
            self.add_log(event.text)
        elif isinstance(event, StageFinished):
            self.outputs.extend(event.outputs)
            if event.stage == "report":
                self.report_run_id = event.run_id
            self.add_log(f"── {event.stage}: finished")
        elif isinstance(event, StageFailed):
            self.error = event.error
            self.add_log(f"── {event.stage}: {event.state}: {event.error}")
        elif isinstance(event, Progress):
            self.set_progress(event)
        self.revision += 1

    # -- runs of other processes --------------------------------------------------------------------------------

    def _epoch_seen(self, epoch: int) -> None:
        if self.epochs:
            done = min(epoch, self.epochs)
            self.progress = Progress(self.stage, done, self.epochs, "epoch", epoch)

    def start_stage(self, stage: str, run_id: str) -> None:
        """A run of this job appeared in the store: its stage is the current one now."""
        self.stage, self.run_id, self.progress, self._rate_origin = stage, run_id, None, None
        self.add_log(f"── {stage}: run {run_id} started")

    def finish_progress(self) -> None:
        """The current stage finished: its progress reads complete, whatever the last sample said."""
        if self.progress is not None and self.progress.total > 0:
            self.progress = Progress(self.progress.stage, self.progress.total, self.progress.total,
                                     self.progress.unit, self.progress.epoch)
            self.revision += 1

    def system_summary(self) -> str:
        """"RSS 812 MB · GPU0 3.1/80 GiB" from the latest system sample: the memory in use, in units (the system
        chart beside the loss has the utilisations, and every figure as a share)."""
        s = self.system
        parts = []
        if _number(s.get("system/rss_mb")):
            parts.append(f"RSS {s['system/rss_mb']:.0f} MB")
        for key in sorted(k for k in s if k.endswith(".memory_allocated_mb")):
            index = key.split(".")[1]
            used, total = s.get(key), s.get(f"system/gpu.{index}.memory_total_mb")
            if _number(used) and _number(total) and total > 0:
                parts.append(f"GPU{index} {used / 1024:.1f}/{total / 1024:.0f} GiB")
        return " · ".join(parts)

    def add_system(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Fold system samples (`run.system_metrics` rows, oldest first): the latest one for the progress line,
        each one's shares for the system chart."""
        for row in rows:
            at = row.get("_timestamp")
            if not _number(at):
                continue
            if self._system_origin is None:
                self._system_origin = self.started_at if self.started_at is not None and self.started_at <= at else at
            x = float(at) - self._system_origin
            for name, value in system_shares(row).items():
                series = self.system_points.setdefault(name, [])
                if series and series[-1][0] >= x:
                    continue  # a sample read again
                series.append((x, value))
                if len(series) > MAX_POINTS:
                    series[:] = series[::2]
            self.system = dict(row)
            self.revision += 1

    def apply_history(self, rows: Iterable[Mapping[str, Any]], *, log: bool = True) -> None:
        """Fold `store.history` rows of a run: chart points, images, and (with `log`, for a run whose own log
        lines are not in the store) one log line per row."""
        for row in rows:
            step = row.get("_step")
            if not isinstance(step, int):
                continue
            again = step <= self.examples and self.points != {}  # the last step read again, for its later keys
            numbers = {k: v for k, v in row.items() if not k.startswith("_") and _number(v)}
            self.add_metrics(step, numbers)
            for key, value in row.items():
                if is_image_value(value):
                    self.image_rows = value if isinstance(value, list) else [value]
                    self.report_run_id = self.run_id
            shown = "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in numbers.items())
            if shown and log and not again:
                self.add_log(f"step {step:,}: {shown}")

    def follow_state(self, state: str, error: str | None) -> bool:
        """Take a followed run's state from the store; True when it just ended."""
        if state == self.state:
            return False
        self.state = state
        if error:
            self.error = error
        ended = state not in ACTIVE_STATES
        if ended:
            self.ended_at = time.time()
            self.add_log(f"── {self.stage or 'run'}: {state}" + (f": {error}" if error else ""))
        self.revision += 1
        return ended

    @property
    def versions_logged(self) -> list[str]:
        return [o.qualified_name for o in self.outputs]

"""The runner's queue: launched pipeline stages run one at a time in thread workers, and what they report reaches
the UI in batches; runs written by other processes are followed from the store beside them.

A stage calls `on_event` in its own thread for every batch it trains. Widgets must not be touched from there, and
waking the event loop per batch would cost training throughput, so the callback only records the event in the job's
inbox (a lock and an append). A timer on the app drains the inboxes four times a second, keeps the latest `Progress`
and every metric point and log line, folds them into the job's view state (`tui.runner.job_view.Job`) and publishes
`changed` once per changed job; the runner screen subscribes to it.

Cancel sets a flag the callback checks: the stage's next event raises `core.pipeline.Cancelled`, its run ends
"cancelled" and it logs no artifact. Whatever a stage raises ends its job "failed" with the error; nothing escapes the
worker. Stages share process-wide torch state (seeds, thread pool), so one job runs at a time; the others wait in
order. The app owns one queue (`install_runner`) and asks `shutdown()` before it exits.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from core.pipeline.events import Cancelled, Progress, StageFailed, StageFinished, StageStarted
from tui.format import describe_error
from tui.runner.launch_request import LaunchRequest, run_request, uses_training_config
from tui.runner.job_view import ELSEWHERE, HERE, Job
from tui.runner.follow import Followed, FollowUpdate, poll_store
from tui.safe import safe_str

if TYPE_CHECKING:
    from textual.app import App
    from textual.signal import Signal
    from textual.worker import Worker

__all__ = ["JobQueue"]

FLUSH_INTERVAL_S = 0.25  # at most four UI updates a second: smooth to the eye, cheap for the training thread
POLL_INTERVAL_S = 0.5  # store.change_token() reads for runs of other processes
BUSY_POLL_INTERVAL_S = 2.0  # the same while a job of ours trains: its own writes move the token, every read costs it
RECHECK_S = 2.0  # a followed run's state is re-read this often even when the store is still (a dead writer)
GPU_MEMORY_S = 1.0


class _Inbox:
    """Events a stage thread hands to the UI thread; the UI drains it on its timer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[Any] = []
        self.progress: Progress | None = None
        self.device: str | None = None
        self.end: tuple[str, str] | None = None
        self.seconds: float | None = None  # how long the stages ran, measured in their thread

    def put(self, event: Any) -> None:
        with self.lock:
            if type(event) is Progress:
                self.progress = event
            else:
                self.events.append(event)

    def take(self) -> tuple[list[Any], Progress | None, str | None, tuple[str, str] | None]:
        with self.lock:
            taken = self.events, self.progress, self.device, self.end
            self.events, self.progress, self.device = [], None, None
            return taken


def _device_of(request: LaunchRequest) -> str:
    """The device the request's training or evaluation uses (imports torch, which the stage needs anyway)."""
    if not any(uses_training_config(stage) for stage in request.stages):
        return "cpu"
    wanted = request.train_config.get("device")
    try:
        from core.pipeline.train import resolve_device

        return str(resolve_device(wanted))
    except Exception:  # the stage reports an unusable device itself, as its run's error
        return str(wanted or "?")


class JobQueue:
    """Launched jobs (run in order, one at a time) and the followed runs of other processes, newest last."""

    def __init__(self, store: Any, *, download_root: str | os.PathLike[str] | None = None,
                 flush_interval: float = FLUSH_INTERVAL_S, poll_interval: float = POLL_INTERVAL_S,
                 follow: bool = True) -> None:
        self.store = store
        self.download_root = download_root
        self.flush_interval = flush_interval
        self.poll_interval = poll_interval
        self.follow = follow
        self.jobs: list[Job] = []
        self.app: App | None = None
        self.changed: Signal[Job] | None = None
        self._keys = 0
        self._inboxes: dict[int, _Inbox] = {}
        self._cancel: dict[int, threading.Event] = {}
        self._workers: dict[int, Worker] = {}
        self._own_runs: set[str] = set()
        self._followed: dict[str, Followed] = {}
        self._token: int | None = None
        self._poll_worker: Worker | None = None
        self._last_poll = 0.0
        self._last_recheck = 0.0
        self._last_gpu = 0.0

    # -- wiring -------------------------------------------------------------------------------------------------

    def attach(self, app: App) -> None:
        """Start the queue's timer on `app` (call once, when the app is running: from `on_mount`)."""
        from textual.signal import Signal

        self.app = app
        self.changed = Signal(app, "runner-job-changed")
        app.set_interval(self.flush_interval, self._tick, name="runner-tick")

    @property
    def active(self) -> list[Job]:
        """Launched jobs that are queued or running (what quitting would cancel)."""
        return [job for job in self.jobs if job.origin == HERE and job.active]

    @property
    def running(self) -> Job | None:
        return next((job for job in self.jobs if job.origin == HERE and job.state == "running"), None)

    def job(self, key: int) -> Job | None:
        return next((job for job in self.jobs if job.key == key), None)

    def _new_job(self, **fields: Any) -> Job:
        self._keys += 1
        job = Job(key=self._keys, **fields)
        self.jobs.append(job)
        return job

    def _publish(self, job: Job) -> None:
        if self.changed is not None:
            self.changed.publish(job)

    # -- launching and cancelling ---------------------------------------------------------------------------------

    def submit(self, request: LaunchRequest) -> Job:
        """Queue `request`; it starts now when nothing else runs."""
        job = self._new_job(title=request.title, project=request.project, request=request,
                            epochs=request.epochs)
        job.add_log(f"queued: {request.title} in project {request.project}")
        self._publish(job)
        self._start_next()
        return job

    def cancel(self, job: Job) -> bool:
        """Stop a queued or running job of ours; False when there is nothing to cancel."""
        if job.origin != HERE or not job.active:
            return False
        if job.state == "queued":
            self._finish(job, "cancelled", "cancelled before it started")
            return True
        self._cancel[job.key].set()
        job.add_log("cancelling…")
        self._publish(job)
        return True

    def cancel_all(self) -> None:
        for job in list(self.active):
            self.cancel(job)

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel every job and wait (up to `timeout`) for the running one to stop, so its run ends "cancelled"."""
        self.cancel_all()
        deadline = time.monotonic() + timeout
        while self.running is not None and time.monotonic() < deadline:
            self._tick()
            await asyncio.sleep(0.05)

    def _start_next(self) -> None:
        if self.app is None or self.running is not None:
            return
        job = next((j for j in self.jobs if j.origin == HERE and j.state == "queued"), None)
        if job is None:
            return
        inbox, cancel = _Inbox(), threading.Event()
        self._inboxes[job.key], self._cancel[job.key] = inbox, cancel
        job.state, job.started_at = "running", time.time()
        self._workers[job.key] = self.app.run_worker(
            partial(self._work, job.request, inbox, cancel), name=f"runner-{job.key}", group="runner",
            thread=True, exit_on_error=False,
        )
        self._publish(job)

    # -- the stage thread ---------------------------------------------------------------------------------------

    def _work(self, request: LaunchRequest, inbox: _Inbox, cancel: threading.Event) -> None:
        """Runs in the worker thread: every outcome ends up in `inbox.end`, nothing is raised."""
        own = self._own_runs

        def on_event(event: Any) -> None:
            if type(event) is StageStarted:
                own.add(event.run_id)
            inbox.put(event)
            if cancel.is_set() and not isinstance(event, (StageFinished, StageFailed)):
                raise Cancelled("cancelled from the runner")

        started = time.perf_counter()
        try:
            device = _device_of(request)
            with inbox.lock:
                inbox.device = device
            run_request(request, store=self.store, on_event=on_event, download_root=self.download_root,
                        cancelled=cancel.is_set)
        except Cancelled as exc:
            end = ("cancelled", str(exc))
        except BaseException as exc:  # noqa: BLE001 - a stage must never take the app down
            end = ("failed", describe_error(exc))
        else:
            end = ("finished", "")
        with inbox.lock:
            inbox.end, inbox.seconds = end, time.perf_counter() - started

    # -- the UI thread ------------------------------------------------------------------------------------------

    def _tick(self) -> None:
        job = self.running
        if job is not None:
            self._drain(job)
        if self.follow:
            self._follow_tick()

    def _drain(self, job: Job) -> None:
        inbox = self._inboxes[job.key]
        events, progress, device, end = inbox.take()
        before = job.revision
        if device is not None:
            job.device = device
        for event in events:
            if type(event) is StageStarted:
                self._drop_followed(event.run_id)
            job.apply(event)
        if progress is not None:
            job.set_progress(progress)
        now = time.monotonic()
        if job.device.startswith("cuda") and now - self._last_gpu >= GPU_MEMORY_S:
            self._last_gpu = now
            job.gpu_memory = _gpu_memory(job.device)
        worker = self._workers.get(job.key)
        if end is None and worker is not None and worker.is_finished:
            end = ("failed", describe_error(worker.error) if worker.error else "the worker stopped unexpectedly")
        if end is not None:
            job.run_seconds = inbox.seconds
            self._finish(job, *end)
        elif job.revision != before:
            self._publish(job)

    def _finish(self, job: Job, state: str, error: str) -> None:
        job.state, job.ended_at = state, time.time()
        if error and not job.error:
            job.error = error
        if state == "finished":
            job.add_log(f"finished: {', '.join(job.versions_logged) or 'no new versions'}")
        elif state == "cancelled" and job.run_id == "":
            job.add_log(f"cancelled: {error}")
        for held in (self._workers, self._inboxes, self._cancel):
            held.pop(job.key, None)
        self._notify_end(job)
        self._publish(job)
        self._start_next()

    def _notify_end(self, job: Job) -> None:
        if self.app is None:
            return
        name = safe_str(job.label)
        if job.state == "finished":
            logged = [f"{o.qualified_name}" + ("" if o.created else " (unchanged)") for o in job.outputs]
            message = f"{name} finished; logged {', '.join(logged)}" if logged else f"{name} finished"
            self.app.notify(safe_str(message), title="Run finished", markup=False, timeout=8)
        elif job.state == "cancelled":
            self.app.notify(f"{name} cancelled; the cancelled stage logged nothing", title="Run cancelled",
                            severity="warning", markup=False)
        else:
            self.app.notify(safe_str(f"{name} {job.state}: {job.error}"), title=f"Run {job.state}",
                            severity="error", markup=False, timeout=15)

    # -- runs of other processes ------------------------------------------------------------------------------

    def _follow_tick(self) -> None:
        worker = self._poll_worker
        if worker is not None:
            if not worker.is_finished:
                return
            self._poll_worker = None
            if worker.result is not None:
                self._apply_follow(worker.result)
        now = time.monotonic()
        interval = self.poll_interval if self.running is None else max(self.poll_interval, BUSY_POLL_INTERVAL_S)
        if now - self._last_poll < interval or self.app is None:
            return
        self._last_poll = now
        recheck = now - self._last_recheck >= RECHECK_S
        if recheck:
            self._last_recheck = now
        followed = {run_id: Followed(f.project, f.last_step) for run_id, f in self._followed.items()}
        self._poll_worker = self.app.run_worker(
            partial(poll_store, self.store, self._token, followed, frozenset(self._own_runs), recheck),
            name="runner-follow", group="runner-follow", thread=True, exit_on_error=False,
        )

    def _drop_followed(self, run_id: str) -> None:
        """A run first seen as another process's turned out to be ours (its row appeared before its event)."""
        self._followed.pop(run_id, None)
        for job in [j for j in self.jobs if j.origin == ELSEWHERE and j.run_id == run_id]:
            self.jobs.remove(job)
            self._publish(job)

    def _apply_follow(self, update: FollowUpdate) -> None:
        self._token = update.token
        for run in update.runs:
            if run.id in self._own_runs:
                continue
            job = next((j for j in self.jobs if j.origin == ELSEWHERE and j.run_id == run.id), None)
            if job is None:
                if run.state != "running":
                    continue
                job = self._new_job(
                    title=run.job_type or run.name, project=run.project, origin=ELSEWHERE, state="running",
                    stage=run.job_type or "", run_id=run.id, run_ids=[run.id],
                    started_at=run.created_at.timestamp(), epochs=_int_or_none(run.config.get("epochs")),
                    device=str(run.config.get("device") or "set by the run"),
                    detail=f"pid {run.pid} on {run.host}",
                )
                job.add_log(f"── {run.job_type or 'run'}: run {run.id} ({run.name}) found running in pid {run.pid} "
                            f"on {run.host}")
                self._followed[run.id] = Followed(run.project)
            entry = self._followed.get(run.id)
            rows = update.rows.get(run.id, [])
            if rows:
                job.apply_history(rows)
                if entry is not None:
                    entry.last_step = rows[-1]["_step"]
            if job.follow_state(run.state, run.error or _ENDED_WITHOUT_ERROR.get(run.state)):
                job.outputs = list(update.outputs.get(run.id, []))
                self._followed.pop(run.id, None)
                self._notify_end(job)
            self._publish(job)


_ENDED_WITHOUT_ERROR = {"crashed": "its process stopped without finishing the run (no heartbeat, or the pid is gone)"}


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _gpu_memory(device: str) -> str:
    """Memory in use on a CUDA device, read from torch when the stage has already imported it."""
    torch = sys.modules.get("torch")
    if torch is None:
        return ""
    try:
        allocated = torch.cuda.memory_allocated(device)
        reserved = torch.cuda.memory_reserved(device)
        total = torch.cuda.get_device_properties(device).total_memory
    except Exception:  # noqa: BLE001 - a display nicety must not fail the tick
        return ""
    gib = 1024 ** 3
    return f"GPU {allocated / gib:.1f}/{total / gib:.0f} GiB ({reserved / gib:.1f} reserved)"

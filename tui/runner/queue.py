"""The runner's queue: launches run as supervised child processes, N at a time, and everything shown about them
comes from the store, exactly as for runs that another shell writes.

A launch is booked in the store (`core.launches.LaunchBook`) before anything starts, so the queue survives a
restart of the TUI. When a slot is free (one per visible GPU, else one) the queue claims the oldest queued launch,
starts `artifacts-tui run ... --group <launch group>` in a process group of its own (`tui.runner.supervisor`) with
that slot's GPU in CUDA_VISIBLE_DEVICES, and a worker thread waits on it. The child writes its runs, progress, log
lines, metrics and system metrics to the store; `tui.runner.follow.poll_store` reads what changed (in a worker,
never two at once) and the UI thread folds it into the jobs on its timer, four times a second at most.

Quitting leaves children running unless the user asks to cancel them; a TUI opened later adopts the running
launches (their pids are booked) and starts the queued ones. Cancel sends SIGINT to the child's group (the stage
raises its cancellation and logs nothing), SIGKILL after a grace period. A child that dies on its own shows
"crashed" with the last lines it printed.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from core.pipeline.events import Progress
from tui.format import describe_error
from tui.runner.follow import Followed, FollowUpdate, logged_version, poll_store
from tui.runner.job_view import ELSEWHERE, HERE, Job
from tui.runner.launch_request import LaunchRequest
from tui.runner.supervisor import (
    CANCELLED_EXIT,
    GRACE_S,
    UNKNOWN_EXIT,
    Child,
    child_argv,
    log_tail,
    request_from_dict,
    request_to_dict,
    supervise,
    visible_gpus,
)
from tui.safe import safe_str

if TYPE_CHECKING:
    from textual.app import App
    from textual.signal import Signal

__all__ = ["JobQueue"]

FLUSH_INTERVAL_S = 0.25  # at most four UI updates a second
POLL_INTERVAL_S = 1.0  # store.change_token() reads
BUSY_POLL_INTERVAL_S = 1.5  # while a launch of ours trains: each read of what changed shares the cores with it
SINCE_MARGIN_S = 5.0  # a poll asks for runs written since the previous one, minus this (clocks, slow commits)
REMEMBERED_LAUNCHES = 200  # the book's newest launches the form's memory of each stage is read from
RECHECK_S = 2.0  # followed runs' states are re-read this often even when the store is still (a dead writer)


class JobQueue:
    """Launches of this store (queued, running here or adopted, ended) and the followed runs of other processes."""

    def __init__(self, store: Any, *, download_root: Any = None, flush_interval: float = FLUSH_INTERVAL_S,
                 poll_interval: float = POLL_INTERVAL_S, follow: bool = True, slots: int | None = None,
                 gpus: list[str] | None = None) -> None:
        self.store = store
        self.book = store.launch_book()
        self.download_root = download_root
        self.flush_interval = flush_interval
        self.poll_interval = poll_interval
        self.follow = follow
        self._gpus = gpus
        self._slots = slots
        self.jobs: list[Job] = []
        self.app: App | None = None
        self.changed: Signal[Job] | None = None
        self._children: dict[int, Child] = {}
        self._adopted: dict[int, threading.Event] = {}
        self._ends: list[tuple[int, int]] = []  # (job key, exit code) handed from supervising threads
        self._ends_lock = threading.Lock()
        self._stop = threading.Event()  # set when the app leaves: supervising threads return, children run on
        self._by_group: dict[str, Job] = {}
        self._followed: dict[str, Followed] = {}
        self._run_seen: set[str] = set()
        self._token: int | None = None
        self._polling = False
        self._poll_result: FollowUpdate | None = None
        self._last_poll = 0.0
        self._last_recheck = 0.0
        self._next_poll_now = False
        self._elsewhere_keys = 0
        self._since = time.time() - 60.0  # running runs always come; ended ones only when written since a poll
        # the launch form starts from these: each stage's last launch, and the last of all (this store's book)
        self.remembered: dict[str, LaunchRequest] = {}
        self.last_request: LaunchRequest | None = None

    # -- wiring -------------------------------------------------------------------------------------------------

    @property
    def gpus(self) -> list[str]:
        if self._gpus is None:
            self._gpus = visible_gpus()
        return self._gpus

    @property
    def slots(self) -> int:
        return self._slots or max(1, len(self.gpus))

    def attach(self, app: App) -> None:
        """Start the queue's timer on `app` (once, from `on_mount`) and take up the launches the store holds."""
        from textual.signal import Signal

        self.app = app
        self.changed = Signal(app, "runner-job-changed")
        self._adopt()
        app.run_worker(self._remember_booked, name="runner-remembered", group="runner-remembered", thread=True,
                       exit_on_error=False)
        app.set_interval(self.flush_interval, self._tick, name="runner-tick")
        self._start_next()

    @property
    def active(self) -> list[Job]:
        """Launches that are queued or running (what the quit dialog asks about)."""
        return [job for job in self.jobs if job.origin == HERE and job.active]

    @property
    def running(self) -> list[Job]:
        return [job for job in self.jobs if job.origin == HERE and job.state == "running"]

    def job(self, key: int) -> Job | None:
        return next((job for job in self.jobs if job.key == key), None)

    def _publish(self, job: Job) -> None:
        if self.changed is not None:
            self.changed.publish(job)

    def _job_for(self, launch: Any, request: LaunchRequest) -> Job:
        job = Job(key=launch.id, title=request.title, project=request.project, request=request,
                  epochs=request.epochs, group=launch.group, state=launch.state,
                  device=launch.device or "", started_at=launch.started_at)
        self.jobs.append(job)
        self._by_group[launch.group] = job
        return job

    def _adopt(self) -> None:
        """Launches an earlier TUI booked: queued ones wait here again, running ones are followed live."""
        for launch in self.book.active():
            try:
                request = request_from_dict(launch.request)
            except Exception as exc:  # noqa: BLE001 - a launch booked by another version: end it, say why
                self.book.finish(launch.id, "failed", error=f"cannot read the booked request: {describe_error(exc)}")
                continue
            job = self._job_for(launch, request)
            if launch.state == "queued":
                job.add_log(f"queued: {request.title} in project {request.project} (booked earlier)")
            elif launch.process_alive:
                job.detail = f"pid {launch.pid}"
                job.add_log(f"── adopted: {request.title} still running in pid {launch.pid}")
                self._watch_adopted(job, launch)
            else:
                self._settle(job, exit_code=None)  # it ended while no TUI was watching: its runs say how

    # -- launching and cancelling ---------------------------------------------------------------------------------

    def _remember_booked(self) -> None:
        """(A thread worker.) The last launch of each stage in the store's book, earlier sessions' included; what
        this session launched since wins."""
        booked: dict[str, LaunchRequest] = {}
        for launch in self.book.recent(REMEMBERED_LAUNCHES):  # oldest first: the newest of each stage stays
            try:
                request = replace(request_from_dict(launch.request), group=None)
            except Exception:  # noqa: BLE001 - booked by another version: nothing to offer from it
                continue
            booked.pop(request.stage, None)
            booked[request.stage] = request
        for stage, request in booked.items():
            self.remembered.setdefault(stage, request)
        if self.last_request is None and booked:
            self.last_request = list(booked.values())[-1]

    def submit(self, request: LaunchRequest) -> Job:
        """Book `request` in the store and queue it; it starts as soon as a slot is free."""
        request.validate()
        self.remembered[request.stage] = request
        self.last_request = request
        launch = self.book.add(request_to_dict(request))
        job = self._job_for(launch, request)
        job.add_log(f"queued: {request.title} in project {request.project}")
        self._publish(job)
        self._start_next()
        return job

    def cancel(self, job: Job) -> bool:
        """Stop a queued or running launch; False when it is not one (a run of another shell, or ended)."""
        if job.origin != HERE or not job.active:
            return False
        if job.state == "queued":
            if self.book.cancel_queued(job.key):
                self._end(job, "cancelled", "cancelled before it started")
                return True
            return False
        child = self._children.get(job.key)
        if child is not None:
            child.cancel_requested.set()
        elif job.key in self._adopted:
            self._adopted[job.key].set()
        else:
            return False
        job.cancelling = True
        job.add_log("cancelling…")
        self._publish(job)
        return True

    def cancel_all(self) -> None:
        for job in list(self.active):
            self.cancel(job)

    async def shutdown(self, *, cancel: bool = True, timeout: float = GRACE_S + 5.0) -> None:
        """Before the app exits: with `cancel`, cancel every launch and wait (up to `timeout`) for the children
        to end, so their runs end "cancelled"; without, leave them running (a later TUI adopts them)."""
        if not cancel:
            self.detach()
            return
        self.cancel_all()
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            self._tick()
            await asyncio.sleep(0.05)

    def detach(self) -> None:
        """The app is leaving: stop supervising (children keep running; their launches stay booked)."""
        self._stop.set()

    def _free_gpu(self, pinned: str | None) -> str | None | bool:
        """The GPU a new launch gets: its pinned one when free, else any free one; None on a CPU machine; False
        when none is free now."""
        if not self.gpus:
            return None
        busy = {job.device.removeprefix("cuda:") for job in self.running if job.device.startswith("cuda")}
        if pinned is not None:
            wanted = pinned.removeprefix("cuda:") if pinned.startswith("cuda:") else None
            if wanted is not None:
                return wanted if wanted not in busy else False
        free = [g for g in self.gpus if g not in busy]
        return free[0] if free else False

    def _start_next(self) -> None:
        if self.app is None:
            return
        while True:
            job = next((j for j in self.jobs if j.origin == HERE and j.state == "queued"), None)
            # a queued job first: `slots` counts the GPUs, which costs 15-35 ms (NVIDIA's library) on the first call
            if job is None or len(self.running) >= self.slots:
                return
            pinned = str(job.request.train_config.get("device") or "") or None
            if pinned == "cpu":
                gpu = None
            else:
                gpu = self._free_gpu(pinned)
                if gpu is False:
                    return  # wait for that GPU
            device = f"cuda:{gpu}" if gpu is not None else (pinned or "cpu")
            if not self.book.claim(job.key, device):
                self._end(job, "cancelled", "another TUI started or cancelled it")
                continue
            self._spawn(job, gpu, device)

    def _spawn(self, job: Job, gpu: str | None, device: str) -> None:
        launch = self.book.get(job.key)
        env = {"CUDA_VISIBLE_DEVICES": gpu} if gpu is not None else {}
        if gpu is None and self.slots > 1 and "OMP_NUM_THREADS" not in os.environ:
            # CPU slots share the cores: torch's threads per child so that N children do not oversubscribe them
            env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // self.slots))
        child_device = "cuda" if gpu is not None else job.request.train_config.get("device")
        argv = child_argv(job.request, store_args=self.store.cli_args(), group=job.group, device=child_device,
                          download_root=self.download_root)
        job.state, job.started_at, job.device = "running", time.time(), device
        try:
            child = Child(argv, log_path=self.book.log_path(launch), env=env)
        except OSError as exc:
            self.book.finish(job.key, "failed", error=describe_error(exc))
            self._end(job, "failed", f"could not start the stage: {describe_error(exc)}")
            return
        self.book.started(job.key, child.pid)
        self._children[job.key] = child
        job.detail = f"pid {child.pid}" + (f", GPU {gpu}" if gpu is not None else "")
        job.add_log(f"started: pid {child.pid} on {device}")
        # A daemon thread, not a Textual worker: a worker would hold up the app's exit until the child ended, and
        # the child is meant to outlive the app.
        threading.Thread(target=self._supervise, args=(job.key, child), name=f"runner-{job.key}", daemon=True).start()
        self._publish(job)

    # -- supervising threads ------------------------------------------------------------------------------------

    def _supervise(self, key: int, child: Child) -> None:
        """Worker thread: wait for the child; its exit code reaches the UI thread through `_ends`."""
        try:
            code = child.wait(self._stop)
        except BaseException:  # noqa: BLE001 - supervision must end with an answer, never silently
            code = -999
        if code is None:
            return  # the app left; a later one adopts the child
        with self._ends_lock:
            self._ends.append((key, code))

    def _watch_adopted(self, job: Job, launch: Any) -> None:
        cancel = threading.Event()
        self._adopted[job.key] = cancel

        def gone() -> int | None:  # not our child: no exit status to read, only whether its pid still runs
            if launch.process_alive:  # its pid and start time, looked at afresh (no store read five times a second)
                cancel.wait(0.2)
                return None
            return CANCELLED_EXIT if cancel.is_set() else UNKNOWN_EXIT

        def watch() -> None:
            code = supervise(launch.pid, gone, cancel, self._stop)
            if code is not None:
                with self._ends_lock:
                    self._ends.append((job.key, None if code == UNKNOWN_EXIT else code))

        threading.Thread(target=watch, name=f"runner-adopted-{job.key}", daemon=True).start()

    # -- the UI thread ------------------------------------------------------------------------------------------

    def _tick(self) -> None:
        with self._ends_lock:
            ends, self._ends = self._ends, []
        for key, code in ends:
            job = self.job(key)
            self._children.pop(key, None)
            self._adopted.pop(key, None)
            if job is not None and job.active:
                self._settle(job, code)
            elif job is not None:  # ended already (its run read "cancelled" in the store): book how it ended
                self.book.finish(job.key, job.state if job.state in ("finished", "failed", "cancelled") else "failed",
                                 exit_code=code, error=job.error or None)
        if ends:
            self._next_poll_now = True
            self._start_next()
        if self.follow or self.jobs:
            self._follow_tick()

    def _settle(self, job: Job, exit_code: int | None) -> None:
        """A launch's process ended: its state from how it ended and what its runs say."""
        runs = self._runs_of(job)
        last = runs[-1] if runs else None
        cancelled = job.cancelling or exit_code == CANCELLED_EXIT or (last is not None and last.state == "cancelled")
        if exit_code == 0:
            state, error = "finished", ""
        elif cancelled:
            state, error = "cancelled", "cancelled from the runner"
        elif last is not None and last.state == "failed":
            state, error = "failed", last.error or "the stage failed"
        else:
            tail = log_tail(self.book.log_path(self.book.get(job.key)))
            if last is not None:
                tail = [text for _, text in self.store.run_log_tail(last, 6)] + tail[-6:]
            how = f"killed by signal {-exit_code}" if exit_code is not None and exit_code < 0 else (
                "ended" if exit_code is None else f"exited with status {exit_code}")
            state = "crashed" if exit_code is None or exit_code < 0 else "failed"
            error = f"the stage process {how}" + (f"; its last lines: {' | '.join(tail[-6:])}" if tail else "")
        self.book.finish(job.key, "failed" if state == "crashed" else state, exit_code=exit_code, error=error or None)
        for run in runs:  # what the last poll had not read yet: the final versions and progress, each run's end
            job.outputs.extend(o for o in (logged_version(v) for v in run.outputs()) if o not in job.outputs)
            _take_progress(job, run)
            self._fold_run_end(job, run)
        self._end(job, state, error)

    def _runs_of(self, job: Job) -> list[Any]:
        from core.errors import NotFoundError

        found = []
        for run_id in job.run_ids:
            try:
                found.append(self.store.run(job.project, run_id))
            except NotFoundError:
                continue
        if not found:  # the runs appeared after our last poll: look them up by group
            found = [r for r in reversed(self.store.runs(job.project)) if r.group == job.group]
            for run in found:
                if run.id not in job.run_ids:
                    job.run_ids.append(run.id)
        return found

    def _end(self, job: Job, state: str, error: str) -> None:
        job.state, job.ended_at = state, time.time()
        if error and not job.error:
            job.error = error
        if state == "finished":
            job.finish_progress()
            job.add_log(f"finished: {', '.join(job.versions_logged) or 'no new versions'}")
        else:
            job.add_log(f"{state}: {error}" if error else state)
        self._notify_end(job)
        self._publish(job)

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

    # -- what the store says ------------------------------------------------------------------------------------

    def _follow_tick(self) -> None:
        if self._polling:
            return  # a read is in flight: never two at once
        if self._poll_result is not None:
            update, self._poll_result = self._poll_result, None
            self._apply_follow(update)
        now = time.monotonic()
        interval = self.poll_interval if not self.running else max(self.poll_interval, BUSY_POLL_INTERVAL_S)
        if not self._next_poll_now and now - self._last_poll < interval or self.app is None:
            return
        self._next_poll_now = False
        self._last_poll = now
        recheck = now - self._last_recheck >= RECHECK_S
        if recheck:
            self._last_recheck = now
        followed = {run_id: Followed(f.project, f.last_step, f.last_line, f.last_system)
                    for run_id, f in self._followed.items()}
        groups = frozenset(g for g, job in self._by_group.items() if job.active or job.ended_at is None)
        self._polling = True
        since, self._since = self._since, time.time() - SINCE_MARGIN_S
        self.app.run_worker(partial(self._poll, self._token, followed, groups, recheck, since),
                            name="runner-follow", group="runner-follow", thread=True, exit_on_error=False)

    def _poll(self, token: int | None, followed: dict, groups: frozenset[str], recheck: bool, since: float) -> None:
        try:
            result = poll_store(self.store, token, followed, groups, recheck, since)
        except Exception:  # noqa: BLE001 - a busy or damaged store: the next poll tries again, from the same time
            result = None
            self._since = min(self._since, since)
        self._poll_result = result
        self._polling = False

    def _apply_follow(self, update: FollowUpdate) -> None:
        self._token = update.token
        for run in update.runs:
            job = self._by_group.get(run.group or "")
            if job is None:
                job = self._elsewhere_job(run)
                if job is None:
                    continue
            entry = self._followed.setdefault(run.id, Followed(run.project))
            if run.id not in job.run_ids:
                job.run_ids.append(run.id)
            if run.id not in self._run_seen:
                self._run_seen.add(run.id)
                job.start_stage(run.job_type or "run", run.id)
            if run.state == "running" and run.id == job.run_ids[-1]:
                job.stage, job.run_id = run.job_type or "run", run.id
            for _seq, text in update.lines.get(run.id, []):
                job.add_log(text)
            if update.lines.get(run.id):
                entry.last_line = update.lines[run.id][-1][0]
            rows = update.rows.get(run.id, [])
            if rows:
                job.apply_history(rows, log=job.origin == ELSEWHERE)
                entry.last_step = rows[-1]["_step"]
            system = update.system.get(run.id, [])
            if system:
                job.add_system(system)
                entry.last_system = system[-1]["_timestamp"]
            _take_progress(job, run)
            if run.state == "cancelled" and job.cancelling and job.active and job.origin == HERE:
                # the stage has stopped and logged nothing more: say so now, not when its process has exited
                self._fold_run_end(job, run)
                self._end(job, "cancelled", "cancelled from the runner")
            if run.state != "running":
                self._followed.pop(run.id, None)
                job.outputs.extend(o for o in update.outputs.get(run.id, []) if o not in job.outputs)
                self._fold_run_end(job, run)
                if job.origin == ELSEWHERE and job.follow_state(run.state, run.error or _ENDED.get(run.state)):
                    self._notify_end(job)
            self._publish(job)

    def _fold_run_end(self, job: Job, run: Any) -> None:
        if run.id in job.ended_runs:
            return
        job.ended_runs.add(run.id)
        if run.state == "finished" and job.progress is not None and job.progress.stage == run.job_type:
            job.finish_progress()
        job.add_log(f"── {run.job_type or 'run'}: {run.state}" + (f": {run.error}" if run.error else ""))

    def _elsewhere_job(self, run: Any) -> Job | None:
        """A run another process writes (not one of our launches): followed while it runs."""
        job = next((j for j in self.jobs if j.origin == ELSEWHERE and j.run_id == run.id), None)
        if job is not None or run.state != "running" or not self.follow:
            return job
        self._elsewhere_keys -= 1  # negative keys: never a launch id
        job = Job(key=self._elsewhere_keys, title=run.job_type or run.name, project=run.project, origin=ELSEWHERE,
                  state="running", stage=run.job_type or "", run_id=run.id,
                  started_at=run.created_at.timestamp(), epochs=_int_or_none(run.config.get("epochs")),
                  device=str(run.config.get("device") or ""), detail=f"pid {run.pid} on {run.host}")
        job.add_log(f"── {run.job_type or 'run'}: run {run.id} ({run.name}) found running in pid {run.pid} "
                    f"on {run.host}")
        self.jobs.append(job)
        return job


_ENDED = {"crashed": "its process stopped without finishing the run (no heartbeat, or the pid is gone)"}


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _take_progress(job: Job, run: Any) -> None:
    """The run's progress row as the job's (an ended run's too: a short stage may start and end between two polls,
    and its final row is what makes it read 100 %)."""
    if run.progress and run.job_type == job.stage:
        p = run.progress
        job.set_progress(Progress(job.stage, int(p.get("done", 0)), int(p.get("total", 0)),
                                  str(p.get("unit", "batch")), p.get("epoch")))

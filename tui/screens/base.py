"""What every screen that reads the store shares: store calls in thread workers, one place for their errors,
and the live refresh.

The store may be slow (a W&B server answers in seconds), so no screen calls it on the event loop. A screen says
`self.fetch(group, call, then)`: `call` runs in a thread worker (exclusive within its group, so a newer request
supersedes an older one), and `then(result)` runs on the event loop when it succeeds. Failures land in
`on_worker_state_changed`: a store locked by another process shows a message and the call is retried; any other
error becomes a notification (markup off: error messages can quote user strings).

Live refresh: while a screen is the current one it polls `store.change_token()` in a worker every
`app.poll_interval` seconds; when the token moves it calls `refresh_data()`, which each screen implements by
re-reading what it shows and merging it in place, so the selection stays put.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from tui.safe import safe_str

BUSY_RETRY_S = 1.0
LOADING_DELAY_S = 0.25  # a loading indicator only for calls slower than this (no flicker on fast stores)


@dataclass
class _Job:
    group: str
    call: Callable[[], Any]
    then: Callable[[Any], None] | None
    loading: Widget | None
    exclusive: bool
    on_error: Callable[[BaseException], None] | None


def describe_error(error: BaseException) -> str:
    """One line for a failed store call: the message of our own errors, the class name for others."""
    from core.errors import ArtifactsError

    message = str(error) or type(error).__name__
    if not isinstance(error, ArtifactsError):
        message = f"{type(error).__name__}: {message}"
    return safe_str(message)


class StoreScreen(Screen):
    """A screen over `self.store`; subclasses implement `refresh_data()`."""

    def __init__(self, store: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store
        self._jobs: dict[Worker, _Job] = {}
        self._token: int | None = None
        self._busy_notified = False

    # ----- store calls -------------------------------------------------------------------------------------

    def fetch(
        self,
        group: str,
        call: Callable[[], Any],
        then: Callable[[Any], None] | None = None,
        *,
        loading: Widget | None = None,
        exclusive: bool = True,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Worker:
        """Run `call()` (a store call) in a thread worker; `then(result)` on the event loop when it succeeds."""
        return self._start(_Job(group, call, then, loading, exclusive, on_error))

    def _start(self, job: _Job) -> Worker:
        if job.exclusive:
            # Textual cancels the group's workers; one cancelled before its thread started never reports a final
            # state, so forget them here (and their loading indicators) rather than wait for an event.
            for old in [w for w, j in self._jobs.items() if j.group == job.group]:
                self._forget(old)
        worker = self.run_worker(
            job.call, name=job.group, group=job.group, thread=True, exclusive=job.exclusive, exit_on_error=False
        )
        self._jobs[worker] = job
        if job.loading is not None:
            self.set_timer(LOADING_DELAY_S, lambda: self._show_loading(worker))
        return worker

    def _show_loading(self, worker: Worker) -> None:
        job = self._jobs.get(worker)
        if job is not None and job.loading is not None:
            job.loading.loading = True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        job = self._jobs.get(event.worker)
        if job is None or event.state in (WorkerState.PENDING, WorkerState.RUNNING):
            return
        self._forget(event.worker)
        if event.state == WorkerState.SUCCESS:
            if self._busy_notified and job.group != "poll":
                self._busy_notified = False
                self.notify("The store is free again.", timeout=2)
            if job.then is not None:
                job.then(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self._failed(job, event.worker.error)

    def _forget(self, worker: Worker) -> None:
        """Drop `worker`'s job; its widget stops loading unless another pending job still loads into it."""
        job = self._jobs.pop(worker, None)
        if job is None or job.loading is None:
            return
        if job.loading.loading and not any(j.loading is job.loading for j in self._jobs.values()):
            job.loading.loading = False

    def _failed(self, job: _Job, error: BaseException | None) -> None:
        from core.errors import StoreBusyError

        if isinstance(error, StoreBusyError):
            if not self._busy_notified:
                self._busy_notified = True
                self.notify(
                    "The store is locked by another process; retrying…", title="Store busy", severity="warning",
                    markup=False, timeout=BUSY_RETRY_S * 3,
                )
            self.set_timer(BUSY_RETRY_S, lambda: self._start(job))
            return
        if error is None:
            return
        if job.on_error is not None:
            job.on_error(error)
            return
        self.notify(describe_error(error), title="Store error", severity="error", markup=False)

    # ----- live refresh --------------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_interval(getattr(self.app, "poll_interval", 0.5), self._poll)

    def on_screen_resume(self) -> None:
        self._poll()

    def _poll(self) -> None:
        if not self.is_current or any(j.group == "poll" for j in self._jobs.values()):
            return
        self.fetch("poll", self.store.change_token, self._token_read, on_error=lambda _error: None)

    def _token_read(self, token: int) -> None:
        if self._token is None:
            self._token = token
            return
        if token != self._token:
            self._token = token
            self.refresh_data()

    def remember_token(self) -> None:
        """Note the store's current token at the next poll without refreshing (after a full load)."""
        self._token = None

    def refresh_data(self) -> None:  # pragma: no cover - every screen implements it
        raise NotImplementedError

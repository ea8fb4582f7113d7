"""How screens and dialogs call the store: in thread workers, with one place for their errors; and the live
refresh every screen that shows the store shares.

The store may be slow (a W&B server answers in seconds), so nothing calls it on the event loop. A screen or modal
that mixes in `StoreCalls` says `self.fetch(group, call, then)`: `call` runs in a thread worker (exclusive within
its group, so a newer request supersedes an older one), and `then(result)` runs on the event loop when it succeeds.
Failures land in `on_worker_state_changed`: a store locked by another process shows a message and the call is
retried (`on_busy` lets a dialog say so where the user is looking); any other error goes to the call's `on_error`,
else becomes a notification (markup off, control characters made visible: error messages can quote user strings).

Live refresh (`StoreScreen`): while a screen is the current one it polls `store.change_token()` in a worker every
`app.poll_interval` seconds; when the token moves it calls `refresh_data()`, which each screen implements by
re-reading what it shows and merging it in place, so the selection stays put.

A head start (`Prefetch`): a read a screen needs for its first frame can start in a thread when the screen is made;
at mount the screen shows it at once when it is there, else fetches it the usual way (`Prefetch.result`).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import events
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from core.errors import StoreBusyError
from tui.format import describe_error
from tui.safe import safe_str

BUSY_RETRY_S = 1.0
LOADING_DELAY_S = 0.25  # a loading indicator only for calls slower than this (no flicker on fast stores)
FRAME_TURN_S = 0.005  # a screen refresh waits a loop turn when the screen has not given one for this long
# That turn is a timer, not sleep(0): what sleep(0) resumes runs next turn before the timers then due (Textual's
# own, a poll); a timer resumes after them, and after the keys the terminal's thread handed over meanwhile.
TURN_PAUSE_S = 0.0001


@dataclass
class _Job:
    group: str
    call: Callable[[], Any]
    then: Callable[[Any], Any] | None
    loading: Widget | None
    exclusive: bool
    on_error: Callable[[BaseException], None] | None
    on_busy: Callable[[], None] | None


class Prefetch:
    """`call()` started in a thread when the screen is made, so that its result is there when the screen mounts and
    the first frame already shows it (instead of an empty frame, then a second one). Only a head start: a failure
    is not reported here, the screen reads again the usual way (`StoreCalls.fetch`), where errors are shown."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._call = call
        self._done = threading.Event()
        self._result: Any = None
        self._ok = False
        threading.Thread(target=self._run, name="prefetch", daemon=True).start()

    def _run(self) -> None:
        try:
            self._result, self._ok = self._call(), True
        except BaseException:  # noqa: BLE001 - read again where errors are shown
            pass
        finally:
            self._done.set()

    def ready(self) -> bool:
        return self._done.is_set() and self._ok

    def result(self) -> Any:
        """The result (waiting for it), or `call()` again when the head start failed (in a worker thread)."""
        self._done.wait()
        return self._result if self._ok else self._call()


class StoreCalls:
    """Store calls in thread workers for a `Screen` or `ModalScreen` (mix in before it): `fetch` and the one
    failure path. The class it is mixed into provides `run_worker`, `set_timer` and `notify`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._jobs: dict[Worker, _Job] = {}
        self._latest: dict[str, _Job] = {}  # the newest call of each group: only it is retried
        self._busy_notified = False

    def fetch(
        self,
        group: str,
        call: Callable[[], Any],
        then: Callable[[Any], Any] | None = None,
        *,
        loading: Widget | None = None,
        exclusive: bool = True,
        on_error: Callable[[BaseException], None] | None = None,
        on_busy: Callable[[], None] | None = None,
    ) -> Worker:
        """Run `call()` (a store call) in a thread worker; `then(result)` (awaited when it is a coroutine) on the
        event loop when it succeeds. `on_error(error)` replaces the error notification; `on_busy()` runs each time
        a locked store delays the call."""
        return self._start(_Job(group, call, then, loading, exclusive, on_error, on_busy))

    def fetching(self, *groups: str) -> bool:
        """Whether a call of one of `groups` is under way."""
        return any(job.group in groups for job in self._jobs.values())

    def _start(self, job: _Job) -> Worker:
        if job.exclusive:
            # Textual cancels the group's workers; one cancelled before its thread started never reports a final
            # state, so forget them here (and their loading indicators) rather than wait for an event.
            for old in [w for w, j in self._jobs.items() if j.group == job.group]:
                self._forget(old)
        self._latest[job.group] = job
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

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        job = self._jobs.get(event.worker)
        if job is None or event.state in (WorkerState.PENDING, WorkerState.RUNNING):
            return
        self._forget(event.worker)
        if event.state == WorkerState.SUCCESS:
            if self._busy_notified and job.group != "poll":
                self._busy_notified = False
                self.notify("The store is free again.", timeout=2)
            if job.then is not None:
                shown = job.then(event.worker.result)
                if inspect.isawaitable(shown):
                    await shown
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
        if isinstance(error, StoreBusyError):
            if not self._busy_notified:
                self._busy_notified = True
                self.notify(
                    "The store is locked by another process; retrying…", title="Store busy", severity="warning",
                    markup=False, timeout=BUSY_RETRY_S * 3,
                )
            if job.on_busy is not None:
                job.on_busy()
            self.set_timer(BUSY_RETRY_S, lambda: self._retry(job))
            return
        if error is None:
            return
        if job.on_error is not None:
            job.on_error(error)
        else:
            self.show_error(error)

    def show_error(self, error: BaseException) -> None:
        """The notification of a failed store call (an `on_error` that handles only some errors ends here)."""
        self.notify(safe_str(describe_error(error)), title="Store error", severity="error", markup=False)

    def _retry(self, job: _Job) -> None:
        # A newer call of the same group superseded this one while it waited: retrying it would undo that.
        if not job.exclusive or self._latest.get(job.group) is job:
            self._start(job)


class StoreScreen(StoreCalls, Screen):
    """A screen over `self.store`, refreshed live; subclasses implement `refresh_data()`."""

    def __init__(self, store: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store
        self._token: int | None = None
        self._resumed = False
        self._turn_began = 0.0  # when this screen last gave the event loop a turn (see on_event)

    # ----- taking turns -----------------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        # Textual handles a screen's queued messages in one go, without going back to the event loop: at start the
        # styling of the whole screen and its first full drawing ran as one 40-55 ms turn, with keys, timers and
        # workers' results waiting behind it. A refresh (a Callback) that comes after FRAME_TURN_S of work now
        # waits one loop turn (TURN_PAUSE_S) instead.
        if isinstance(event, events.Callback) and time.perf_counter() - self._turn_began > FRAME_TURN_S:
            await asyncio.sleep(TURN_PAUSE_S)
            self._turn_began = time.perf_counter()
        await super().on_event(event)

    # ----- live refresh --------------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_interval(getattr(self.app, "poll_interval", 0.5), self._poll)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed:
            # Its first resume comes right after it was mounted, and so styled: Textual would restyle every widget
            # again (10-25 ms of the explorer's start, in one turn). Later resumes (back from a dialog) still do.
            self._resumed = True
            event.refresh_styles = False
        self._poll()

    @property
    def visible(self) -> bool:
        """Whether the user can see this screen: the top one, or one that shows through the screens above it.
        (Textual's `is_current` also counts the screen right under an opaque one: the explorer under the runner
        would re-read the store at every change a training makes.)"""
        stack = self.app.screen_stack
        if self not in stack:
            return False
        return all(screen.styles.background.a < 1 for screen in stack[stack.index(self) + 1:])

    def _poll(self) -> None:
        if not self.visible or self.fetching("poll"):
            return
        self.fetch("poll", self.store.change_token, self._token_read, on_error=lambda _error: None)

    def _token_read(self, token: int) -> None:
        if self._token is None:
            self._token = token
            return
        if token != self._token:
            self._token = token
            self.refresh_data()

    def refresh_data(self) -> None:  # pragma: no cover - every screen implements it
        raise NotImplementedError

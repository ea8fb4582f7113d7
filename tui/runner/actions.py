"""How the app plugs the runner in: one `JobQueue` per app, and the actions its bindings and commands call.

`tui/app.py` stays small: it installs the queue (`install_runner`) once its first screen is up, or when `app.jobs` is
asked for sooner, and binds keys to the functions here
(`r` opens the launch form, another key the runner, quitting goes through `quit_or_confirm`); the command palette
lists those bindings by itself. The runner's own screens need none of this: they take the store and the queue.
"""

from __future__ import annotations

import os
from typing import Any

from tui.runner.launch_request import LaunchRequest
from tui.runner.job_view import Job
from tui.runner.queue import JobQueue

__all__ = ["install_runner", "open_launch", "open_runner", "quit_or_confirm", "start_tutorial"]



def install_runner(app: Any, store: Any = None, *, download_root: str | os.PathLike[str] | None = None,
                   **options: Any) -> JobQueue:
    """Give `app` its job queue as `app.jobs` and start it (call from `on_mount`, when timers can run).

    Idempotent: an app that has a queue keeps it (a `download_root` given later replaces the queue's).
    """
    existing = _installed(app)
    if existing is not None:
        if download_root is not None:
            existing.download_root = download_root
        return existing
    jobs = JobQueue(store if store is not None else app.store, download_root=download_root, **options)
    jobs.attach(app)
    app.jobs = jobs
    return jobs


def _installed(app: Any) -> JobQueue | None:
    """The app's queue when it has one (not `getattr`: ArtifactsApp installs it on a first `app.jobs`)."""
    jobs = vars(app).get("jobs")
    return jobs if isinstance(jobs, JobQueue) else None


def _jobs(app: Any) -> JobQueue:
    return _installed(app) or install_runner(app)


def open_runner(app: Any) -> None:
    """Show the runner (or stay on it)."""
    from tui.screens.runner import RunnerScreen

    if isinstance(app.screen, RunnerScreen):
        return
    jobs = _jobs(app)
    app.push_screen(RunnerScreen(jobs.store, jobs))


def open_launch(app: Any, initial: LaunchRequest | None = None) -> None:
    """The launch form (as the last launch left it, each stage as its own last launch did); a launched request is
    queued and the runner opens on it."""
    from tui.screens.launch import LaunchScreen

    jobs = _jobs(app)

    def launched(request: LaunchRequest | None) -> None:
        if request is not None:
            jobs.submit(request)
            open_runner(app)

    app.push_screen(LaunchScreen(jobs.store, initial or jobs.last_request, jobs.remembered), launched)


def start_tutorial(app: Any, dataset: str = "digits") -> Job:
    """The whole tutorial pipeline on `dataset` with default settings (the empty store's one-key start)."""
    job = _jobs(app).submit(LaunchRequest(dataset=dataset))
    open_runner(app)
    return job


def quit_or_confirm(app: Any) -> None:
    """Quit now when no run is active; otherwise ask, and on yes cancel the runs, let them end, then quit."""
    from tui.screens.quit_confirm import QuitConfirmScreen

    jobs = _installed(app)
    if jobs is None or not jobs.active:
        app.exit()
        return
    if isinstance(app.screen, QuitConfirmScreen):
        return

    async def cancel_and_exit() -> None:
        await jobs.shutdown(cancel=True)
        app.exit()

    def answered(choice: str | None) -> None:
        if choice == "cancel":
            app.run_worker(cancel_and_exit(), name="runner-quit", group="runner-quit")
        elif choice == "leave":
            jobs.detach()  # the stages run on in their own processes; the next TUI adopts them
            app.exit()

    app.push_screen(QuitConfirmScreen(jobs.active), answered)


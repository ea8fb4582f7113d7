"""What the runner's tests share: a small app hosting the runner as ArtifactsApp does (for tests of the runner
screen alone; the end-to-end test drives ArtifactsApp itself), a bounded wait, and the screen as text."""

from __future__ import annotations

import time
from pathlib import Path

from textual.app import App

import tui
from tui.runner.actions import install_runner, quit_or_confirm
from tui.screens.runner import RunnerScreen

RUNNER_CSS = Path(tui.__file__).parent / "styles" / "runner.tcss"
PROJECT = "artifacts-example"


class RunnerApp(App):
    """The runner as ArtifactsApp will host it: the queue installed on mount, quitting through the confirmation."""

    CSS_PATH = [RUNNER_CSS]
    BINDINGS = [("q", "quit_runner", "Quit")]

    def __init__(self, store, download_root: Path, **queue_options) -> None:
        super().__init__()
        self.store = store
        self.download_root = download_root
        self.queue_options = queue_options

    def on_mount(self) -> None:
        install_runner(self, self.store, download_root=self.download_root, **self.queue_options)
        self.push_screen(RunnerScreen(self.store, self.jobs))

    def action_quit_runner(self) -> None:
        quit_or_confirm(self)


async def wait_until(pilot, condition, *, timeout: float = 60.0, what: str = "condition") -> None:
    """Let the app run until `condition()` holds (bounded: fails after `timeout` seconds of app time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def wait_for_notification(pilot, predicate, *, what: str = "a notification") -> None:
    """Wait until a toast matching `predicate(notification)` has been posted (notify() delivers it as a message)."""
    await wait_until(pilot, lambda: any(predicate(n) for n in pilot.app._notifications), timeout=30, what=what)


def screen_text(app) -> str:
    """The screen as plain text, one line per row (what a user reads, colours aside)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)

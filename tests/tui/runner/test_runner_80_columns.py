"""In an 80-column pane every runner column reads whole (the versions a pipeline logged, "ep 13/20 62%"), and so do
the quit dialog's three answers."""

from __future__ import annotations

from core.pipeline.events import LoggedVersion, Progress
from tests.helpers.runner import RunnerApp, screen_text, wait_until
from tui.runner.job_view import Job
from tui.screens.quit_confirm import QuitConfirmScreen

PIPELINE_OUTPUTS = ("mnist-raw", "mnist-preprocess", "convnet", "trained-model")


def _jobs(app) -> tuple[Job, Job]:
    finished = Job(key=1, title="pipeline on digits", project="artifacts-example", state="finished", epochs=20)
    finished.outputs = [LoggedVersion("artifacts-example", name, "v0", "model") for name in PIPELINE_OUTPUTS]
    finished.stage = "train"
    finished.set_progress(Progress("train", 940, 940, "batch", 19))
    training = Job(key=12, title="train", project="artifacts-example", state="running", epochs=20, stage="train")
    training.set_progress(Progress("train", 583, 940, "batch", 12))
    for job in (finished, training):
        app.jobs.jobs.append(job)
        app.jobs._publish(job)
    return finished, training


async def test_runner_columns_and_the_quit_dialog_read_whole_at_80_columns(store, tmp_path):
    app = RunnerApp(store, tmp_path / "downloads", follow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        _jobs(app)
        await pilot.pause()
        rows = screen_text(app).splitlines()
        finished = next(line for line in rows if "pipeline on digits" in line)
        training = next(line for line in rows if line.lstrip().startswith("12 "))
        assert "ep 20/20 100%" in finished and "trained-model:v0 +3" in finished  # the newest, and how many more
        assert "ep 13/20 62%" in training and "● running" in training
        assert all(len(line.rstrip()) <= 80 for line in rows)

        answers: list = []
        app.push_screen(QuitConfirmScreen(app.jobs.jobs[1:]), answers.append)
        await wait_until(pilot, lambda: isinstance(app.screen, QuitConfirmScreen), what="the quit dialog")
        await pilot.pause()
        buttons = next(line for line in screen_text(app).splitlines() if "Stay (esc)" in line)
        assert "Quit, leave running (l)" in buttons and "Quit, cancel runs (c)" in buttons
        await pilot.press("escape")
        await wait_until(pilot, lambda: answers == [None], what="the dialog to answer 'stay'")

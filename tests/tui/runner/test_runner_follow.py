"""Runs written by another process show up in the runner as running, their chart follows their `run.log` rows live
without a key press, and a process that dies shows as crashed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.helpers.runner import RunnerApp, screen_text, wait_for_notification, wait_until
from tui.widgets.loss_chart import LossChart

# A training script in its own process: logs a row every 50 ms until told to stop (a file appears).
WRITER = textwrap.dedent("""
    import pathlib, sys, time
    import core

    store = core.open_store(sys.argv[1])
    stop = pathlib.Path(sys.argv[2])
    with core.init(project="elsewhere", job_type="train", config={"epochs": 3, "device": "cpu"}, store=store) as run:
        step = 0
        while not stop.exists() and step < 200_000:
            step += 64
            run.log({"train/loss": 100.0 / step, "epoch": 0, sys.argv[3]: 1.0}, step=step)
            time.sleep(0.05)
        run.log({"validation/loss": 0.5, "validation/accuracy": 90.0, "epoch": 0}, step=step)
        model = core.Artifact("elsewhere-model", type="model")
        with model.new_file("weights.txt", mode="w") as f:
            f.write("trained")
        run.log_artifact(model)
""")
EVIL_METRIC = "[@click=app.quit]loss\x1b[2J\u202e"


@pytest.fixture
def writer(store, tmp_path):
    stop = tmp_path / "stop"
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(store.root), str(stop), EVIL_METRIC])
    yield process, stop
    stop.touch()
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


def _followed(app):
    return [job for job in app.jobs.jobs if job.origin == "elsewhere"]


@pytest.mark.slow
async def test_run_of_another_process_appears_and_its_chart_grows_without_a_key(store, tmp_path, writer):
    process, stop = writer
    app = RunnerApp(store, tmp_path / "downloads")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: _followed(app), timeout=30, what="the other process's run")
        (job,) = _followed(app)
        assert job.state == "running" and job.project == "elsewhere" and job.stage == "train"
        chart = app.screen.query_one("#runner-loss", LossChart)
        await wait_until(pilot, lambda: len(chart.series.get("train/loss", [])) >= 3, timeout=30,
                         what="the first points")
        seen = len(chart.series["train/loss"])
        await wait_until(pilot, lambda: len(chart.series["train/loss"]) >= seen + 5, timeout=30,
                         what="more points, with no key pressed")
        text = screen_text(app)
        assert "running" in text and "(elsewhere)" in text and f"pid {process.pid}" in text

        # The metric name came from that process: shown literally, its escape and bidi characters made visible.
        assert "loss␛[2J<U+202E>" in text
        assert "\x1b" not in text and "\u202e" not in text
        assert app.is_running  # "[@click=app.quit]" was not taken as markup

        stop.touch()
        await wait_until(pilot, lambda: job.state == "finished", timeout=30, what="the run to finish")
        await wait_until(pilot, lambda: "validation/loss" in chart.series, timeout=10, what="its last rows charted")
        assert chart.series["validation/loss"][-1][1] == 0.5
        assert job.versions_logged == ["elsewhere-model:v0"]
        await wait_for_notification(pilot, lambda n: "finished" in n.message and "elsewhere-model:v0" in n.message)
        await wait_until(pilot, lambda: "elsewhere-model:v0" in screen_text(app), what="the version on screen")


@pytest.mark.slow
async def test_a_followed_run_whose_process_dies_shows_as_crashed(store, tmp_path, writer):
    process, _stop = writer
    app = RunnerApp(store, tmp_path / "downloads")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: _followed(app), timeout=30, what="the other process's run")
        (job,) = _followed(app)
        process.kill()
        process.wait(timeout=30)
        await wait_until(pilot, lambda: job.state == "crashed", timeout=30, what="the run to show as crashed")
        await wait_until(pilot, lambda: "✗ crashed" in screen_text(app), what="the runner to show it")
        await wait_for_notification(pilot, lambda n: n.severity == "error" and "crashed" in n.message)
        assert "stopped without finishing" in job.error

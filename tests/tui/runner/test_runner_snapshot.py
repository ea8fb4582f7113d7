"""SVG snapshot of the runner at 80x24 (a tmux pane): a finished training job with its charts (loss, accuracy and the
system samples of a CPU machine), progress and log.

Deterministic: the job is built from fixed events and times (no training runs). Update with
`pytest tests/tui/runner/test_runner_snapshot.py --snapshot-update` and look at the SVG before committing it.
"""

from __future__ import annotations

import math

from core.pipeline.events import LoggedVersion, LogLine, Metrics, Progress, StageFinished, StageStarted
from tests.helpers.runner import RunnerApp
from tui.runner.job_view import Job


def _finished_training(app) -> None:
    queue = app.jobs
    job = Job(key=1, title="train", project="artifacts-example", state="running", epochs=3,
              started_at=1_700_000_000.0, device="cpu")
    queue.jobs.append(job)
    job.apply(StageStarted("train", "artifacts-example", "k2v9x7qa", ("mnist-preprocess:v0", "convnet:v0")))
    for batch in range(1, 115):
        step = batch * 32
        if batch % 5 == 1:
            loss = 2.3 * math.exp(-batch / 40) + 0.15 + 0.08 * math.sin(batch)
            job.apply(Metrics("train", step, {"train/loss": loss, "epoch": (batch - 1) // 38}))
            job.apply(LogLine("train", f"Train Epoch: {(batch - 1) // 38} [{step % 1197}/1197]  Loss: {loss:.6f}"))
        if batch % 38 == 0:
            epoch = batch // 38 - 1
            job.apply(Metrics("train", step, {"validation/loss": 1.2 / (epoch + 1), "epoch": epoch,
                                              "validation/accuracy": 60 + 12 * epoch}))
    job.add_system([{"_timestamp": 1_700_000_000.0 + 5 * i, "system/cpu_percent": 96.0 + 3 * math.sin(i),
                     "system/rss_mb": 700.0 + 4 * i, "system/memory_percent": 3.0 + 0.02 * i}
                    for i in range(10)])
    job.set_progress(Progress("train", 114, 114, "batch", 2))
    job.apply(StageFinished("train", "artifacts-example", "k2v9x7qa",
                            (LoggedVersion("artifacts-example", "trained-model", "v0", "model", ("latest",)),)))
    job.state, job.ended_at = "finished", 1_700_000_047.0
    queue._publish(job)


def test_runner_80x24(store, tmp_path, snap_compare):
    async def run_before(pilot):
        _finished_training(pilot.app)
        await pilot.pause()
        await pilot.pause(0.1)
        await pilot.pause()

    app = RunnerApp(store, tmp_path / "downloads", follow=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

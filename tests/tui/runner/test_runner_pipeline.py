"""The runner end to end on the digits dataset: launch from the form, watch progress and the chart grow, see the
versions and the hardest examples when it ends; cancel a training; a stage that raises leaves the app running."""

from __future__ import annotations

import os
import re

import pytest
from textual.widgets import DataTable, Input

from tests.helpers.runner import PROJECT, RunnerApp, screen_text, wait_for_notification, wait_until
from tui.app import ArtifactsApp
from tui.screens.launch import LaunchScreen
from tui.widgets.image_grid import ImageGrid
from tui.widgets.loss_chart import LossChart

pytestmark = pytest.mark.slow  # each test trains, or runs stages, through the app


def _collections(store) -> set[str]:
    return {c.name for c in store.collections(PROJECT)}


async def test_pipeline_on_digits_streams_progress_and_chart_then_shows_versions_and_examples(store, tmp_path,
                                                                                              monkeypatch):
    # The app itself, wired as `artifacts-tui` opens it: downloads land in ./artifacts, here the test's own directory.
    monkeypatch.chdir(tmp_path)
    from tui.screens.explorer import ExplorerScreen
    from tui.screens.runner import RunnerScreen
    from tui.widgets.artifact_tree import ArtifactTree

    app = ArtifactsApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ExplorerScreen), what="the explorer")
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, LaunchScreen) and app.screen.query("#launch-start"),
                         what="the launch form")
        form = app.screen
        form.query_one("#launch-epochs", Input).value = "3"  # training lasts a few polls also on a busy machine
        form.query_one("#launch-batch-size", Input).value = "32"
        form.query_one("#launch-interval", Input).value = "2"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, RunnerScreen), what="the runner")
        (job,) = app.jobs.jobs
        assert job.request.stage == "pipeline" and job.request.dataset == "digits"

        chart = app.screen.query_one("#runner-loss", LossChart)
        seen: list[str] = []

        def training_on_screen() -> bool:
            if job.stage != "train" or len(chart.series.get("train/loss", [])) < 3:
                return False
            seen.append(screen_text(app))
            return "batches" in seen[-1]

        await wait_until(pilot, training_on_screen, timeout=90, what="training progress and chart points")
        text = seen[-1]
        assert "ETA" in text and "device cpu" in text and re.search(r"epoch [123]/3", text)
        assert "loss  ⠤⠤ train" in text  # the chart's legend, over a braille line
        steps = [x for x, _ in chart.series["train/loss"]]
        assert steps == sorted(steps) and steps[0] > 0  # examples seen

        await wait_until(pilot, lambda: not job.active, timeout=90, what="the pipeline to end")
        assert job.state == "finished", job.error
        assert set(job.versions_logged) == {"mnist-raw:v0", "mnist-preprocess:v0", "convnet:v0", "trained-model:v0"}
        # every stage of the pipeline appeared, the short ones too, in the order they ran, each a run of its own
        stages = [line.split(":")[0].strip("─ ") for line in job.log if line.startswith("── ") and "started" in line]
        assert stages == ["load-data", "preprocess-data", "initialize", "train", "report"]
        assert len(job.run_ids) == 5
        await wait_for_notification(pilot, lambda n: "trained-model:v0" in n.message and "finished" in n.message)
        assert len(chart.series["validation/loss"]) == 3  # one per epoch
        accuracy = app.screen.query_one("#runner-accuracy", LossChart)
        assert list(accuracy.series) == ["validation/accuracy"]

        # The report's hardest examples appear as captioned half-block images.
        grid = app.screen.query_one(ImageGrid)
        await wait_until(pilot, lambda: len(grid.tiles) == 32, what="the 32 hardest examples")
        report = next(r for r in store.runs(PROJECT) if r.job_type == "report")
        (row,) = [r for r in store.history(report.id) if "high-loss-examples" in r]
        assert [t.caption for t in grid.tiles] == [i["caption"] for i in row["high-loss-examples"]]
        assert all(t.pixels for t in grid.tiles)
        await wait_until(pilot, lambda: "▀" in screen_text(app), what="the images on screen")
        assert grid.tiles[0].caption in screen_text(app)
        assert "finished" in str(app.screen.query_one(DataTable).get_cell("1", "state"))

        # Back in the explorer, the new collections are in the tree.
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ExplorerScreen), what="the explorer")
        tree = app.screen.query_one(ArtifactTree)

        def labels() -> str:
            return " ".join(tree.get_node_at_line(i).label.plain for i in range(tree.last_line + 1))

        await wait_until(pilot, lambda: "trained-model" in labels() and "mnist-preprocess" in labels(),
                         what="the new versions in the explorer")
        assert "artifacts-example" in labels()


async def test_cancel_stops_training_and_logs_no_trained_model(prepared_store, tmp_path):
    store = prepared_store
    app = RunnerApp(store, tmp_path / "downloads")
    async with app.run_test(size=(80, 24)) as pilot:
        from tui.runner.launch_request import LaunchRequest

        job = app.jobs.submit(LaunchRequest(stage="train", train_config={"epochs": 50, "batch_size": 32}))
        await wait_until(pilot, lambda: job.progress is not None and job.progress.done >= 2, timeout=60,
                         what="training to start")
        await pilot.press("c")
        await wait_until(pilot, lambda: not job.active, timeout=30, what="the cancelled job to end")
        assert job.state == "cancelled"
        (run,) = [r for r in store.runs(PROJECT) if r.job_type == "train"]
        assert run.state == "cancelled"
        assert "trained-model" not in _collections(store)
        assert run.outputs() == []
        assert job.progress.done < job.progress.total
        await wait_for_notification(pilot, lambda n: "cancelled" in n.message)
        await wait_until(pilot, lambda: "■ cancelled" in screen_text(app), what="the runner to show it")


async def test_stage_that_raises_fails_its_run_and_the_app_carries_on(prepared_store, tmp_path):
    import core

    store = prepared_store
    # A convnet whose metadata no ConvNet can be built from: the train stage raises inside its run.
    with core.init(project=PROJECT, job_type="tamper", store=store) as run:
        bad = core.Artifact("convnet", type="model", metadata={"activation": "NoSuchActivation"})
        with bad.new_file("initialized_model.pth", mode="wb") as f:
            f.write(b"not a checkpoint")
        run.log_artifact(bad)

    app = RunnerApp(store, tmp_path / "downloads")
    async with app.run_test(size=(80, 24)) as pilot:
        from tui.runner.launch_request import LaunchRequest

        job = app.jobs.submit(LaunchRequest(stage="train", train_config={"epochs": 1}))
        await wait_until(pilot, lambda: not job.active, timeout=60, what="the failing job to end")
        assert job.state == "failed"
        assert "NoSuchActivation" in job.error
        (train_run,) = [r for r in store.runs(PROJECT) if r.job_type == "train"]
        assert train_run.state == "failed"
        await wait_until(pilot, lambda: "NoSuchActivation" in screen_text(app), what="the error on screen")
        await wait_for_notification(pilot, lambda n: n.severity == "error" and "NoSuchActivation" in n.message)

        # Still responsive: the form opens and closes, and the next job runs.
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, LaunchScreen) and app.screen.query("#launch-start"),
                         what="the launch form")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LaunchScreen), what="the form to close")
        second = app.jobs.submit(LaunchRequest(stage="initialize"))
        await wait_until(pilot, lambda: not second.active, timeout=60, what="the next job")
        assert second.state == "finished"


async def test_an_unexpected_exception_is_caught_and_queued_jobs_still_run(store, tmp_path, monkeypatch):
    from tui.runner.launch_request import LaunchRequest

    # a stage that raises what no stage should: the child process runs it, so it is a user stage of the child's
    (tmp_path / "exploding_stage.py").write_text(
        "from core.pipeline import stage\n\n"
        "@stage('explode')\n"
        "def explode(run, inputs, config):\n"
        "    raise ZeroDivisionError('division by zero in a stage')\n")
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}:{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.setenv("ARTIFACTS_TUI_STAGES", "exploding_stage:explode")
    import tui.runner.launch_request as launch_request

    monkeypatch.setattr(launch_request, "_catalog", None)  # read the stages again (restored after the test)
    launch_request.stage_catalog()
    app = RunnerApp(store, tmp_path / "downloads")
    async with app.run_test(size=(80, 24)) as pilot:
        first = app.jobs.submit(LaunchRequest(stage="explode"))
        second = app.jobs.submit(LaunchRequest(stage="initialize"))
        assert second.state == "queued"
        await wait_until(pilot, lambda: not second.active, timeout=60, what="both jobs")
        assert first.state == "failed" and first.error == "ZeroDivisionError: division by zero in a stage"
        assert second.state == "finished" and second.versions_logged == ["convnet:v0"]


async def test_quitting_with_an_active_run_asks_and_cancels_it(prepared_store, tmp_path):
    from tui.runner.launch_request import LaunchRequest
    from tui.screens.quit_confirm import QuitConfirmScreen

    store = prepared_store
    app = RunnerApp(store, tmp_path / "downloads")
    async with app.run_test(size=(80, 24)) as pilot:
        job = app.jobs.submit(LaunchRequest(stage="train", train_config={"epochs": 50, "batch_size": 32}))
        queued = app.jobs.submit(LaunchRequest(stage="report"))
        await wait_until(pilot, lambda: job.progress is not None, timeout=60, what="training to start")
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitConfirmScreen), what="the question")
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, QuitConfirmScreen), what="the answer")
        assert job.state == "running" and app.is_running
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitConfirmScreen), what="the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: job.state == "cancelled", timeout=30, what="the run to be cancelled")
    assert queued.state == "cancelled"
    assert [r.state for r in store.runs(PROJECT) if r.job_type == "train"] == ["cancelled"]
    assert not [r for r in store.runs(PROJECT) if r.job_type == "report"]

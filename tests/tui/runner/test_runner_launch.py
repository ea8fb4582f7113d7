"""The launch form: inputs offered from the store (any alias or version), settings validated before anything runs,
ctrl+s starts (enter only moves between fields: a fresh form never launches on enter), a stage whose input is
missing is refused with what to run first, and each stage's fields come back as its last launch left them."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select

from tests.helpers.runner import RunnerApp, screen_text, wait_until
from tui.runner.launch_request import LaunchRequest
from tui.screens.launch import LaunchScreen


async def _open_form(app, pilot, initial=None):
    results: list = []
    app.push_screen(LaunchScreen(app.store, initial), results.append)
    await wait_until(pilot, lambda: isinstance(app.screen, LaunchScreen) and app.screen.query("#launch-start"),
                     what="the form")
    return app.screen, results


@pytest.mark.slow
async def test_form_offers_aliases_and_versions_and_returns_a_validated_request(prepared_store, tmp_path):
    store = prepared_store
    # A second convnet version and an alias on the first, to choose from.
    convnet_v0 = store.artifact("convnet:v0", project="artifacts-example")
    store.add_alias(convnet_v0, "baseline")
    from tui.runner.launch_request import run_request

    run_request(LaunchRequest(stage="initialize", train_config={"seed": 1}), store=store)
    app = RunnerApp(store, tmp_path / "downloads")
    async with app.run_test(size=(80, 24)) as pilot:
        form, results = await _open_form(app, pilot, LaunchRequest(stage="train"))
        await wait_until(pilot, lambda: form.query("#launch-input-convnet")
                         and form.query_one("#launch-input-convnet", Select).value != Select.NULL,
                         what="the input choices")
        convnet = form.query_one("#launch-input-convnet", Select)
        refs = [value for _, value in convnet._options]
        assert refs[:2] == ["convnet:latest", "convnet:baseline"] and "convnet:v1" in refs and "convnet:v0" in refs
        assert convnet.value == "convnet:latest"
        await pilot.pause()
        assert "convnet:latest (v1)" in screen_text(app)

        convnet.value = "convnet:baseline"
        form.query_one("#launch-epochs", Input).value = "0"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "epochs must be at least 1" in screen_text(app), what="the refusal")
        assert isinstance(app.screen, LaunchScreen) and results == []

        form.query_one("#launch-epochs", Input).value = "2"
        form.query_one("#launch-optimizer", Select).value = "SGD"
        form.query_one("#launch-device", Select).value = "cpu"
        form.query_one("#launch-epochs", Input).focus()
        await pilot.press("enter")  # enter in a field moves to the next one, and starts nothing
        await pilot.pause()
        assert form.focused is form.query_one("#launch-batch-size", Input) and results == []
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: results, what="the form to return")
    (request,) = results
    assert request.stage == "train" and request.inputs == ("convnet:baseline",)
    assert request.train_config == {"epochs": 2, "batch_size": 128, "batch_log_interval": 25, "optimizer": "SGD",
                                    "device": "cpu"}


async def test_form_refuses_a_stage_whose_input_is_missing(store, tmp_path):
    app = RunnerApp(store, tmp_path / "downloads")
    async with app.run_test(size=(80, 24)) as pilot:
        form, results = await _open_form(app, pilot)
        assert form.query_one("#launch-training").display  # the pipeline trains: its settings are shown
        # A fresh form has the Stage field focused: enter opens its list, it does not start the whole pipeline.
        await pilot.press("enter")
        await pilot.pause()
        assert form.query_one("#launch-stage", Select).expanded and results == []
        await pilot.press("escape")  # closes the list, not the form
        await pilot.pause()
        assert isinstance(app.screen, LaunchScreen)
        form.query_one("#launch-stage", Select).value = "report"
        await wait_until(pilot, lambda: "not in this project yet: run train first" in screen_text(app),
                         what="the missing input")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "mnist-preprocess is not in project" in screen_text(app), what="the refusal")
        assert results == []

        form.query_one("#launch-stage", Select).value = "initialize"
        await pilot.pause()
        assert not form.query_one("#launch-training").display  # nothing to train: no training settings
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: results, what="the form to return")
    assert results == [LaunchRequest(stage="initialize", train_config={})]


@pytest.mark.slow
async def test_r_opens_the_form_and_ctrl_s_queues_the_launch(store, tmp_path):
    app = RunnerApp(store, tmp_path / "downloads")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "Press r to launch" in screen_text(app)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, LaunchScreen) and app.screen.query("#launch-stage"),
                         what="the form")
        app.screen.query_one("#launch-stage", Select).value = "initialize"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.jobs.jobs and not app.jobs.jobs[0].active, timeout=60,
                         what="the launched job")
        assert app.jobs.jobs[0].versions_logged == ["convnet:v0"]
        await wait_until(pilot, lambda: "convnet:v0" in screen_text(app), what="the version on screen")


async def test_the_form_comes_back_as_each_stage_was_last_launched(store, tmp_path, monkeypatch):
    from tui.runner.supervisor import request_to_dict

    # an earlier session trained with its own settings (booked in the store, and over)
    book = store.launch_book()
    earlier = book.add(request_to_dict(LaunchRequest(stage="train", train_config={
        "epochs": 7, "batch_size": 64, "batch_log_interval": 5, "optimizer": "SGD", "device": "cpu"})))
    book.finish(earlier.id, "finished", exit_code=0)
    app = RunnerApp(store, tmp_path / "downloads", follow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        monkeypatch.setattr(app.jobs, "_start_next", lambda: None)  # queued, never started: no child process
        await wait_until(pilot, lambda: "train" in app.jobs.remembered, what="the book's launches")

        def fields(form) -> tuple:
            return (str(form.query_one("#launch-stage", Select).value), form.query_one("#launch-epochs", Input).value,
                    str(form.query_one("#launch-optimizer", Select).value),
                    str(form.query_one("#launch-device", Select).value))

        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, LaunchScreen) and app.screen.query("#launch-stage"),
                         what="the form")
        form = app.screen
        assert fields(form) == ("train", "7", "SGD", "cpu")  # as the last launch left it
        form.query_one("#launch-stage", Select).value = "pipeline"  # never launched: the fields stay as they are
        await pilot.pause()
        form.query_one("#launch-epochs", Input).value = "3"
        form.query_one("#launch-optimizer", Select).value = "Adam"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, LaunchScreen), what="the launch")
        assert app.jobs.jobs[-1].request.train_config["epochs"] == 3

        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, LaunchScreen) and app.screen.query("#launch-stage"),
                         what="the form again")
        form = app.screen
        assert fields(form) == ("pipeline", "3", "Adam", "cpu")
        form.query_one("#launch-stage", Select).value = "train"
        await wait_until(pilot, lambda: fields(form) == ("train", "7", "SGD", "cpu"), what="train's own settings")
        form.query_one("#launch-stage", Select).value = "pipeline"
        await wait_until(pilot, lambda: fields(form) == ("pipeline", "3", "Adam", "cpu"), what="the pipeline's")

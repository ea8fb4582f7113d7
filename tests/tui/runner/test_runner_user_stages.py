"""The launch form lists the user's own stages (listed by a child process, never imported into the TUI), shows
their settings as `KEY=VALUE ...` pre-filled with the defaults, refuses a bad value, and returns the request."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

from tests.helpers.runner import RunnerApp, screen_text, wait_until
from textual.widgets import Input, Select

import core
import tui.runner.launch_request as launch_request
from tui.runner.launch_request import LaunchRequest
from tui.screens.launch import LaunchScreen

MODULE = "launch_form_user_stages"
SOURCE = '''
import core
from core.pipeline import stage


@stage("fit-probe", inputs=["features"], outputs=["probe"], config={"lr": 0.01, "epochs": 3}, label="fit a probe")
def fit_probe(run, inputs, config):
    run.log_artifact(core.Artifact("probe", type="model", metadata=config))
'''


async def test_the_form_lists_a_user_stage_with_its_settings(tmp_path, monkeypatch):
    (tmp_path / f"{MODULE}.py").write_text(textwrap.dedent(SOURCE))
    repo = Path(core.__file__).resolve().parent.parent
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(repo), str(tmp_path)]))
    monkeypatch.setenv("ARTIFACTS_TUI_STAGES", f"{MODULE}:fit_probe")
    monkeypatch.setattr(launch_request, "_catalog", None)
    store = core.open_store(tmp_path / "store")
    with core.init(project="artifacts-example", job_type="prep", store=store) as run:
        features = core.Artifact("features", type="dataset")
        with features.new_file("x.txt") as f:
            f.write("x")
        run.log_artifact(features)

    app = RunnerApp(store, tmp_path / "downloads")
    async with app.run_test(size=(80, 30)) as pilot:
        results: list = []
        app.push_screen(LaunchScreen(app.store), results.append)
        await wait_until(pilot, lambda: isinstance(app.screen, LaunchScreen) and app.screen.query("#launch-stage"),
                         what="the form")
        form = app.screen
        stage = form.query_one("#launch-stage", Select)
        await wait_until(pilot, lambda: "fit-probe" in [value for _, value in stage._options], timeout=60,
                         what="the user's stage in the list")
        assert MODULE not in sys.modules  # listed by a child process
        stage.value = "fit-probe"
        settings = form.query_one("#launch-config", Input)
        await wait_until(pilot, lambda: settings.value == "lr=0.01 epochs=3", what="the default settings")
        assert form.query_one("#launch-config-row").display
        assert not form.query_one("#launch-training").display and not form.query_one("#launch-dataset-row").display
        await wait_until(pilot, lambda: form.query("#launch-input-features"), what="the input choices")

        settings.value = "lr=fast"
        settings.focus()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "lr must be a number" in screen_text(app), what="the refusal")
        assert results == []

        settings.value = "lr=0.5"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: results, what="the form to return")
    assert results == [LaunchRequest(stage="fit-probe", config={"lr": 0.5})]

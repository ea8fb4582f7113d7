"""The runs view: the table, a run's tabs (config, summary, artifacts, chart), and jumps to and from versions."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from tests.helpers.app import move_to_run, open_version, screen_text, settle
from tui.widgets.artifact_tree import ArtifactTree
from tui.widgets.loss_chart import LossChart
from tui.widgets.run_details import RunDetails
from tui.widgets.run_table import RunTable


@pytest.mark.slow
async def test_runs_table_and_a_runs_tabs(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        header = next(line for line in lines if "Name" in line and "State" in line)
        assert "Job" in header and "Age" in header and "accuracy" in header
        rows = {line.split()[0]: line for line in lines if line.split() and line.split()[0] in
                ("load-digits", "train-convnet", "eval-broken")}
        assert "load-data" in rows["load-digits"] and "✓ finished" in rows["load-digits"] and "3m" in rows["load-digits"]
        assert "97.5" in rows["train-convnet"]
        assert "✗ failed" in rows["eval-broken"]

        await move_to_run(pilot, "eval-broken")
        assert "evaluation failed on purpose" in screen_text(app)

        await move_to_run(pilot, "load-digits")
        text = screen_text(app)
        assert "load0001" in text and "mnist-raw:v0" in text and "mnist-raw:v2" in text
        await pilot.press("2")
        await settle(pilot)
        assert 'dataset: "digits"' in screen_text(app) and "seed: 0" in screen_text(app)
        await pilot.press("3")
        await settle(pilot)
        assert "accuracy: 90" in screen_text(app)
        await pilot.press("c")
        await settle(pilot)
        chart = app.screen.query_one(RunDetails)
        assert chart.metrics == ["accuracy", "train/loss"]
        assert chart.metric == "train/loss"
        assert list(app.screen.query_one(LossChart).series) == ["train/loss"]
        assert "last 0.1 at step 9" in screen_text(app)
        chart.action_metric(1)
        await settle(pilot)
        assert "accuracy" in screen_text(app) and "last 90 at step 9" in screen_text(app)
        assert list(app.screen.query_one(LossChart).series) == ["accuracy"]
        await pilot.press("left_square_bracket")  # the key steps back, with the run table focused
        await settle(pilot)
        assert chart.metric == "train/loss" and "last 0.1 at step 9" in screen_text(app)


@pytest.mark.slow
async def test_jump_from_a_run_to_a_version_and_back(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 32)) as pilot:
        # explorer -> the run that logged v1
        await open_version(pilot, "demo/mnist-raw:v1")
        runs = app.screen.query_one("#overview-runs", OptionList)
        runs.focus()
        runs.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "RunsScreen"
        table = app.screen.query_one(RunTable)
        assert table.get_row_at(table.cursor_row)[0].plain == "load-digits"

        # run -> one of its outputs, selected in the explorer
        artifacts = app.screen.query_one("#run-artifacts", OptionList)
        artifacts.focus()
        target = next(i for i in range(artifacts.option_count) if "mnist-raw:v0" in str(artifacts.get_option_at_index(i).prompt))
        artifacts.highlighted = target
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ExplorerScreen"
        tree = app.screen.query_one(ArtifactTree)
        assert tree.cursor_node.data.ref == "demo/mnist-raw:v0"
        assert "v0 of 3" in screen_text(app)

        # escape from the runs view goes back with the selection unchanged
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert tree.cursor_node.data.ref == "demo/mnist-raw:v0"


@pytest.mark.slow
async def test_moving_to_another_run_with_the_chart_open_keeps_the_app_alive(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        await move_to_run(pilot, "load-digits")
        await pilot.press("c")
        await settle(pilot)
        assert app.screen.query_one(RunDetails).metric == "train/loss"
        table = app.screen.query_one(RunTable)
        await pilot.press("up" if table.cursor_row else "down")
        await settle(pilot)
        assert app.is_running and type(app.screen).__name__ == "RunsScreen"
        assert app.screen.query_one(RunDetails).metric is None
        assert "no metrics logged" in screen_text(app)
        await move_to_run(pilot, "load-digits")
        assert app.screen.query_one(RunDetails).metric == "train/loss"

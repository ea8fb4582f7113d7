"""The TUI on big stores (built in seconds by tests/helpers/big_store.py): a run that logged 100,000 versions and a
million history rows. Every list is a page and every chart a sample, so what a user looks for shows within a
bounded wait: the newest of the run's versions with a way to the older ones, and a chart with the spike in it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from textual.widgets import OptionList

import core
from tests.helpers.app import screen_text, settle, wait_until
from tests.helpers.big_store import big_run, fill_history, fill_versions
from tui.screens.runs import ARTIFACT_PAGE, CHART_SAMPLES
from tui.widgets.loss_chart import LossChart
from tui.widgets.run_details import RunDetails

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    store = core.open_store(tmp_path_factory.mktemp("big") / "store")
    run = big_run(store)
    fill_history(store, run, 1_000_000, spike_at=654_321)
    fill_versions(store, run, "big", "ds", 100_000)
    return store


def _clock():
    now = datetime.now(timezone.utc)
    return lambda: now


async def test_runs_view_pages_a_runs_100k_versions_and_samples_its_1m_step_chart(big_store, make_app):
    app = make_app(big_store, clock=_clock())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        assert await wait_until(pilot, lambda: "out  ds:v99999" in screen_text(app), timeout=30)
        assert "ds:v99998" in screen_text(app)  # the newest first
        options = app.screen.query_one("#run-artifacts", OptionList)
        assert options.option_count == ARTIFACT_PAGE + 1  # a page, and the way to the older ones last
        assert "older artifacts" in str(options.get_option_at_index(ARTIFACT_PAGE).prompt)

        await pilot.press("c")
        assert await wait_until(pilot, lambda: app.screen.query_one(LossChart).series, timeout=30)
        points = app.screen.query_one(LossChart).series["train/loss"]
        assert 0 < len(points) <= CHART_SAMPLES
        assert max(y for _, y in points) == 1000.0  # the one-step spike survives the sampling
        assert "at step 999999" in screen_text(app)


async def test_the_older_artifacts_row_shows_another_page(big_store, make_app):
    app = make_app(big_store, clock=_clock())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        options = app.screen.query_one("#run-artifacts", OptionList)
        assert await wait_until(pilot, lambda: options.option_count == ARTIFACT_PAGE + 1, timeout=30)
        options.focus()
        await pilot.press("end", "enter")  # the "older artifacts" row
        assert await wait_until(pilot, lambda: options.option_count == 2 * ARTIFACT_PAGE + 1, timeout=30)
        options.highlighted = 2 * ARTIFACT_PAGE - 1
        await settle(pilot)
        assert f"ds:v{100_000 - 2 * ARTIFACT_PAGE}" in screen_text(app)

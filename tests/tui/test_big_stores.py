"""The TUI on big stores (built in seconds by tests/helpers/big_store.py): a run that logged 100,000 versions and a
million history rows. Every list is a page and every chart a sample, so what a user looks for shows within a
bounded wait: the newest of the run's versions with a way to the older ones, and a chart with the spike in it; a
jump to an old version shows a page around it, and the type-level lineage is counted, not read version by version.
The longest event-loop stall (tests/helpers/stalls.py) is what a user feels as a frozen screen."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from textual.widgets import OptionList

import core
from tests.helpers.app import screen_text, settle, tree_labels, wait_until
from tests.helpers.big_store import big_run, fill_history, fill_versions
from tests.helpers.stalls import StallMeter
from tui.messages import JumpToVersion
from tui.screens.explorer import PAGE
from tui.screens.lineage import LineageScreen
from tui.screens.runs import ARTIFACT_PAGE, CHART_SAMPLES
from tui.widgets.artifact_tree import ArtifactTree, MoreItem, NewerItem, VersionItem
from tui.widgets.lineage_view import LineageView
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


STALL_S = 1.0  # a frozen screen a user would notice (before: 5 minutes for the jump at 50k versions)


async def test_a_jump_to_an_old_version_shows_a_page_around_it(big_store, make_app):
    app = make_app(big_store, clock=_clock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(ArtifactTree)
        async with StallMeter() as meter:
            app.screen.post_message(JumpToVersion("big/ds:v1234"))  # what `o` in the lineage and the runs view send
            assert await wait_until(pilot, lambda: getattr(tree.cursor_node.data, "ref", "") == "big/ds:v1234"
                                    and "v1234 of 100,000" in screen_text(app), timeout=30)
        assert meter.longest < STALL_S, meter.longest
        rows = [tree.get_node_at_line(i).data for i in range(tree.last_line + 1)]
        shown = [r.index for r in rows if isinstance(r, VersionItem)]
        assert shown == list(range(1234 + PAGE // 2 - 1, 1234 - PAGE // 2 - 1, -1))  # the target in the middle
        labels = tree_labels(app)
        newer = next(i for i, r in enumerate(rows) if isinstance(r, NewerItem))
        assert labels[newer].startswith(f"… {100_000 - 1234 - PAGE // 2:,} newer versions")
        assert isinstance(rows[-1], MoreItem) and labels[-1].startswith(f"… {1234 - PAGE // 2:,} older versions")

        # enter on "newer versions" pages up, next to where the window began; the cursor stays in view
        async with StallMeter() as meter:
            tree.move_cursor(tree.get_node_at_line(newer))
            await pilot.press("enter")
            assert await wait_until(pilot, lambda: f"v{1234 + PAGE // 2} of 100,000" in screen_text(app), timeout=30)
        assert meter.longest < STALL_S, meter.longest
        assert tree.cursor_node.data == VersionItem("big", "ds", 1234 + PAGE // 2)
        assert len([i for i in range(tree.last_line + 1)
                    if isinstance(tree.get_node_at_line(i).data, VersionItem)]) == 2 * PAGE


async def test_the_type_level_lineage_of_100k_versions_is_counted(big_store, make_app, monkeypatch):
    def version_level(*_args):
        raise AssertionError("the type level read the version-level model")

    monkeypatch.setattr("tui.screens.lineage.build_graph", version_level)
    app = make_app(big_store, clock=_clock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        async with StallMeter() as meter:
            await pilot.press("l")  # on the project row: the project's lineage, at type level
            assert await wait_until(pilot, lambda: isinstance(app.screen, LineageScreen)
                                    and "[dataset (100000)]" in screen_text(app), timeout=30)
        assert meter.longest < STALL_S, meter.longest
        assert "(train (1))" in screen_text(app)
        assert set(app.screen.query_one(LineageView).graph.nodes) == {"job_type:train", "artifact_type:dataset"}

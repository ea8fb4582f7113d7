"""SVG snapshots of the main screens at 80x24 (a tmux pane over SSH) and 120x40.

Kept deterministic: the store's content is fixed, ages come from a frozen clock, absolute times and the store path
are replaced by fixed strings. Update with `pytest tests/tui/test_snapshots.py --snapshot-update` and look at
the SVGs before committing them.
"""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input

from tests.helpers.app import open_version, settle

FIXED_TIME = "2025-01-01 12:00:00"


@pytest.fixture
def snapshot_app(make_app, monkeypatch):
    monkeypatch.setattr("tui.format.timestamp", lambda then: FIXED_TIME)
    monkeypatch.setattr("tui.widgets.run_table.runtime_seconds", lambda run, now: 42.0)  # runs' real durations

    def make(store):
        monkeypatch.setenv("ARTIFACTS_TUI_HOME", str(store.root))  # the default store, as the subtitle says
        app = make_app(store, poll_interval=5.0)
        app.sub_title = "~/.local/share/artifacts-tui"
        return app

    return make


@pytest.mark.slow
def test_explorer_80x24(demo_store, snapshot_app, snap_compare):
    async def run_before(pilot):
        await open_version(pilot, "demo/mnist-raw:v1")

    assert snap_compare(snapshot_app(demo_store), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.slow
def test_explorer_files_120x40(demo_store, snapshot_app, snap_compare):
    async def run_before(pilot):
        await open_version(pilot, "demo/mnist-raw:v2")
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(snapshot_app(demo_store), terminal_size=(120, 40), run_before=run_before)


@pytest.mark.slow
def test_alias_move_dialog_80x24(demo_store, snapshot_app, snap_compare):
    async def run_before(pilot):
        await open_version(pilot, "demo/mnist-raw:v2")
        await pilot.press("a")
        await settle(pilot)
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.press("b", "e", "s", "t")
        await settle(pilot)

    assert snap_compare(snapshot_app(demo_store), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.slow
def test_runs_chart_80x24(demo_store, snapshot_app, snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("down", "down")  # load-digits, the run with a metric history
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)

    assert snap_compare(snapshot_app(demo_store), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.slow
def test_runs_compare_80x24(demo_store, snapshot_app, snap_compare):
    from tests.tui.test_runs_view import add_pipeline_runs

    add_pipeline_runs(demo_store)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        # the filter pasted in one piece: typed key by key, how many in-between views get built (and so which metric
        # columns stay, by design) depends on the machine's speed; bursts are tested in tests/tui/test_runs_view.py
        await pilot.press("slash")
        pilot.app.post_message(events.Paste("group:pipeline job:train"))
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("space", "down", "space", "down", "space")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)

    assert snap_compare(snapshot_app(demo_store), terminal_size=(80, 24), run_before=run_before)


def test_empty_store_no_color_80x24(store, snapshot_app, snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(snapshot_app(store), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.slow
def test_table_file_preview_80x24(store, snapshot_app, snap_compare):
    """A W&B Table file (W&B's own layout, as core.wandb_compat writes it) previewed as a table."""
    import json

    import core
    from tests.helpers.app import log_version
    from tests.tui.test_file_preview import TABLE

    with core.init(project="demo", job_type="evaluate", store=store) as run:
        log_version(run, "predictions", "evaluation", {"preds.table.json": json.dumps(TABLE).encode()})

    async def run_before(pilot):
        await open_version(pilot, "demo/predictions:v0")
        await pilot.press("3")
        await settle(pilot)
        pilot.app.screen.query_one("#file-table").focus()
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(snapshot_app(store), terminal_size=(80, 24), run_before=run_before)

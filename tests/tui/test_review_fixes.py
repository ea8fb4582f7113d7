"""Regression tests for the bugs a user review found: each fails on the code before its fix."""

from __future__ import annotations

from tests.tui.conftest import open_version, screen_text, settle
from tests.tui.test_runs_view import move_to_run
from tui.widgets.artifact_tree import ArtifactTree
from tui.widgets.run_details import RunDetails
from tui.widgets.run_table import RunTable


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


async def test_quick_moves_between_versions_never_leave_the_details_loading(demo_store, make_app):
    from tests.tui.conftest import open_version, wait_until
    from tui.widgets.version_details import VersionDetails

    app = make_app(demo_store)
    async with app.run_test(size=(100, 32)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v2")
        details = app.screen.query_one(VersionDetails)
        tree = app.screen.query_one(ArtifactTree)
        for _ in range(3):  # as fast as keys a terminal delivers in one read: no pause between them
            tree.action_cursor_down()
            tree.action_cursor_up()
        await settle(pilot)
        await pilot.pause(0.4)  # past the delay after which a slow call shows the spinner
        await settle(pilot)
        assert not details.loading
        assert "v2 of 3" in screen_text(app)


async def test_a_killed_run_reads_crashed_without_a_key_press(demo_store, make_app, monkeypatch):
    from tests.tui.conftest import wait_until
    from tests.tui.test_live_refresh import in_another_process

    monkeypatch.setattr("tui.screens.runs.REREAD_S", 0.5, raising=False)
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        table = app.screen.query_one(RunTable)
        first = table.current_run_id
        writer = in_another_process(demo_store, """
            run = core.init(project="demo", job_type="train", name="doomed-run", id="doomed01", store=store)
            run.log({"train/loss": 0.5}, step=0)
            time.sleep(120)
        """)
        try:
            assert await wait_until(pilot, lambda: "● running" in screen_text(app), timeout=30)
        finally:
            writer.kill()
            writer.wait(timeout=60)
        assert await wait_until(pilot, lambda: "✗ crashed" in screen_text(app), timeout=15), screen_text(app)
        row = next(line for line in screen_text(app).splitlines() if "doomed-run" in line)
        assert "✗ crashed" in row
        assert table.current_run_id == first


async def test_empty_store_hint_names_the_store_unless_it_is_the_default(store, make_app, monkeypatch):
    app = make_app(store)
    async with app.run_test(size=(160, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert f"artifacts-tui --store {store.root.resolve()} run pipeline --dataset digits" in text

    monkeypatch.setenv("ARTIFACTS_TUI_HOME", str(store.root))
    app = make_app(store)
    async with app.run_test(size=(160, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "artifacts-tui run pipeline --dataset digits" in text and "--store" not in text


async def test_undo_refuses_when_the_alias_moved_elsewhere_since(demo_store, make_app):
    from tests.tui.test_alias_tagging import holders, holders_from_another_process
    from tests.tui.test_live_refresh import in_another_process

    app = make_app(demo_store)
    notices = []
    app.notify = lambda message, **kw: notices.append(message)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v1")
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")  # v1's only alias besides latest: best
        await settle(pilot)
        assert holders(demo_store, "best") == []
        writer = in_another_process(demo_store, 'store.add_alias(store.artifact("demo/mnist-raw:v0"), "best")')
        assert writer.wait(timeout=60) == 0
        await pilot.press("u")
        await settle(pilot)
        assert holders_from_another_process(demo_store, "best") == ["v0"]
        assert "best moved to v0 since; not undone" in notices
        notices.clear()
        await pilot.press("u")  # the refused record is gone: nothing else to undo
        await settle(pilot)
        assert holders(demo_store, "best") == ["v0"]
        assert not any("undone:" in n for n in notices)


async def test_filter_escape_no_match_and_aliases(demo_store, make_app):
    from tests.tui.conftest import tree_labels

    app = make_app(demo_store)
    notices = []
    app.notify = lambda message, **kw: notices.append(message)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(ArtifactTree)
        await pilot.press("slash", *"zzz")
        await settle(pilot)
        assert tree_labels(app) == ["no matches for zzz"]
        await pilot.press("escape")
        await settle(pilot)
        # a row is highlighted again, the details say what it is, and R works on it
        assert tree.cursor_node is not None and tree.cursor_node.data.project == "demo"
        assert "Project demo: R shows its runs" in screen_text(app)
        await pilot.press("R")
        await settle(pilot)
        assert type(app.screen).__name__ == "RunsScreen"
        await pilot.press("escape")
        await settle(pilot)

        # the filter finds a collection by an alias one of its versions holds
        await pilot.press("slash", *"production")
        await settle(pilot)
        labels = tree_labels(app)
        assert any(label.startswith("convnet") for label in labels)
        assert not any(label.startswith("mnist-raw") for label in labels)
        await pilot.press("escape")
        await settle(pilot)


async def test_alias_keys_off_a_version_say_what_they_need(store, demo_store, make_app):
    app = make_app(demo_store)
    notices = []
    app.notify = lambda message, **kw: notices.append(message)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert "Select a version first (a adds an alias to a version)." in notices
        assert "Select a version first (d removes an alias from a version)." in notices


async def test_an_expanded_collection_does_not_ask_to_be_expanded(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(160, 30)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v2")
        await pilot.press("up")
        await settle(pilot)
        text = screen_text(app)
        assert "demo/mnist-raw (dataset)" in text and "expand it" not in text
        assert "pick one of its versions below" in text


async def test_rows_and_sizes_read_right_at_80_columns(store, make_app):
    import core
    from tests.tui.conftest import log_version, tree_labels

    with core.init(project="demo", job_type="t", store=store) as run:
        log_version(run, "single", "dataset", {"a.bin": b"a" * 2048},
                    aliases=["a-very-long-alias-name-for-the-evaluation-set"])
    app = make_app(store, clock=None)  # the real clock: the version is seconds old
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/single:v0")
        text = screen_text(app)
        assert "(just now)" in text and "now ago" not in text
        assert "2.0 KiB" in text and "kB" not in text  # the CLI's binary units
        row = next(line for line in text.splitlines() if "v0 " in line and "·" in line)
        assert "v0 2.0 KiB · now" in row  # size and age stay visible; the badge after them is what gets cut
        assert tree_labels(app)[-1] == "v0 2.0 KiB · now  a-very-long…   latest "
        await pilot.press("4")
        await settle(pilot)
        text = screen_text(app)
        assert "this collection has a single version:" in text and "nothing to compare" in text  # wrapped, not cut

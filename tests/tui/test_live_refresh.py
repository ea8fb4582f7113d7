"""Live: changes made by other processes show up without a key press, and the selection stays where it was."""

from __future__ import annotations

import pytest
from tests.helpers.app import in_another_process, open_version, screen_text, settle, tree_labels, wait_until
from tui.widgets.artifact_tree import ArtifactTree
from tui.widgets.run_table import RunTable

@pytest.mark.slow
async def test_new_version_and_moved_alias_appear_without_a_key_press(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v1")
        tree = app.screen.query_one(ArtifactTree)
        assert tree.cursor_node.data.index == 1

        writer = in_another_process(demo_store, """
            with core.init(project="demo", job_type="load-data", store=store) as run:
                a = core.Artifact("mnist-raw", type="dataset")
                with a.new_file("train.pt", mode="wb") as f:
                    f.write(b"new data")
                run.log_artifact(a, aliases=["fresh"])
            store.add_alias(store.artifact("demo/mnist-raw:v0"), "best")
        """)
        assert writer.wait(timeout=60) == 0

        def updated() -> bool:
            rows = tree_labels(app)
            return any(r.startswith("v3 ") and "fresh" in r and "latest" in r for r in rows) and any(
                r.startswith("v0 ") and "best" in r for r in rows)

        assert await wait_until(pilot, updated), tree_labels(app)
        assert "mnist-raw 4" in tree_labels(app)
        # the cursor stayed on v1, and its details follow the store (best moved away from it)
        assert tree.cursor_node.data.index == 1
        await settle(pilot)
        text = screen_text(app)
        assert "v1 of 4" in text
        assert "aliases none" in " ".join(text.split())


@pytest.mark.slow
async def test_runs_starting_and_finishing_elsewhere_show_live(demo_store, make_app, tmp_path):
    go = tmp_path / "go"
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        table = app.screen.query_one(RunTable)
        first = table.current_run_id
        writer = in_another_process(demo_store, f"""
            import pathlib
            with core.init(project="demo", job_type="train", name="live-run", id="live0001", store=store) as run:
                run.log({{"train/loss": 0.5}}, step=0)
                go = pathlib.Path({str(go)!r})
                deadline = time.time() + 60
                while not go.exists() and time.time() < deadline:
                    time.sleep(0.02)
                run.log({{"train/loss": 0.25}}, step=1)
        """)
        try:
            assert await wait_until(pilot, lambda: "● running" in screen_text(app), timeout=30)
            assert "live-run" in screen_text(app)
            assert table.current_run_id == first  # a new run on top did not move the cursor
            go.touch()
            assert writer.wait(timeout=60) == 0
            assert await wait_until(
                pilot, lambda: "live-run" in screen_text(app) and "● running" not in screen_text(app), timeout=30
            ), screen_text(app)
            row = next(line for line in screen_text(app).splitlines() if "live-run" in line)
            assert "✓ finished" in row
        finally:
            go.touch()
            writer.wait(timeout=60)


@pytest.mark.slow
async def test_a_killed_run_reads_crashed_without_a_key_press(demo_store, make_app, monkeypatch):
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

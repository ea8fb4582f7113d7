"""The explorer: tree, version tabs, paging, filter, help, palette, empty and error states."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, TabbedContent

import core
from tests.helpers.app import PROJECT, log_version, open_version, screen_text, settle, tree_labels, wait_until
from tui.widgets.artifact_tree import ArtifactTree, MoreItem, VersionItem
from tui.widgets.metadata_tree import MetadataTree
from tui.widgets.version_details import VersionDetails


@pytest.mark.slow
async def test_tree_shows_projects_types_collections_and_version_rows(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v1")
        labels = tree_labels(app)
        assert labels[:3] == ["demo", "dataset 1", "mnist-raw 3"]
        # newest first; aliases as badges; size and age
        assert labels[3].startswith("v2 ") and "latest" in labels[3]
        assert labels[4] == "v1 211 B · 3m  best "
        assert labels[5] == "v0 110 B · 3m"
        assert "model 1" in labels and "convnet 1" in labels


@pytest.mark.slow
async def test_overview_tab_shows_the_version(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v1")
        text = screen_text(app)
        v1 = demo_store.artifact("demo/mnist-raw:v1")
        for expected in ("demo/mnist-raw", "dataset", "v1 of 3", "best", v1.digest[:20], "211 B in 3 files",
                         "Raw digits, split", "load-digits"):
            assert expected in text, expected
        # the runs that used it: nobody used v1; v2 (latest) was used by train-convnet
        await pilot.press("up")
        await settle(pilot)
        assert "train-convnet" in screen_text(app)


@pytest.mark.slow
async def test_metadata_files_and_diff_tabs(demo_store, make_app, tmp_path):
    # a downloaded copy of v2 makes the Files tab say so
    demo_store.artifact("demo/mnist-raw:v2").download()
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v2")
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.query_one(TabbedContent).active == "metadata"
        tree = app.screen.query_one(MetadataTree)
        keys = [tree.get_node_at_line(i).label.plain for i in range(tree.last_line + 1)]
        assert "take: 2" in keys and "sizes [3]" in keys and "source {2}" in keys
        assert any(k == "name: \"digits\"" for k in keys)  # objects open one level on the first view

        await pilot.press("3")
        await settle(pilot)
        text = screen_text(app)
        assert "3 files, 3 downloaded" in text
        table = app.screen.query_one("#file-table", DataTable)
        rows = {table.get_row_at(i)[0].plain: table.get_row_at(i) for i in range(table.row_count)}
        assert set(rows) == {"extra-2.txt", "labels.txt", "train.pt"}
        assert rows["train.pt"][2].plain == "ok" and rows["train.pt"][3].plain == "yes"

        await pilot.press("4")
        await settle(pilot)
        text = screen_text(app)
        assert "v1 → v2: 1 added, 1 removed, 1 changed" in text
        # choose another version from the keyboard: "[" steps to an older one
        app.screen.query_one("#diff-table").focus()
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "v0 → v2: 1 added, 0 removed, 1 changed" in screen_text(app)
        # or type it
        app.screen.query_one("#diff-other").focus()
        await pilot.press("ctrl+u", "v", "1", "enter")
        await settle(pilot)
        assert "v1 → v2: 1 added, 1 removed, 1 changed" in screen_text(app)


@pytest.mark.slow
async def test_missing_and_corrupt_blobs_show_in_files_without_crashing(demo_store, make_app):
    version = demo_store.artifact("demo/mnist-raw:v0")
    states = {s.path: s for s in version.file_states()}
    # Damage the blobs behind the store's back (what a disk error or a careless rm would do).
    blobs = sorted(p for p in (demo_store.root / "objects").rglob("*") if p.is_file())
    by_size = {p.stat().st_size: p for p in blobs}
    train_blob = by_size[states["train.pt"].size]
    labels_blob = by_size[states["labels.txt"].size]
    train_blob.chmod(0o644)
    train_blob.write_bytes(b"short")
    labels_blob.chmod(0o644)
    labels_blob.unlink()
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v0")
        await pilot.press("3")
        await settle(pilot)
        text = screen_text(app)
        assert "MISSING" in text and "CORRUPT" in text
        assert "2 missing or corrupt" in text
        assert app.is_running


@pytest.mark.slow
async def test_big_collection_loads_in_pages(store, make_app, monkeypatch):
    monkeypatch.setattr("tui.screens.explorer.PAGE", 20)  # pages of 20 rows: 45 versions make three pages
    with core.init(project="big", job_type="log", store=store) as run:
        for i in range(45):
            log_version(run, "many", "dataset", {"f.txt": str(i).encode()})
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "big/many:v44")
        tree = app.screen.query_one(ArtifactTree)

        def loaded() -> list[int]:
            rows = [tree.get_node_at_line(i).data for i in range(tree.last_line + 1)]
            return [r.index for r in rows if isinstance(r, VersionItem)]

        assert loaded() == list(range(44, 24, -1))  # the newest page only
        assert tree.get_node_at_line(tree.last_line).label.plain.startswith("… 25 older versions")
        # reaching the "older" row loads the next page, and the cursor lands on its first row
        await pilot.press("end")
        await settle(pilot)
        assert loaded() == list(range(44, 4, -1))
        assert tree.cursor_node.data.index == 24
        await pilot.press("end")
        await settle(pilot)
        assert loaded() == list(range(44, -1, -1))
        assert not isinstance(tree.get_node_at_line(tree.last_line).data, MoreItem)


@pytest.mark.slow
async def test_jump_loads_a_page_around_an_old_version(store, make_app, monkeypatch):
    monkeypatch.setattr("tui.screens.explorer.PAGE", 20)
    with core.init(project="big", job_type="log", store=store) as run:
        for i in range(45):
            log_version(run, "many", "dataset", {"f.txt": str(i).encode()})
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        from tui.messages import JumpToVersion

        app.screen.post_message(JumpToVersion("big/many:v3"))
        await settle(pilot)
        tree = app.screen.query_one(ArtifactTree)
        assert tree.cursor_node.data.ref == "big/many:v3"
        assert "v3 of 45" in screen_text(app)


@pytest.mark.slow
async def test_jumps_keep_one_bounded_window_and_a_refresh_keeps_it(store, make_app, monkeypatch):
    monkeypatch.setattr("tui.screens.explorer.PAGE", 20)
    from tests.helpers.big_store import big_run, fill_versions
    from tui.messages import JumpToVersion

    fill_versions(store, big_run(store, "big"), "big", "many", 100)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = app.screen.query_one(ArtifactTree)

        def shown() -> list[int]:
            rows = [tree.get_node_at_line(i).data for i in range(tree.last_line + 1)]
            return [r.index for r in rows if isinstance(r, VersionItem)]

        async def jump(ref: str) -> None:
            app.screen.post_message(JumpToVersion(ref))
            assert await wait_until(pilot, lambda: getattr(tree.cursor_node.data, "ref", "") == ref)
            await settle(pilot)

        await open_version(pilot, "big/many:v99")
        await jump("big/many:v70")  # next to the newest page: the rows between are loaded, the window stays one
        assert shown() == list(range(99, 59, -1))
        await jump("big/many:v5")   # far from it: a page around v5 replaces it
        assert shown() == list(range(14, -1, -1))
        assert "… 85 newer versions (enter to load)" in tree_labels(app)
        with core.init(project="big", job_type="log", store=store) as run:  # a new version: the window stays
            log_version(run, "many", "dataset", {"f.txt": b"new"})
        assert await wait_until(pilot, lambda: "… 86 newer versions (enter to load)" in tree_labels(app))
        assert shown() == list(range(14, -1, -1)) and tree.cursor_node.data.ref == "big/many:v5"


@pytest.mark.slow
async def test_filter_narrows_the_tree_and_escape_clears_it(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "c", "o", "n", "v")
        await settle(pilot)
        assert tree_labels(app) == ["demo", "model 1", "convnet 1"]
        await pilot.press("escape")
        await settle(pilot)
        assert "mnist-raw 3" in tree_labels(app)


@pytest.mark.slow
async def test_help_lists_the_keys_and_palette_runs_actions(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v1")
        footer = screen_text(app).splitlines()[-1]
        for key in ("a Alias+", "d Alias-", "u Undo", "/ Filter", "l Lineage", "R Runs", "q Quit", "? Keys"):
            assert key in footer, key
        await pilot.press("question_mark")
        await settle(pilot)
        from tui.screens.help import key_table

        assert type(app.screen).__name__ == "HelpScreen" and "Alias+" in screen_text(app)
        table = key_table(app.screen_stack[-2])  # the whole list the help shows (it scrolls past 40 rows)
        text = " ".join(str(cell) for column in table.columns for cell in column._cells)
        for line in ("Alias+", "Undo", "Filter", "Quit", "Keys", "Overview tab", "command palette"):
            assert line in text, line
        await pilot.press("escape")
        # the command palette finds the same actions by name and runs them
        await pilot.press("ctrl+p")
        await settle(pilot)
        for char in "Runs":
            await pilot.press(char)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "RunsScreen"


@pytest.mark.slow
async def test_mouse_opens_a_version(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(ArtifactTree)
        # click the mnist-raw row (line 2 of the tree, below the header) to expand it, then click v0
        await pilot.click(ArtifactTree, offset=(6, 2))
        await settle(pilot)
        line = next(i for i in range(tree.last_line + 1) if tree.get_node_at_line(i).label.plain.startswith("v0"))
        await pilot.click(ArtifactTree, offset=(8, line))
        await settle(pilot)
        assert "v0 of 3" in screen_text(app)


async def test_empty_store_says_how_to_start(store, make_app):
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "No artifacts in this store yet." in text
        words = " ".join(text.split())
        # the hint names this store: the bare command would fill the default one
        # (as this shell can call it: the bare name only when it is on PATH)
        assert ("artifacts-tui --store" in words or "-m tui.cli --store" in words)
        assert "run pipeline --dataset digits" in words
        # and it fills in by itself when something is logged
        with core.init(project=PROJECT, job_type="t", store=store) as run:
            log_version(run, "first", "dataset", {"a.txt": b"a"})

        assert await wait_until(pilot, lambda: "first 1" in screen_text(app))


@pytest.mark.slow
async def test_busy_store_shows_a_message_and_retries(demo_store, make_app, monkeypatch):
    calls = {"n": 0}
    real = demo_store.projects

    def flaky():
        calls["n"] += 1
        if calls["n"] <= 2:
            raise core.StoreBusyError("the store is locked by another writer")
        return real()

    app = make_app(demo_store)
    monkeypatch.setattr(demo_store, "projects", flaky)
    monkeypatch.setattr("tui.screens.base.BUSY_RETRY_S", 0.05)
    notices = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: notices.append(message))
    async with app.run_test(size=(80, 24)) as pilot:

        assert await wait_until(pilot, lambda: "mnist-raw 3" in tree_labels(app))
        assert any("locked by another process" in n for n in notices)
        assert calls["n"] >= 3


def test_the_empty_screen_names_a_command_that_works_from_this_shell(monkeypatch, tmp_path):
    import shutil
    import sys

    from tui.screens import explorer

    script = tmp_path / ".venv" / "bin" / "artifacts-tui"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script)])
    monkeypatch.setattr(shutil, "which", lambda name: None)  # `make run` does not put .venv/bin on PATH
    assert explorer.program() == ".venv/bin/artifacts-tui"
    monkeypatch.setattr(shutil, "which", lambda name: str(script))  # an activated venv: the bare name works
    assert explorer.program() == "artifacts-tui"


@pytest.mark.slow
async def test_quick_moves_between_versions_never_leave_the_details_loading(demo_store, make_app):
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


@pytest.mark.slow
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


@pytest.mark.slow
async def test_filter_escape_no_match_and_aliases(demo_store, make_app):
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


@pytest.mark.slow
async def test_an_expanded_collection_does_not_ask_to_be_expanded(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(160, 30)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v2")
        await pilot.press("up")
        await settle(pilot)
        text = screen_text(app)
        assert "demo/mnist-raw (dataset)" in text and "expand it" not in text
        assert "pick one of its versions below" in text


@pytest.mark.slow
async def test_rows_and_sizes_read_right_at_80_columns(store, make_app):
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


async def test_files_tab_shows_a_flipped_byte_as_verify_does(demo_store, make_app):
    """A blob with one byte flipped (same size) reads CORRUPT in the Files tab, not "ok"; past the re-hash budget
    a blob of the right size reads "size ok", never "ok"."""
    version = demo_store.artifact("demo/mnist-raw:v1")
    entry = next(f for f in version.files() if f.path == "labels.txt")
    blob = demo_store.blobs.path(version.alg, entry.digest)
    data = bytearray(blob.read_bytes())
    data[0] ^= 0x01
    blob.chmod(0o644)
    blob.write_bytes(bytes(data))
    app = make_app(demo_store)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v1")
        await pilot.press("3")
        table = app.screen.query_one("#file-table", DataTable)
        assert await wait_until(pilot, lambda: table.row_count == 3)
        rows = {table.get_row_at(i)[0].plain: table.get_row_at(i)[2].plain for i in range(table.row_count)}
        assert rows["labels.txt"] == "CORRUPT" and {rows[p] for p in rows if p != "labels.txt"} == {"ok"}
    assert {(p.path, p.kind) for p in demo_store.verify()} == {("labels.txt", "corrupt")}  # what verify says
    unread = {s.path: s.blob for s in demo_store.artifact("demo/mnist-raw:v2").file_states(verify_bytes=0)}
    assert unread.pop("labels.txt") == "corrupt"  # the same blob: its re-hash is remembered, not lost
    assert set(unread.values()) == {"unverified"}

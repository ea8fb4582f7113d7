"""The lineage screen, driven from the keyboard: open it from the explorer, move, expand and collapse a type,
switch level and focus, jump back to a version; plus panning, escaping and live refresh."""

from __future__ import annotations

import pytest
import core
from textual.app import App, ComposeResult

from core.lineage.graph import Graph, run_node, version_node
from core.lineage.layout import layout
from core.lineage.render import render_rows
from tests.helpers.lineage_tutorial import PROJECT, build_tutorial_store
from tests.helpers.app import foreign_controls, open_version, screen_text, settle, wait_until
from tui.screens.lineage import LineageScreen
from tui.widgets.artifact_tree import ArtifactTree, VersionItem
from tui.widgets.lineage_view import LineageView


def lineage_view(app) -> LineageView:
    return app.screen.query_one(LineageView)


def status(app) -> str:
    """The status line under the graph: the cursor's node first, then the level and the focus."""
    return str(app.screen.query_one("#lineage-status").render()).strip()


def cursor_text(app) -> str:
    view = lineage_view(app)
    return view.graph.nodes[view.cursor].text


async def press(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def move_to(pilot, text: str, key: str) -> None:
    """Press `key` until the cursor is on the node shown as `text` (a few presses at most)."""
    for _ in range(8):
        if cursor_text(pilot.app) == text:
            return
        await press(pilot, key)
    assert cursor_text(pilot.app) == text


async def open_project_lineage(pilot) -> None:
    await settle(pilot)
    tree = pilot.app.screen.query_one(ArtifactTree)
    assert tree.cursor_line == 0  # the project row
    await press(pilot, "l")
    assert isinstance(pilot.app.screen, LineageScreen)


@pytest.mark.slow
async def test_navigate_expand_collapse_explode_and_focus(store, make_app):
    build_tutorial_store(store)
    app = make_app(store)
    async with app.run_test(size=(100, 34)) as pilot:
        await open_project_lineage(pilot)
        text = screen_text(app)
        for box in ("(load-data (1))", "[dataset (2)]", "(preprocess-data (1))", "(initialize (1))", "[model (3)]",
                    "(train (2))", "(report (2))"):
            assert box in text
        footer = text.splitlines()[-1]
        for key in ("esc Back", "⏎ Expand", "e Explode", "f Focus", "o Open"):
            assert key in footer

        # top to bottom: down follows an edge, right steps within the layer
        assert cursor_text(app) == "load-data (1)"
        await press(pilot, "down")
        assert cursor_text(app) == "dataset (2)"
        await press(pilot, "right")
        assert cursor_text(app) == "model (3)"
        await press(pilot, "down")
        assert cursor_text(app) in ("train (2)", "report (2)")
        await press(pilot, "up")
        assert cursor_text(app) in ("model (3)", "dataset (2)")
        await move_to(pilot, "model (3)", "right")

        # expand one type: its versions replace it, the other types stay collapsed
        await press(pilot, "enter")
        text = screen_text(app)
        assert "[model (3)]" not in text
        for box in ("[convnet:v0 (latest)]", "[trained-model:v0]", "[trained-model:v1 (best, latest)]",
                    "[dataset (2)]", "(train (2))"):
            assert box in text
        assert cursor_text(app) == "trained-model:v1 (best, latest)"
        assert "trained-model:v1 (best, latest) (artifact version)" in text  # the status line

        # collapse it again from one of its versions
        await press(pilot, "enter")
        text = screen_text(app)
        assert "[model (3)]" in text and "trained-model" not in text
        assert cursor_text(app) == "model (3)"

        # explode the whole graph, and back
        await press(pilot, "e")
        text = screen_text(app)
        for box in ("(load-data:sunny-smoke-1)", "[mnist-raw:v0 (latest)]", "(train:quiet-wave-4)",
                    "(report:dry-dew-7)", "[trained-model:v1 (best, latest)]"):
            assert box in text
        assert "[model (3)]" not in text
        assert cursor_text(app) == "trained-model:v1 (best, latest)"
        await press(pilot, "e")
        assert "[model (3)]" in screen_text(app) and "(train:quiet-wave-4)" not in screen_text(app)

        # focus on a version: everything linked to it fits on this screen, so nothing is left out
        await press(pilot, "e")
        await move_to(pilot, "train:brave-leaf-6", "up")
        await move_to(pilot, "convnet:v0 (latest)", "up")
        await press(pilot, "f")
        text = screen_text(app)
        assert status(app).startswith("convnet:v0 (latest)") and status(app).endswith("focus here")
        assert "(initialize:bold-cloud-3)" in text and "(report:dry-dew-7)" in text and "(load-data" in text
        assert all(n.kind != "more" for n in lineage_view(app).graph.nodes.values())
        await press(pilot, "f")
        assert "focus on" not in screen_text(app)

        await press(pilot, "escape")
        assert not isinstance(app.screen, LineageScreen)


async def test_one_orientation_for_both_levels_r_turns_it_and_loops_have_arrowheads(store, make_app):
    build_tutorial_store(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_project_lineage(pilot)
        view = lineage_view(app)
        assert view.placed.orientation == "tb"
        text = screen_text(app)
        lines = text.splitlines()
        row = next(i for i, line in enumerate(lines) if "[dataset (2)]" in line)
        assert lines[row - 1].count("▼") >= 2  # load-data's arrow and the loop back from preprocess-data
        await press(pilot, "e")
        assert lineage_view(app).placed.orientation == "tb"  # the versions read the same way
        await press(pilot, "r", "e")
        assert lineage_view(app).placed.orientation == "lr"
        assert "─▶[dataset (2)]" in screen_text(app) or "─▶[model (3)]" in screen_text(app)
        await press(pilot, "r")
        assert lineage_view(app).placed.orientation == "tb"


async def test_the_selected_node_is_marked_without_colour_and_wide_graphs_pan(store, make_app):
    build_tutorial_store(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_project_lineage(pilot)
        assert "▶(load-data (1))◀" in screen_text(app)
        await press(pilot, "down")
        assert "▶[dataset (2)]◀" in screen_text(app) and "▶(load-data" not in screen_text(app)

        await press(pilot, "r", "e")  # the exploded graph left to right: wider than the screen
        view = lineage_view(app)
        assert view.placed.width > 80
        await press(pilot, "h", "h", "h", "h", "h")
        assert view.scroll_x == 0
        box = view.placed.boxes[view.cursor]
        assert box.x + box.width <= 80  # the cursor moved with the view
        for _ in range(2):
            await press(pilot, "l")
        assert view.scroll_x > 0
        box = view.placed.boxes[view.cursor]
        assert view.scroll_x <= box.x and box.x + box.width <= view.scroll_x + 80  # still in view, whole
        assert cursor_text(app) in screen_text(app)
        await press(pilot, "h", "h", "h")
        assert view.scroll_x == 0
        box = view.placed.boxes[view.cursor]
        assert box.x + box.width <= 80
        before = view.cursor
        await press(pilot, "right", "right", "right", "right")  # arrows follow edges and pan with the cursor
        box = view.placed.boxes[view.cursor]
        assert view.cursor != before and view.scroll_x <= box.x and box.x + box.width <= view.scroll_x + 80


async def test_focus_leaves_out_only_what_does_not_fit_and_enter_shows_it(store, make_app, monkeypatch):
    import tui.screens.lineage as lineage_screen

    build_tutorial_store(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, f"{PROJECT}/convnet:v0")
        await press(pilot, "l")
        assert all(n.kind != "more" for n in lineage_view(app).graph.nodes.values())  # 13 nodes fit at 80x24
        await press(pilot, "escape")
        monkeypatch.setattr(lineage_screen, "fits_on", lambda width, height: 5)  # a screen that holds five
        await press(pilot, "l")
        view = lineage_view(app)
        markers = [n for n in view.graph.nodes.values() if n.kind == "more"]
        assert markers and all(n.label.startswith("+") and n.label.endswith(("runs", "run", "versions", "version"))
                               for n in markers)
        marker = next(n for n in markers if n.members)
        hidden = [view.graph.nodes.get(m) for m in marker.members]
        assert hidden == [None] * len(marker.members)
        view.select(marker.id)
        await settle(pilot)
        assert f"{marker.label} (left out by focus)" in screen_text(app)
        await press(pilot, "enter")
        view = lineage_view(app)
        assert all(m in view.placed.boxes for m in marker.members)  # Enter shows what it stood for
        assert view.cursor in marker.members


async def test_o_on_a_run_opens_it_in_the_runs_view(store, make_app):
    from tui.screens.runs import RunsScreen

    build_tutorial_store(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, f"{PROJECT}/mnist-preprocess:v0")
        await press(pilot, "l")
        assert cursor_text(app) == "mnist-preprocess:v0 (latest)"
        await press(pilot, "up")
        assert cursor_text(app) == "preprocess-data:misty-river-2"
        await press(pilot, "o")
        assert isinstance(app.screen, RunsScreen)
        assert await wait_until(pilot, lambda: app.screen._run_id == "r2")
        await press(pilot, "escape")
        assert isinstance(app.screen, LineageScreen)


async def test_five_versions_of_a_collection_are_one_node_until_enter(store, make_app):
    for i in range(6):
        with core.init(project="many", job_type="train", name=f"run-{i}", store=store) as run:
            artifact = core.Artifact("model", type="model")
            with artifact.new_file("w.bin", mode="wb") as f:
                f.write(bytes([i]))
            run.log_artifact(artifact)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_project_lineage(pilot)
        await press(pilot, "e")
        text = screen_text(app)
        assert "(train: 6 runs)" in text and "[model: 6 versions]" in text
        assert "(train:run-3)" not in text
        await move_to(pilot, "model: 6 versions", "down")
        await press(pilot, "enter")
        text = screen_text(app)
        assert "[model: 6 versions" not in text and "(train: 6 runs)" in text
        assert cursor_text(app) == "model:v5 (latest)"
        await press(pilot, "enter")  # back into the cluster
        assert "[model: 6 versions]" in screen_text(app)
        assert cursor_text(app) == "model: 6 versions"


@pytest.mark.slow
async def test_opens_focused_on_the_selected_version_and_jumps_back(store, make_app):
    build_tutorial_store(store)
    app = make_app(store)
    async with app.run_test(size=(100, 34)) as pilot:
        await open_version(pilot, f"{PROJECT}/mnist-preprocess:v0")
        await press(pilot, "l")
        assert isinstance(app.screen, LineageScreen)
        text = screen_text(app)
        assert cursor_text(app) == "mnist-preprocess:v0 (latest)"
        assert status(app).startswith("mnist-preprocess:v0 (latest)") and status(app).endswith("focus here")
        for box in ("[mnist-raw:v0 (latest)]", "(preprocess-data:misty-river-2)", "(train:quiet-wave-4)",
                    "(report:calm-sun-5)", "[trained-model:v1 (best, latest)]"):
            assert box in text

        await press(pilot, "up", "up")
        assert cursor_text(app) == "mnist-raw:v0 (latest)"
        await press(pilot, "o")
        assert not isinstance(app.screen, LineageScreen)
        node = app.screen.query_one(ArtifactTree).cursor_node
        assert isinstance(node.data, VersionItem) and node.data.ref == f"{PROJECT}/mnist-raw:v0"


async def test_empty_project_says_how_the_graph_appears(store, make_app):
    with core.init(project="quiet", job_type="noop", store=store):
        pass
    store2 = core.open_store(store.root.parent / "other")
    app = make_app(store2)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(LineageScreen(store2, "nothing-here"))
        await settle(pilot)
        assert "No runs or artifacts in this project yet" in screen_text(app)


async def test_names_are_shown_literally(store, make_app):
    with core.init(project="evil", job_type="train\x1b]0;pwned\x07", name="[bold]x[/bold]\u202e", store=store) as run:
        artifact = core.Artifact("data", type="dataset")
        with artifact.new_file("x.bin", mode="wb") as f:
            f.write(b"x")
        run.log_artifact(artifact, aliases=["[@click=app.quit]"])
    app = make_app(store)
    async with app.run_test(size=(120, 24)) as pilot:
        await open_project_lineage(pilot)
        await press(pilot, "e")
        text = screen_text(app)
        assert "[bold]x[/bold]<U+202E>" in text
        assert "␛]0;pwned␇" in text
        assert "[data:v0 ([@click=app.quit], latest)]" in text
        assert foreign_controls(app) == []


@pytest.mark.slow
async def test_a_new_run_appears_while_the_graph_is_open(store, make_app):
    build_tutorial_store(store)
    app = make_app(store)
    async with app.run_test(size=(100, 34)) as pilot:
        await open_project_lineage(pilot)
        await press(pilot, "e")
        with core.init(project=PROJECT, job_type="report", name="late-night-8", store=store) as run:
            run.use_artifact("trained-model:best")
        assert await wait_until(pilot, lambda: "(report:late-night-8)" in screen_text(app))


class ViewApp(App):
    """Just the widget, on a graph too big for the screen."""

    def compose(self) -> ComposeResult:
        yield LineageView()

    def on_mount(self) -> None:
        g = Graph()
        previous = None
        for i in range(40):  # a long chain: 80 rows top to bottom
            run = g.add_node(run_node(f"r{i}", f"step-{i}", "train")).id
            if previous:
                g.add_edge(previous, run)
            version = g.add_node(version_node("p", "model", i, "model")).id
            g.add_edge(run, version)
            previous = version
        g.finish()
        placed = layout(g, 30)
        view = self.query_one(LineageView)
        view.show(g, placed, render_rows(placed), None)
        view.focus()


@pytest.mark.slow
async def test_pans_to_keep_the_cursor_on_screen():
    app = ViewApp()
    async with app.run_test(size=(40, 12)) as pilot:
        view = app.query_one(LineageView)
        assert view.placed.height > 40 and view.cursor == "run:r0"
        assert view.scroll_y == 0
        for _ in range(30):
            await pilot.press("down")
        await pilot.pause()
        box = view.placed.boxes[view.cursor]
        assert view.cursor == "run:r15"  # r0 -> model:v0 -> r1 -> ... along the edges
        assert view.scroll_y > 0
        assert view.scroll_y <= box.y < view.scroll_y + view.size.height
        assert view.graph.nodes[view.cursor].label in screen_text(app)
        for _ in range(30):
            await pilot.press("up")
        await pilot.pause()
        assert view.cursor == "run:r0" and view.scroll_y == 0

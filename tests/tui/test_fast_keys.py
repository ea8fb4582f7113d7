"""Keys typed in one burst do what the same keys typed slowly do (tui/key_gate.py): a key that opens a field (the
filter's `/`, the alias dialog's `a`) is followed by keys that land in that field, not in the tree behind it."""

from __future__ import annotations

import os

import pytest
from textual import events

from tests.helpers.app import open_version, screen_text, settle, wait_until
from tests.helpers.terminal import Terminal

_NAMES = {"/": "slash", "\r": "enter"}


def burst(app, text: str) -> None:
    """Every key of `text` at once, as a terminal's driver hands over one read of fast typing."""
    for char in text:
        app.post_message(events.Key(_NAMES.get(char, char), char))


async def test_a_burst_after_slash_lands_in_the_filter_box(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(app, "/dem")  # `d` in the tree would be "remove an alias", `e` nothing, `m` nothing
        assert await wait_until(pilot, lambda: app.screen.query("#tree-filter")
                                and app.screen.query_one("#tree-filter").value == "dem", timeout=10)
        await settle(pilot)
        assert app.screen.query_one("#tree-filter").has_focus
        assert len(app.screen_stack) == 2  # no dialog opened on the way

        burst(app, "\rmo")  # enter leaves the box for the tree; the keys after it are the tree's again
        await settle(pilot)
        assert app.screen.query_one("#tree-filter").value == "dem"
        assert app.screen.focused is app.screen.tree


async def test_a_burst_after_a_adds_that_alias(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v0")
        burst(app, "agold\r")
        assert await wait_until(pilot, lambda: "gold" in demo_store.artifact("demo/mnist-raw:v0").aliases,
                                timeout=10), screen_text(app)
        await settle(pilot)
        assert len(app.screen_stack) == 2  # the dialog closed


def click(app, x: int, y: int) -> None:
    """A mouse click as the driver hands it over: a button pressed and released at (x, y) of the screen."""
    for kind in (events.MouseDown, events.MouseUp):
        app.post_message(kind(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y))


async def test_escape_and_a_letter_read_as_alt_letter_are_both_keys(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(app, "/dem")
        # esc then R typed fast in tmux (no kitty protocol): one ESC byte and R, which Textual reads as alt+shift+r
        app.post_message(events.Key("alt+shift+r", "R"))
        assert await wait_until(pilot, lambda: "Runs of demo" in screen_text(app), timeout=10), screen_text(app)
        app.pop_screen()
        await settle(pilot)
        assert app.screen.query_one("#tree-filter").value == ""  # the esc cleared the filter, no R typed into it


async def test_a_held_down_arrow_then_a_key_acts_on_the_row_it_reached(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v2")
        for _ in range(2):  # arrows go out together (a held-down key must not lag), still in order
            app.post_message(events.Key("down", None))
        burst(app, "agold\r")
        assert await wait_until(pilot, lambda: "gold" in demo_store.artifact("demo/mnist-raw:v0").aliases,
                                timeout=10), screen_text(app)
        assert "gold" not in demo_store.artifact("demo/mnist-raw:v1").aliases


async def test_a_paste_or_a_click_among_fast_keys_comes_in_its_turn(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(app, "/")
        app.post_message(events.Paste("mni"))  # in the same read as `/`: the paste belongs in the box it opens
        assert await wait_until(pilot, lambda: app.screen.query("#tree-filter")
                                and app.screen.query_one("#tree-filter").value == "mni", timeout=3)
        await settle(pilot)

        burst(app, "\r/st")  # back to the tree, into the box again (its text selected: "st" replaces it); then a click
        tree = app.screen.tree
        click(app, tree.region.x + 4, tree.region.y + 1)
        burst(app, "x")  # in the tree after the click (where it does nothing), not in the box
        await settle(pilot)
        assert app.screen.query_one("#tree-filter").value == "st"
        assert app.screen.focused is tree


@pytest.mark.slow
def test_keys_typed_while_the_program_starts_reach_the_filter(demo_store, tmp_path):
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="80", LINES="24")
    term = Terminal(["--store", str(demo_store.root)], cwd=str(tmp_path), env=env)
    try:
        term.press("/quit")  # in one write, before the first screen is drawn: a `q` that missed the box quits
        assert term.wait_for("no matches for quit"), term.text()[-2000:]
        assert term.proc.poll() is None
        term.press("escape", "q")
    finally:
        code = term.close()
    assert code == 0


@pytest.mark.slow
def test_enter_typed_while_the_program_starts_is_enter(demo_store, tmp_path):
    # Until the program puts the terminal in raw mode, the terminal turns enter (\r) into \n, read as ctrl+j
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="80", LINES="24")
    term = Terminal(["--store", str(demo_store.root)], cwd=str(tmp_path), env=env)
    try:
        term.press("/nist", "enter", "R")  # enter leaves the filter for the tree, where R opens the project's runs
        assert term.wait_for("Runs of demo", timeout=15), term.text()[-2000:]
        term.press("escape", "q")
    finally:
        code = term.close()
    assert code == 0


async def test_keys_typed_before_the_lineage_is_drawn_move_its_cursor(demo_store, make_app, monkeypatch):
    import time

    import tui.screens.lineage as lineage

    def slow(build):  # a store that takes a moment to read, as a big one does
        return lambda *args, **kwargs: (time.sleep(0.15), build(*args, **kwargs))[1]

    monkeypatch.setattr(lineage, "build_type_graph", slow(lineage.build_type_graph))
    monkeypatch.setattr(lineage, "draw_view", slow(lineage.draw_view))
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(app, "l")
        for key in ("down", "down", "enter"):  # to the train type (the slow way), then expand it into its runs
            app.post_message(events.Key(key, None))
        assert await wait_until(pilot, lambda: "train-convnet" in screen_text(app), timeout=10), screen_text(app)
        await settle(pilot)
        view = app.screen.query_one("#lineage-view")
        assert "train-convnet" in view.graph.nodes[view.cursor].text

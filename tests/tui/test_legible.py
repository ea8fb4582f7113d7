"""Legible at 80x24 from the keyboard: the footer on every screen and dialog, focus that shows without colour and
one key into the details, rows that fit (badges, the lineage status line, the Overview's runs), one notification
at a time, the palette's own actions first, and keys that never vanish (the empty store, a loading collection, a
filter, `u` and `t` when they cannot act)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from textual import events
from textual.widgets import Input, OptionList, Tab

import core
from tests.helpers.app import PROJECT, log_version, open_version, screen_text, settle, tree_labels, wait_until
from tui.screens.lineage import status_line
from tui.widgets.artifact_tree import ArtifactTree, PlaceholderItem, VersionItem, fit_badges
from tui.widgets.key_footer import Item, KeyFooter, fit

EXPLORER_FOOTER = "? Keys a Alias+ d Alias- u Undo / Filter l Lineage R Runs q Quit r Run… w Runner"


def footer(app) -> str:
    return screen_text(app).splitlines()[-1].rstrip()


async def press(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
    await settle(pilot)


def fast(app, *keys: str) -> None:
    """Keys as a fast typist (or tmux send-keys) delivers them: all queued before the app handles any."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


def reversed_on(widget, y: int = 0) -> bool:
    """Whether line `y` of `widget` draws some non-blank text in reverse video (what shows without colour)."""
    return any(seg.style is not None and seg.style.reverse and seg.text.strip()
               for seg in widget.render_line(y))


def test_fit_keeps_the_pinned_key_and_whole_keys_only():
    def item(key: str, text: str) -> Item:
        return Item(key, key, text, text, True, "")

    pinned = item("?", "Keys")
    chosen = fit(pinned, [item("a", "Alias+"), item("l", "A-very-long-action"), item("q", "Quit")], 22)
    assert [i.description for i in chosen] == ["Keys", "Alias+", "Quit"]  # the long one left out, not cut
    assert fit(pinned, [item("a", "Alias+")], 3) == [pinned]


@pytest.mark.slow
async def test_footer_shows_the_keys_key_on_every_screen_and_dialog(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v1")
        assert footer(app) == EXPLORER_FOOTER  # whole keys, nothing after the last one (no stray letter)
        await press(pilot, "question_mark")
        assert type(app.screen).__name__ == "HelpScreen" and footer(app) == "?/esc Close"
        await press(pilot, "question_mark")
        # the alias dialog: `?` is typed into its field, so f1 lists the keys there
        await press(pilot, "a")
        assert footer(app).startswith("f1 Keys") and "esc Cancel" in footer(app)
        await press(pilot, "question_mark")
        assert app.screen.query_one(Input).value == "?"
        await press(pilot, "f1")
        assert type(app.screen).__name__ == "HelpScreen" and "Cancel" in screen_text(app)
        await press(pilot, "escape", "escape")
        assert type(app.screen).__name__ == "ExplorerScreen" and footer(app) == EXPLORER_FOOTER
        # a click on a key presses it, as in Textual's footer: "R Runs" (its cells counted from the row's text)
        await pilot.click(KeyFooter, offset=(EXPLORER_FOOTER.index("R Runs") + 2, 0))
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "RunsScreen")
        await press(pilot, "escape")
        await pilot.click(KeyFooter, offset=(EXPLORER_FOOTER.index("R Runs") - 1, 0))  # the gap between two keys
        await settle(pilot)
        assert type(app.screen).__name__ == "ExplorerScreen"
        for key, screen, also in (("l", "LineageScreen", "esc Back"), ("R", "RunsScreen", "esc Back"),
                                  ("w", "RunnerScreen", "esc Back")):
            await press(pilot, key)
            assert type(app.screen).__name__ == screen
            assert footer(app).startswith("? Keys") and also in footer(app), footer(app)
            await press(pilot, "question_mark")
            assert type(app.screen).__name__ == "HelpScreen"
            await press(pilot, "escape", "escape")
        # a narrower terminal keeps `?` and drops whole keys from the end
        await pilot.resize_terminal(40, 24)
        await settle(pilot)
        assert footer(app) == "? Keys a Alias+ d Alias- u Undo / Filter"


@pytest.mark.slow
async def test_focus_shows_without_colour_and_enter_goes_into_the_details(demo_store, make_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v1")
        tree = app.screen.query_one(ArtifactTree)
        title = app.screen.query_one("#tree-title")
        tab = app.screen.query_one("#version-details Tab.-active", Tab)
        assert reversed_on(title) and not reversed_on(tab)
        assert reversed_on(tree, tree.cursor_line)  # the focused tree's cursor row
        await press(pilot, "enter")  # one key into the details: the Overview's runs, one highlighted
        runs = app.screen.query_one("#overview-runs", OptionList)
        assert app.focused is runs and runs.highlighted == 0
        assert reversed_on(tab) and not reversed_on(title) and not reversed_on(tree, tree.cursor_line)
        assert reversed_on(app.screen.query_one("#overview-runs-title"))
        await press(pilot, "escape")
        assert app.focused is tree and reversed_on(title)
        await press(pilot, "tab")  # tab too goes straight into the open tab's content
        assert app.focused is not None and app.focused.id == "overview-scroll"
        await press(pilot, "shift+tab", "enter", "enter")  # and enter on a run opens it
        assert type(app.screen).__name__ == "RunsScreen" and "load-digits" in screen_text(app)


@pytest.mark.slow
async def test_rows_fit_at_80_columns(store, make_app, monkeypatch):
    with core.init(project=PROJECT, job_type="load-data", name="a-run-with-a-rather-long-name-indeed",
                   store=store) as run:
        log_version(run, "mnist-raw", "dataset", {"a.txt": b"a"}, aliases=["best", "production-candidate"])
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v0")
        lines = screen_text(app).splitlines()
        row = next(line for line in lines if "v0 " in line and "·" in line).split("▕")[0].rstrip()
        # whole badges, one shortened with "…", then how many more: never a badge cut by the edge
        assert row.endswith(("+1", "+2", "…")) and "best" in row, row
        runs = next(i for i, line in enumerate(lines) if "logged by" in line)
        assert lines[runs].rstrip().endswith("…") and "finished" not in lines[runs + 1]  # one line, not wrapped
    assert fit_badges(["best", "latest"], 20).plain == "  best   latest "
    assert fit_badges(["production", "latest"], 10).plain == "  pro…  +1"
    assert fit_badges(["production", "latest"], 5).plain == " +2"
    line = status_line("convnet:v0 (production, latest)", "artifact version", "Versions",
                       "mnist-raw:v2 (latest)", False, 50).plain
    assert len(line) <= 50 and line.startswith("convnet:v0") and line.endswith("focused (f: all)"), line
    assert status_line("x" * 90, "run", "Types", None, False, 40).plain.endswith("… · Types")


async def test_one_notification_at_a_time_and_palette_lists_the_app_first(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.notify("best: v1 -> v2", title="Alias")
        app.notify("Refreshing…")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "Refreshing…" in text and "best: v1" not in text
        app.notify("The store broke", severity="error")
        app.notify("Refreshing again")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "The store broke" in text and "Refreshing again" in text  # info does not hide an error
        assert sum(1 for line in text.splitlines() if "▌" in line) <= 3  # one line each (the error's two words)
        await press(pilot, "ctrl+p")
        palette = app.screen.query_one("CommandList", OptionList)
        assert await wait_until(pilot, lambda: palette.option_count > 10)
        names = [str(palette.get_option_at_index(i).prompt).split("\n")[0] for i in range(palette.option_count)]
        assert names[:3] == ["Alias+", "Alias-", "Filter"]  # the screen's own actions first
        assert names.index("Refresh") < names.index("Theme") < names.index("Focus Next")
        assert names.index("Runner") < names.index("Cursor Down")


@pytest.mark.slow
async def test_keys_never_vanish(store, demo_store, make_app, monkeypatch):
    notices: list[str] = []
    app = make_app(demo_store)
    real_notify = app.notify
    app.notify = lambda message, **kw: (notices.append(message), real_notify(message, **kw))
    gate = threading.Event()
    real_versions = demo_store.versions

    def slow_versions(*args, **kwargs):  # versions arrive only when the test says so
        gate.wait(5)
        return real_versions(*args, **kwargs)

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "u", "t")
        assert any("Nothing to undo" in n for n in notices) and any("only on an empty store" in n for n in notices)
        assert type(app.screen).__name__ == "ExplorerScreen"
        # Keys pressed on "loading…" wait for the versions: enter, down, down, enter lands in v1's details.
        tree = app.screen.query_one(ArtifactTree)
        monkeypatch.setattr(demo_store, "versions", slow_versions)
        await press(pilot, "down", "down")  # dataset, mnist-raw
        fast(app, "enter", "down", "down", "enter")
        # all four handled while the versions are held back: the cursor waits on "loading…" with them
        assert await wait_until(pilot, lambda: tree._collections[("demo", "mnist-raw")].pending_select, timeout=5)
        assert isinstance(tree.cursor_node.data, PlaceholderItem)
        gate.set()
        await settle(pilot)
        assert tree.cursor_node.data == VersionItem("demo", "mnist-raw", 1)
        assert await wait_until(pilot, lambda: "v1 of 3" in screen_text(app))
        assert app.focused is app.screen.query_one("#overview-runs")
        monkeypatch.setattr(demo_store, "versions", real_versions)
        # A filter that hides the open collection, then cleared: it is open again, the cursor back on v1.
        await press(pilot, "escape", "slash", *"conv")
        assert tree_labels(app) == ["demo", "model 1", "convnet 1"]
        await press(pilot, "escape")
        assert "v1 211 B · 3m  best " in tree_labels(app)
        assert tree.cursor_node.data == VersionItem("demo", "mnist-raw", 1)
        # ... unless the user went somewhere else through the filter: then the cursor stays there.
        await press(pilot, "slash", *"conv", "enter", "down", "down", "enter", "down")  # convnet's newest version
        await press(pilot, "escape")
        assert tree.cursor_node.data == VersionItem("demo", "convnet", 0)

    # Ages follow the clock without reading the store again.
    now = [app.clock()]
    monkeypatch.setattr("tui.widgets.artifact_tree.AGE_REFRESH_S", 0.1)
    app = make_app(demo_store, clock=lambda: now[0])
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v1")
        reads = []
        monkeypatch.setattr(demo_store, "versions", lambda *a, **k: reads.append(a) or real_versions(*a, **k))
        now[0] += timedelta(hours=2)
        assert await wait_until(pilot, lambda: "v1 211 B · 2h  best " in tree_labels(app), timeout=3)
        assert not reads


async def test_empty_store_keys(store, make_app, monkeypatch):
    started = []
    monkeypatch.setattr("tui.runner.actions.start_tutorial", lambda app: started.append(app))
    notices: list[str] = []
    app = make_app(store)
    app.notify = lambda message, **kw: notices.append(message)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert footer(app).startswith("? Keys t Tutorial")
        await press(pilot, "slash")  # no hidden filter takes the keyboard: it says why, t and q still work
        assert any("The store is empty" in n for n in notices)
        assert not isinstance(app.focused, Input)
        await press(pilot, "t")
        assert started
        await press(pilot, "q")
        assert not app.is_running or app.return_code is not None

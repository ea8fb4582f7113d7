"""Hostile strings in every user-facing field: shown literally, no action fired, no crash, no escape sequence,
C1 control or bidi override reaches the terminal."""

from __future__ import annotations

import pytest
import core
from tests.helpers.app import foreign_controls, log_version, move_to_run, open_version, screen_text, settle
from tui.safe import safe_str
from tui.widgets.run_details import RunDetails
from tui.widgets.run_table import RunTable

CLICK = "[@click=app.quit]x[/]"
BAD_MARKUP = "model[/bold]"
ESCAPES = "\x1b[6n\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x9b2J\x9d0;t\x9c"
BIDI = "abc\u202edcba\u2066x\u2069"
EVERYTHING = f"{CLICK} {BAD_MARKUP} {ESCAPES} {BIDI}"

# Names have strict rules (no '/', no control characters), so they carry what their rules let through.
PROJECT = "[@click=app.quit]p[] \u202eproj"
TYPE = "[@click=app.quit]t[] \u202etype"
ALIAS = "[@click=app.quit]a[]\u202e"
FILE = "[@click=app.quit]x[/]model[/bold] \u202e.txt"


def build_hostile_store(store) -> None:
    with core.init(project=PROJECT, job_type=EVERYTHING, name=EVERYTHING, id="evil0001", store=store,
                   config={EVERYTHING: EVERYTHING, "nested": {"k": [EVERYTHING]}}, notes=EVERYTHING,
                   tags=[EVERYTHING], group=EVERYTHING) as run:
        for i in range(2):
            log_version(run, "evil", TYPE, {FILE: b"payload %d" % i, f"dir/{FILE}": b"x"},
                        aliases=[ALIAS] if i == 1 else [], description=EVERYTHING + "\nsecond line",
                        metadata={EVERYTHING: EVERYTHING, "list": [EVERYTHING, {BAD_MARKUP: CLICK}]})
        run.log({EVERYTHING: 1.0, "loss": 0.5}, step=0)
        run.log({EVERYTHING: 2.0, "loss": 0.25}, step=1)
        run.summary.update({EVERYTHING: EVERYTHING})
    try:
        with core.init(project=PROJECT, job_type="boom", name="crashy", id="evil0002", store=store):
            raise RuntimeError(EVERYTHING)
    except RuntimeError:
        pass


async def check_screen(pilot, *literal: str) -> None:
    """Nothing hostile reached the output; the literal text is visible; clicking it fires no action.
    (In the explorer only the details pane is clicked: a click on a tree row legitimately folds it.)"""
    app = pilot.app
    await settle(pilot)
    text = screen_text(app)
    assert foreign_controls(app) == [], [line for line in text.splitlines() if any(c in line for c in "\x1b\u202e\u2066\x9b\x9d\x07")]
    for piece in literal:
        assert piece in text, piece
    screen = app.screen
    panes = screen.query("#tree-pane")
    left = panes.first().region.right if panes else 0
    for y, line in enumerate(text.splitlines()):
        x = line.find("[@click=app.quit]", left)
        if x >= 0:
            await pilot.click(offset=(x + 1, y))
            await settle(pilot)
            assert app.is_running and app.return_code is None
            if app.screen is not screen:  # the click opened something legitimate (a tab, a row): go back
                await pilot.press("escape")
                await settle(pilot)
            break


@pytest.mark.slow
async def test_hostile_strings_everywhere(store, make_app):
    build_hostile_store(store)
    app = make_app(store)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        # tree: project, type, collection; version rows with the alias badge
        await check_screen(pilot, "[@click=app.quit]p[] <U+202E>proj", "[@click=app.quit]t[] <U+202E>type")
        await open_version(pilot, f"{PROJECT}/evil:v1")
        # overview: description (both lines), alias, the run that logged it
        await check_screen(pilot, "[@click=app.quit]a[]<U+202E>", "[@click=app.quit]x[/] model[/bold] ␛[6n␛]0;pwned␇",
                           "\\x9b2J\\x9d0;t\\x9c", "abc<U+202E>dcba<U+2066>x<U+2069>", "second line")
        await pilot.press("2")  # metadata
        await check_screen(pilot, "[@click=app.quit]x[/] model[/bold] ␛[6n")
        await pilot.press("3")  # files
        await check_screen(pilot, "[@click=app.quit]x[/]model[/bold] <U+202E>.txt")
        await pilot.press("4")  # diff
        await check_screen(pilot, "changed")
        await pilot.press("1")
        await settle(pilot)

        # add the hostile alias again through the dialog: its preview shows it literally
        await pilot.press("a")
        await settle(pilot)
        for char in "[b]x":
            await pilot.press(char)
        await check_screen(pilot, "[b]x: new on v1")
        await pilot.press("escape")
        await settle(pilot)

        # runs view: name, job type, state, config, summary, notes, error, chart
        await pilot.press("R")
        await check_screen(pilot, "[@click=app.quit]x[/] model[/bold]")
        assert type(app.screen).__name__ == "RunsScreen"
        app.screen.query_one(RunTable).focus()
        await move_to_run(pilot, "crashy")  # the failed run: its error message
        await check_screen(pilot, "✗ failed", "␛[6n␛]0;pwned␇")
        app.screen.query_one(RunTable).focus()
        await move_to_run(pilot, safe_str(EVERYTHING))
        await check_screen(pilot, "notes", "tags")
        for tab in ("2", "3", "4"):
            await pilot.press(tab)
            await check_screen(pilot, "[@click=app.quit]x[/]" if tab != "4" else "loss")
        chart = app.screen.query_one(RunDetails)
        assert sorted(chart.metrics) == sorted([EVERYTHING, "loss"])
        chart.action_metric(1)
        await check_screen(pilot, "[@click=app.quit]x[/] model[/bold]")

        # help and palette on this screen
        await pilot.press("question_mark")
        await check_screen(pilot, "Keys")
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running


async def test_pasted_control_characters_never_reach_an_input(demo_store, make_app):
    """Bracketed paste into the filter and the alias dialog: ESC, C1 and bidi characters are left out (and the user
    told so), so they are neither drawn raw nor stored in an alias; the printable rest is kept."""
    from textual import events
    from textual.widgets import Input

    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash")
        await settle(pilot)
        app.post_message(events.Paste(f"mn\x1b[31mist\u202e\x9b\n second line"))
        await settle(pilot)
        value = app.screen.query_one("#tree-filter", Input).value
        assert value == "mn[31mist"
        assert foreign_controls(app) == []
        assert any("3 control, escape or bidi character(s) left out" in n.message for n in app._notifications)
        await pilot.press("escape")
        await open_version(pilot, "demo/mnist-raw:v1")
        await pilot.press("a")
        await settle(pilot)
        app.post_message(events.Paste("gold\x1b]0;pwned\x07\u200b"))
        await settle(pilot)
        assert app.screen.query_one("#alias-input", Input).value == "gold]0;pwned"
        assert foreign_controls(app) == []

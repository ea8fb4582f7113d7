"""Alias tagging from the keyboard: add, move, remove and undo; the store reflects each step at once."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input

from tests.helpers.app import (
    holders,
    holders_from_another_process,
    in_another_process,
    open_version,
    screen_text,
    settle,
    tree_labels,
)


async def add_alias(pilot, alias: str) -> str:
    """Press a, type the alias, return the dialog's preview line, confirm with enter."""
    await pilot.press("a")
    await settle(pilot)
    for char in alias:
        await pilot.press(char)
    await settle(pilot)
    preview = str(pilot.app.screen.query_one("#alias-feedback").render())
    await pilot.press("enter")
    await settle(pilot)
    return preview


@pytest.mark.slow
async def test_add_move_remove_and_undo(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v2")

        # add a new alias
        preview = await add_alias(pilot, "candidate")
        assert "candidate: new on v2" in preview
        assert holders(demo_store, "candidate") == ["v2"]
        assert any("candidate" in row and row.startswith("v2") for row in tree_labels(app))

        # move an existing one: the dialog says what the move does before it is confirmed
        preview = await add_alias(pilot, "best")
        assert "best: v1 -> v2" in preview
        assert holders(demo_store, "best") == ["v2"]
        assert holders_from_another_process(demo_store, "best") == ["v2"]
        rows = tree_labels(app)
        assert "best" in next(r for r in rows if r.startswith("v2")) and "best" not in next(
            r for r in rows if r.startswith("v1"))

        # remove one, picking which
        await pilot.press("d")
        await settle(pilot)
        text = screen_text(app)
        dialog = app.screen
        assert "Remove an alias from demo/mnist-raw:v2" in text
        assert sorted(dialog.aliases) == ["best", "candidate"]  # latest is not offered
        await pilot.press(*["down"] * dialog.aliases.index("best"), "enter")
        await settle(pilot)
        assert holders(demo_store, "best") == [] and holders(demo_store, "candidate") == ["v2"]

        # undo, last change first: the removal, then the move (back to v1), then the addition
        await pilot.press("u")
        await settle(pilot)
        assert holders(demo_store, "best") == ["v2"]
        await pilot.press("u")
        await settle(pilot)
        assert holders(demo_store, "best") == ["v1"]
        assert holders_from_another_process(demo_store, "best") == ["v1"]
        await pilot.press("u")
        await settle(pilot)
        assert holders(demo_store, "candidate") == []
        await pilot.press("u")
        await settle(pilot)
        assert holders(demo_store, "best") == ["v1"]  # nothing left to undo: nothing changes
        rows = tree_labels(app)
        assert "best" in next(r for r in rows if r.startswith("v1"))


@pytest.mark.slow
async def test_reserved_and_invalid_aliases_are_refused_with_the_reason(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v0")
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        cases = {
            "latest": "managed by the store",
            "v7": "reserved",
            "has space": "whitespace",
            "a:b": "may not contain",
        }
        for alias, reason in cases.items():
            dialog.query_one(Input).value = alias
            await settle(pilot)
            assert reason in str(dialog.query_one("#alias-feedback").render()), alias
            assert dialog.query_one("#confirm", Button).disabled
            await pilot.press("enter")  # refused: the dialog stays open
            await settle(pilot)
            assert app.screen is dialog
        await pilot.press("escape")
        await settle(pilot)
        assert [v.aliases for v in demo_store.versions("demo", "mnist-raw")] == [[], ["best"], ["latest"]]


@pytest.mark.slow
async def test_latest_cannot_be_removed_and_alias_keys_need_a_version(demo_store, make_app):
    app = make_app(demo_store)
    notices = []
    app.notify = lambda message, **kw: notices.append(message)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        explorer = app.screen
        await pilot.press("a")  # the cursor is on the project row: the key is disabled, no dialog opens
        await settle(pilot)
        assert app.screen is explorer
        await open_version(pilot, "demo/mnist-raw:v2")
        await pilot.press("d")
        await settle(pilot)
        assert any("no alias to remove" in n and "latest" in n for n in notices)
        assert demo_store.artifact("demo/mnist-raw:latest").version == "v2"


@pytest.mark.slow
async def test_add_alias_by_mouse(demo_store, make_app):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v0")
        await pilot.press("a")
        await settle(pilot)
        for char in "golden":
            await pilot.press(char)
        await settle(pilot)
        await pilot.click("#confirm")
        await settle(pilot)
        assert holders(demo_store, "golden") == ["v0"]


async def test_a_failing_preview_says_why_and_offers_retry(demo_store, make_app, monkeypatch):
    from core.errors import StoreBusyError
    from tests.helpers.app import wait_until

    real = demo_store.alias_holder
    failures = [StoreBusyError("database is locked"), OSError("disk unreadable")]

    def flaky(project, name, alias):
        if alias == "best" and failures:
            raise failures.pop(0)
        return real(project, name, alias)

    monkeypatch.setattr(demo_store, "alias_holder", flaky)
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v2")
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        for char in "best":
            await pilot.press(char)

        def feedback() -> str:
            return str(dialog.query_one("#alias-feedback").render())

        button = dialog.query_one("#confirm", Button)
        assert await wait_until(pilot, lambda: "locked by another process" in feedback()), feedback()
        assert button.disabled
        assert await wait_until(pilot, lambda: "disk unreadable" in feedback()), feedback()
        assert "could not check where best is now" in feedback() and "enter retries" in feedback()
        assert str(button.label) == "Retry" and not button.disabled

        await pilot.press("enter")  # retries the preview; adds nothing yet
        await settle(pilot)
        assert app.screen is dialog and holders(demo_store, "best") == ["v1"]
        assert "best: v1 -> v2" in feedback() and str(button.label) == "Add" and not button.disabled
        await pilot.press("enter")
        await settle(pilot)
        assert holders(demo_store, "best") == ["v2"]


@pytest.mark.slow
async def test_undo_refuses_when_the_alias_moved_elsewhere_since(demo_store, make_app):
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

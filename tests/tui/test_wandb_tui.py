"""The TUI on a W&B server (a fake one, mirrored from the demo store): the explorer and alias edits work as on the
local store, a stalled server leaves the UI responsive, and each credential failure shows its one message."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import DataTable

import core
from core.wandb_backend.store import WandbStore
from tests.helpers.fake_wandb import FakeServer, api_failure
from tests.helpers.app import build_demo_store, open_version, screen_text, settle, tree_labels, wait_until
from tui.app import ArtifactsApp
from tui.widgets.artifact_tree import ArtifactTree

ENTITY = "team"


@pytest.fixture
def server(tmp_path):
    source = core.open_store(tmp_path / "source")
    build_demo_store(source)
    return FakeServer(ENTITY).mirror(source)


@pytest.fixture
def wandb_store(server, tmp_path):
    return WandbStore(ENTITY, local=core.open_store(tmp_path / "cache"), api_factory=server.api, per_page=2,
                      host="https://wandb.example")


@pytest.mark.slow
async def test_explorer_browses_the_server(wandb_store, make_app):
    app = make_app(wandb_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v1")
        labels = tree_labels(app)
        assert labels[:3] == ["demo", "dataset 1", "mnist-raw 3"]
        assert labels[3].startswith("v2 ") and "latest" in labels[3]
        assert labels[4] == "v1 211 B · 3m  best "
        text = screen_text(app)
        for expected in ("v1 of 3", "best", "211 B in 3 files", "Raw digits, split", "load-digits"):
            assert expected in text, expected
        await pilot.press("3")
        await settle(pilot)
        table = app.screen.query_one("#file-table", DataTable)
        assert {table.get_row_at(i)[0].plain for i in range(table.row_count)} == {
            "extra-1.txt", "labels.txt", "train.pt"}


@pytest.mark.slow
async def test_an_alias_added_from_the_keyboard_lands_on_the_server(server, wandb_store, make_app):
    app = make_app(wandb_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v0")
        await pilot.press("a")
        await settle(pilot)
        for char in "gold":
            await pilot.press(char)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "gold" in server.find("demo", "mnist-raw", "v0").aliases
        assert await wait_until(pilot, lambda: any(label.startswith("v0 ") and label.endswith(" gold ") for label in tree_labels(app)))


def app_on(store) -> ArtifactsApp:
    """The app on `store`, touching no server before it starts (what `artifacts-tui --wandb` does)."""
    return ArtifactsApp(store=store, poll_interval=0.1)


@pytest.mark.slow
async def test_a_stalled_server_keeps_the_ui_responsive(server, wandb_store):
    server.stall = threading.Event()   # every round trip waits (up to 10 s) until the test lets it go
    app = app_on(wandb_store)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            tree = app.screen.query_one(ArtifactTree)
            assert await wait_until(pilot, lambda: tree.loading)   # the tree says it is loading ...
            await pilot.press("question_mark")                   # ... and keys still work meanwhile
            assert await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
            await pilot.press("escape")
            assert await wait_until(pilot, lambda: type(app.screen).__name__ == "ExplorerScreen")
            await pilot.press("slash", "m", "n")
            assert app.screen.query_one("#tree-filter").value == "mn"
            server.stall.set()
            assert await wait_until(pilot, lambda: "mnist-raw 3" in tree_labels(app))
            assert not tree.loading
    finally:
        server.stall.set()


def toast_text(app) -> str:
    """The words of the notifications on screen (a toast is drawn right of a "▌" bar, wrapped)."""
    parts = [line.split("▌", 1)[1].strip() for line in screen_text(app).splitlines() if "▌" in line]
    return " ".join(p for p in parts if p)


def _auth_error(status, message):
    from wandb.errors import AuthenticationError

    error = AuthenticationError(f"Failed to verify credentials with https://wandb.example: {message}")
    error.__cause__ = api_failure(message, status)
    return error


def _missing_key():
    from wandb.errors import UsageError

    return UsageError("No API key configured. Use `wandb login` to log in.")


@pytest.mark.parametrize("failure, on_api, shown", [
    (_missing_key, True, "no W&B API key for https://wandb.example: set WANDB_API_KEY"),
    (lambda: _auth_error(401, "invalid API key"), True, "rejected the API key"),
    (lambda: _auth_error(None, "the service process is busy and did not respond in time."), True,
     "cannot reach the W&B server at https://wandb.example"),
    (lambda: api_failure("permission denied", 403), False, "denied access to team/demo"),
], ids=["missing-key", "bad-key", "unreachable", "permission"])
async def test_each_failure_shows_one_clear_message(server, tmp_path, monkeypatch, failure, on_api, shown):
    store = WandbStore(ENTITY, "demo", local=core.open_store(tmp_path / "cache"), api_factory=server.api,
                       host="https://wandb.example")
    if on_api:
        server.api_error = failure()
    else:
        server.fail = failure()
    app = app_on(store)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        assert await wait_until(pilot, lambda: shown in toast_text(app))
        messages = [n.message for n in app._notifications]
        assert messages and all(shown in m and "Traceback" not in m and "\n" not in m for m in messages), messages
        assert app.is_running


@pytest.mark.parametrize("spec, expected", [
    ("team", ("team", None)), ("team/demo", ("team", "demo")), ("/team/demo/", ("team", "demo"))])
def test_the_wandb_option_names_an_entity_or_a_project(spec, expected):
    from tui.cli.wandb_open import open_wandb_store, parse_spec

    assert parse_spec(spec) == expected
    store = open_wandb_store(spec)   # no network until the first call
    assert (store.entity, store.default_project) == expected


@pytest.mark.parametrize("spec", ["team/demo/extra", "te am", "team/de:mo"])
def test_a_bad_wandb_option_is_one_line_and_exit_1(spec, capsys):
    from tui.cli import main

    assert main(["--wandb", spec]) == 1
    err = capsys.readouterr().err
    assert err.startswith("artifacts-tui: error: ") and err.count("\n") == 1


async def _lineage_text(store) -> str:
    app = app_on(store)
    async with app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        assert app.screen.query_one(ArtifactTree).cursor_line == 0   # the project row
        await pilot.press("l")
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "LineageScreen")
        await settle(pilot)
        await pilot.press("e")                                        # every version, not just the types
        await settle(pilot)
        return "\n".join(screen_text(app).splitlines()[1:])           # below the header (it names the store)


@pytest.mark.slow
async def test_the_lineage_screen_draws_the_same_graph_as_on_the_local_store(server, wandb_store, tmp_path):
    local = core.open_store(tmp_path / "local-demo")
    build_demo_store(local)
    on_server, on_disk = await _lineage_text(wandb_store), await _lineage_text(local)

    def drawing(text: str) -> list[str]:
        # W&B times have whole seconds, so runs made in one second may stack in another order: compare the rows
        # of the graph), leaving out the status line and the cursor's ▶…◀ marks: both name the node under the cursor
        for mark, plain in (("▶(", "("), (")◀", ")"), ("▶[", "["), ("]◀", "]")):
            text = text.replace(mark, plain)
        return sorted(line.strip() for line in text.splitlines() if line.strip() and " · " not in line)

    assert drawing(on_server) == drawing(on_disk)
    rows = drawing(on_server)
    assert "[mnist-raw:v0]  [mnist-raw:v1 (best)]  [mnist-raw:v2 (latest)]" in rows  # one layer, top to bottom
    assert {"(train:train-convnet)", "[convnet:v0 (production, latest)]", "(evaluate:eval-broken)"} <= set(rows)
    assert server.count("used_artifacts") == 3   # built from the runs: one page per run and side


@pytest.mark.slow
async def test_ctrl_r_fetches_what_the_server_gained_since_it_was_cached(server, wandb_store, make_app):
    app = make_app(wandb_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v1")
        assert not any(label.startswith("mnist-raw 4") for label in tree_labels(app))
        server.add_version("demo", "mnist-raw", "dataset", {"new.txt": b"fresh"})
        await settle(pilot)
        assert any(label.startswith("mnist-raw 3") for label in tree_labels(app))  # cached: no silent refetch
        await pilot.press("ctrl+r")
        assert await wait_until(pilot, lambda: any(label.startswith("mnist-raw 4") for label in tree_labels(app)))

"""A version's Overview (its reference and use_artifact line, copied with y/Y through OSC 52; the producing run's
summary metrics and config) and its Diff (description and metadata beside the files, with digests), read at 80x24
as a person at a tmux pane sees them."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

import core
from tests.helpers.app import log_version, open_version, screen_text, settle
from tui.screens.help import HelpScreen


@pytest.mark.slow
async def test_overview_shows_the_run_and_y_copies_the_usage_line(demo_store, make_app, monkeypatch):
    app = make_app(demo_store)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    monkeypatch.setattr("tui.clipboard.tmux_clipboard_off", lambda: False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/convnet:v0")
        app.screen.query_one("#overview-scroll").scroll_end(animate=False)
        await settle(pilot)
        text = screen_text(app)
        for expected in ("ref     demo/convnet:v0", "run.use_artifact(", '"demo/convnet:v0")', "y copies it, Y the ref",
                         "Producing run: train-convnet", "summary accuracy 97.5", "loss     0.08",
                         "config  epochs 5", "lr     0.001"):
            assert expected in text, expected
        await pilot.press("y")
        await settle(pilot)
        assert copied == ['run.use_artifact("demo/convnet:v0")']
        note = list(app._notifications)[-1]
        assert "OSC 52" in note.message and "SSH" in note.message and "set-clipboard on" in note.message
        await pilot.press("Y")
        await settle(pilot)
        assert copied[-1] == "demo/convnet:v0"
        # inside tmux with set-clipboard off the copy stops at tmux: the notification says so and how to fix it
        monkeypatch.setattr("tui.clipboard.tmux_clipboard_off", lambda: True)
        await pilot.press("y")
        await settle(pilot)
        last = list(app._notifications)[-1]
        assert last.severity == "warning" and "tmux set -g set-clipboard on" in last.message
        # the key is in the footer while the details pane has focus, and in the help
        app.screen.query_one("#overview-runs").focus()
        await settle(pilot)
        assert "y Copy use" in screen_text(app).splitlines()[-1]
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        help_keys = app.screen.query_one("#help-keys")
        help_keys.parent.scroll_end(animate=False)  # the list is longer than the box at 80x24
        await settle(pilot)
        console = Console(width=60, record=True, file=io.StringIO())
        console.print(help_keys.content)
        help_text = console.export_text()
        for key, description in (("y", "Copy use"), ("Y", "Copy ref"), ("⏎", "Preview (Files tab)"),
                                 ("s", "Save… (Files tab)"), ("[", "Older (Diff tab)")):
            assert any(line.split()[:1] == [key] and description in line for line in help_text.splitlines()), key


@pytest.mark.slow
async def test_diff_shows_description_metadata_and_digests_legibly_at_80_columns(demo_store, make_app):
    with core.init(project="demo", job_type="t", store=demo_store) as run:
        for i, size in enumerate((141_824, 142_336)):  # 138.5 KiB -> 139.0 KiB: the row that used to be cut
            log_version(run, "weights", "model", {"model.pth": bytes([i]) * size},
                        description="the tuned weights", metadata={"opt": {"lr": 0.1 / (i + 1)}, "epochs": 3 + i})
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/mnist-raw:v2")
        await pilot.press("4")
        await settle(pilot)
        text = screen_text(app)
        v1, v2 = (demo_store.artifact(f"demo/mnist-raw:v{i}") for i in (1, 2))
        train = [next(f.digest for f in v.files() if f.path == "train.pt") for v in (v1, v2)]
        for expected in ("v1 → v2: 1 added, 1 removed, 1 changed", "also metadata: 1 key, description",
                         "~  description", "(take 1)", "(take 2)", "~  metadata take", "1 → 2",
                         "-  extra-1.txt", "+  extra-2.txt", "~  train.pt", "200 B → 300 B",
                         f"digest {train[0][:8]} → {train[1][:8]}"):
            assert expected in text, expected
        await open_version(pilot, "demo/weights:v1")
        await pilot.press("4")
        await settle(pilot)
        text = screen_text(app)
        summary = app.screen.query_one("#diff-summary").content.plain
        assert summary == "v0 → v1: 0 added, 0 removed, 1 changed; also metadata: 2 keys"  # same description
        for expected in ("~  metadata epochs", "3 → 4", "~  metadata opt.lr", "0.1 → 0.05", "~  model.pth",
                         "138.5 KiB → 139.0 KiB"):
            assert expected in text, expected


async def test_a_tab_key_while_the_tabs_are_being_built_opens_that_tab(demo_store, make_app):
    # The first version shown builds the tabs; a key typed in that same moment ("down" then "3" from a fast typist
    # or a pasted sequence) used to set the tab of a TabbedContent not yet mounted, and the app crashed.
    from tui.widgets.version_details import VersionDetails, VersionOverview

    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        details = app.screen.query_one(VersionDetails)
        version = demo_store.artifact("demo/convnet:v0")
        details.show_overview(VersionOverview(version, 1, version.logged_by(), version.used_by()))
        details.show_tab("files")  # before the tabs were mounted
        await settle(pilot)
        assert details.active_tab == "files" and app.is_running


def _overview_lines(app) -> list[str]:
    """The details pane's rows (right of the tree's edge), without the Overview's left padding."""
    return [line.split("▕", 1)[1][1:].rstrip() for line in screen_text(app).splitlines() if "▕" in line]


@pytest.mark.slow
async def test_overview_follows_the_cursor_and_wraps_long_values_under_themselves(demo_store, make_app):
    descriptions = ["short one", "a description long enough to wrap " * 3, "short two", "short end"]
    with core.init(project="demo", job_type="t", store=demo_store) as run:
        for i, description in enumerate(descriptions):
            log_version(run, "notes", "report", {"a.txt": bytes([i])}, description=description)
    versions = [demo_store.artifact(f"demo/notes:v{i}") for i in range(4)]
    app = make_app(demo_store, poll_interval=60)  # no refresh of the store in between to redraw the pane
    async with app.run_test(size=(80, 24)) as pilot:
        await open_version(pilot, "demo/notes:v3")
        # down walks to older versions: v2 is as tall as v3 (drawn again in place), v1 taller, v0 shorter again;
        # below the fields, the runs follow at once (no rows cut off, none left over)
        for index in (2, 1, 0):
            await pilot.press("down")
            await settle(pilot)
            lines = _overview_lines(app)
            text = "\n".join(lines)
            assert f"version v{index} of 4" in text and versions[index].digest[:20] in text
            assert not any(versions[other].digest[:20] in text for other in range(4) if other != index)
            about = next(i for i, line in enumerate(lines) if line.startswith("about   "))
            ref = next(i for i, line in enumerate(lines) if line.startswith("ref     "))
            shown = [lines[about][8:]] + [line[8:] for line in lines[about + 1:ref]]
            assert all(line.startswith("        ") and line[8] != " " for line in lines[about + 1:ref])
            assert " ".join(shown).split() == descriptions[index].split()
            assert lines[ref] == f"ref     demo/notes:v{index}"
            assert lines[ref + 1:ref + 6] == ["use     run.use_artifact(", '            "demo/notes:v%d")' % index,
                                              "        y copies it, Y the ref", "", "Runs (enter opens one)"]

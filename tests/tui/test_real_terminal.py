"""The installed program in a real 80x24 terminal, keys typed as a terminal sends them: the footer shows `? Keys`
whole, a file opens in the preview, and `q` quits."""

from __future__ import annotations

import os

import pytest

import core
from tests.helpers.terminal import Terminal


@pytest.mark.slow
def test_footer_and_a_preview_through_the_real_program(tmp_path):
    store = core.open_store(tmp_path / "store")
    note = tmp_path / "notes.txt"
    note.write_text("hello from the preview\n")
    with core.init(project="demo", store=store) as run:
        artifact = core.Artifact("notes", "text")
        artifact.add_file(note)
        run.log_artifact(artifact)
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="80", LINES="24")
    term = Terminal(["--store", str(store.root)], cwd=str(tmp_path), env=env)
    try:
        # the footer, `?` first and every key in it whole at 80 columns
        assert term.wait_for("? Keys a Alias+ d Alias- u Undo / Filter l Lineage R Runs q Quit"), term.text()[-2000:]
        term.press("down", "down", "enter")
        assert term.wait_for("v0"), term.text()[-2000:]
        term.press("down", "3")
        assert term.wait_for("notes.txt"), term.text()[-2000:]
        term.press("tab", "enter")
        assert term.wait_for("hello from the preview"), term.text()[-2000:]
        term.press("escape")
        assert term.wait_for("notes.txt")  # back on the file list
        term.press("escape", "q")
    finally:
        code = term.close()
    assert code == 0

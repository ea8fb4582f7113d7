"""User errors of the command line are one line on stderr and exit 1, naming what is wrong; never a traceback."""

from __future__ import annotations

import core
from tui.cli import main


def _store_with_a_version(path):
    store = core.open_store(path)
    with core.init(project="p", job_type="load-data", store=store) as run:
        art = core.Artifact("m", type="dataset")
        with art.new_file("x.txt") as f:
            f.write("x")
        run.log_artifact(art)
    return store


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_download_root_that_cannot_be_made_is_one_line(tmp_path, capsys):
    _store_with_a_version(tmp_path / "s")
    (tmp_path / "afile").write_text("x")
    code, _, err = _run(capsys, "--store", str(tmp_path / "s"), "get", "p/m:v0", "--root", str(tmp_path / "afile"))
    assert code == 1
    assert err.startswith("artifacts-tui: error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_an_unknown_alias_is_called_an_alias_and_a_version_a_version(tmp_path, capsys):
    _store_with_a_version(tmp_path / "s")
    code, _, err = _run(capsys, "--store", str(tmp_path / "s"), "show", "p/m:best")
    assert code == 1 and "alias 'best'" in err
    code, _, err = _run(capsys, "--store", str(tmp_path / "s"), "show", "p/m:v7")
    assert code == 1 and "no version v7" in err


def test_a_reference_with_two_colons_blames_the_colon(tmp_path, capsys):
    _store_with_a_version(tmp_path / "s")
    code, _, err = _run(capsys, "--store", str(tmp_path / "s"), "show", "p/m:v0:extra")
    assert code == 1 and "more than one ':'" in err


def test_an_empty_alias_is_named_as_such(tmp_path, capsys):
    _store_with_a_version(tmp_path / "s")
    code, _, err = _run(capsys, "--store", str(tmp_path / "s"), "alias", "add", "p/m:v0", "")
    assert code == 1 and "alias must be a non-empty string" in err


def test_reading_a_store_that_does_not_exist_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "typo-store"
    code, _, err = _run(capsys, "--store", str(missing), "ls")
    assert code == 1 and "no store at" in err
    assert not missing.exists()

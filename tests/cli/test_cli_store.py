"""`artifacts-tui ls / show / alias / get / verify / gc`: what they print and their exit codes (0 done, 1 user
error on one stderr line, 2 usage), on the store named by --store or ARTIFACTS_TUI_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import core
from tests.helpers.store import write_tree
from tests.helpers.cli import cli


@pytest.fixture
def filled(tmp_path):
    """The default store (ARTIFACTS_TUI_HOME, isolated per test) with two versions of one dataset."""
    store = core.open_store()
    files = write_tree(tmp_path / "files", {"train.csv": "a,b\n1,2\n", "sub/val.csv": "a,b\n"})
    with core.init(project="proj", job_type="load-data", name="loader", store=store) as run:
        art = core.Artifact("mnist-raw", type="dataset", description="raw \x1b]0;pwned\x07 data",
                            metadata={"rows": 2})
        art.add_dir(files)
        run.log_artifact(art, aliases=["best"])
        (files / "extra.txt").write_text("x")
        art = core.Artifact("mnist-raw", type="dataset")
        art.add_dir(files)
        run.log_artifact(art)
    return store


def test_ls_lists_projects_then_collections(filled, capsys):
    assert cli("ls") == 0
    assert capsys.readouterr().out == "proj  (1 artifact, 1 run)\n"
    assert cli("ls", "proj") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "dataset/mnist-raw  2 versions"
    assert lines[1].split()[0] == "v0" and lines[1].endswith("best")
    assert lines[2].split()[0] == "v1" and lines[2].endswith("latest")


def test_ls_of_an_empty_store_says_how_to_start(tmp_path, capsys):
    core.open_store(tmp_path / "empty")
    assert cli("--store", str(tmp_path / "empty"), "ls") == 0
    assert "no projects" in capsys.readouterr().out


def test_user_errors_are_one_line_and_exit_1(filled, capsys):
    for args in (["ls", "nowhere"], ["show", "proj/mnist-raw:nope"], ["show", "mnist-raw:latest"],
                 ["show", "proj/bad name:v0"], ["alias", "add", "proj/mnist-raw:v0", "latest"],
                 ["alias", "add", "proj/mnist-raw:v0", "v3"], ["alias", "rm", "proj/mnist-raw:v0", "absent"],
                 ["get", "proj/missing:latest"], ["verify", "nowhere"]):
        assert cli(*args) == 1, args
        err = capsys.readouterr().err
        assert err.startswith("artifacts-tui: error: ") and err.count("\n") == 1, (args, err)


def test_usage_errors_exit_2(filled, capsys):
    for args in (["show"], ["alias", "move", "proj/mnist-raw:v0", "x"], ["no-such-command"], ["get"]):
        assert cli(*args) == 2, args
    assert "usage:" in capsys.readouterr().err


def test_show_prints_one_version_safely(filled, capsys):
    assert cli("show", "proj/mnist-raw:best") == 0
    out = capsys.readouterr().out
    assert out.startswith("proj/mnist-raw:v0  (dataset)")
    version = filled.artifact("proj/mnist-raw:v0")
    assert version.digest in out and "train.csv" in out and "sub/val.csv" in out
    assert "loader" in out and '"rows": 2' in out
    assert "\x1b" not in out and "\x07" not in out and "pwned" in out  # the escape shown, not obeyed

    assert cli("show", "--json", "proj/mnist-raw:latest") == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["version"], shown["aliases"], shown["type"]) == ("v1", ["latest"], "dataset")
    assert sorted(f["path"] for f in shown["files"]) == ["extra.txt", "sub/val.csv", "train.csv"]


def test_alias_add_moves_and_rm_removes(filled, capsys):
    assert cli("alias", "add", "proj/mnist-raw:v1", "best") == 0
    assert capsys.readouterr().out.strip() == "best -> proj/mnist-raw:v1 (moved from v0)"
    assert filled.artifact("proj/mnist-raw:best").version == "v1"
    assert cli("alias", "rm", "proj/mnist-raw:v1", "best") == 0
    assert "removed best" in capsys.readouterr().out
    assert filled.artifact("proj/mnist-raw:v1").aliases == ["latest"]


def test_get_downloads_to_a_root_or_the_default(filled, tmp_path, monkeypatch, capsys):
    assert cli("get", "proj/mnist-raw:v0", "--root", str(tmp_path / "out")) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "out")
    assert (tmp_path / "out" / "sub" / "val.csv").read_text() == "a,b\n"
    monkeypatch.chdir(tmp_path)
    assert cli("get", "proj/mnist-raw:latest") == 0
    assert (tmp_path / "artifacts" / "mnist-raw:v1" / "extra.txt").read_text() == "x"


def test_verify_and_gc(filled, capsys):
    assert cli("verify") == 0 and cli("verify", "proj") == 0
    assert cli("gc") == 0
    assert "freed 0 B" in capsys.readouterr().out
    entry = filled.artifact("proj/mnist-raw:v0").files()[0]
    blob = filled.blobs.path("md5", entry.digest)
    os.chmod(blob, 0o644)
    blob.write_bytes(b"tampered")
    assert cli("verify") == 1
    out, err = capsys.readouterr()
    assert f"proj/mnist-raw:v0: {entry.path}: blob corrupt" in out and "problem" in err


def test_store_option_overrides_the_home(filled, tmp_path, capsys):
    other = core.open_store(tmp_path / "other")
    with core.init(project="elsewhere", store=other):
        pass
    assert cli("--store", str(tmp_path / "other"), "ls") == 0
    assert capsys.readouterr().out.startswith("elsewhere")
    assert cli("ls") == 0
    assert capsys.readouterr().out.startswith("proj")


def test_the_installed_command_exits_with_the_documented_codes(filled):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "tui.cli", *args], capture_output=True, text=True,
                              env=os.environ.copy(), timeout=60)

    ok, missing, usage = run("ls", "proj"), run("show", "proj/nothing:latest"), run("alias")
    assert ok.returncode == 0 and "mnist-raw" in ok.stdout
    assert missing.returncode == 1 and "Traceback" not in missing.stderr and missing.stderr.count("\n") == 1
    assert usage.returncode == 2 and "usage:" in usage.stderr


def test_ls_lists_the_newest_versions_of_a_big_collection_and_all_on_request(tmp_path, capsys):
    store = core.open_store(tmp_path / "big")
    with core.init(project="p", store=store) as run:
        for i in range(15):
            art = core.Artifact("many", type="dataset")
            with art.new_file("f.txt", mode="w") as handle:
                handle.write(str(i))
            run.log_artifact(art)
    assert cli("--store", str(store.root), "ls", "p") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].strip() == "… 5 older versions (--all lists every one)"
    assert [line.split()[0] for line in lines[2:]] == [f"v{i}" for i in range(5, 15)]
    assert cli("--store", str(store.root), "ls", "p", "--all") == 0
    assert len(capsys.readouterr().out.splitlines()) == 16

"""`artifacts-tui lineage`: the tutorial's graph printed at type and version level, around one version, to a width,
user errors in one line, and names printed visibly."""

from __future__ import annotations

from pathlib import Path

import pytest

import core
from tests.helpers.lineage_tutorial import PROJECT, build_tutorial_store
from tests.helpers.cli import cli
from core.lineage.layout import LIST_INDENT
from tui.cli.lineage_cmd import lineage_text

GOLDEN = Path(__file__).resolve().parents[1] / "core" / "lineage" / "golden"


@pytest.fixture
def tutorial_store():
    store = core.open_store()  # the default home: ARTIFACTS_TUI_HOME, isolated per test
    build_tutorial_store(store)
    return store


def test_cli_prints_the_type_level_then_the_versions(tutorial_store, capsys):
    assert cli("lineage", PROJECT, "--width", "80") == 0
    assert capsys.readouterr().out == (GOLDEN / "tutorial-type-80-unicode.txt").read_text(encoding="utf-8")
    assert cli("lineage", PROJECT, "--explode", "--ascii", "--width", "120") == 0
    assert capsys.readouterr().out == (GOLDEN / "tutorial-version-120-ascii.txt").read_text(encoding="utf-8")


def test_cli_around_one_version(tutorial_store, capsys):
    assert cli("lineage", f"{PROJECT}/convnet:latest", "--width", "100") == 0
    out = capsys.readouterr().out
    for shown in ("(initialize:bold-cloud-3)", "[convnet:v0 (latest)]", "(train:quiet-wave-4)",
                  "(train:brave-leaf-6)", "[trained-model:v1 (best, latest)]", "+1 version", "+1 run"):
        assert shown in out
    assert "mnist-raw" not in out and "report:" not in out
    assert cli("lineage", f"{PROJECT}/convnet:v0", "--hops", "1", "--width", "100") == 0
    out = capsys.readouterr().out
    assert "(train:quiet-wave-4)" in out and "trained-model" not in out


def test_cli_fits_the_width_it_is_given(tutorial_store, capsys):
    assert cli("lineage", PROJECT, "--explode", "--width", "40") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and max(len(line) for line in lines) <= 40


def test_cli_at_80_columns_never_prints_a_cut_name(capsys):
    store = core.open_store()
    with core.init(project="wide", job_type="load-a-rather-large-dataset", name="first", store=store) as run:
        data = core.Artifact("a-dataset-with-a-long-descriptive-name", type="dataset")
        with data.new_file("d.bin", mode="wb") as f:
            f.write(b"d")
        run.log_artifact(data)
    names = []
    for i in range(7):
        name = f"stage-{i}-with-a-long-job-type"
        with core.init(project="wide", job_type=name, name=f"run-number-{i}", store=store) as run:
            run.use_artifact("a-dataset-with-a-long-descriptive-name:latest")
            out = core.Artifact(f"output-of-stage-{i}-kept-for-later", type="model")
            with out.new_file("m.bin", mode="wb") as f:
                f.write(bytes([i]))
            run.log_artifact(out, aliases=["candidate"])
        names += [f"({name}:run-number-{i})", f"[output-of-stage-{i}-kept-for-later:v0 (candidate, latest)]"]
    assert cli("lineage", "wide", "--explode", "--width", "80") == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out
    for name in names + ["[a-dataset-with-a-long-descriptive-name:v0 (latest)]"]:
        assert name in out
    # a name longer than the width itself: the graph is listed, that name wrapped over two lines but whole
    long = "an-artifact-whose-name-alone-is-wider-than-the-eighty-columns-it-is-printed-in-" + "x" * 20
    with core.init(project="wide", job_type="export", name="last", store=store) as run:
        out = core.Artifact(long, type="model")
        with out.new_file("m.bin", mode="wb") as f:
            f.write(b"m")
        run.log_artifact(out)
    assert cli("lineage", "wide", "--explode", "--width", "80") == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out and f"[{long}:v0 (latest)]" in out.replace("\n" + LIST_INDENT, "")


def test_cli_user_errors(tutorial_store, capsys):
    assert cli("lineage", "nowhere") == 1
    assert "no project 'nowhere'" in capsys.readouterr().err
    assert cli("lineage", f"{PROJECT}/convnet:nope") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error" in err
    assert cli("lineage", PROJECT, "--width", "5") == 2
    assert cli("lineage", PROJECT, "--width", "wide") == 2


def test_cli_empty_project_says_so(capsys):
    store = core.open_store()
    with core.init(project="empty", job_type="noop", store=store):
        pass
    assert cli("lineage", "empty", "--explode") == 0
    assert "(noop:" in capsys.readouterr().out
    assert lineage_text(store, "empty", width=80) == "(noop (1))\n"


def test_names_with_control_characters_are_printed_visibly(capsys):
    store = core.open_store()
    with core.init(project="p", job_type="train\x1b[2J", name="evil\u202ename", store=store) as run:
        artifact = core.Artifact("data", type="dataset")
        with artifact.new_file("x.bin", mode="wb") as f:
            f.write(b"x")
        run.log_artifact(artifact)
    assert cli("lineage", "p", "--explode") == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert "␛[2J" in out and "<U+202E>" in out

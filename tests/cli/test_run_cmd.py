"""`artifacts-tui run`: the stages headless, with progress and loss lines, ending with the versions logged.

(`tui/cli/run_cmd.py` is the pipeline's front door; the stages themselves are tested in tests/core/pipeline/.)
"""

from __future__ import annotations

import io
import re

import pytest

import core
from core.pipeline import LogLine, Progress, StageFinished, StageStarted
from tui.cli import main
from tui.cli.run_cmd import ProgressDisplay


def _run(capsys, store_dir, *argv):
    code = main(["--store", str(store_dir), "run", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
def test_each_stage_runs_from_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store_dir = tmp_path / "store"
    common = ["--project", "cli", "--dataset", "digits"]

    code, out, err = _run(capsys, store_dir, "load-data", *common)
    assert code == 0, err
    assert "== load-data" in out and "training: 1,197 examples" in out
    assert re.search(r"logged versions:\n  cli/mnist-raw:v0 +\[latest\]\n$", out)

    assert _run(capsys, store_dir, "preprocess-data", *common)[0] == 0
    assert _run(capsys, store_dir, "initialize", *common)[0] == 0
    code, out, err = _run(capsys, store_dir, "train", *common, "--epochs", "1", "--batch-size", "64",
                          "--batch-log-interval", "5", "--optimizer", "AdamW", "--device", "cpu")
    assert code == 0, err
    assert "Train Epoch: 0 [320/1197 (26%)]  Loss:" in out
    assert "Loss/accuracy after 01197 examples:" in out
    assert "train: 100% (19/19 batch)" in err  # not a terminal: plain progress lines
    assert "cli/trained-model:v0" in out

    code, out, err = _run(capsys, store_dir, "report", *common)
    assert code == 0, err
    assert "test accuracy" in out
    store = core.open_store(store_dir)
    assert [r.job_type for r in store.runs("cli")] == ["report", "train", "initialize", "preprocess-data",
                                                        "load-data"]
    assert store.runs("cli")[1].config["optimizer"] == "AdamW"
    assert (tmp_path / "artifacts" / "trained-model:v0" / "trained_model.pth").is_file()  # W&B's download dir

    # Unchanged data: the same version, said so.
    code, out, _ = _run(capsys, store_dir, "load-data", *common)
    assert "mnist-raw:v0" in out and "unchanged: no new version" in out


def test_a_missing_input_is_one_line_naming_it(tmp_path, capsys):
    code, out, err = _run(capsys, tmp_path / "store", "train", "--project", "cli", "--input", "mnist-preprocess:v3")
    assert code == 1
    assert err.count("\n") == 1 and "mnist-preprocess:v3" in err and err.startswith("artifacts-tui: error:")


def test_an_input_no_stage_reads_is_refused(tmp_path, capsys):
    code, _, err = _run(capsys, tmp_path / "store", "load-data", "--input", "convnet:v0")
    assert code == 1 and "does not use 'convnet'" in err


def test_mnist_offline_points_at_digits(tmp_path, capsys, monkeypatch):
    import torchvision

    def no_network(self):
        raise RuntimeError("Error downloading x:\nTried m, got:\n<urlopen error offline>\n")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_network)
    code, _, err = _run(capsys, tmp_path / "store", "load-data", "--data-dir", str(tmp_path / "data"))
    assert code == 1
    assert str(tmp_path / "data" / "MNIST" / "raw") in err and "--dataset digits" in err


def test_unknown_stage_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["--store", str(tmp_path / "s"), "run", "fit"])
    assert info.value.code == 2


def test_on_a_terminal_the_bar_is_redrawn_in_place_and_lines_print_above_it():
    out, err = io.StringIO(), io.StringIO()
    display = ProgressDisplay(out, err, tty=True)
    display.handle(StageStarted("train", "p", "abc", ("convnet:v0",)))
    display.handle(Progress("train", 1, 4, "batch", 0))
    display.handle(LogLine("train", "Loss: 0.5\x1b]0;title\x07"))
    display.handle(Progress("train", 4, 4, "batch", 0))
    display.handle(StageFinished("train", "p", "abc"))
    display.close()
    assert out.getvalue().splitlines() == ["== train (run abc) using convnet:v0", "  Loss: 0.5␛]0;title␇"]
    bar = err.getvalue()
    assert "\r  train [######------------------]  25% 1/4 batch epoch 0" in bar
    assert "\r  train [########################] 100% 4/4 batch" in bar
    assert bar.endswith("\r\x1b[K")  # the bar is wiped, leaving the terminal clean

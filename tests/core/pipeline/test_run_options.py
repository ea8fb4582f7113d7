"""Options of `artifacts-tui run` that every stage shares: `--device` is checked against the machine before any
run is created, and `--group` lands on every run the command creates."""

from __future__ import annotations

import pytest

import core
from core.errors import ValidationError
from core.pipeline import STAGES, available_devices, check_device
from tui.cli import main


def _missing_cuda() -> str:
    """A CUDA device this machine lacks: "cuda" on a CPU box, one past the last GPU elsewhere."""
    import torch

    return f"cuda:{torch.cuda.device_count()}" if torch.cuda.is_available() else "cuda"


def test_devices_are_listed_and_checked():
    devices = available_devices()
    assert devices[0] == "cpu"
    assert check_device("cpu") == "cpu" and check_device(None) is None
    with pytest.raises(ValidationError) as error:
        check_device(_missing_cuda())
    assert str(error.value) == f"device {_missing_cuda()!r} is not available here; devices: {', '.join(devices)}"
    for bad in ("gpu", "cuda:x", "cpu:0", "cuda:-1", "cuda:١"):
        with pytest.raises(ValidationError, match="device must be cpu, cuda, cuda:N or mps"):
            check_device(bad)


@pytest.mark.parametrize("stage", ["train", "report", "pipeline", "load-data"])
def test_a_device_this_machine_lacks_fails_before_any_run_row(stage, tmp_path, capsys):
    code = main(["--store", str(tmp_path / "s"), "run", stage, "--project", "dev", "--dataset", "digits",
                 "--device", _missing_cuda()])
    err = capsys.readouterr().err
    assert code == 1
    assert err == (f"artifacts-tui: error: device {_missing_cuda()!r} is not available here; devices: "
                   f"{', '.join(available_devices())}\n")
    assert core.open_store(tmp_path / "s").runs("dev") == []


def test_the_stage_itself_gives_the_same_answer(prepared):
    from core.pipeline import train_and_log

    store, project, download_root = prepared
    with pytest.raises(ValidationError, match="is not available here; devices: cpu"):
        train_and_log({"epochs": 1, "device": _missing_cuda()}, project=project, store=store,
                      download_root=download_root)


def test_group_lands_on_every_run_of_a_pipeline(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["--store", str(tmp_path / "s"), "run", "pipeline", "--project", "grp", "--dataset", "digits",
                 "--epochs", "1", "--batch-size", "64", "--group", "launch-7"])
    assert code == 0, capsys.readouterr().err
    runs = core.open_store(tmp_path / "s").runs("grp")
    assert [r.job_type for r in reversed(runs)] == list(STAGES)
    assert {r.group for r in runs} == {"launch-7"}

    code = main(["--store", str(tmp_path / "s"), "run", "initialize", "--project", "grp"])  # no --group: none
    assert code == 0 and core.open_store(tmp_path / "s").runs("grp")[0].group is None


@pytest.mark.parametrize("group", ["", "x" * 129, "bad\x1bgroup"])
def test_a_bad_group_is_refused_before_any_run(group, tmp_path, capsys):
    code = main(["--store", str(tmp_path / "s"), "run", "load-data", "--project", "grp", "--group", group])
    err = capsys.readouterr().err
    assert code == 1 and "run group" in err and err.count("\n") == 1
    assert core.open_store(tmp_path / "s").runs("grp") == []


def test_run_help_documents_group_and_device(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--group NAME the W&B run group of every run this command creates" in out
    assert "a device this machine lacks fails before any run is created" in out

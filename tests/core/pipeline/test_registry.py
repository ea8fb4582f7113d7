"""The stage registry is the one home of the stages' facts: the CLI's `run` choices, the launch form's list and
labels, the runner's inputs and "run X first" hints all read it, and the old names are views of it."""

from __future__ import annotations

import pytest

import core
from core.errors import ValidationError
from core.pipeline import PIPELINE, STAGE_INPUTS, STAGES, Stage, tutorial_registry
from core.pipeline.registry import DATASETS, DEFAULT_PROJECT
from tui.cli import main
from tui.cli.main import build_parser


def _noop(run, inputs, config):
    return None


def test_the_tutorials_stages_and_pipeline_are_registered_in_order():
    registry = tutorial_registry()
    assert registry.names() == (PIPELINE, "load-data", "preprocess-data", "initialize", "train", "report")
    assert STAGES == registry.get(PIPELINE).steps == ("load-data", "preprocess-data", "initialize", "train", "report")
    assert dict(STAGE_INPUTS) == {s.name: s.inputs for s in registry if s.name != PIPELINE}
    assert STAGE_INPUTS["train"] == ("mnist-preprocess", "convnet")
    assert registry.producers() == {"mnist-raw": "load-data", "mnist-preprocess": "preprocess-data",
                                    "convnet": "initialize", "trained-model": "train"}
    assert [s.name for s in registry if s.uses_training_config] == [PIPELINE, "train", "report"]
    assert all(s.is_tutorial and s.uses_dataset and s.label.startswith(s.name) for s in registry)
    with pytest.raises(TypeError):
        STAGE_INPUTS["train"] = ()  # a view, not a second copy to edit


def test_the_cli_run_choices_come_from_the_registry(tmp_path, capsys, monkeypatch):
    run_help = build_parser()._subparsers._group_actions[0].choices["run"].format_help()
    for name in tutorial_registry().names():
        assert name in run_help
    for dataset in DATASETS:
        assert dataset in run_help
    assert f"default: {DEFAULT_PROJECT}" in run_help and "--group NAME" in run_help

    with pytest.raises(SystemExit) as exit_:  # an unknown stage is a usage error listing the registry's names
        main(["--store", str(tmp_path / "s"), "run", "trian"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'trian'" in err and ", ".join(tutorial_registry().names()) in err

    # A registered stage of the user's is a choice too (the registry is what run checks against).
    import core.pipeline as pipeline
    from core.pipeline import Registry

    extra = Stage("my-extra", _noop, origin="test")
    monkeypatch.setattr(pipeline, "load_registry", lambda specs=(): Registry([extra]))
    code = main(["--store", str(tmp_path / "s"), "run", "my-extra", "--project", "reg"])
    assert code == 0, capsys.readouterr().err
    assert [r.job_type for r in core.open_store(tmp_path / "s").runs("reg")] == ["my-extra"]


def test_stages_lists_the_registry(capsys):
    assert main(["stages"]) == 0
    out = capsys.readouterr().out
    for stage in tutorial_registry():
        assert stage.label in out
    assert "reads mnist-preprocess, convnet; logs trained-model" in out


def test_the_runners_facts_are_read_from_the_registry():
    from tui.runner import launch_request as lr

    assert lr.STAGE_CHOICES == tutorial_registry().names()
    assert lr.stage_inputs("report") == STAGE_INPUTS["report"] and lr.stage_inputs(PIPELINE) == ()
    assert lr.uses_training_config("train") and not lr.uses_training_config("initialize")
    assert lr.missing_input_hint("convnet") == "run initialize first"
    assert lr.LaunchRequest(stage="pipeline").stages == STAGES


def test_the_launch_forms_labels_are_the_registrys():
    from tui.screens import launch

    assert [name for _, name in launch._stage_options()] == list(tutorial_registry().names())
    assert [label for label, _ in launch._stage_options()] == [s.label for s in tutorial_registry()]
    assert {name for _, name in launch.DATASETS} == set(DATASETS)


def test_a_launch_request_becomes_the_cli_arguments_that_run_it():
    from tui.runner.launch_request import LaunchRequest

    request = LaunchRequest(stage="train", project="p", dataset="digits", inputs=("convnet:v0",),
                            train_config={"epochs": 2, "batch_size": 16, "device": None}, group="g")
    args = build_parser().parse_args(request.cli_args())
    assert (args.command, args.stage, args.project, args.dataset, args.inputs) == (
        "run", "train", "p", "digits", ["convnet:v0"])
    assert (args.epochs, args.batch_size, args.device, args.group) == (2, 16, None, "g")


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "has space"}, "stage name"),
    ({"name": "-flag"}, "stage name"),
    ({"name": "ok", "inputs": "mnist-raw"}, "list of artifact names"),
    ({"name": "ok", "inputs": ["bad/name"]}, "artifact name"),
    ({"name": "ok", "inputs": ["a", "a"]}, "names an input twice"),
    ({"name": "ok", "config": {"a=b": 1}}, "setting names"),
    ({"name": "ok", "config": {"x": float("inf")}}, "Infinity"),
])
def test_a_stage_is_checked_when_it_is_declared(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        Stage(function=_noop, **kwargs)


def test_a_user_stage_cannot_take_a_tutorial_name_or_another_stages_name():
    from core.pipeline import Registry

    with pytest.raises(ValidationError, match="name of a tutorial stage"):
        Registry([Stage("train", _noop, origin="mine")])
    with pytest.raises(ValidationError, match="two stages are named 'x': from a and from b"):
        Registry([Stage("x", _noop, origin="a"), Stage("x", lambda run, inputs, config: None, origin="b")])
    same = Stage("x", _noop, origin="a")
    assert Registry([same, same]).names()[-1] == "x"  # one function registered twice is one stage

"""Single stages against the store: re-running, pinning inputs by alias, cancelling, and refusing what is unsafe."""

from __future__ import annotations

import os

import pytest

import core
from core.pipeline import (
    Cancelled,
    Metrics,
    StageFailed,
    StageStarted,
    UnsafeCheckpointError,
    build_model_and_log,
    evaluate_and_log,
    load_and_log,
    preprocess_and_log,
    run_pipeline,
    train_and_log,
)

ONE_EPOCH = {"batch_size": 64, "epochs": 1, "batch_log_interval": 5}


@pytest.mark.slow
def test_reloading_unchanged_data_creates_no_new_version(store):
    first = load_and_log(project="p", store=store, dataset="digits")
    second = load_and_log(project="p", store=store, dataset="digits")
    assert store.version_count("p", "mnist-raw") == 1
    assert first.outputs[0].created and not second.outputs[0].created
    assert second.outputs[0].qualified_name == "mnist-raw:v0"
    assert [r.state for r in store.runs("p")] == ["finished", "finished"]
    # Both runs count as producers in the lineage; the version stays v0 with "latest".
    assert store.artifact("mnist-raw:latest", project="p").version == "v0"
    assert len([e for e in store.lineage_edges("p") if e.direction == "output"]) == 2


@pytest.mark.slow
def test_training_on_an_older_version_named_by_alias(prepared):
    store, project, dl = prepared
    # A second preprocessing (no normalisation) becomes mnist-preprocess:v1 and takes "latest".
    preprocess_and_log({"normalize": False, "expand_dims": True}, project=project, store=store, download_root=dl)
    assert store.artifact("mnist-preprocess:latest", project=project).version == "v1"
    result = train_and_log(ONE_EPOCH, project=project, store=store, inputs=["mnist-preprocess:v0"],
                           download_root=dl)
    train = store.run(project, result.run_id)
    assert sorted(v.qualified_name for v in train.inputs()) == ["convnet:v0", "mnist-preprocess:v0"]
    evaluate_and_log(ONE_EPOCH, project=project, store=store, inputs=["mnist-preprocess:v0"], download_root=dl)
    report = store.runs(project)[0]
    assert sorted(v.qualified_name for v in report.inputs()) == ["mnist-preprocess:v0", "trained-model:v0"]


def test_a_missing_input_alias_is_named_and_opens_no_run(prepared):
    store, project, dl = prepared
    runs_before = len(store.runs(project))
    failures = []
    with pytest.raises(core.NotFoundError, match=r"mnist-preprocess:v7"):
        train_and_log(ONE_EPOCH, project=project, store=store, inputs=["mnist-preprocess:v7"], download_root=dl,
                      on_event=failures.append)
    assert len(store.runs(project)) == runs_before
    assert [type(e) for e in failures] == [StageFailed]
    assert "mnist-preprocess:v7" in failures[0].error and failures[0].run_id == ""


def test_a_stage_whose_input_was_never_logged_says_what_to_run(store):
    with pytest.raises(core.NotFoundError, match=r"mnist-raw:latest.*run the stage"):
        preprocess_and_log(project="empty", store=store)


@pytest.mark.slow
def test_cancelling_mid_training_ends_the_run_cancelled_with_no_model(prepared):
    store, project, dl = prepared
    events = []

    def on_event(event):
        events.append(event)
        if isinstance(event, Metrics) and event.step > 64:  # after a few batches have trained
            raise Cancelled("stop button")

    config = {"batch_size": 32, "epochs": 3, "batch_log_interval": 2}
    with pytest.raises(Cancelled):
        train_and_log(config, project=project, store=store, download_root=dl, on_event=on_event)
    train = store.runs(project)[0]
    assert (train.job_type, train.state) == ("train", "cancelled")
    assert "trained-model" not in {c.name for c in store.collections(project)}
    assert isinstance(events[-1], StageFailed) and events[-1].state == "cancelled"
    assert events[-1].run_id == train.id
    # Stopped early: far fewer batches than the 3 epochs asked for.
    assert len(store.history(train.id)) < 5


def test_a_checkpoint_with_a_pickle_payload_is_refused_and_runs_nothing(prepared, tmp_path):
    import torch

    store, project, dl = prepared
    marker = tmp_path / "payload-ran"

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').write('pwned')",))

    evil = tmp_path / "initialized_model.pth"
    torch.save({"layer1.0.weight": Payload()}, evil)
    # The payload is live: an unsafe load would run it.
    torch.load(evil, weights_only=False)
    assert marker.exists()
    marker.unlink()

    with core.init(project=project, job_type="tamper", store=store) as run:
        artifact = core.Artifact("convnet", type="model", metadata=store.artifact(
            "convnet:v0", project=project).metadata)
        artifact.add_file(evil, name="initialized_model.pth")
        assert run.log_artifact(artifact).version == "v1"

    with pytest.raises(UnsafeCheckpointError, match=r"convnet:v1.*initialized_model\.pth") as refused:
        train_and_log(ONE_EPOCH, project=project, store=store, download_root=dl)
    assert not marker.exists()
    assert str(refused.value).isprintable()  # torch's own words come without their SGR escapes
    train = store.runs(project)[0]
    assert (train.job_type, train.state) == ("train", "failed")
    assert store.history(train.id) == []  # not one batch trained
    assert "trained-model" not in {c.name for c in store.collections(project)}


def test_a_tampered_dataset_file_is_refused_too(store, tmp_path):
    import torch

    marker = tmp_path / "payload-ran"

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').write('pwned')",))

    with core.init(project="p", job_type="tamper", store=store) as run:
        artifact = core.Artifact("mnist-raw", type="dataset")
        for split in ("training", "validation", "test"):
            with artifact.new_file(f"{split}.pt", mode="wb") as f:
                torch.save((Payload(), torch.zeros(1)), f)
        run.log_artifact(artifact)
    with pytest.raises(UnsafeCheckpointError, match=r"mnist-raw:v0.*training\.pt"):
        preprocess_and_log(project="p", store=store, download_root=tmp_path / "dl")
    assert not marker.exists()


def test_invalid_configs_fail_before_any_run_opens(store):
    with pytest.raises(core.ValidationError, match=r"kernel_sizes \[13\].*shrink"):
        build_model_and_log({"kernel_sizes": [13]}, project="p", store=store)
    with pytest.raises(core.ValidationError, match=r"epochs must be at least 1"):
        train_and_log({"epochs": 0}, project="p", store=store)
    with pytest.raises(core.ValidationError, match=r"unknown setting.*'learning_rate'"):
        train_and_log({"learning_rate": 0.1}, project="p", store=store)
    with pytest.raises(core.ValidationError, match=r"dataset must be one of"):
        load_and_log(project="p", store=store, dataset="cifar")
    with pytest.raises(core.ValidationError, match=r"does not use 'resnet'"):
        run_pipeline(project="p", store=store, dataset="digits", inputs=["resnet:v0"])
    assert store.runs("p") == []


def test_a_model_whose_shape_does_not_fit_the_data_fails_before_training(prepared):
    store, project, dl = prepared
    build_model_and_log({"input_shape": [1, 32, 32]}, project=project, store=store)
    with pytest.raises(core.ValidationError, match=r"shape \(1, 28, 28\).*expects \(1, 32, 32\)"):
        train_and_log(ONE_EPOCH, project=project, store=store, download_root=dl)
    train = store.runs(project)[0]
    assert train.state == "failed" and store.history(train.id) == []


def test_the_same_config_initializes_the_same_weights(prepared):
    store, project, _ = prepared
    again = build_model_and_log(project=project, store=store)
    assert again.outputs[0].qualified_name == "convnet:v0" and not again.outputs[0].created
    other = build_model_and_log(project=project, store=store, seed=1)
    assert other.outputs[0].qualified_name == "convnet:v1"


def test_stage_started_names_the_versions_used(prepared):
    store, project, dl = prepared
    events = []
    preprocess_and_log(project=project, store=store, download_root=dl, on_event=events.append)
    assert events[0] == StageStarted("preprocess-data", project, events[0].run_id, ("mnist-raw:v0",))


def test_downloads_default_to_wandbs_artifacts_folder(prepared, tmp_path, monkeypatch):
    store, project, _ = prepared
    monkeypatch.chdir(tmp_path)
    preprocess_and_log(project=project, store=store)
    assert sorted(os.listdir(tmp_path / "artifacts" / "mnist-raw:v0")) == ["test.pt", "training.pt", "validation.pt"]

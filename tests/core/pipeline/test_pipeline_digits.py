"""The whole tutorial pipeline on the bundled digits: runs, lineage, versions, metrics, images as a user sees them."""

from __future__ import annotations

import re

import pytest

from core.pipeline import LogLine, Metrics, Progress, StageFinished, StageStarted

pytestmark = pytest.mark.slow  # every test reads the one whole pipeline run (digits_pipeline)

STAGES = ["load-data", "preprocess-data", "initialize", "train", "report"]


def test_five_finished_runs_with_the_tutorials_job_types(digits_pipeline):
    runs = digits_pipeline.store.runs(digits_pipeline.project)
    assert [r.job_type for r in reversed(runs)] == STAGES
    assert all(r.state == "finished" for r in runs)
    assert [r.stage for r in digits_pipeline.results] == STAGES
    assert [r.run_id for r in digits_pipeline.results] == [r.id for r in reversed(runs)]


def test_artifact_graph_matches_the_tutorial(digits_pipeline):
    store, project = digits_pipeline.store, digits_pipeline.project
    graph = {}
    for run in store.runs(project):
        graph[run.job_type] = (
            sorted(v.name for v in run.inputs()),
            sorted(v.name for v in run.outputs()),
        )
    assert graph == {
        "load-data": ([], ["mnist-raw"]),
        "preprocess-data": (["mnist-raw"], ["mnist-preprocess"]),
        "initialize": ([], ["convnet"]),
        "train": (["convnet", "mnist-preprocess"], ["trained-model"]),
        "report": (["mnist-preprocess", "trained-model"], []),
    }
    edges = {(e.name, e.index, e.direction) for e in store.lineage_edges(project)}
    assert ("trained-model", 0, "output") in edges and ("trained-model", 0, "input") in edges


def test_each_artifact_has_one_version_holding_latest(digits_pipeline):
    store, project = digits_pipeline.store, digits_pipeline.project
    collections = {(c.name, c.type, c.version_count) for c in store.collections(project)}
    assert collections == {("mnist-raw", "dataset", 1), ("mnist-preprocess", "dataset", 1),
                           ("convnet", "model", 1), ("trained-model", "model", 1)}
    for name in ("mnist-raw", "mnist-preprocess", "convnet", "trained-model"):
        version = store.artifact(f"{name}:latest", project=project)
        assert (version.version, version.aliases) == ("v0", ["latest"])
    logged = [(o.qualified_name, o.aliases, o.created) for r in digits_pipeline.results for o in r.outputs]
    assert logged == [("mnist-raw:v0", ("latest",), True), ("mnist-preprocess:v0", ("latest",), True),
                      ("convnet:v0", ("latest",), True), ("trained-model:v0", ("latest",), True)]


def test_artifacts_hold_the_tutorials_files_and_metadata(digits_pipeline):
    store, project = digits_pipeline.store, digits_pipeline.project
    raw = store.artifact("mnist-raw:v0", project=project)
    assert sorted(f.path for f in raw.files()) == ["test.pt", "training.pt", "validation.pt"]
    assert raw.metadata["sizes"] == [1197, 300, 300]
    pre = store.artifact("mnist-preprocess:v0", project=project)
    assert pre.metadata == {"normalize": True, "expand_dims": True}
    convnet = store.artifact("convnet:v0", project=project)
    assert [f.path for f in convnet.files()] == ["initialized_model.pth"]
    assert convnet.metadata == {"hidden_layer_sizes": [32, 64], "kernel_sizes": [3], "activation": "ReLU",
                                "pool_sizes": [2], "dropout": 0.5, "num_classes": 10, "input_shape": [1, 28, 28]}
    trained = store.artifact("trained-model:v0", project=project)
    assert [f.path for f in trained.files()] == ["trained_model.pth"]
    assert trained.metadata == convnet.metadata


def test_preprocessed_data_is_normalized_with_a_channel_axis(digits_pipeline, tmp_path):
    import torch

    path = digits_pipeline.store.artifact("mnist-preprocess:v0", project=digits_pipeline.project).download(
        root=tmp_path / "pre") / "training.pt"
    x, y = torch.load(path, weights_only=True)
    assert x.shape == (1197, 1, 28, 28) and x.dtype == torch.float32
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert sorted(set(y.tolist())) == list(range(10))


def test_test_accuracy_is_at_least_90_percent(digits_pipeline):
    report = digits_pipeline.store.runs(digits_pipeline.project)[0]
    assert report.job_type == "report"
    assert report.summary["accuracy"] >= 90.0
    assert 0 < report.summary["loss"] < 1.0
    assert digits_pipeline.results[-1].summary["accuracy"] == report.summary["accuracy"]


def test_training_logs_loss_every_interval_and_validation_each_epoch(digits_pipeline):
    store = digits_pipeline.store
    train = next(r for r in store.runs(digits_pipeline.project) if r.job_type == "train")
    assert train.config["batch_size"] == 32 and train.config["optimizer"] == "Adam"
    assert train.config["hidden_layer_sizes"] == [32, 64]  # the model config joins the run config
    rows = store.history(train.id)
    loss_steps = [r["_step"] for r in rows if "train/loss" in r]
    # 1,197 examples in batches of 32: 38 batches an epoch, logged at batches 0, 10, 20, 30 of each.
    assert loss_steps == [e * 1197 + (b + 1) * 32 for e in range(3) for b in (0, 10, 20, 30)]
    validation = [(r["_step"], r["epoch"]) for r in rows if "validation/accuracy" in r]
    assert validation == [(1197, 0), (2394, 1), (3591, 2)]
    accuracies = [r["validation/accuracy"] for r in rows if "validation/accuracy" in r]
    assert accuracies[-1] > accuracies[0]


def test_report_logs_the_32_hardest_examples_as_captioned_images(digits_pipeline):
    store = digits_pipeline.store
    report = store.runs(digits_pipeline.project)[0]
    rows = [r for r in store.history(report.id) if "high-loss-examples" in r]
    assert len(rows) == 1
    images = rows[0]["high-loss-examples"]
    assert len(images) == 32
    for image in images:
        assert image["_type"] == "image-file"
        assert re.fullmatch(r"[0-9],[0-9]", image["caption"])
        assert (image["width"], image["height"]) == (28, 28)
        assert store.media_path(report.id, image["path"]).stat().st_size > 0
    # The hardest examples are mostly the misclassified ones.
    wrong = sum(1 for image in images if image["caption"].split(",")[0] != image["caption"].split(",")[1])
    assert wrong >= 10


def test_trained_weights_reload_and_reproduce_the_reported_accuracy(digits_pipeline, tmp_path):
    import torch

    from core.pipeline.model import build_model
    from core.pipeline.train import evaluate

    store, project = digits_pipeline.store, digits_pipeline.project
    trained = store.artifact("trained-model:latest", project=project)
    model = build_model(trained.metadata)
    model.load_state_dict(torch.load(trained.download(root=tmp_path / "m") / "trained_model.pth", weights_only=True))
    test = torch.load(store.artifact("mnist-preprocess:v0", project=project).download(root=tmp_path / "d")
                      / "test.pt", weights_only=True)
    _, accuracy = evaluate(model, test, torch.device("cpu"))
    assert accuracy == pytest.approx(store.runs(project)[0].summary["accuracy"])


def test_events_tell_the_caller_every_stage_from_start_to_finish(digits_pipeline):
    events = digits_pipeline.events
    assert [e.stage for e in events if isinstance(e, StageStarted)] == STAGES
    finished = [e for e in events if isinstance(e, StageFinished)]
    assert [e.stage for e in finished] == STAGES
    assert [o.qualified_name for e in finished for o in e.outputs] == [
        "mnist-raw:v0", "mnist-preprocess:v0", "convnet:v0", "trained-model:v0"]
    train_progress = [e for e in events if isinstance(e, Progress) and e.stage == "train"]
    assert len(train_progress) == 3 * 38
    assert (train_progress[-1].done, train_progress[-1].total) == (114, 114)
    assert [e.done for e in train_progress] == list(range(1, 115))
    losses = [e for e in events if isinstance(e, Metrics) and "train/loss" in e.values]
    assert len(losses) == 12 and all(e.values["train/loss"] > 0 for e in losses)
    assert any(isinstance(e, LogLine) and e.text.startswith("Train Epoch: 2") for e in events)
    # Each stage's events sit between its start and its finish.
    for stage in STAGES:
        indices = [i for i, e in enumerate(events) if e.stage == stage]
        assert isinstance(events[indices[0]], StageStarted) and isinstance(events[indices[-1]], StageFinished)

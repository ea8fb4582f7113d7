"""W&B-style example scripts (tests/core/wandb_compat/examples/), each with only its import line changed, run as scripts
in one working directory and one store, and what they logged checked in the store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import core

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = Path(__file__).parent / "examples"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_") or k == "WANDB_SILENT"}
    env.update(ARTIFACTS_TUI_HOME=str(work / "store"), WANDB_ENTITY="team", PYTHONPATH=str(REPO),
               WANDB_DATA_DIR=str(work / "wandb-data"), WANDB_CACHE_DIR=str(work / "wandb-cache"),
               WANDB_CONFIG_DIR=str(work / "wandb-config"), OMP_NUM_THREADS="1")
    outputs = {}
    for name in ("tables_predictions", "model_registry", "api_reads"):
        done = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py")], cwd=work, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{name}.py failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        outputs[name] = done.stdout.splitlines()
    return work, core.open_store(work / "store"), outputs


def test_the_dataset_split_and_the_predictions_are_tables_in_artifacts(workdir):
    _, store, out = workdir
    split = store.artifact("tables-demo/digits-split:v0")
    paths = [f.path for f in split.files()]
    assert {"train.table.json", "test.table.json"} <= set(paths)
    assert sum(p.startswith("media/images/") for p in paths) == 60
    predictions = store.artifact("tables-demo/digits-predictions:latest")
    assert "predictions.table.json" in [f.path for f in predictions.files()]
    assert "logged digits-predictions:v0 v0" in out["tables_predictions"]
    runs = {r.job_type: r for r in store.runs("tables-demo")}
    assert {r.state for r in runs.values()} == {"finished"}
    assert 0.5 < runs["analysis"].summary["accuracy"] <= 1.0  # a nearest-centroid classifier on digits
    assert [v.qualified_name for v in runs["analysis"].inputs()] == ["digits-predictions:v0"]
    (row,) = [r for r in store.history(runs["evaluate"].id) if "predictions_table" in r]
    assert row["predictions_table"]["_type"] == "table-file" and row["predictions_table"]["nrows"] == 20


def test_models_are_logged_linked_and_used(workdir):
    _, store, out = workdir
    model = store.versions("models-demo", "digits-model")
    assert [(v.version, v.aliases) for v in model][0] == ("v0", ["epoch-0"])
    assert model[1].aliases[:2] == ["latest", "epoch-1"]
    (link,) = store.links("model-registry", "digits-classifier")
    assert (link.version.qualified_name, link.aliases) == ("digits-model:v1", ["latest", "production", "staging"])
    card = next(line for line in out["model_registry"] if line.startswith("card "))
    assert card.startswith("card digits-model-card:v0 v0 ") and card.endswith(" team/models-demo/digits-model-card:v0")
    inference = next(r for r in store.runs("models-demo") if r.job_type == "inference")
    assert inference.summary["weight"] == 1.0
    used = next(line for line in out["model_registry"] if line.startswith("used "))
    assert used.endswith(os.path.join("artifacts", "digits-model:v1", "epoch-1.npy"))


def test_the_public_api_reads_and_edits(workdir):
    _, store, out = workdir
    lines = out["api_reads"]
    assert "latest digits-model:v1 ['latest', 'epoch-1']" in lines
    assert "versions ['v1', 'v0']" in lines
    assert "losses [1.0, 0.5]" in lines
    assert "registry digits-classifier:v0 digits-model:v1 ['latest', 'production', 'staging']" in lines
    assert "missing CommError" in lines
    edited = store.artifact("models-demo/digits-model:reviewed")
    assert (edited.version, edited.description, edited.metadata, edited.tags) == (
        "v1", "the epoch-1 weights", {"reviewed": True}, ["digits"])

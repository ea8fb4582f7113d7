"""The W&B store against a real W&B server (wandb.ai or self-hosted W&B Server).

Runs only when WANDB_API_KEY and WANDB_BASE_URL are set (skipped otherwise, with the reason in the test summary).
It logs two runs through `wandb.init` into WANDB_ENTITY (default: the key's own entity) / project
ARTIFACTS_TUI_IT_PROJECT (default "artifacts-tui-integration"), then reads them back through a fresh `WandbStore`:
listing, paging, files, download into the local blob store, lineage from runs, history, alias add/remove, refresh.
Each run logs new random content, so repeated runs add versions rather than failing on old ones.
"""

from __future__ import annotations

import os
import secrets
import time

import pytest

import core
from core.wandb_backend.store import WandbStore

pytestmark = pytest.mark.skipif(
    not (os.environ.get("WANDB_API_KEY") and os.environ.get("WANDB_BASE_URL")),
    reason="needs a real W&B server: set WANDB_API_KEY and WANDB_BASE_URL (README: 'Testing against a W&B server')",
)

PROJECT = os.environ.get("ARTIFACTS_TUI_IT_PROJECT", "artifacts-tui-integration")


def _eventually(check, timeout: float = 60.0):
    """A real server indexes what a finished run logged within seconds, not at once: retry the read."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (AssertionError, core.NotFoundError):
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


@pytest.fixture
def entity(real_sdk, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "online")   # tests/conftest.py makes wandb offline for everyone else
    entity = os.environ.get("WANDB_ENTITY")
    if not entity:
        monkeypatch.setenv("WANDB_SILENT", "true")
        import wandb

        entity = wandb.Api(timeout=30).default_entity
    assert entity, "could not tell the entity: set WANDB_ENTITY"
    return entity


def test_log_browse_download_and_tag_on_a_real_server(entity, tmp_path):
    local = core.open_store(tmp_path / "local")
    writer = WandbStore(entity, PROJECT, local=local, call_timeout=120)
    token = secrets.token_hex(8)
    with writer.start_run(project=PROJECT, job_type="load-data", config={"token": token}) as loader:
        data = core.Artifact("it-data", "dataset", description="integration data", metadata={"token": token})
        with data.new_file("data/values.txt", mode="w") as handle:
            handle.write(f"values {token}\n")
        data_version = loader.log_artifact(data)
    with writer.start_run(project=PROJECT, job_type="train") as trainer:
        used = trainer.use_artifact(f"it-data:{data_version.version}")
        for step in range(3):
            trainer.log({"train/loss": 1.0 / (step + 1)}, step=step)
        model = core.Artifact("it-model", "model")
        with model.new_file("model.bin", mode="wb") as handle:
            handle.write(token.encode())
        model_version = trainer.log_artifact(model, aliases=["candidate"])
    assert used == data_version and "candidate" in model_version.aliases

    reader = WandbStore(entity, PROJECT, local=core.open_store(tmp_path / "reader"), per_page=2, call_timeout=120)

    def listed():
        reader.refresh()
        assert reader.projects() == [PROJECT]
        assert {"dataset", "model"} <= set(reader.artifact_types(PROJECT))
        names = {c.name: c for c in reader.collections(PROJECT)}
        assert names["it-data"].version_count >= 1 and names["it-model"].type == "model"
        return reader.artifact(f"{PROJECT}/it-model:{model_version.version}")

    version = _eventually(listed)
    assert version.digest == model_version.digest and version.aliases == model_version.aliases
    versions = reader.versions(PROJECT, "it-data")
    assert [v.index for v in versions] == sorted(v.index for v in versions)
    assert len(versions) == reader.version_count(PROJECT, "it-data")

    data_read = reader.artifact(f"{PROJECT}/it-data:{data_version.version}")
    assert data_read.metadata["token"] == token
    assert [f.path for f in data_read.files()] == ["data/values.txt"]
    root = data_read.download(root=tmp_path / "dl")
    assert (root / "data/values.txt").read_text() == f"values {token}\n"
    assert {s.blob for s in data_read.file_states(root)} == {"ok"}

    def lineage():
        reader.refresh()
        edges = set(reader.lineage_edges(PROJECT))
        assert (trainer.id, "input") in {(e.run_id, e.direction) for e in edges if e.name == "it-data"}
        assert (trainer.id, "output") in {(e.run_id, e.direction) for e in edges if e.name == "it-model"}
        return edges

    _eventually(lineage)
    produced = reader.artifact(f"{PROJECT}/it-model:{model_version.version}")
    assert produced.logged_by().id == trainer.id
    assert trainer.id in [r.id for r in reader.artifact(f"{PROJECT}/it-data:{data_version.version}").used_by()]
    run = reader.run(PROJECT, trainer.id)
    assert run.job_type == "train" and run.state == "finished"
    assert [row["_step"] for row in _eventually(lambda: _rows(reader, run))] == [0, 1, 2]

    alias = f"it-{token[:6]}"
    reader.add_alias(produced, alias)
    assert reader.artifact(f"{PROJECT}/it-model:{alias}").index == produced.index
    reader.remove_alias(reader.artifact(f"{PROJECT}/it-model:{alias}"), alias)
    reader.refresh()
    with pytest.raises(core.NotFoundError):
        reader.artifact(f"{PROJECT}/it-model:{alias}")


def _rows(store, run):
    store.refresh()
    rows = store.history(store.run(run.project, run.id))
    assert len(rows) == 3
    return rows

"""The logged artifact through `from core import wandb_compat as wandb`: one object from draft to version
(`art.wait()`, `art.version`, `art.id`, ...), reading it (`get_entry`, `files`, `manifest`, `verify`, `download`,
`checkout`, `file`), editing it (`description`, `metadata`, `aliases`, `tags`, then `save()`), models, links and
`wandb.Api()` reads, each as the wandb SDK documents it."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

import core
from core import wandb_compat as wandb


@pytest.fixture(autouse=True)
def _clean(monkeypatch, tmp_path):
    for var in ("WANDB_PROJECT", "WANDB_ARTIFACT_DIR", "WANDB_ENTITY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    yield
    for active in list(wandb._active):
        active.finish()


@pytest.fixture
def files(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text("x,y\n1,2\n")
    (tmp_path / "data" / "sub").mkdir()
    (tmp_path / "data" / "sub" / "val.csv").write_text("x,y\n3,4\n")
    (tmp_path / "model.pt").write_bytes(b"weights v1")
    return tmp_path


def sdk_errors():
    from wandb.errors import CommError
    from wandb.sdk.artifacts.exceptions import ArtifactFinalizedError, ArtifactNotLoggedError

    return CommError, ArtifactNotLoggedError, ArtifactFinalizedError


def log_dataset(store, files, aliases=None, **init):
    with wandb.init(project="p", job_type="upload", store=store, **init) as run:
        art = wandb.Artifact("data", type="dataset", description="split", metadata={"rows": 2})
        art.add_dir(str(files / "data"))
        run.log_artifact(art, aliases=aliases)
    return run, art


# -- the logged object ----------------------------------------------------------------------------------------
def test_a_draft_becomes_the_logged_version(store, files, monkeypatch):
    _, not_logged, finalized = sdk_errors()
    monkeypatch.setenv("WANDB_ENTITY", "team")
    art = wandb.Artifact("data", type="dataset")
    art.add_file(str(files / "model.pt"))
    assert (art.name, art.id, art.is_draft(), art.state) == ("data", None, True, "PENDING")
    for read in (lambda: art.version, lambda: art.aliases, lambda: art.qualified_name, art.wait):
        with pytest.raises(not_logged, match="used prior to logging artifact"):
            read()
    draft_digest = art.digest
    with wandb.init(project="p", store=store) as run:
        returned = run.log_artifact(art, aliases=["best"], tags=["baseline"])
    assert returned is art and art.wait() is art
    version = store.artifact("p/data:v0")
    assert (art.name, art.version, art.project, art.type) == ("data:v0", "v0", "p", "dataset")
    assert (art.aliases, art.tags, art.digest) == (["latest", "best"], ["baseline"], draft_digest)
    assert art.qualified_name == "team/p/data:v0" and art.source_name == "data:v0"
    assert base64.b64decode(art.id).decode() == f"Artifact:{version.id}"
    assert wandb.Api(store=store).artifact(art.qualified_name) == art
    assert wandb.Api(store=store).artifact("p/data:best").id == art.id
    with pytest.raises(finalized, match="Can't modify finalized artifact"):
        art.add_file(str(files / "model.pt"), name="again.pt")
    assert version.logged_by().id == run.id


def test_the_manifest_matches_the_sdks_for_the_same_files(store, files):
    import wandb as sdk

    ours, theirs = wandb.Artifact("data", type="dataset"), sdk.Artifact("data", type="dataset")
    for art in (ours, theirs):
        art.add_dir(str(files / "data"), name="tables")
        art.add_file(str(files / "model.pt"))
    expected = {p: (e.digest, e.size) for p, e in theirs.manifest.entries.items()}
    assert {p: (e.digest, e.size) for p, e in ours.manifest.entries.items()} == expected
    assert ours.digest == theirs.digest and ours.manifest.digest() == theirs.manifest.digest()
    with wandb.init(project="p", store=store) as run:
        run.log_artifact(ours)
    logged = wandb.Api(store=store).artifact("p/data:v0")
    assert {p: (e.digest, e.size) for p, e in logged.manifest.entries.items()} == expected
    assert logged.manifest.to_manifest_json()["contents"] == theirs.manifest.to_manifest_json()["contents"]


def test_use_artifact_takes_the_object_logged_or_draft(store, files):
    run, art = log_dataset(store, files)
    with wandb.init(project="p", job_type="train", store=store) as train:
        assert train.use_artifact(art) is art
        draft = wandb.Artifact("config", type="settings")
        with draft.new_file("lr.txt") as handle:
            handle.write("0.1")
        used = train.use_artifact(draft, aliases=["first"])
        assert used is draft and (draft.version, draft.aliases) == ("v0", ["latest", "first"])
    info = store.run("p", train.id)
    assert sorted(v.qualified_name for v in info.inputs()) == ["config:v0", "data:v0"]
    assert info.outputs() == []  # a used draft is an input, as in the SDK
    assert store.artifact("p/config:v0").logged_by() is None


def test_save_logs_a_draft_outside_or_inside_a_run_and_stores_edits(store, files):
    first = wandb.Artifact("notes", type="text")
    first.add_file(str(files / "model.pt"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARTIFACTS_TUI_HOME", str(store.root))
        first.save(project="p")  # no run: a run of job type "auto" logs it
    (auto,) = store.runs("p")
    assert (first.version, auto.job_type, auto.state) == ("v0", "auto", "finished")
    with wandb.init(project="p", job_type="edit", store=store) as run:
        second = wandb.Artifact("notes", type="text")
        second.add_dir(str(files / "data"))
        second.save()
        assert second.version == "v1" and second.logged_by().id == run.id
    first.description = "the first notes"
    first.metadata["reviewed"] = True
    first.aliases.append("golden")
    first.tags = ["checked"]
    first.save()
    read = wandb.Api(store=store).artifact("p/notes:golden")
    assert (read.version, read.description, read.metadata, read.tags) == ("v0", "the first notes",
                                                                          {"reviewed": True}, ["checked"])
    read.aliases.remove("golden")
    read.aliases.append("kept")
    read.save()
    assert store.artifact("p/notes:v0").aliases == ["kept"]
    assert store.artifact("p/notes:v1").aliases == ["latest"]
    with pytest.raises(core.ValidationError):  # the store holds "latest" for the newest: it cannot move
        read.aliases.append("latest")
        read.save()


# -- reading a version ------------------------------------------------------------------------------------------
def test_reading_files_entries_and_downloads(store, files, tmp_path):
    log_dataset(store, files)
    art = wandb.Api(store=store).artifact("p/data:latest")
    assert sorted(f.name for f in art.files()) == ["sub/val.csv", "train.csv"]
    assert {p: e.size for p, e in art.manifest.entries.items()} == {"sub/val.csv": 8, "train.csv": 8}
    entry = art.get_path("train.csv")
    assert entry.path == "train.csv" and entry.digest == store.artifact("p/data:v0").files()[1].digest
    path = entry.download()
    assert path == str(tmp_path / "artifacts" / "data:v0" / "train.csv") and Path(path).read_text() == "x,y\n1,2\n"
    assert not (tmp_path / "artifacts" / "data:v0" / "sub").exists()  # only the entry
    with pytest.raises(KeyError, match="Path not contained in artifact: nope.csv"):
        art.get_entry("nope.csv")
    only_sub = art.download(root=str(tmp_path / "subset"), path_prefix="sub/")
    assert [p.name for p in Path(only_sub).rglob("*.csv")] == ["val.csv"]
    root = art.download()
    assert root == str(tmp_path / "artifacts" / "data:v0")
    art.verify()
    (Path(root) / "train.csv").write_text("tampered")
    with pytest.raises(ValueError, match="Digest mismatch for file: train.csv"):
        art.verify()
    (Path(root) / "extra.txt").write_text("x")
    with pytest.raises(ValueError, match="which is not a member of artifact data:v0"):
        art.verify()
    checked_out = art.checkout(str(tmp_path / "work"))
    (Path(checked_out) / "stray.txt").write_text("x")
    art.checkout(checked_out)
    assert sorted(p.relative_to(checked_out).as_posix() for p in Path(checked_out).rglob("*") if p.is_file()) == [
        "sub/val.csv", "train.csv"]


def test_file_is_relative_to_artifacts_as_the_sdk_returns_it(store, files, tmp_path):
    with wandb.init(project="p", store=store) as run:
        run.log_model(str(files / "model.pt"), name="net")
    art = wandb.Api(store=store).artifact("p/net:v0", type="model")
    assert art.file() == os.path.join(".", "artifacts", "net:v0", "model.pt")
    assert (tmp_path / "artifacts" / "net:v0" / "model.pt").read_bytes() == b"weights v1"
    many = log_dataset(store, files)[1]
    with pytest.raises(ValueError, match="more than one file"):
        many.file()


def test_logged_by_and_used_by_are_runs(store, files, monkeypatch):
    monkeypatch.setenv("WANDB_ENTITY", "team")
    upload, art = log_dataset(store, files)
    with wandb.init(project="p", job_type="train", store=store) as train:
        train.use_artifact("data:latest")
    assert art.logged_by().id == upload.id and art.logged_by().job_type == "upload"
    (user,) = art.used_by()
    assert (user.id, user.entity, user.path) == (train.id, "team", ["team", "p", train.id])


# -- models and links -----------------------------------------------------------------------------------------------
def test_log_model_use_model_and_link_model(store, files):
    with wandb.init(project="p", job_type="train", store=store) as run:
        assert run.log_model(str(files / "model.pt"), aliases=["v1-weights"]) is None
        default_name = f"run-{run.id}-model.pt"  # the SDK's name for a path
        linked = run.link_model(str(files / "model.pt"), "mnist-classifier", name="net", aliases=["staging"])
    assert store.artifact(f"p/{default_name}:v0").aliases == ["latest", "v1-weights"]
    assert (linked.name, linked.version, linked.project, linked.is_link) == (
        "mnist-classifier:v0", "v0", "model-registry", True)
    assert (linked.source_name, linked.aliases) == ("net:v0", ["latest", "staging"])
    with wandb.init(project="p", job_type="deploy", store=store) as run:
        path = run.use_model("model-registry/mnist-classifier:staging")
        assert Path(path).read_bytes() == b"weights v1" and Path(path).name == "model.pt"
        run.log_artifact(str(files / "data"), name="d", type="dataset")
        with pytest.raises(AssertionError, match="'model' artifacts"):
            run.use_model("d:latest")
    assert [r.job_type for r in store.artifact("p/net:v0").used_by()] == ["deploy"]


def test_link_artifact_then_read_and_unlink_the_link(store, files):
    comm_error, _, _ = sdk_errors()
    with wandb.init(project="p", store=store) as run:
        art = wandb.Artifact("data", type="dataset")
        art.add_dir(str(files / "data"))
        linked = run.link_artifact(art, "team/p/golden-data", aliases=["reviewed"])  # logs the draft first
        registry = art.link("wandb-registry-dataset/mnist")
    assert art.version == "v0" and (linked.name, linked.project) == ("golden-data:v0", "p")
    assert (registry.name, registry.project, registry.source_qualified_name.split("/", 1)[1]) == (
        "mnist:v0", "wandb-registry-dataset", "p/data:v0")
    assert sorted(a.name for a in art.linked_artifacts) == ["golden-data:v0", "mnist:v0"]
    api = wandb.Api(store=store)
    read = api.artifact("p/golden-data:reviewed")
    assert read.is_link and read.source_artifact == art and read.digest == art.digest
    assert sorted(p.name for p in Path(read.download()).rglob("*.csv")) == ["train.csv", "val.csv"]
    assert api.artifact_collection("dataset", "p/golden-data").is_sequence() is False
    with pytest.raises(ValueError, match="is not a linked artifact"):
        art.unlink()
    read.unlink()
    with pytest.raises(comm_error):
        api.artifact("p/golden-data:reviewed")
    assert [link.full_name for link in store.version_links(art.core_version)] == ["wandb-registry-dataset/mnist:v0"]


# -- wandb.Api() ------------------------------------------------------------------------------------------------------
def test_api_reads_artifacts_collections_and_types(store, files):
    comm_error, _, _ = sdk_errors()
    log_dataset(store, files)
    (files / "data" / "train.csv").write_text("x,y\n5,6\n")
    log_dataset(store, files, aliases=["best"])
    api = wandb.Api(overrides={"project": "p"}, store=store)
    assert [a.name for a in api.artifacts("dataset", "p/data")] == ["data:v1", "data:v0"]
    assert [a.version for a in api.artifact_versions("dataset", "team/p/data")] == ["v1", "v0"]
    assert [t.name for t in api.artifact_types("p")] == ["dataset"]
    kind = api.artifact_type("dataset", "p")
    assert [c.name for c in kind.collections()] == ["data"]
    collection = api.artifact_collection("dataset", "p/data")
    assert (collection.name, collection.type, collection.aliases) == ("data", "dataset", ["best", "latest"])
    assert [c.name for c in api.artifact_collections("p", "dataset")] == ["data"]
    assert api.artifact("data:best").version == "v1"  # the default project
    assert api.artifact_exists("p/data:v1") and not api.artifact_exists("p/data:v7")
    assert not api.artifact_exists("p/data:v0", type="model")
    assert api.artifact_collection_exists("p/data", "dataset") and not api.artifact_collection_exists("p/x", "dataset")
    with pytest.raises(comm_error) as missing:
        api.artifact("p/nothing:latest")
    assert isinstance(missing.value, core.NotFoundError)
    with pytest.raises(wandb.errors.CommError, match="type 'model' specified"):
        api.artifact("p/data:v0", type="model")
    with pytest.raises(comm_error):
        api.artifact_type("model", "p")


def test_api_reads_runs_with_config_summary_and_history(store, files, monkeypatch):
    monkeypatch.setenv("WANDB_ENTITY", "team")
    upload, _ = log_dataset(store, files)
    with wandb.init(project="p", job_type="train", config={"lr": 0.1}, store=store) as run:
        run.use_artifact("data:latest")
        for step in range(4):
            wandb.log({"loss": 1.0 / (step + 1), **({"acc": step / 4} if step % 2 else {})})
        run.log_artifact(str(files / "model.pt"), type="model")
    api = wandb.Api(store=store)
    assert api.default_entity == "team"
    read = api.run(f"team/p/{run.id}")
    assert (read.id, read.entity, read.project, read.path, read.state) == (
        run.id, "team", "p", ["team", "p", run.id], "finished")
    assert read.config == {"lr": 0.1} and read.summary["loss"] == 0.25
    assert [a.name for a in read.used_artifacts()] == ["data:v0"]
    assert [a.name for a in read.logged_artifacts()] == [f"run-{run.id}-model.pt:v0"]
    history = read.history(pandas=False)
    assert [row["_step"] for row in history] == [0, 1, 2, 3]
    assert read.history(keys=["acc"], pandas=False) == [{"_step": 1, "acc": 0.25}, {"_step": 3, "acc": 0.75}]
    assert len(read.history(samples=2, pandas=False)) == 2
    assert list(read.scan_history(keys=["loss"], min_step=1, max_step=3)) == [{"loss": 0.5}, {"loss": 1 / 3}]
    assert [r.id for r in api.runs("team/p")] == [upload.id, run.id]  # oldest first, the SDK's default
    assert [r.id for r in api.runs("p", order="-created_at")] == [run.id, upload.id]
    with pytest.raises(wandb.errors.CommError):
        api.run("p/nosuchrun")
    assert api.run(f"p/{run.id}") == read and run.entity == "team" and run.path == f"team/p/{run.id}"

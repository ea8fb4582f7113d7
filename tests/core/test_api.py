"""The run API end to end, as a pipeline uses it: log, use, download, aliases, dedup, lineage, history."""

from __future__ import annotations

import copy
import errno
import fcntl
import os
from datetime import datetime, timezone

import pytest

import core
import core.blobs
from tests.helpers.store import write_tree


@pytest.fixture
def source(tmp_path):
    return write_tree(tmp_path / "src", {
        "weights.pth": b"\x00\x01" * 500,
        "images/a.png": b"png-a",
        "images/deep/b.png": b"png-b",
    })


def log_raw(store, project, source, **kwargs):
    with core.init(project=project, job_type="load-data", config={"seed": 0}, store=store) as run:
        raw = core.Artifact("mnist-raw", type="dataset", description="Raw MNIST, split train/val/test",
                            metadata={"sizes": [50000, 10000, 10000]})
        with raw.new_file("training.txt", mode="w") as handle:
            handle.write("train split")
        raw.add_file(source / "weights.pth", name="weights/init.pth")
        raw.add_dir(source / "images", name="images")
        expected_digest = raw.digest
        version = run.log_artifact(raw, **kwargs)
    return run, version, expected_digest


def test_log_commits_a_version_with_files_metadata_and_aliases(store, project, source):
    run, v, expected_digest = log_raw(store, project, source, aliases=["best", "latest"])

    assert (v.project, v.name, v.type, v.version, v.index) == (project, "mnist-raw", "dataset", "v0", 0)
    assert v.qualified_name == "mnist-raw:v0"
    assert v.aliases == ["latest", "best"]
    assert v.digest == expected_digest
    assert v.description == "Raw MNIST, split train/val/test"
    assert v.metadata == {"sizes": [50000, 10000, 10000]}
    assert v.created_at.tzinfo is not None and v.created_at.utcoffset() == timezone.utc.utcoffset(None)
    files = {f.path: f.size for f in v.files()}
    assert files == {"training.txt": 11, "weights/init.pth": 1000, "images/a.png": 5, "images/deep/b.png": 5}
    assert v.size == sum(files.values())
    assert v.logged_by().id == run.id
    assert store.artifact(f"{project}/mnist-raw:best") == v
    assert store.projects() == [project]
    assert store.artifact_types(project) == ["dataset"]
    assert [(c.name, c.type, c.version_count) for c in store.collections(project)] == [("mnist-raw", "dataset", 1)]


def test_new_file_staging_is_removed_once_logged(store, project):
    art = core.Artifact("notes", type="text")
    with art.new_file("a.txt", mode="w") as handle:
        handle.write("hello")
    staging = art.sources()["a.txt"].parent
    assert staging.exists()
    with core.init(project=project, store=store) as run:
        run.log_artifact(art)
    assert not staging.exists()


def test_use_and_download_round_trip_the_bytes(store, project, source, tmp_path, monkeypatch):
    log_raw(store, project, source)
    with core.init(project=project, job_type="train", store=store) as trainer:
        used = trainer.use_artifact("mnist-raw:latest")
        root = used.download(tmp_path / "dl")
    assert (root / "weights/init.pth").read_bytes() == (source / "weights.pth").read_bytes()
    assert (root / "images/deep/b.png").read_bytes() == b"png-b"
    assert (root / "training.txt").read_text() == "train split"
    assert [r.id for r in used.used_by()] == [trainer.id]
    assert [v.qualified_name for v in store.run(project, trainer.id).inputs()] == ["mnist-raw:v0"]

    monkeypatch.chdir(tmp_path)  # the default root is ./artifacts/name:vN, as W&B's
    default = used.download()
    assert default == used.default_root() and str(default) == "artifacts/mnist-raw:v0"
    assert (tmp_path / "artifacts" / "mnist-raw:v0" / "images" / "a.png").read_bytes() == b"png-a"
    assert all(state.downloaded and state.blob == "ok" for state in used.file_states())


@pytest.mark.parametrize("ref", ["mnist-raw", "mnist-raw:latest", "mnist-raw:v0", "artifacts-example/mnist-raw:best",
                                 "entity/artifacts-example/mnist-raw:v0"])
def test_use_artifact_accepts_every_reference_form(store, project, source, ref):
    _, v, _ = log_raw(store, project, source, aliases=["best"])
    with core.init(project=project, store=store) as run:
        assert run.use_artifact(ref) == v
        assert run.use_artifact(v) == v
        with pytest.raises(core.ValidationError):
            run.use_artifact(ref, type="model")
    assert store.artifact("mnist-raw:v0", project=project) == v


def test_relogging_identical_content_returns_the_existing_version(store, project, source):
    first_run, v0, _ = log_raw(store, project, source)
    with core.init(project=project, store=store) as run:
        changed = core.Artifact("mnist-raw", type="dataset")
        changed.add_file(source / "weights.pth")
        v1 = run.log_artifact(changed)
    assert v1.version == "v1" and v1.aliases == ["latest"]

    with core.init(project=project, job_type="again", store=store) as again:
        same = core.Artifact("mnist-raw", type="dataset", description="other words", metadata={"other": 1})
        with same.new_file("training.txt", mode="w") as handle:
            handle.write("train split")
        same.add_file(source / "weights.pth", name="weights/init.pth")
        same.add_dir(source / "images", name="images")
        back = again.log_artifact(same, aliases=["again"])

    assert back == v0 and back.version == "v0"
    assert back.aliases == ["latest", "again"]  # latest moves back to the re-logged content
    assert store.version_count(project, "mnist-raw") == 2
    assert store.artifact(f"{project}/mnist-raw:v1").aliases == []
    assert back.description == "Raw MNIST, split train/val/test" and back.metadata == {"sizes": [50000, 10000, 10000]}
    assert back.logged_by().id == first_run.id  # the first producer stays the producer
    assert [v.version for v in store.run(project, again.id).outputs()] == ["v0"]


def test_aliases_move_within_a_collection_and_latest_is_managed(store, project, source):
    log_raw(store, project, source, aliases=["best"])
    with core.init(project=project, store=store) as run:
        art = core.Artifact("mnist-raw", type="dataset")
        art.add_file(source / "weights.pth")
        v1 = run.log_artifact(art)
    v0 = store.artifact(f"{project}/mnist-raw:v0")

    store.add_alias(v1, "best")
    assert store.artifact(f"{project}/mnist-raw:best") == v1
    assert store.artifact(f"{project}/mnist-raw:v0").aliases == []
    assert store.artifact(f"{project}/mnist-raw:v1").aliases == ["latest", "best"]
    assert store.alias_holder(project, "mnist-raw", "best") == v1

    store.add_alias(v0, "production")
    store.remove_alias(v0, "production")
    with pytest.raises(core.NotFoundError):
        store.artifact(f"{project}/mnist-raw:production")
    with pytest.raises(core.NotFoundError):
        store.remove_alias(v0, "production")
    with pytest.raises(core.ValidationError):
        store.add_alias(v0, "latest")
    with pytest.raises(core.ValidationError):
        store.remove_alias(v1, "latest")
    assert store.artifact(f"{project}/mnist-raw:latest") == v1


def test_a_collection_keeps_one_type(store, project, source):
    log_raw(store, project, source)
    with core.init(project=project, store=store) as run:
        art = core.Artifact("mnist-raw", type="model")
        art.add_file(source / "weights.pth")
        with pytest.raises(core.ValidationError, match="dataset"):
            run.log_artifact(art)
    assert store.version_count(project, "mnist-raw") == 1
    assert store.artifact_types(project) == ["dataset"]


def test_lineage_queries_follow_runs_and_versions(store, project, source):
    producer, raw, _ = log_raw(store, project, source)
    with core.init(project=project, job_type="train", store=store) as trainer:
        trainer.use_artifact("mnist-raw:latest")
        model = core.Artifact("convnet", type="model")
        model.add_file(source / "weights.pth")
        trained = trainer.log_artifact(model)
    with core.init(project=project, job_type="evaluate", store=store) as evaluator:
        evaluator.use_artifact("convnet:v0")
        evaluator.use_artifact("mnist-raw:v0")

    edges = {(e.run_id, e.name, e.index, e.type, e.direction) for e in store.lineage_edges(project)}
    assert edges == {
        (producer.id, "mnist-raw", 0, "dataset", "output"),
        (trainer.id, "mnist-raw", 0, "dataset", "input"),
        (trainer.id, "convnet", 0, "model", "output"),
        (evaluator.id, "convnet", 0, "model", "input"),
        (evaluator.id, "mnist-raw", 0, "dataset", "input"),
    }
    assert {r.id for r in raw.used_by()} == {trainer.id, evaluator.id}
    assert trained.logged_by().id == trainer.id
    info = store.run(project, trainer.id)
    assert [v.qualified_name for v in info.inputs()] == ["mnist-raw:v0"]
    assert [v.qualified_name for v in info.outputs()] == ["convnet:v0"]
    assert store.artifact_types(project) == ["dataset", "model"]
    assert [c.name for c in store.collections(project, type="model")] == ["convnet"]


def test_history_summary_and_config_survive_the_run(store, project):
    with core.init(project=project, config={"lr": 0.1}, store=store) as run:
        for i in range(3):
            run.log({"train/loss": 1.0 / (i + 1), "epoch": i})
        run.summary.update({"accuracy": 98.7})
        run.config.update({"epochs": 5})
        run.config.batch_size = 32
    info = store.run(project, run.id)
    assert [row["_step"] for row in store.history(run.id)] == [0, 1, 2]
    assert store.history(run.id)[2] == {"_step": 2, "train/loss": pytest.approx(1 / 3), "epoch": 2}
    assert info.summary["accuracy"] == 98.7 and info.summary["epoch"] == 2
    assert info.config == {"lr": 0.1, "epochs": 5, "batch_size": 32}


def test_images_land_in_history_and_media(store, project):
    np = pytest.importorskip("numpy")
    with core.init(project=project, store=store) as run:
        run.log({"examples": [core.Image(np.zeros((8, 8)), caption="7,1"), core.Image(np.ones((4, 6, 3)))]})
    (row,) = store.history(run.id)
    first, second = row["examples"]
    assert first["_type"] == "image-file" and first["caption"] == "7,1" and (first["width"], first["height"]) == (8, 8)
    assert (second["width"], second["height"]) == (6, 4)
    assert store.media_path(run.id, first["path"]).read_bytes().startswith(b"\x89PNG")


def test_versions_page_oldest_first_and_change_token_moves(store, project):
    token = store.change_token()
    before = datetime.now(timezone.utc)
    with core.init(project=project, store=store) as run:
        for i in range(5):
            art = core.Artifact("counter", type="dataset")
            with art.new_file("n.txt", mode="w") as handle:
                handle.write(str(i))
            run.log_artifact(art)
    assert store.change_token() > token
    versions = store.versions(project, "counter")
    assert [v.index for v in versions] == [0, 1, 2, 3, 4]
    # created_at is made on first read (a big listing builds no datetime it does not show): still the logging time
    stamps = [v.created_at for v in versions]
    assert stamps == sorted(stamps) and all(stamp.tzinfo is not None for stamp in stamps)
    if isinstance(store, core.Store):  # the embedded store stamps with this machine's clock (a server with its own)
        assert before <= stamps[0] <= stamps[-1] <= datetime.now(timezone.utc)
    assert f"created_at={stamps[1]!r}" in repr(versions[1]) and copy.copy(versions[2]).created_at == stamps[2]
    with pytest.raises(AttributeError, match="no attribute 'created'"):
        versions[0].created  # noqa: B018
    assert [v.index for v in store.versions(project, "counter", offset=1, limit=2)] == [1, 2]
    assert store.version_count(project, "counter") == 5
    assert store.artifact(f"{project}/counter").index == 4
    token = store.change_token()
    store.add_alias(store.artifact(f"{project}/counter:v2"), "pinned")
    assert store.change_token() > token


def test_log_artifact_accepts_a_path(store, project, source):
    with core.init(project=project, store=store) as run:
        v = run.log_artifact(source / "images", name="pictures", type="dataset")
    assert sorted(f.path for f in v.files()) == ["a.png", "deep/b.png"]


@pytest.mark.parametrize("size", [0, 1, 4096, 1024 * 1024, 1024 * 1024 + 1, 9 * 1024 * 1024 + 4097])
def test_files_of_every_size_round_trip(store, project, tmp_path, size):
    payload = os.urandom(size)
    (tmp_path / "blob.bin").write_bytes(payload)
    with core.init(project=project, store=store) as run:
        art = core.Artifact("sizes", type="dataset")
        art.add_file(tmp_path / "blob.bin")
        version = run.log_artifact(art)
    assert version.size == size and version.verify() is None
    assert (version.download(tmp_path / "out") / "blob.bin").read_bytes() == payload


def test_a_filesystem_refusing_direct_writes_still_gets_the_bytes(store, project, tmp_path, monkeypatch):
    payload = os.urandom(3 * 1024 * 1024)
    (tmp_path / "big.bin").write_bytes(payload)
    real, refused = os.write, []

    def picky_write(fd, data):  # every O_DIRECT write refused, as by a device wanting another alignment
        if fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0):
            refused.append(fd)
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        return real(fd, data)

    monkeypatch.setattr(core.blobs, "_write", picky_write)
    with core.init(project=project, store=store) as run:
        art = core.Artifact("picky", type="dataset")
        art.add_file(tmp_path / "big.bin")
        version = run.log_artifact(art)
    assert len(refused) <= 1 and version.verify() is None  # refused once (where O_DIRECT exists), then buffered
    local = getattr(store, "local", store)  # the W&B store keeps fetched and logged bytes in its local store
    assert local.blobs.path(version.alg, version.files()[0].digest).read_bytes() == payload

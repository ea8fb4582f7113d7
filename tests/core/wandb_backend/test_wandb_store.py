"""The W&B-server store: the reading and alias tests the local store passes, run on both stores over the same
scenario (the fake server is a mirror of the local store), then what only a remote store has: paging, session
caching and refresh, blobs fetched once and used offline, runs logged through `wandb.init`, and one clear error per
failure (missing key, bad key, unreachable host, permission, a stalled server)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

import core
from core.errors import NotFoundError, ValidationError
from core.values import Collection, FileEntry, LineageEdge
from core.wandb_backend.store import WandbStore
from core.wandb_backend.client import (
    WandbAuthError,
    WandbPermissionError,
    WandbTimeoutError,
    WandbUnreachableError,
)
from tests.helpers.fake_wandb import FakeServer, api_failure, comm_error

ENTITY = "team"


@dataclass
class Scenario:
    loaders: list[str]      # the runs that logged mnist-raw v0..v4, in order
    pre: str                # used mnist-raw:v2, logged mnist-preprocess:v0
    train: str              # used mnist-preprocess:v0, logged convnet:v0 ("production"), history of 5 steps
    other: str              # project q


def _log(run, name, type_, files, **kwargs):
    artifact = core.Artifact(name, type_, description=kwargs.pop("description", None),
                             metadata=kwargs.pop("metadata", None))
    for path, data in files.items():
        with artifact.new_file(path, mode="wb") as handle:
            handle.write(data)
    return run.log_artifact(artifact, **kwargs)


def build_scenario(store) -> Scenario:
    loaders = []
    for i in range(5):
        with core.init(project="p", job_type="load-data", config={"seed": i}, store=store) as run:
            _log(run, "mnist-raw", "dataset", {"train.txt": f"take {i}".encode(), "sub/val.txt": b"val"},
                 aliases=["best"] if i == 0 else [], description="Raw digits", metadata={"sizes": [3, 1], "take": i})
            loaders.append(run.id)
    with core.init(project="p", job_type="preprocess-data", store=store) as run:
        run.use_artifact("mnist-raw:v2")
        _log(run, "mnist-preprocess", "dataset", {"train.pt": b"\x00" * 64})
        pre = run.id
    with core.init(project="p", job_type="train", config={"epochs": 2}, store=store) as run:
        run.use_artifact("mnist-preprocess:latest")
        for step in range(5):
            run.log({"train/loss": 1.0 / (step + 1)}, step=step)
        run.summary.update({"accuracy": 0.9})
        _log(run, "convnet", "model", {"model.pth": b"weights"}, aliases=["production"])
        train = run.id
    with core.init(project="q", job_type="load-data", store=store) as run:
        _log(run, "other", "dataset", {"a.txt": b"a"})
        other = run.id
    return Scenario(loaders, pre, train, other)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    source = core.open_store(tmp_path_factory.mktemp("source"))
    return source, build_scenario(source)


def wandb_store(server: FakeServer, tmp_path, **kwargs) -> WandbStore:
    kwargs.setdefault("per_page", 2)  # every listing of the scenario spans several pages
    return WandbStore(ENTITY, local=core.open_store(tmp_path / "cache"), api_factory=server.api, **kwargs)


@pytest.fixture(params=["local", "wandb"])
def kind(request):
    return request.param


@pytest.fixture
def any_store(kind, world, tmp_path):
    """The scenario's store, or a W&B store over a fake server that mirrors it (read-only tests)."""
    source, scenario = world
    if kind == "local":
        return source, scenario
    return wandb_store(FakeServer(ENTITY).mirror(source), tmp_path), scenario


@pytest.fixture
def fresh_store(kind, tmp_path):
    """A store of its own for tests that change aliases."""
    source = core.open_store(tmp_path / "source")
    scenario = build_scenario(source)
    if kind == "local":
        return source, scenario
    return wandb_store(FakeServer(ENTITY).mirror(source), tmp_path), scenario


# -- the same behaviour from both stores -----------------------------------------------------------------------------
def test_projects_types_and_collections(any_store):
    store, _ = any_store
    assert store.projects() == ["p", "q"]
    assert store.artifact_types("p") == ["dataset", "model"]
    assert store.collections("p") == [
        Collection("p", "mnist-preprocess", "dataset", 1), Collection("p", "mnist-raw", "dataset", 5),
        Collection("p", "convnet", "model", 1)]
    assert store.collections("p", type="model") == [Collection("p", "convnet", "model", 1)]
    assert store.artifact_types("nope") == [] and store.collections("nope") == [] and store.runs("nope") == []


def test_versions_come_oldest_first_in_pages(any_store):
    store, _ = any_store
    assert store.version_count("p", "mnist-raw") == 5
    assert [v.version for v in store.versions("p", "mnist-raw")] == ["v0", "v1", "v2", "v3", "v4"]
    assert [v.version for v in store.versions("p", "mnist-raw", offset=1, limit=2)] == ["v1", "v2"]
    assert [v.version for v in store.versions("p", "mnist-raw", offset=3)] == ["v3", "v4"]
    assert store.versions("p", "mnist-raw", offset=9) == []
    versions = store.versions("p", "mnist-raw")
    assert versions[0].aliases == ["best"] and versions[-1].aliases == ["latest"]
    with pytest.raises(NotFoundError):
        store.versions("p", "no-such-artifact")
    with pytest.raises(NotFoundError):
        store.versions("nope", "mnist-raw")


def test_a_version_reads_the_same(any_store, world):
    store, _ = any_store
    source, _ = world
    expected = source.artifact("p/mnist-raw:best")
    v = store.artifact("p/mnist-raw:best")
    assert (v.project, v.name, v.type, v.index, v.qualified_name) == ("p", "mnist-raw", "dataset", 0, "mnist-raw:v0")
    assert (v.digest, v.size, v.file_count) == (expected.digest, expected.size, 2)
    assert v.metadata == {"sizes": [3, 1], "take": 0} and v.description == "Raw digits"
    assert v.created_at.tzinfo is not None and abs((v.created_at - expected.created_at).total_seconds()) < 1
    assert v.files() == expected.files() == sorted(v.files(), key=lambda f: f.path)
    assert [f.path for f in v.files()] == ["sub/val.txt", "train.txt"]
    assert isinstance(v.files()[0], FileEntry)


def test_references_resolve_like_wandb(any_store):
    store, _ = any_store
    assert store.artifact("mnist-raw:v3", project="p").index == 3
    assert store.artifact("p/mnist-raw").index == 4                  # no alias: latest
    assert store.artifact("team/p/mnist-raw:latest").index == 4      # entity/project/name, as wandb writes it
    assert store.artifact("p/convnet:production").aliases == ["latest", "production"]
    assert store.alias_holder("p", "mnist-raw", "best").index == 0
    assert store.alias_holder("p", "mnist-raw", "nobody") is None
    for ref in ("p/mnist-raw:nobody", "p/mnist-raw:v9", "p/ghost:latest", "nope/mnist-raw:v0"):
        with pytest.raises(NotFoundError):
            store.artifact(ref)


def test_download_copies_the_files_out(any_store, kind, tmp_path):
    store, _ = any_store
    v = store.artifact("p/mnist-raw:v1")
    root = tmp_path / "dl"
    before = v.file_states(root)
    assert [s.downloaded for s in before] == [False, False]
    assert {s.blob for s in before} == ({"ok"} if kind == "local" else {"remote"})
    assert v.download(root=root) == root
    assert (root / "train.txt").read_bytes() == b"take 1" and (root / "sub/val.txt").read_bytes() == b"val"
    after = v.file_states(root)
    assert {s.blob for s in after} == {"ok"} and all(s.downloaded for s in after)
    v.verify()


def test_lineage_runs_and_history(any_store):
    store, s = any_store
    edges = set(store.lineage_edges("p"))
    expected = {LineageEdge(run, "p", "mnist-raw", i, "dataset", "output") for i, run in enumerate(s.loaders)}
    expected |= {LineageEdge(s.pre, "p", "mnist-raw", 2, "dataset", "input"),
                 LineageEdge(s.pre, "p", "mnist-preprocess", 0, "dataset", "output"),
                 LineageEdge(s.train, "p", "mnist-preprocess", 0, "dataset", "input"),
                 LineageEdge(s.train, "p", "convnet", 0, "model", "output")}
    assert edges == expected
    raw2 = store.artifact("p/mnist-raw:v2")
    assert raw2.logged_by().id == s.loaders[2]
    assert [r.id for r in raw2.used_by()] == [s.pre]
    assert store.artifact("p/mnist-raw:v3").used_by() == []
    train = store.run("p", s.train)
    assert [v.qualified_name for v in train.inputs()] == ["mnist-preprocess:v0"]
    assert [v.qualified_name for v in train.outputs()] == ["convnet:v0"]


def test_runs_newest_first_with_config_summary_history(any_store):
    store, s = any_store
    assert [r.id for r in store.runs("p")] == [s.train, s.pre, *reversed(s.loaders)]
    train = store.run("p", s.train)
    assert (train.job_type, train.state, train.config) == ("train", "finished", {"epochs": 2})
    assert train.summary["accuracy"] == 0.9 and train.created_at.tzinfo is not None
    rows = store.history(s.train)
    assert [r["_step"] for r in rows] == [0, 1, 2, 3, 4]
    assert rows[1]["train/loss"] == 0.5
    assert [r["_step"] for r in store.history(s.train, after_step=2)] == [3, 4]
    assert [r["_step"] for r in store.history(train, after_step=2)] == [3, 4]
    for project, run_id in (("p", "nosuchrun"), ("nope", s.train)):
        with pytest.raises(NotFoundError):
            store.run(project, run_id)


def test_aliases_move_and_are_removed(fresh_store):
    store, _ = fresh_store
    token = store.change_token()
    v1 = store.artifact("p/mnist-raw:v1")
    store.add_alias(v1, "best")                         # moves off v0
    assert store.change_token() != token
    assert store.artifact("p/mnist-raw:best").index == 1
    assert "best" not in store.artifact("p/mnist-raw:v0").aliases
    assert store.artifact("p/mnist-raw:v1").aliases == ["best"]
    store.remove_alias(store.artifact("p/mnist-raw:v1"), "best")
    with pytest.raises(NotFoundError):
        store.artifact("p/mnist-raw:best")
    with pytest.raises(NotFoundError):
        store.remove_alias(v1, "best")
    for bad in ("latest", "v3", "two words", ""):
        with pytest.raises(ValidationError):
            store.add_alias(v1, bad)
    with pytest.raises(ValidationError):
        store.remove_alias(store.artifact("p/mnist-raw:latest"), "latest")


# -- what only the W&B store has --------------------------------------------------------------------------------------
@pytest.fixture
def server(world):
    return FakeServer(ENTITY).mirror(world[0])


def test_versions_page_on_demand_and_are_cached(server, tmp_path):
    store = wandb_store(server, tmp_path)
    # the newest page is the first the server sends: the TUI's first screen costs one page however long
    assert [v.version for v in store.versions("p", "mnist-raw", offset=3, limit=2)] == ["v3", "v4"]
    assert server.count("artifacts p/mnist-raw") == 1
    assert len(store.versions("p", "mnist-raw")) == 5             # 5 versions, 2 a page
    assert server.count("artifacts p/mnist-raw") == 3
    store.collections("p")                                         # first page of each other collection
    calls = len(server.calls)
    store.versions("p", "mnist-raw")
    store.artifact("p/mnist-raw:best")                             # already listed: no round trip
    store.collections("p")
    assert len(server.calls) == calls


def test_runs_and_lineage_page_through_every_run(server, tmp_path):
    store = wandb_store(server, tmp_path)
    assert len(store.runs("p")) == 7
    assert server.count("runs p") == 4                             # 7 runs, 2 a page
    store.lineage_edges("p")
    assert server.count("used_artifacts") == 7 and server.count("logged_artifacts") == 7  # a page per run and side


def test_refresh_refetches_and_only_writes_and_refresh_move_the_token(server, tmp_path):
    store = wandb_store(server, tmp_path)
    assert store.version_count("p", "mnist-raw") == 5
    token = store.change_token()
    server.add_version("p", "mnist-raw", "dataset", {"train.txt": b"new"})
    calls = len(server.calls)
    assert store.change_token() == token and len(server.calls) == calls  # polling costs nothing
    assert store.version_count("p", "mnist-raw") == 5                     # the session's view
    store.refresh()
    assert store.change_token() != token
    assert store.version_count("p", "mnist-raw") == 6
    assert store.artifact("p/mnist-raw:latest").index == 5


def test_wandb_bookkeeping_keys_are_left_out(server, tmp_path):
    server.add_run("p", "extra1", "train", summary={"acc": 1, "_runtime": 3, "_wandb": {"runtime": 3}, "_step": 1},
                   history=[{"_step": 0, "loss": 1.0, "_runtime": 1.5, "_timestamp": 1.7e9}], state="killed")
    store = wandb_store(server, tmp_path)
    run = store.run("p", "extra1")
    assert (run.summary, run.state) == ({"acc": 1}, "cancelled")
    assert store.history("extra1") == [{"_step": 0, "loss": 1.0}]


def test_a_downloaded_version_opens_again_offline(server, tmp_path):
    store = wandb_store(server, tmp_path)
    v = store.artifact("p/mnist-raw:v1")
    v.download(root=tmp_path / "a")
    assert server.count("download") == 1
    server.fail = comm_error("Failed to execute API request: connection refused")  # the server is gone
    again = v.download(root=tmp_path / "b")
    assert (again / "train.txt").read_bytes() == b"take 1"
    assert {s.blob for s in store.artifact("p/mnist-raw:v1").file_states()} == {"ok"}
    # a new session over the same local store: the listing needs the server, the bytes do not
    server.fail = None
    later = wandb_store(server, tmp_path)
    later.artifact("p/mnist-raw:v1").download(root=tmp_path / "c")
    assert server.count("download") == 1 and server.count("manifest") == 1


def test_blobs_are_shared_with_the_local_store_by_digest(world, server, tmp_path):
    source, _ = world
    store = WandbStore(ENTITY, local=source, api_factory=server.api)  # the local store that logged them
    store.artifact("p/convnet:v0").download(root=tmp_path / "m")
    assert server.count("download") == 0
    assert (tmp_path / "m" / "model.pth").read_bytes() == b"weights"


def test_bytes_that_do_not_match_the_manifest_are_not_kept(server, tmp_path):
    store = wandb_store(server, tmp_path)
    v = store.artifact("p/mnist-raw:v1")
    v.files()                                                                  # the manifest as logged
    server.collections[("p", "mnist-raw")][1].files["train.txt"] = b"tampered"  # the transfer goes wrong
    with pytest.raises(core.IntegrityError, match="train.txt"):
        v.download(root=tmp_path / "x")
    assert {s.blob for s in v.file_states()} == {"remote"}
    assert not (tmp_path / "x" / "train.txt").exists()


def test_a_cancelled_stage_ends_its_server_run_cancelled_like_a_local_one(server, tmp_path):
    from core.pipeline import Cancelled

    store = wandb_store(server, tmp_path, sdk=server.sdk)
    with pytest.raises(Cancelled):
        with store.start_run(project="p", job_type="train") as run:
            raise Cancelled("stopped from the TUI")
    assert run.state == "cancelled"


def test_logged_runs_go_to_the_server_with_lineage(server, tmp_path):
    sdk = server.sdk
    store = wandb_store(server, tmp_path, sdk=sdk)
    with store.start_run(project="p", job_type="train", config={"epochs": 1}) as run:
        used = run.use_artifact("mnist-preprocess:latest")
        run.log({"train/loss": 0.5}, step=0)
        run.summary.update({"accuracy": 0.95})
        artifact = core.Artifact("trained-model", "model", metadata={"epochs": 1})
        with artifact.new_file("trained_model.pth", mode="wb") as handle:
            handle.write(b"trained")
        version = run.log_artifact(artifact, aliases=["candidate", "latest"])
    assert sdk.inits[0]["job_type"] == "train" and sdk.inits[0]["entity"] == ENTITY
    assert used.qualified_name == "mnist-preprocess:v0"
    assert (version.qualified_name, version.aliases) == ("trained-model:v0", ["latest", "candidate"])
    assert version.logged_by().id == run.id and version.logged_by().state == "finished"
    assert [v.qualified_name for v in store.run("p", run.id).inputs()] == ["mnist-preprocess:v0"]
    assert store.history(run.id) == [{"_step": 0, "train/loss": 0.5}]
    assert store.run("p", run.id).summary["accuracy"] == 0.95
    # the files it logged are already local: reading them back needs no download
    assert (version.download(root=tmp_path / "t") / "trained_model.pth").read_bytes() == b"trained"
    assert server.count("download") == 0


# -- one clear message per failure ----------------------------------------------------------------------------------
def _auth_failure(cause_status: int | None, message: str):
    from wandb.errors import AuthenticationError

    error = AuthenticationError(f"Failed to verify credentials with https://wandb.example: {message}")
    error.__cause__ = api_failure(message, cause_status)
    return error


def _missing_key():
    from wandb.errors import UsageError

    return UsageError("No API key configured. Use `wandb login` to log in.")


@pytest.mark.parametrize("make_error, expected, words", [
    (_missing_key, WandbAuthError, "WANDB_API_KEY"),
    (lambda: _auth_failure(401, "invalid API key"), WandbAuthError, "rejected the API key"),
    (lambda: _auth_failure(None, "the service process is busy and did not respond in time."), WandbUnreachableError,
     "cannot reach"),
], ids=["missing-key", "bad-key", "unreachable"])
def test_each_credential_failure_is_one_clear_line(server, tmp_path, make_error, expected, words):
    server.api_error = make_error()
    store = wandb_store(server, tmp_path, host="https://wandb.example")
    with pytest.raises(expected) as caught:
        store.projects()
    message = str(caught.value)
    assert words in message and "https://wandb.example" in message and "\n" not in message


def test_a_permission_error_names_what_was_refused(server, tmp_path):
    server.fail = api_failure("permission denied", 403)
    store = WandbStore(ENTITY, "p", local=core.open_store(tmp_path / "c"), api_factory=server.api)
    server.api_error = None
    with pytest.raises(WandbPermissionError, match="denied access to team/p"):
        store.collections("p")


def test_the_project_the_store_was_opened_on_must_exist(server, tmp_path):
    store = WandbStore(ENTITY, "missing", local=core.open_store(tmp_path / "c"), api_factory=server.api)
    assert store.projects() == ["missing"]
    with pytest.raises(NotFoundError, match="team/missing was not found"):
        store.collections("missing")


def test_a_stalled_server_times_out_with_a_message(server, tmp_path):
    server.stall = threading.Event()
    store = wandb_store(server, tmp_path, call_timeout=0.2)
    try:
        with pytest.raises(WandbTimeoutError, match="did not answer in time while listing the projects"):
            store.projects()
    finally:
        server.stall.set()
    server.stall = None
    assert store.projects() == ["p", "q"]  # nothing half-done was kept


# `real_sdk` (tests/conftest.py): the real wandb SDK, torn down within a bound afterwards (tests/helpers/wandb_sdk.py).
def test_without_any_key_the_real_sdk_is_never_asked_to_prompt(real_sdk, tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_IDENTITY_TOKEN_FILE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "wandb-config"))
    store = WandbStore(ENTITY, "p", local=core.open_store(tmp_path / "c"))
    with pytest.raises(WandbAuthError, match="no W&B API key"):
        store.collections("p")



@pytest.mark.parametrize("key, expected, words", [
    ("short", WandbAuthError, "rejected the API key"),                 # the SDK refuses it before any request
    ("k" * 40, WandbUnreachableError, "cannot reach the W&B server at http://127.0.0.1:9"),  # nothing listens
], ids=["malformed-key", "unreachable-host"])
def test_the_real_sdk_failures_become_clear_lines(real_sdk, tmp_path, monkeypatch, key, expected, words):
    monkeypatch.setenv("WANDB_API_KEY", key)
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("HOME", str(tmp_path))
    store = WandbStore(ENTITY, "p", local=core.open_store(tmp_path / "c"), http_timeout=1)
    with pytest.raises(expected) as caught:
        store.collections("p")
    assert words in str(caught.value) and "\n" not in str(caught.value)

@pytest.mark.slow
def test_the_tutorial_stages_log_to_the_server(server, tmp_path, monkeypatch):
    from core import pipeline

    monkeypatch.setattr(core, "init", _init_on_store)   # until core.init dispatches to store.start_run itself
    sdk = server.sdk
    store = wandb_store(server, tmp_path, sdk=sdk)
    monkeypatch.chdir(tmp_path)
    loaded = pipeline.load_and_log(project="tutorial", dataset="digits", store=store)
    prepared = pipeline.preprocess_and_log(project="tutorial", dataset="digits", store=store)
    assert [i["job_type"] for i in sdk.inits] == ["load-data", "preprocess-data"]
    assert [o.qualified_name for o in loaded.outputs] == ["mnist-raw:v0"]
    assert [o.qualified_name for o in prepared.outputs] == ["mnist-preprocess:v0"]
    assert {(e.name, e.direction) for e in store.lineage_edges("tutorial")} == {
        ("mnist-raw", "output"), ("mnist-raw", "input"), ("mnist-preprocess", "output")}
    assert server.count("download") == 0   # the second stage read the first one's files from the local blobs


# -- the local store's API tests, collected again on the W&B store ---------------------------------------------------
# tests/core/test_api.py drives the store as a pipeline does (core.init, log_artifact, use_artifact, download, aliases,
# dedup, lineage, history). Every test of it is collected here too, with `store` below: writes go through `wandb.init`
# (the fake SDK) to the fake server, reads through the fake `wandb.Api`. A new API test runs on both stores unless
# it is listed here with the reason it cannot hold for a W&B server.
from tests.core import test_api  # noqa: E402

LOCAL_ONLY = {
    "test_images_land_in_history_and_media": "W&B serves media through run.file(), which WANDB_BACKEND.md leaves out",
}
source = test_api.source
globals().update({name: getattr(test_api, name) for name in dir(test_api)
                  if name.startswith("test_") and name not in LOCAL_ONLY})


def _init_on_store(project=None, job_type=None, config=None, name=None, store=None, **kwargs):
    """What `core.init` does for a store that starts its own runs (the hook proposed for core/run.py)."""
    return store.start_run(project=project or "uncategorized", job_type=job_type, config=config, name=name, **kwargs)


@pytest.fixture
def store(tmp_path, monkeypatch):
    """For the imported API tests: a W&B store over an empty fake server, paging 2 at a time."""
    monkeypatch.setattr(core, "init", _init_on_store)
    server = FakeServer(ENTITY)
    return WandbStore(ENTITY, local=core.open_store(tmp_path / "local"), api_factory=server.api, sdk=server.sdk,
                      per_page=2)


# -- the declared interface (core.protocol): every member, on both stores ------------------------------------------
def _protocol_members() -> set[str]:
    from core.protocol import ArtifactStore, VersionBackend

    found = set()
    for proto in (ArtifactStore, VersionBackend):
        found |= {n for n in vars(proto) if not n.startswith("_")} | set(getattr(proto, "__annotations__", {}))
    return found


def test_both_stores_implement_every_protocol_method(kind, tmp_path):
    from core.protocol import ArtifactStore

    source = core.open_store(tmp_path / "source")
    scenario = build_scenario(source)
    if kind == "local":
        store = source
    else:
        server = FakeServer(ENTITY).mirror(source)
        store = WandbStore(ENTITY, local=core.open_store(tmp_path / "cache"), api_factory=server.api,
                           sdk=server.sdk, per_page=2)
    assert isinstance(store, ArtifactStore)
    called: set[str] = set()

    def call(name, *args, **kwargs):
        called.add(name)
        return getattr(store, name)(*args, **kwargs)

    called |= {"location", "local_root", "default_project", "can_gc"}
    assert store.location and (store.local_root is None) == (kind == "wandb")
    assert store.default_project is None and store.can_gc == (kind == "local")
    assert call("projects") == ["p", "q"]
    assert call("artifact_types", "p") == ["dataset", "model"]
    assert [c.name for c in call("collections", "p")] == ["mnist-preprocess", "mnist-raw", "convnet"]
    assert len(call("versions", "p", "mnist-raw")) == call("version_count", "p", "mnist-raw") == 5
    best = call("artifact", "p/mnist-raw:best")
    assert best.version == "v0" and call("alias_holder", "p", "mnist-raw", "best") == best
    train = call("run", "p", scenario.train)
    assert train in call("runs", "p") and [r["_step"] for r in call("history", scenario.train)] == [0, 1, 2, 3, 4]
    assert [r["_step"] for r in call("history", scenario.train, samples=4)] == [0, 2, 3, 4]  # 2 buckets, ends kept
    assert any(e.run_id == scenario.train for e in call("lineage_edges", "p"))
    assert any(scenario.train in c.logged_by for c in call("lineage_summary", "p").classes)
    assert {r.id for r in call("runs_since", 0)} >= {scenario.train, scenario.other}
    assert all(r.state == "running" for r in call("runs_since", 4e9))  # nothing written in the future
    assert isinstance(call("media_path", scenario.train, "media/plot.png"), type(tmp_path))
    assert [f.path for f in call("version_files", best)] == ["sub/val.txt", "train.txt"]
    assert {s.path for s in call("version_file_states", best, tmp_path / "dl")} == {"sub/val.txt", "train.txt"}
    assert (call("download_version", best, tmp_path / "dl") / "train.txt").read_bytes() == b"take 0"
    assert call("verify_version", best) is None
    head = call("read_version_file", best, "train.txt", limit=3)
    assert (head.data, head.size, head.whole, head.verified) == (b"tak", 6, False, False)
    whole = call("read_version_file", best, "sub/val.txt")
    assert (whole.data, whole.verified) == (b"val", True)
    saved = call("save_version_file", best, "train.txt", tmp_path / "saved" / "t.txt")
    assert saved.read_bytes() == b"take 0"
    with pytest.raises(core.errors.TargetExistsError):
        call("save_version_file", best, "sub/val.txt", saved)
    assert call("save_version_file", best, "sub/val.txt", saved, overwrite=True).read_bytes() == b"val"
    assert call("version_logged_by", best).id == scenario.loaders[0]
    assert call("version_used_by", call("artifact", "p/mnist-raw:v2"))[0].id == scenario.pre
    assert [v.name for v in call("run_versions", train, "input")] == ["mnist-preprocess"]
    assert call("run_versions", train, "input", limit=0, newest_first=True) == []
    assert call("run_files", train) == []
    assert call("run_log", train) == call("run_log_tail", train, 5) == []  # the scenario's runs printed nothing
    assert call("system_metrics", train) == [] or kind == "local"
    book = call("launch_book")
    assert book.add({"stage": "train"}).state == "queued" and [x.state for x in book.active()] == ["queued"]
    assert call("cli_args")[:1] == ["--store"] and ("--wandb" in call("cli_args")) == (kind == "wandb")
    token = call("change_token")
    call("add_alias", best, "golden")
    assert call("change_token") != token and "golden" in call("artifact", "p/mnist-raw:v0").aliases
    call("remove_alias", call("artifact", "p/mnist-raw:v0"), "golden")
    call("refresh")
    assert "golden" not in call("artifact", "p/mnist-raw:v0").aliases
    assert call("verify") == []
    if store.can_gc:
        assert call("gc") >= 0
    else:
        with pytest.raises(core.ArtifactsError, match="local store"):
            call("gc")
    run = call("start_run", project="p", job_type="contract")
    run.finish()
    assert called == _protocol_members()


def test_blobs_the_wandb_cache_fetched_survive_the_local_gc(world, tmp_path):
    source, _ = world
    local = core.open_store(tmp_path / "cache")
    store = wandb_store(FakeServer(ENTITY).mirror(source), tmp_path)
    version = store.artifact("p/convnet:production")
    version.download(tmp_path / "out")
    assert {s.blob for s in version.file_states()} == {"ok"}
    local.gc()
    assert {s.blob for s in version.file_states()} == {"ok"}  # still here: no second fetch from the server
    assert (version.download(tmp_path / "again") / "model.pth").read_bytes() == b"weights"
    assert local.verify() == [] and store.verify() == []

"""An in-memory W&B server behind a duck-typed `wandb.Api`, with exactly the attributes WANDB_BACKEND.md lists.

No network and no wandb-core: `FakeServer.api` builds the Api the store gets from its `api_factory`, and
`FakeServer.sdk` stands in for the `wandb` module's `init` / `Artifact` / `Image` when stages log runs. Every GraphQL
round trip the real SDK would make is one `trip()`: it is recorded in `calls` (so tests can count pages), may stall
(`stall`: an Event the server waits on for up to 10 s) and may fail (`fail`: raised as is, e.g. the SDK's own
exception classes). Paginators page as the SDK's do (`per_page` a page, `len()` loads the first page); versions
come newest first and runs oldest first, as W&B serves them. Per-artifact `used_by()` / `logged_by()` exist but
fail the test: the store must build lineage from the runs.

`FakeServer.mirror(store)` copies a local store (versions with their bytes, runs, history, lineage) onto the
server, so the same scenario can be read through both stores and compared.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from core.hashing import hash_bytes, manifest_digest


def api_failure(message: str, status: int | None):
    """The bare exception the SDK's paginators raise (`WandbApiFailedError`), with the server's HTTP status."""
    from wandb.sdk.lib.service.service_connection import WandbApiFailedError

    response = None if status is None else SimpleNamespace(http_status=status, message=message, error_type=0)
    return WandbApiFailedError(message, response=response)


def comm_error(message: str, cause: BaseException | None = None):
    from wandb.errors import CommError

    error = CommError(message, cause)
    error.__cause__ = cause
    return error


@dataclass
class VersionData:
    project: str
    collection: str
    type: str
    index: int
    files: dict[str, bytes]
    aliases: list[str]
    metadata: dict
    description: str | None
    created_at: str
    id: str

    @property
    def entries(self) -> dict[str, tuple[str, int]]:
        return {path: (hash_bytes(data), len(data)) for path, data in self.files.items()}

    @property
    def digest(self) -> str:
        return manifest_digest((p, d) for p, (d, _) in self.entries.items())


@dataclass
class RunData:
    id: str
    name: str
    project: str
    job_type: str | None
    state: str
    config: dict
    summary: dict
    created_at: str
    heartbeat_at: str
    tags: list = field(default_factory=list)
    notes: str | None = None
    group: str | None = None
    used: list[VersionData] = field(default_factory=list)
    logged: list[VersionData] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)


class FakeServer:
    def __init__(self, entity: str = "team") -> None:
        self.entity = entity
        self.collections: dict[tuple[str, str], list[VersionData]] = {}   # (project, name) -> versions
        self.types: dict[tuple[str, str], str] = {}
        self.runs: dict[str, list[RunData]] = {}
        self.extra_projects: set[str] = set()
        self.calls: list[str] = []
        self.fail: BaseException | None = None
        self.api_error: BaseException | None = None
        self.stall: threading.Event | None = None
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)

    # -- the wire -----------------------------------------------------------------------------------------------
    def trip(self, what: str) -> None:
        with self.lock:
            self.calls.append(what)
        if self.stall is not None:
            self.stall.wait(10)  # a server that stalls for 10 s (the test releases it sooner)
        if self.fail is not None:
            raise self.fail

    def count(self, prefix: str) -> int:
        with self.lock:
            return sum(1 for c in self.calls if c.startswith(prefix))

    def api(self, timeout: float | None = None) -> "FakeApi":
        """What `wandb.Api(timeout=...)` returns; it checks the key with the server first, as the SDK does."""
        if self.api_error is not None:
            raise self.api_error
        self.trip("viewer")
        return FakeApi(self)

    @property
    def sdk(self) -> "FakeSdk":
        return FakeSdk(self)

    # -- server state ---------------------------------------------------------------------------------------------
    def projects(self) -> list[str]:
        return sorted({p for p, _ in self.collections} | set(self.runs) | self.extra_projects)

    def now(self) -> str:
        """Server time, a second later on every call (W&B's format: seconds, no zone)."""
        stamp = datetime(2024, 5, 1, 12, 0, 0) + timedelta(seconds=next(self._clock))
        return stamp.strftime("%Y-%m-%dT%H:%M:%S")

    def add_version(self, project: str, name: str, type_: str, files: dict[str, bytes], aliases=(),
                    metadata=None, description=None, created_at: str | None = None) -> VersionData:
        """Commit a version as W&B does: same content as an existing version returns that one; "latest" and the
        given aliases move to it."""
        with self.lock:
            versions = self.collections.setdefault((project, name), [])
            self.types.setdefault((project, name), type_)
            version = VersionData(project, name, type_, len(versions), dict(files), [], dict(metadata or {}),
                                  description, created_at or self.now(), f"art{next(self._ids)}")
            same = next((v for v in versions if v.digest == version.digest), None)
            if same is None:
                versions.append(version)
            else:
                version = same
            for alias in ["latest", *aliases]:
                self.move_alias(project, name, version, alias)
            return version

    def move_alias(self, project: str, name: str, version: VersionData, alias: str) -> None:
        for other in self.collections[(project, name)]:
            if alias in other.aliases:
                other.aliases.remove(alias)
        version.aliases.append(alias)

    def find(self, project: str, name: str, alias: str) -> VersionData | None:
        for version in self.collections.get((project, name), []):
            if alias == f"v{version.index}" or alias in version.aliases:
                return version
        return None

    def add_run(self, project: str, run_id: str, job_type: str | None = None, **fields: Any) -> RunData:
        with self.lock:
            stamp = fields.pop("created_at", None) or self.now()
            run = RunData(id=run_id, name=fields.pop("name", run_id), project=project, job_type=job_type,
                          state=fields.pop("state", "finished"), config=fields.pop("config", {}),
                          summary=fields.pop("summary", {}), created_at=stamp, heartbeat_at=stamp, **fields)
            self.runs.setdefault(project, []).append(run)
            return run

    def mirror(self, store: Any) -> "FakeServer":
        """Copy a local store onto this server: versions with their bytes and aliases, runs with history and
        lineage, timestamps at W&B's precision (seconds, no zone)."""
        def stamp(dt) -> str:
            return dt.strftime("%Y-%m-%dT%H:%M:%S")

        by_ref: dict[tuple[str, str, int], VersionData] = {}
        for project in store.projects():
            self.extra_projects.add(project)
            for coll in store.collections(project):
                self.types[(project, coll.name)] = coll.type
                versions = self.collections.setdefault((project, coll.name), [])
                for v in store.versions(project, coll.name):
                    files = {e.path: store.blobs.path(v.alg, e.digest).read_bytes() for e in v.files()}
                    data = VersionData(project, v.name, v.type, v.index, files, list(v.aliases), dict(v.metadata),
                                       v.description, stamp(v.created_at), f"art{next(self._ids)}")
                    versions.append(data)
                    by_ref[(project, v.name, v.index)] = data
        for project in store.projects():
            runs = {}
            for info in reversed(store.runs(project)):  # W&B lists runs oldest first
                runs[info.id] = self.add_run(
                    project, info.id, info.job_type, name=info.name, state=info.state, config=dict(info.config),
                    summary=dict(info.summary), created_at=stamp(info.created_at), tags=list(info.tags),
                    notes=info.notes, group=info.group, history=store.history(info.id))
            for edge in store.lineage_edges(project):
                side = runs[edge.run_id].used if edge.direction == "input" else runs[edge.run_id].logged
                side.append(by_ref[(edge.project, edge.name, edge.index)])
        return self


class FakePaginator:
    """Pages as the SDK's paginators: an iterator whose pages load on demand; `len()` loads the first page."""

    def __init__(self, server: FakeServer, what: str, produce, per_page: int) -> None:
        self._server, self._what, self._produce, self.per_page = server, what, produce, per_page
        self.objects: list[Any] = []
        self._all: list[Any] | None = None
        self.index = -1

    def _more(self) -> bool:
        return self._all is None or len(self.objects) < len(self._all)

    def _load_page(self) -> bool:
        if not self._more():
            return False
        self._server.trip(f"{self._what} page")
        if self._all is None:
            self._all = list(self._produce())
        chunk = self._all[len(self.objects): len(self.objects) + self.per_page]
        self.objects.extend(chunk)
        return bool(chunk)

    def __len__(self) -> int:
        if self._all is None:
            self._load_page()
        return len(self._all)

    def __iter__(self):
        self.index = -1
        return self

    def __next__(self):
        self.index += 1
        while len(self.objects) <= self.index:
            if not self._load_page():
                raise StopIteration
        return self.objects[self.index]


def _unparsable(kind: str):
    # what the SDK's paginators raise when the project (or type) is not there: the GraphQL answer is null
    return ValueError(f"Unable to parse {kind!r} response data")


class FakeApi:
    def __init__(self, server: FakeServer) -> None:
        self._server = server

    def _split(self, path: str) -> tuple[str, ...]:
        parts = path.split("/")
        assert parts[0] == self._server.entity, f"the store asked for another entity: {path}"
        return tuple(parts[1:])

    def projects(self, entity: str | None = None, per_page: int = 200):
        assert entity == self._server.entity
        return FakePaginator(self._server, "projects", lambda: [SimpleNamespace(name=p, entity=entity)
                                                                 for p in self._server.projects()], per_page)

    def artifact_types(self, project: str | None = None):
        (name,) = self._split(project)

        def produce():
            if name not in self._server.projects():
                raise _unparsable("ArtifactTypes")
            types = sorted({t for (p, _), t in self._server.types.items() if p == name})
            return [SimpleNamespace(name=t) for t in types]

        return FakePaginator(self._server, f"artifact_types {name}", produce, 50)

    def artifact_collections(self, project_name: str, type_name: str, per_page: int = 50):
        (name,) = self._split(project_name)

        def produce():
            found = sorted(c for (p, c), t in self._server.types.items() if p == name and t == type_name)
            if not found:
                raise _unparsable("ArtifactCollections")
            return [SimpleNamespace(name=c, type=type_name) for c in found]

        return FakePaginator(self._server, f"artifact_collections {name}/{type_name}", produce, per_page)

    def artifacts(self, type_name: str, name: str, per_page: int = 50):
        project, collection = self._split(name)

        def produce():
            versions = self._server.collections.get((project, collection))
            if not versions or self._server.types[(project, collection)] != type_name:
                raise _unparsable("Artifacts")
            return [FakeArtifact(self._server, v) for v in reversed(versions)]  # newest first

        return FakePaginator(self._server, f"artifacts {project}/{collection}", produce, per_page)

    def artifact(self, name: str, type: str | None = None):
        project, rest = self._split(name)
        collection, _, alias = rest.partition(":")
        self._server.trip(f"artifact {project}/{rest}")
        version = self._server.find(project, collection, alias or "latest")
        if version is None:
            # the SDK raises a ValueError here, which its normalize_exceptions turns into a CommError
            raise comm_error(f"artifact membership {rest!r} not found in '{self._server.entity}/{project}'")
        return FakeArtifact(self._server, version, name=rest)

    def runs(self, path: str | None = None, per_page: int = 50, lazy: bool = True, **_: Any):
        (project,) = self._split(path)
        return FakePaginator(self._server, f"runs {project}",
                             lambda: [FakeRun(self._server, r) for r in self._server.runs.get(project, [])], per_page)

    def flush(self) -> None:
        pass


class FakeArtifact:
    """What the server said about one version when it was fetched (a snapshot, as the SDK's objects are)."""

    def __init__(self, server: FakeServer, data: VersionData, name: str | None = None) -> None:
        self._server, self._data = server, data
        self.id = data.id
        self.entity = server.entity
        self.project = data.project
        self.name = name or f"{data.collection}:v{data.index}"
        self.version = f"v{data.index}"
        self.type = data.type
        self.aliases = list(data.aliases)
        self._saved_aliases = list(data.aliases)
        self.digest = data.digest
        self.size = sum(len(b) for b in data.files.values())
        self.file_count = len(data.files)
        self.created_at = data.created_at
        self.metadata = dict(data.metadata)
        self.description = data.description
        self.tags: list[str] = []

    @property
    def manifest(self):
        self._server.trip(f"manifest {self.project}/{self.name}")
        entries = {p: SimpleNamespace(path=p, digest=d, size=s) for p, (d, s) in self._data.entries.items()}
        return SimpleNamespace(entries=entries)

    def download(self, root: str | None = None, skip_cache: bool | None = None, **_: Any) -> str:
        self._server.trip(f"download {self.project}/{self.name}")
        for path, data in self._data.files.items():
            target = Path(root) / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return str(root)

    def save(self) -> None:
        self._server.trip(f"save {self.project}/{self.name}")
        with self._server.lock:
            for alias in set(self._saved_aliases) - set(self.aliases):
                if alias in self._data.aliases:
                    self._data.aliases.remove(alias)
            for alias in [a for a in self.aliases if a not in self._saved_aliases]:
                self._server.move_alias(self.project, self._data.collection, self._data, alias)
            self._saved_aliases = list(self.aliases)

    def logged_by(self):
        raise AssertionError("lineage must be built from runs (WANDB_BACKEND.md), not artifact.logged_by()")

    def used_by(self):
        raise AssertionError("lineage must be built from runs (WANDB_BACKEND.md), not artifact.used_by()")


class FakeRun:
    def __init__(self, server: FakeServer, data: RunData) -> None:
        self._server, self._data = server, data
        for attr in ("id", "name", "project", "state", "job_type", "created_at", "heartbeat_at", "tags", "notes",
                     "group"):
            setattr(self, attr, getattr(data, attr))
        self.entity = server.entity
        self.config = dict(data.config)
        self.summary = dict(data.summary)

    def _artifacts(self, side: str, per_page: int):
        return FakePaginator(self._server, f"{side}_artifacts {self.id}",
                             lambda: [FakeArtifact(self._server, v) for v in getattr(self._data, side)], per_page)

    def used_artifacts(self, per_page: int = 100):
        return self._artifacts("used", per_page)

    def logged_artifacts(self, per_page: int = 100):
        return self._artifacts("logged", per_page)

    def scan_history(self, keys=None, page_size: int = 1000, min_step: int = 0, max_step: int | None = None):
        rows = [r for r in self._data.history
                if r["_step"] >= min_step and (max_step is None or r["_step"] < max_step)]
        for start in range(0, max(len(rows), 1), page_size):
            self._server.trip(f"history {self.id}")
            yield from (dict(r) for r in rows[start:start + page_size])


# -- runs: what `wandb.init` gives the stages -----------------------------------------------------------------------
class FakeSdk:
    """The parts of the `wandb` module a `WandbRun` uses, logging onto the fake server."""

    def __init__(self, server: FakeServer) -> None:
        self._server = server
        self.Settings = lambda **kwargs: SimpleNamespace(**kwargs)
        self.Image = lambda data, caption=None: SimpleNamespace(_type="image", data=data, caption=caption)
        self.Artifact = FakeWandbArtifact
        self.inits: list[dict] = []

    def init(self, **kwargs: Any) -> "FakeWandbRun":
        self.inits.append(kwargs)
        self._server.trip(f"init {kwargs['project']}")
        run_id = kwargs.get("id") or f"run{next(self._server._ids)}"
        data = self._server.add_run(kwargs["project"], run_id, kwargs.get("job_type"),
                                    name=kwargs.get("name") or f"fake-run-{run_id}", state="running",
                                    config=dict(kwargs.get("config") or {}))
        return FakeWandbRun(self._server, data)


class FakeWandbArtifact:
    def __init__(self, name: str, type: str, description: str | None = None, metadata: dict | None = None) -> None:
        self.name, self.type, self.description, self.metadata = name, type, description, metadata or {}
        self.files: dict[str, bytes] = {}
        self.version: str | None = None
        self.digest: str | None = None

    def add_file(self, local_path: str, name: str | None = None) -> None:
        self.files[name or Path(local_path).name] = Path(local_path).read_bytes()

    def wait(self) -> "FakeWandbArtifact":
        return self


class FakeWandbRun:
    def __init__(self, server: FakeServer, data: RunData) -> None:
        self._server, self._data = server, data
        self.id, self.name = data.id, data.name
        self.config = SimpleNamespace(update=lambda values, allow_val_change=False: data.config.update(values))
        self.summary = data.summary

    def log(self, row: dict, step: int | None = None, commit: bool | None = None) -> None:
        step = step if step is not None else len(self._data.history)
        existing = next((r for r in self._data.history if r["_step"] == step), None)
        if existing is None:
            self._data.history.append({"_step": step, **row})
        else:
            existing.update(row)
        self.summary.update({k: v for k, v in row.items() if isinstance(v, (int, float, str))})

    def use_artifact(self, full_name: str):
        self._server.trip(f"use {full_name}")
        _, project, rest = full_name.split("/")
        collection, _, alias = rest.partition(":")
        version = self._server.find(project, collection, alias)
        self._data.used.append(version)
        return FakeArtifact(self._server, version)

    def log_artifact(self, artifact: FakeWandbArtifact, aliases=None) -> FakeWandbArtifact:
        self._server.trip(f"log {artifact.name}")
        version = self._server.add_version(self._data.project, artifact.name, artifact.type, artifact.files,
                                           aliases or (), artifact.metadata, artifact.description)
        self._data.logged.append(version)
        artifact.version, artifact.digest = f"v{version.index}", version.digest
        return artifact

    def finish(self, exit_code: int = 0) -> None:
        self._data.state = "finished" if not exit_code else "failed"

"""Value objects the store hands out: plain frozen dataclasses, some with a back-reference to their store so that
`version.files()` or `run.inputs()` read lazily, as the wandb public API's objects do. What they ask of that store
is `core.protocol.VersionBackend`, in public names; both the local and the W&B store implement it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.protocol import VersionBackend as Store


def utc(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=timezone.utc)


@dataclass(frozen=True)
class Collection:
    project: str
    name: str
    type: str
    version_count: int


@dataclass(frozen=True)
class FileEntry:
    path: str
    digest: str
    size: int


@dataclass(frozen=True)
class FileState:
    path: str
    digest: str
    size: int
    blob: str          # "ok" (re-hashed) | "unverified" (right size, not re-hashed) | "missing" | "corrupt";
                       # the W&B store adds "remote" (not fetched yet)
    downloaded: bool   # the download root holds this file with this size


def file_states(version: "ArtifactVersion", root, verify_bytes: int | None, blob_state) -> list[FileState]:
    """What both stores' `version_file_states` return: each file with `blob_state(entry, budget)` (budget: a
    one-item list of the bytes still allowed to be re-hashed, None for no limit) and whether `root` (default
    ./artifacts/name:vN) holds a copy of the right size (a cheap stat: the Files tab's "local" column)."""
    base = Path(root) if root is not None else version.default_root()
    budget = None if verify_bytes is None else [verify_bytes]
    states = []
    for entry in version.files():
        try:
            downloaded = os.stat(base / entry.path).st_size == entry.size
        except OSError:
            downloaded = False
        states.append(FileState(entry.path, entry.digest, entry.size, blob_state(entry, budget), downloaded))
    return states


@dataclass(frozen=True)
class FileBytes:
    """The first bytes of one file of a version (`version.read_file(path, limit=...)`), read from its blob."""

    path: str
    digest: str
    size: int          # the whole file's size
    data: bytes        # its first len(data) bytes: all of them when `whole`
    verified: bool     # whole, and the bytes re-hashed to `digest` (a cut read cannot be checked)

    @property
    def whole(self) -> bool:
        return len(self.data) == self.size


@dataclass(frozen=True)
class LineageEdge:
    run_id: str
    project: str
    name: str
    index: int
    type: str
    direction: str     # "input": the run used name:v{index}; "output": the run logged it


@dataclass(frozen=True)
class VersionClass:
    """Versions of one collection with the same lineage: logged by the same runs and used by the same runs (of the
    project the summary is of). What the type-level lineage is built from without a row per version; the versions
    of one class are interchangeable in the graph (same neighbours, same depth)."""

    project: str
    name: str
    type: str
    count: int
    oldest: int                   # the lowest index among them (vN)
    newest: int                   # the highest
    first_at: datetime | None     # when the oldest was logged; None for a version of another project
    last_at: datetime | None
    logged_by: tuple[str, ...]    # run ids, sorted
    used_by: tuple[str, ...]
    foreign: bool = False         # of another project, reached through an edge of this project's runs


@dataclass(frozen=True)
class LineageSummary:
    """The lineage of one project in aggregate: its version classes (ordered by `foreign`, project, name, oldest)
    and, in the order `lineage_edges` would first name them, the (run id, project, collection, direction) pairs
    that have edges."""

    classes: tuple[VersionClass, ...]
    edge_groups: tuple[tuple[str, str, str, str], ...]


@dataclass(frozen=True)
class Problem:
    version: str       # "project/name:vN"
    path: str
    kind: str          # "missing" | "corrupt"
    expected: str
    actual: str | None

    def __str__(self) -> str:
        if self.kind == "missing":
            return f"{self.version}: {self.path}: blob missing (expected digest {self.expected})"
        return f"{self.version}: {self.path}: blob corrupt (expected digest {self.expected}, found {self.actual})"


@dataclass(frozen=True, eq=False)
class ArtifactVersion:
    project: str
    name: str
    type: str
    index: int
    aliases: list[str]
    digest: str
    size: int
    file_count: int
    metadata: dict[str, Any]
    description: str | None
    created_at: datetime
    alg: str
    id: int = field(repr=False)
    _store: "Store" = field(repr=False, compare=False)
    tags: list[str] = field(default_factory=list)  # W&B's artifact tags, set after logging (store.update_version)

    def __getattr__(self, name: str) -> Any:
        # Only for what __dict__ lacks: the local store hands out `created_at` as its row's timestamp
        # (`_created_ts`) and makes the datetime on first read, since a 500k-version listing rarely reads them all.
        if name == "created_at":
            ts = self.__dict__.get("_created_ts")
            if ts is not None:
                value = self.__dict__["created_at"] = datetime.fromtimestamp(ts, timezone.utc)
                return value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def version(self) -> str:
        return f"v{self.index}"

    @property
    def qualified_name(self) -> str:
        return f"{self.name}:v{self.index}"

    @property
    def full_name(self) -> str:
        return f"{self.project}/{self.name}:v{self.index}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArtifactVersion) and other.id == self.id and other._store is self._store

    def __hash__(self) -> int:
        return hash(self.id)

    def files(self) -> list[FileEntry]:
        return self._store.version_files(self)

    def file_states(self, root: str | Path | None = None, *, verify_bytes: int | None = None) -> list[FileState]:
        """Blob state and local copy of each file; every blob re-hashed, or up to `verify_bytes` in all."""
        return self._store.version_file_states(self, root, verify_bytes=verify_bytes)

    def default_root(self) -> Path:
        return Path("artifacts") / self.qualified_name

    def download(self, root: str | Path | None = None) -> Path:
        return self._store.download_version(self, root)

    def read_file(self, path: str, limit: int | None = None) -> FileBytes:
        """The bytes of the file at `path` (at most `limit` of them), digest-checked when read whole."""
        return self._store.read_version_file(self, path, limit=limit)

    def save_file(self, path: str, target: str | Path, *, overwrite: bool = False) -> Path:
        """Copy the file at `path` to `target` (see `core.download.save_file`); -> where it was written."""
        return self._store.save_version_file(self, path, target, overwrite=overwrite)

    def verify(self) -> None:
        self._store.verify_version(self)

    def logged_by(self) -> "RunInfo | None":
        return self._store.version_logged_by(self)

    def used_by(self) -> list["RunInfo"]:
        return self._store.version_used_by(self)


@dataclass(frozen=True, eq=False)
class Link:
    """A version linked into another collection (W&B's `link_artifact`; a registry's collection): there it is
    `collection:v{index}` with its own aliases, its files and lineage those of `version`."""

    project: str       # where it is linked: a project, or a registry such as "wandb-registry-model"
    collection: str
    index: int
    aliases: list[str]  # "latest" first on the newest link of the collection
    version: ArtifactVersion
    created_at: datetime
    id: int = field(repr=False)

    @property
    def qualified_name(self) -> str:
        return f"{self.collection}:v{self.index}"

    @property
    def full_name(self) -> str:
        return f"{self.project}/{self.collection}:v{self.index}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Link) and other.id == self.id and other.version == self.version

    def __hash__(self) -> int:
        return hash(self.id)


@dataclass(frozen=True, eq=False)
class RunInfo:
    id: str
    name: str
    project: str
    job_type: str | None
    state: str
    config: dict[str, Any]
    summary: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    heartbeat_at: datetime
    host: str
    pid: int
    tags: list[str]
    notes: str | None
    group: str | None
    error: str | None
    _pk: int = field(repr=False)
    _store: "Store" = field(repr=False, compare=False)
    progress: dict[str, Any] | None = None  # where a stage is (stage, done, total, unit, epoch, at), as it last wrote

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunInfo) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def inputs(self) -> list[ArtifactVersion]:
        return self._store.run_versions(self, "input")

    def outputs(self) -> list[ArtifactVersion]:
        return self._store.run_versions(self, "output")

    def files(self) -> list[FileEntry]:
        """Files kept with the run by `wandb_compat.save` / `Run.save`."""
        return self._store.run_files(self)

    def log_lines(self, after: int = 0, limit: int | None = None) -> list[tuple[int, str]]:
        """(sequence number, text) of the lines the run printed after line `after` (for live tailing)."""
        return self._store.run_log(self, after, limit)

    def system_metrics(self, after: float | None = None) -> list[dict]:
        """Rows of `system/...` samples (CPU %, RSS, GPU), each with `_timestamp`, oldest first."""
        return self._store.system_metrics(self, after)

"""`wandb.Api()` over the embedded store: reading artifacts, collections, types and runs outside a run.

Names are read as the SDK reads them: "entity/project/name:alias", "project/name:alias", or "name:alias" in the
default project (`overrides["project"]`, else $WANDB_PROJECT, else "uncategorized"); the entity is accepted and has
no meaning offline. A missing artifact, collection or run is the SDK's `wandb.errors.CommError` (also a
`core.NotFoundError`). Lists are plain lists (the SDK's paginators are iterables; `len()` works on both); versions
come newest first, as W&B serves them. `run.history()` is a pandas DataFrame where pandas is installed, else a list
of dicts, as the SDK falls back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from core import names
from core.errors import NotFoundError, ValidationError
from core.values import RunInfo
from core.wandb_compat.artifacts import Artifact, _time, default_entity
from core.wandb_compat.errors import comm_error, reject_unknown, unavailable


def find_artifact(store: Any, name: str, project: str, type: str | None = None) -> Artifact:
    """A logged version, or a link ("registry/collection:v0"), as the SDK's Artifact; CommError when none."""
    try:
        found = Artifact.from_version(store, store.artifact(name, project=project))
    except NotFoundError as missing:
        try:
            link = store.link(name, project=project)
        except NotFoundError:
            raise comm_error(f"artifact membership {name!r} not found: {missing}") from None
        found = Artifact.from_version(store, link.version, link)
    if type is not None and found.type != type:
        raise comm_error(f"type {type!r} specified but this artifact is of type {found.type!r}", not_found=False)
    return found


class Api:
    """`wandb.Api(overrides=None, timeout=None, api_key=None)`; `store=` picks the store (default: the one
    `core.open_store()` opens)."""

    def __init__(self, overrides: dict | None = None, timeout: int | None = None, api_key: str | None = None,
                 *, store: Any = None) -> None:
        self._overrides = dict(overrides or {})
        self._store_arg = store
        self._opened = None

    def __repr__(self) -> str:
        return f"<wandb_compat.Api on {self.store.location}>"

    def __getattr__(self, name: str) -> Any:
        raise reject_unknown("wandb.Api()", name)

    @property
    def store(self):
        if self._opened is None:
            from core.store import Store, open_store

            arg = self._store_arg
            self._opened = arg if isinstance(arg, Store) else open_store(arg)
        return self._opened

    @property
    def default_entity(self) -> str:
        return self._overrides.get("entity") or default_entity()

    @property
    def default_project(self) -> str:
        return self._overrides.get("project") or os.environ.get("WANDB_PROJECT") or "uncategorized"

    @property
    def settings(self) -> dict:
        return {"entity": self.default_entity, "project": self.default_project, "base_url": None}

    def flush(self) -> None:
        """Nothing is cached between reads."""

    def _project(self, path: str | None) -> str:
        if not path:
            return self.default_project
        parts = path.split("/")
        if len(parts) > 2 or not all(parts):
            raise ValueError(f"{path!r} should be 'entity/project' or 'project'")
        return names.check_project(parts[-1])

    def _collection_path(self, name: str) -> tuple[str, str]:
        project, collection, _ = names.split_ref(name)
        return project or self.default_project, collection

    # -- artifacts ------------------------------------------------------------------------------------------------
    def artifact(self, name: str, type: str | None = None) -> Artifact:
        """One version: "entity/project/name:alias", "project/name:vN", or "name:alias" in the default project."""
        if not name:
            raise ValueError("You must specify name= to fetch an artifact.")
        return find_artifact(self.store, name, self.default_project, type)

    def artifact_exists(self, name: str, type: str | None = None) -> bool:
        try:
            self.artifact(name, type)
        except (NotFoundError, ValidationError):  # our CommErrors are one of these
            return False
        return True

    def artifacts(self, type_name: str, name: str, order: str | None = None, per_page: int = 50,
                  tags: Any = None, start: str | None = None) -> list[Artifact]:
        """The versions of collection "project/name" (newest first; `order="+..."` oldest first), with all
        of `tags` if given."""
        collection = self.artifact_collection(type_name, name)
        found = collection.artifacts()
        if order is not None and order.startswith("+"):
            found.reverse()
        if tags:
            wanted = names.check_tags(tags)
            found = [a for a in found if set(wanted) <= set(a.tags)]
        return found

    def artifact_versions(self, type_name: str, name: str, per_page: int = 50) -> list[Artifact]:
        """Deprecated in the SDK for `artifacts(type_name, name)`; the same."""
        return self.artifacts(type_name, name, per_page=per_page)

    def artifact_type(self, type_name: str, project: str | None = None) -> "ArtifactType":
        project = self._project(project)
        if type_name not in self.store.artifact_types(project) and not any(
                c.type == type_name for c in self.store.link_collections(project)):
            raise comm_error(f"Could not find artifact type {type_name!r} in project {project!r}")
        return ArtifactType(self.store, project, type_name)

    def artifact_types(self, project: str | None = None) -> list["ArtifactType"]:
        project = self._project(project)
        types = set(self.store.artifact_types(project)) | {c.type for c in self.store.link_collections(project)}
        return [ArtifactType(self.store, project, t) for t in sorted(types)]

    def artifact_collection(self, type_name: str, name: str) -> "ArtifactCollection":
        project, collection = self._collection_path(name)
        for found in [*self.store.collections(project), *self.store.link_collections(project)]:
            if found.name == collection:
                if found.type != type_name:
                    break
                return ArtifactCollection(self.store, project, collection, type_name)
        raise comm_error(f"Could not find artifact collection {project}/{collection} of type {type_name!r}")

    def artifact_collections(self, project_name: str, type_name: str, order: str | None = None,
                             per_page: int = 50, start: str | None = None) -> list["ArtifactCollection"]:
        return self.artifact_type(type_name, project_name).collections()

    def artifact_collection_exists(self, name: str, type: str) -> bool:
        try:
            self.artifact_collection(type, name)
        except (NotFoundError, ValidationError):
            return False
        return True

    # -- runs -----------------------------------------------------------------------------------------------------
    def run(self, path: str = "") -> "Run":
        """"entity/project/run_id", "project/run_id", or "run_id" in the default project."""
        parts = [p for p in str(path).split("/") if p]
        if not parts or len(parts) > 3:
            raise ValueError(f"run path {path!r} should be 'entity/project/run_id'")
        project = parts[-2] if len(parts) >= 2 else self.default_project
        try:
            return Run(self.store, self.store.run(project, parts[-1]))
        except (NotFoundError, ValidationError):
            raise comm_error(f"Could not find run {'/'.join(parts)}") from None

    def runs(self, path: str | None = None, filters: dict | None = None, order: str = "+created_at",
             per_page: int = 50, include_sweeps: bool = True, lazy: bool = True) -> list["Run"]:
        """The runs of a project ("entity/project"): oldest first, as the SDK's default "+created_at";
        `order="-created_at"` newest first."""
        if filters:
            raise unavailable("wandb.Api().runs(filters=...)")
        if order not in ("+created_at", "created_at", "-created_at"):
            raise unavailable(f"wandb.Api().runs(order={order!r})")
        runs = [Run(self.store, info) for info in self.store.runs(self._project(path))]  # newest first
        return runs if order == "-created_at" else runs[::-1]


class ArtifactType:
    def __init__(self, store: Any, project: str, name: str) -> None:
        self._store, self.project, self.name = store, project, name
        self.type = name

    def __repr__(self) -> str:
        return f"<ArtifactType {self.name}>"

    def __getattr__(self, name: str) -> Any:
        raise reject_unknown("wandb.ArtifactType", name)

    @property
    def entity(self) -> str:
        return default_entity()

    def collections(self, per_page: int = 50) -> list["ArtifactCollection"]:
        found = [*self._store.collections(self.project, type=self.name),
                 *(c for c in self._store.link_collections(self.project) if c.type == self.name)]
        return [ArtifactCollection(self._store, self.project, c.name, c.type) for c in found]

    def collection(self, name: str) -> "ArtifactCollection":
        for found in self.collections():
            if found.name == name:
                return found
        raise comm_error(f"Could not find artifact collection {self.project}/{name} of type {self.name!r}")


class ArtifactCollection:
    """A collection of versions (logged, or linked into it: `is_sequence()` tells which)."""

    def __init__(self, store: Any, project: str, name: str, type: str) -> None:
        self._store, self.project, self.name, self.type = store, project, name, type

    def __repr__(self) -> str:
        return f"<ArtifactCollection {self.name} ({self.type})>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArtifactCollection) and (other.project, other.name) == (self.project, self.name)

    def __hash__(self) -> int:
        return hash((self.project, self.name))

    def __getattr__(self, name: str) -> Any:
        raise reject_unknown("wandb.ArtifactCollection", name)

    @property
    def entity(self) -> str:
        return default_entity()

    def is_sequence(self) -> bool:
        return not self._store.links(self.project, self.name)

    def artifacts(self, per_page: int = 50) -> list[Artifact]:
        """Its versions, newest first."""
        links = self._store.links(self.project, self.name)
        if links:
            return [Artifact.from_version(self._store, link.version, link) for link in reversed(links)]
        versions = self._store.versions(self.project, self.name)
        return [Artifact.from_version(self._store, v) for v in reversed(versions)]

    versions = artifacts

    @property
    def aliases(self) -> list[str]:
        return sorted({a for art in self.artifacts() for a in art.aliases})


class Run:
    """A run as `wandb.Api().run(path)` and `artifact.logged_by()` hand it out (the SDK's public Run)."""

    def __init__(self, store: Any, info: RunInfo) -> None:
        self._store, self._info = store, info

    def __repr__(self) -> str:
        return f"<Run {'/'.join(self.path)} ({self.state})>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __getattr__(self, name: str) -> Any:
        raise reject_unknown("wandb.apis.public.Run", name)

    id = property(lambda self: self._info.id)
    storage_id = id
    name = property(lambda self: self._info.name)
    display_name = name
    project = property(lambda self: self._info.project)
    state = property(lambda self: self._info.state)
    job_type = property(lambda self: self._info.job_type)
    tags = property(lambda self: list(self._info.tags))
    notes = property(lambda self: self._info.notes)
    group = property(lambda self: self._info.group)
    config = property(lambda self: dict(self._info.config))
    summary = property(lambda self: dict(self._info.summary))
    created_at = property(lambda self: _time(self._info.created_at))
    heartbeat_at = property(lambda self: _time(self._info.heartbeat_at))

    @property
    def entity(self) -> str:
        return default_entity()

    @property
    def path(self) -> list[str]:
        return [self.entity, self.project, self.id]

    @property
    def url(self) -> str:
        raise unavailable("wandb.apis.public.Run.url")

    def used_artifacts(self, per_page: int = 100) -> list[Artifact]:
        return [Artifact.from_version(self._store, v) for v in self._info.inputs()]

    def logged_artifacts(self, per_page: int = 100) -> list[Artifact]:
        return [Artifact.from_version(self._store, v) for v in self._info.outputs()]

    def _rows(self) -> list[dict]:
        return self._store.history(self._info.id)

    def history(self, samples: int = 500, keys: list[str] | None = None, x_axis: str = "_step",
                pandas: bool = True, stream: str = "default") -> Any:
        """Up to `samples` rows of the run's history (evenly spread when there are more), with only `keys`
        (and `x_axis`) when given, and only rows holding them; a DataFrame where pandas is installed."""
        if keys is not None and not isinstance(keys, list):
            raise ValueError("keys must be specified in a list")
        rows = self._rows()
        if keys:
            wanted = [x_axis, *[k for k in keys if k != x_axis]]
            rows = [{k: r[k] for k in wanted if k in r} for r in rows if all(k in r for k in keys)]
        if len(rows) > samples > 0:
            rows = [rows[round(i * (len(rows) - 1) / (samples - 1))] for i in range(samples)] if samples > 1 \
                else rows[:1]
        if pandas:
            try:
                import pandas as pd
            except ImportError:
                import warnings

                warnings.warn("Unable to load pandas, call history with pandas=False", stacklevel=2)
                return rows
            return pd.DataFrame.from_records(rows)
        return rows

    def scan_history(self, keys: list[str] | None = None, page_size: int = 1000, min_step: int | None = None,
                     max_step: int | None = None) -> Iterator[dict]:
        """Every row of the history (steps min_step <= _step < max_step); with `keys`, the rows holding all of
        them, with only those keys."""
        if keys is not None and not isinstance(keys, list):
            raise ValueError("keys must be specified in a list")
        for row in self._rows():
            step = row["_step"]
            if (min_step is not None and step < min_step) or (max_step is not None and step >= max_step):
                continue
            if keys:
                if all(k in row for k in keys):
                    yield {k: row[k] for k in keys}
            else:
                yield row

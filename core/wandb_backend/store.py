"""The store interface of API.md served from a W&B server (wandb.ai or self-hosted W&B Server) through `wandb.Api`.

`artifacts-tui --wandb ENTITY[/PROJECT]` opens one; screens and commands use it as they use the local store.
WANDB_BACKEND.md lists the SDK call behind each method and its cost in round trips. The rules that shape it:

- every server call runs under a deadline and its failure becomes one clear `core.errors`-style error
  (`core.wandb_backend.client`); the SDK is built lazily, inside the first call, so opening the store never blocks;
- what was fetched is kept for the session (`core.wandb_backend.session_cache`); `refresh()` drops it and `change_token()`
  moves only on our own writes and refreshes, so polling it costs nothing;
- runs, history and lineage (built from the runs, never per artifact) live in `core.wandb_backend.runs`;
- a version's bytes are fetched once into the local blob store (`core.wandb_backend.remote_cache`); until then its files'
  blob state is "remote" (besides the local store's "ok" / "missing" / "corrupt").
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core import names
from core.errors import ArtifactsError, IntegrityError, NotFoundError, ValidationError
from core.download import download, save_file
from core.file_bytes import find_entry, read_file
from core.history_sampling import downsample
from core.values import (
    ArtifactVersion, Collection, FileBytes, FileEntry, FileState, LineageEdge, LineageSummary, Problem, RunInfo,
    file_states,
)
from core.wandb_backend.remote_cache import RemoteCache
from core.wandb_backend.client import WandbClient
from core.wandb_backend.convert import manifest_files, to_run, to_version, version_key
from core.wandb_backend.runs import WandbRuns
from core.wandb_backend.session_cache import SessionCache, VersionPager, parallel_map

def default_api_factory(http_timeout: float) -> Any:
    """A `wandb.Api` that can never prompt for a key: WANDB_SILENT before the import, and no `Api()` at all when
    no credentials are configured (the SDK would otherwise ask on the terminal the TUI is drawing on)."""
    os.environ["WANDB_SILENT"] = "true"
    import wandb

    if not (os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_IDENTITY_TOKEN_FILE")) and not _has_login():
        raise wandb.errors.UsageError("No API key configured. Use `wandb login` to log in.")
    return wandb.Api(timeout=max(1, round(http_timeout)))


def _has_login() -> bool:
    """Whether the SDK finds credentials for its server (netrc, settings), asking nothing of the user."""
    try:
        from wandb.sdk import wandb_setup
        from wandb.sdk.lib import wbauth

        host = os.environ.get("WANDB_BASE_URL") or wandb_setup.singleton().settings.base_url
        return wbauth.authenticate_session(host=host, source="artifacts-tui", prompt=False,
                                           update_session=False) is not None
    except (ImportError, AttributeError, TypeError):  # an SDK without these helpers: WANDB_SILENT still holds
        return True


class WandbStore:
    """Projects, artifacts, versions, runs and lineage of one W&B entity (optionally one project of it)."""

    def __init__(self, entity: str, project: str | None = None, *, local: Any = None,
                 api_factory: Callable[[], Any] | None = None, http_timeout: float = 10.0,
                 call_timeout: float | None = 60.0, per_page: int = 50, host: str | None = None,
                 sdk: Any = None) -> None:
        if not entity or "/" in entity:
            raise ValidationError(f"W&B entity {entity!r} is not valid; write ENTITY or ENTITY/PROJECT")
        if project is not None:
            names.check_project(project)
        if local is None:
            from core.store import open_store

            local = open_store()
        self.entity, self.default_project = entity, project
        self.local, self._blobs = local, local.blobs
        self.cache = RemoteCache(local)
        self.per_page = per_page
        self.call_timeout = call_timeout
        self.http_timeout = http_timeout
        self.client = WandbClient(api_factory or (lambda: default_api_factory(http_timeout)),
                                  call_timeout=call_timeout, host=host, sdk=sdk, entity=entity)
        self.runs_side = WandbRuns(self)
        self._session = SessionCache()
        self._lock = threading.Lock()
        self._token = 0
        self._ids: dict[tuple[str, str, int], int] = {}
        self._keys: dict[int, tuple[str, str, int]] = {}
        self._objects: dict[tuple[str, str, int], Any] = {}
        self._run_pks: dict[tuple[str, str], int] = {}
        self._run_keys: dict[int, tuple[str, str]] = {}
        self._counter = itertools.count(1)

    def __repr__(self) -> str:
        return f"WandbStore({self.location!r})"

    @property
    def host(self) -> str:
        return self.client.host

    local_root = None  # nothing of this store is a local directory of its own

    @property
    def location(self) -> str:
        """What the TUI shows where it would show a local store's path."""
        scope = f"{self.entity}/{self.default_project}" if self.default_project else self.entity
        return f"W&B {scope} at {self.host}"

    def path(self, project: str, name: str | None = None) -> str:
        """"entity/project[/name]", as the SDK names things."""
        return f"{self.entity}/{project}" + (f"/{name}" if name else "")

    def _bump(self) -> None:
        with self._lock:
            self._token += 1

    def change_token(self) -> int:
        """Moves on our own writes and on `refresh()` only: the server is never polled."""
        with self._lock:
            return self._token

    def refresh(self) -> None:
        """Forget everything fetched this session (ctrl+r in the TUI); the next calls refetch. Fetched manifests
        and blobs stay: they are named by digest and cannot go stale."""
        self._session.clear()
        self.client.reset()
        self._bump()

    # -- identities -----------------------------------------------------------------------------------------------
    def _version(self, art: Any) -> ArtifactVersion:
        key = version_key(art)
        with self._lock:
            vid = self._ids.get(key)
            if vid is None:
                vid = self._ids[key] = next(self._counter)
                self._keys[vid] = key
            self._objects[key] = art
        return to_version(art, self, vid)

    def _run_info(self, run: Any, project: str) -> RunInfo:
        key = (project, str(run.id))
        with self._lock:
            pk = self._run_pks.get(key)
            if pk is None:
                pk = self._run_pks[key] = next(self._counter)
                self._run_keys[pk] = key
        return to_run(run, project, self, pk)

    def _art(self, vid: int) -> Any:
        with self._lock:
            key = self._keys.get(vid)
            art = self._objects.get(key) if key else None
        if art is None:
            raise NotFoundError(f"version {vid} is not from this W&B store")
        return art

    # -- listing ------------------------------------------------------------------------------------------------
    def projects(self) -> list[str]:
        if self.default_project:
            return [self.default_project]
        return self._session.get(("projects",), lambda: sorted(
            str(p.name) for p in self.client.call(f"listing the projects of {self.entity}",
                                              lambda api: list(api.projects(self.entity, per_page=200)))))

    def _listing(self, project: str, key: tuple, what: str, fn: Callable[[Any], Any]):
        """A project listing: [] for an unknown project, as the local store, except the project the store was
        opened on, where "not found" is the clear message the user needs."""
        names.check_project(project)

        def compute():
            try:
                return self.client.call(what, fn, target=self.path(project))
            except NotFoundError:
                if project == self.default_project:
                    raise
                return None

        return self._session.get(key, compute)

    def artifact_types(self, project: str) -> list[str]:
        types = self._listing(project, ("types", project), f"listing the artifact types of {self.path(project)}",
                              lambda api: sorted({str(t.name) for t in api.artifact_types(self.path(project))}))
        return list(types or [])

    def collection_types(self, project: str) -> dict[str, str]:
        def one_type(type_: str) -> list[tuple[str, str]]:
            try:
                return self.client.call(
                    f"listing the {type_} artifacts of {self.path(project)}",
                    lambda api: [(str(c.name), str(c.type)) for c in
                                 api.artifact_collections(self.path(project), type_, per_page=self.per_page)],
                    target=self.path(project))
            except NotFoundError:  # a type whose last collection was deleted
                return []

        def compute() -> dict[str, str]:
            pairs = parallel_map(one_type, self.artifact_types(project))
            return {name: type_ for group in pairs for name, type_ in group}

        names.check_project(project)
        return self._session.get(("collections", project), compute)

    def _pager(self, project: str, name: str) -> VersionPager:
        names.check_project(project)
        names.check_artifact_name(name)

        def compute() -> VersionPager:
            type_ = self.collection_types(project).get(name)
            if type_ is None:
                raise NotFoundError(f"no artifact {name!r} in W&B project {self.path(project)}")
            return self.client.call(f"listing the versions of {self.path(project, name)}", lambda api: VersionPager(
                api.artifacts(type_, self.path(project, name), per_page=self.per_page)),
                target=self.path(project, name))

        return self._session.get(("pager", project, name), compute)

    def collections(self, project: str, type: str | None = None) -> list[Collection]:
        wanted = sorted((t, n) for n, t in self.collection_types(project).items() if type is None or t == type)
        pagers = parallel_map(lambda pair: self._pager(project, pair[1]), wanted)
        return [Collection(project, n, t, pager.total or 0) for (t, n), pager in zip(wanted, pagers)]

    def versions(self, project: str, name: str, *, offset: int = 0, limit: int | None = None) -> list[ArtifactVersion]:
        pager = self._pager(project, name)
        arts = self.client.guarded(f"listing the versions of {self.path(project, name)}",
                             lambda: pager.slice(lambda a: version_key(a)[2], max(0, int(offset)), limit),
                             target=self.path(project, name))
        return [self._version(a) for a in arts]

    def version_count(self, project: str, name: str) -> int:
        return self._pager(project, name).total or 0

    def artifact(self, ref: str, project: str | None = None) -> ArtifactVersion:
        """'project/name:alias', 'project/name:vN', or 'name:alias' with `project=` (default: the store's project)."""
        project, name, alias = names.parse_ref(ref, project or self.default_project)
        key = self._session.get(("ref", project, name, alias), lambda: self._resolve(project, name, alias))
        with self._lock:
            art = self._objects[key]
        return self._version(art)

    def _resolve(self, project: str, name: str, alias: str) -> tuple[str, str, int]:
        pager = self._session.peek(("pager", project, name))
        if pager is not None:  # already listed: no round trip
            if names.is_version_alias(alias):
                art = pager.find(lambda index, a: index == int(alias[1:]))
            else:
                art = pager.find(lambda index, a: alias in (a.aliases or []))
            if art is not None:
                self._version(art)
                return version_key(art)
        full = f"{self.path(project, name)}:{alias}"
        try:
            art = self.client.call(f"reading {full}", lambda api: api.artifact(full), target=full)
        except NotFoundError:
            raise NotFoundError(f"artifact {project}/{name} has no version {alias!r} on W&B ({self.entity}), or "
                                "does not exist there") from None
        self._version(art)
        return version_key(art)

    def alias_holder(self, project: str, name: str, alias: str) -> ArtifactVersion | None:
        try:
            return self.artifact(f"{project}/{name}:{alias}")
        except NotFoundError:
            return None

    # -- version details ----------------------------------------------------------------------------------------
    def version_files(self, version: ArtifactVersion) -> list[FileEntry]:
        art = self._art(version.id)
        version = self._version(art)
        cached = self.cache.manifest(version.alg, version.digest)
        if cached is not None:
            return cached

        def compute() -> list[FileEntry]:
            files = self.client.call(f"reading the file list of {version.full_name}", lambda api: manifest_files(art),
                                 target=version.full_name)
            self.cache.save_manifest(version.alg, version.digest, files)
            return files

        return self._session.get(("files", version.alg, version.digest), compute)

    def version_file_states(self, version: ArtifactVersion, root=None, *,
                            verify_bytes: int | None = None) -> list[FileState]:
        """As the local store's, with "remote" for a file on the server not fetched yet."""
        return file_states(version, root, verify_bytes,
                           lambda entry, budget: self.cache.blob_state(version.alg, entry, budget))

    def download_version(self, version: ArtifactVersion, root=None) -> Path:
        """Fetch what is not in the local blob store yet, then copy out as the local store does."""
        self._fetch_blobs(version)
        return download(self._blobs, version, root)

    def _fetch_blobs(self, version: ArtifactVersion, only: FileEntry | None = None) -> None:
        """Bring the version's missing blobs (or only the one of `only`) from the server; nothing is asked of it
        when none is missing."""
        files = version.files() if only is None else [only]
        if not self.cache.missing(version.alg, files):
            return
        art = self._art(version.id)
        what = version.full_name if only is None else f"{version.full_name}: {only.path}"
        prefix = {} if only is None else {"path_prefix": only.path}  # the SDK fetches only the paths under it
        self.cache.fetch(version.alg, files, lambda scratch: self.client.call(
            f"downloading {what}", lambda api: art.download(root=str(scratch), skip_cache=True, **prefix),
            target=version.full_name, timeout=None), label=version.full_name)

    def read_version_file(self, version: ArtifactVersion, path: str, *, limit: int | None = None) -> FileBytes:
        """As the local store's, once the file's blob is fetched (that one file only)."""
        self._fetch_blobs(version, find_entry(version, path))
        return read_file(self._blobs, version, path, limit)

    def save_version_file(self, version: ArtifactVersion, path: str, target, *, overwrite: bool = False) -> Path:
        self._fetch_blobs(version, find_entry(version, path))
        return save_file(self._blobs, version, path, target, overwrite=overwrite)

    def verify_version(self, version: ArtifactVersion) -> None:
        self._fetch_blobs(version)
        problems = self._problems(version)
        if problems:
            raise IntegrityError("; ".join(str(p) for p in problems))

    def _problems(self, version: ArtifactVersion) -> list[Problem]:
        problems = []
        for entry in version.files():
            actual = self._blobs.rehash(version.alg, entry.digest)
            if actual is not None and actual != entry.digest:
                problems.append(Problem(version.full_name, entry.path, "corrupt", entry.digest, actual))
        return problems

    def verify(self, project: str | None = None) -> list[Problem]:
        """Re-hash the local copies of the versions fetched this session (the server keeps its own bytes)."""
        with self._lock:
            fetched = [art for key, art in self._objects.items() if project is None or key[0] == project]
        problems = []
        for art in fetched:
            version = self._version(art)
            if self.cache.manifest(version.alg, version.digest) is not None:
                problems.extend(self._problems(version))
        return problems

    can_gc = False

    def gc(self) -> int:
        raise ArtifactsError("gc works on the local store: run `artifacts-tui gc` without --wandb")

    # -- aliases ------------------------------------------------------------------------------------------------
    def _save_aliases(self, version: ArtifactVersion, alias: str, add: bool) -> None:
        full = f"{self.path(version.project, version.name)}:v{version.index}"
        what = f"{'adding' if add else 'removing'} alias {alias!r} {'to' if add else 'from'} {version.full_name}"

        def change(api):
            art = api.artifact(full)  # fresh: the aliases we hold may have moved since they were listed
            current = list(art.aliases or [])
            if add and alias not in current:
                art.aliases = [*current, alias]
                art.save()
            elif not add:
                if alias not in current:
                    raise NotFoundError(f"{version.full_name} has no alias {alias!r}")
                art.aliases = [a for a in current if a != alias]
                art.save()
            return art

        art = self.client.call(what, change, target=self.path(version.project))
        self.forget_collection(version.project, version.name)
        self._version(art)
        self._bump()

    def add_alias(self, version: ArtifactVersion, alias: str) -> None:
        """Point `alias` at `version`; the server moves it off the version that held it."""
        names.check_alias(alias)
        self._save_aliases(version, alias, add=True)

    def remove_alias(self, version: ArtifactVersion, alias: str) -> None:
        if alias == "latest":
            raise ValidationError("alias 'latest' is managed by the store and cannot be removed")
        names.check_alias(alias)
        self._save_aliases(version, alias, add=False)

    def forget_collection(self, project: str, name: str) -> None:
        """Drop what is cached about one collection (after a write to it)."""
        self._session.drop(lambda k: k[:3] in {("pager", project, name), ("ref", project, name)})

    def forget_project(self, project: str) -> None:
        """Drop what is cached about one project (after a run was logged to it)."""
        self._session.drop(lambda k: len(k) > 1 and k[1] == project and k[0] != "files")
        self._bump()

    def cli_args(self) -> list[str]:
        scope = f"{self.entity}/{self.default_project}" if self.default_project else self.entity
        return [*self.local.cli_args(), "--wandb", scope]

    def launch_book(self):
        """Launches are kept in the local store beside the cache: the children log to the server."""
        return self.local.launch_book()

    # -- runs, history and lineage (core.wandb_backend.runs) ---------------------------------------------------
    def runs(self, project: str) -> list[RunInfo]:
        return self.runs_side.runs(project)

    def runs_since(self, when: float) -> list[RunInfo]:
        """The session's listing (refreshed by `refresh()`): runs running, or updated at or after `when`."""
        found = [r for p in self.projects() for r in self.runs(p)
                 if r.state == "running" or r.updated_at.timestamp() >= when]
        return sorted(found, key=lambda r: r.created_at)

    def run(self, project: str, run_id: str) -> RunInfo:
        return self.runs_side.run(project, run_id)

    def history(self, run_id: Any, after_step: int | None = None, samples: int | None = None) -> list[dict]:
        rows = self.runs_side.history(run_id, after_step)
        return rows if samples is None else downsample(rows, samples)

    def lineage_edges(self, project: str) -> list[LineageEdge]:
        return self.runs_side.lineage_edges(project)

    def lineage_summary(self, project: str) -> LineageSummary:
        """Derived from the versions and the runs' edges (the server has no aggregate query for it)."""
        from core.lineage.build import summarize

        return summarize(self, project)

    def media_path(self, run_id: str, relpath: str) -> Path:
        return self.runs_side.media_path(run_id, relpath)

    def version_logged_by(self, version: ArtifactVersion) -> RunInfo | None:
        return self.runs_side.logged_by(version.id)

    def version_used_by(self, version: ArtifactVersion) -> list[RunInfo]:
        return self.runs_side.used_by(version.id)

    def run_versions(self, run: RunInfo, direction: str, *, limit: int | None = None,
                     newest_first: bool = False) -> list[ArtifactVersion]:
        found = self.runs_side.run_versions(run._pk, direction)
        return (found[::-1] if newest_first else found)[:limit]

    def run_files(self, run: RunInfo) -> list[FileEntry]:
        return []  # files saved with a W&B run are not artifacts; the W&B UI lists them

    def run_log(self, run: RunInfo, after: int = 0, limit: int | None = None) -> list[tuple[int, str]]:
        return []  # a W&B run's console output is its output.log file, which the W&B UI shows

    def run_log_tail(self, run: RunInfo, n: int) -> list[tuple[int, str]]:
        return []

    def system_metrics(self, run: RunInfo, after: float | None = None) -> list[dict]:
        return []  # W&B keeps them in the run's system stream, shown by its UI

    # -- writing runs (`artifacts-tui run ... --wandb`) ----------------------------------------------------------
    def start_run(self, **kwargs: Any):
        """A run on the server with `core.Run`'s surface (see `core.wandb_backend.run`); what `core.init` returns for
        this store."""
        from core.wandb_backend.run import WandbRun

        return WandbRun(self, **kwargs)

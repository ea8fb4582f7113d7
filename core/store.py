"""Store: the one directory (store.db + objects/ + tmp/ + media/) that holds projects, collections, versions,
aliases, runs, history and lineage. This module reads and maintains it; `core.writes` holds the write paths
that runs use (versions, runs, history), and `core.download` the copy-out.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from core import names, staging
from core.blobs import BlobStore
from core.db import DEFAULT_TIMEOUT, Database
from core import maintenance
from core.download import download, save_file
from core.file_bytes import read_file
from core.history_sampling import sampled_history
from core.lineage_summary import lineage_summary
from core.errors import NotFoundError, ValidationError
from core.gc_pause import gc_paused
from core.processes import HOST, process_alive, process_start  # noqa: F401 (writes and launches use them)
from core.values import (
    ArtifactVersion, Collection, FileBytes, FileEntry, FileState, LineageEdge, LineageSummary, Link, Problem,
    RunInfo, file_states, utc,
)

HEARTBEAT_STALE_S = 60.0
_KEEP = object()  # update_version: a field not given is kept

_VERSION_SELECT = """
SELECT v.id, v.idx, v.digest, v.alg, v.size, v.file_count, v.description, v.metadata, v.created_at, v.tags,
       c.name AS cname, c.type AS ctype, p.name AS pname,
       (SELECT group_concat(a.alias, char(31)) FROM aliases a WHERE a.version_id = v.id) AS alias_list
FROM versions v JOIN collections c ON c.id = v.collection_id JOIN projects p ON p.id = c.project_id
"""
# A collection's version count from the (collection_id, idx) index in O(log n), not a count(*) over a million rows:
# versions are numbered v0, v1, ... without gaps and never deleted (the write path takes the next index inside its
# transaction; tests/core/test_concurrency.py checks contiguity under concurrent writers).
_VERSION_COUNT = "(SELECT coalesce(max(v.idx) + 1, 0) FROM versions v WHERE v.collection_id = c.id)"
_RUN_SELECT = """
SELECT r.*, p.name AS pname FROM runs r JOIN projects p ON p.id = r.project_id
"""


def default_home() -> Path:
    if os.environ.get("ARTIFACTS_TUI_HOME"):
        return Path(os.environ["ARTIFACTS_TUI_HOME"]).expanduser()
    if os.environ.get("XDG_DATA_HOME"):
        return Path(os.environ["XDG_DATA_HOME"]).expanduser() / "artifacts-tui"
    return Path.home() / ".local" / "share" / "artifacts-tui"


def open_store(path: str | os.PathLike | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> "Store":
    """Open (creating when needed) the store at `path`, else at the default home."""
    return Store(Path(path).expanduser() if path is not None else default_home(), timeout=timeout)


_new_version = object.__new__


def _sorted_aliases(raw: str | None) -> list[str]:
    if not raw:
        return []
    aliases = raw.split("\x1f")
    return (["latest"] if "latest" in aliases else []) + sorted(a for a in aliases if a != "latest")


class Store:
    def __init__(self, root: Path, timeout: float = DEFAULT_TIMEOUT) -> None:
        if root.exists() and not root.is_dir():
            raise ValidationError(f"store path {root} exists and is not a directory")
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.timeout = timeout
        self.blobs = BlobStore(root)
        self.db = Database(root / "store.db", timeout=timeout, holds_data=self.blobs.any_blob)
        staging.note_store(self.blobs.tmp)

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # -- what every store declares (core.protocol.ArtifactStore) ----------------------------------------------
    default_project: str | None = None   # a store scoped to one project names it (the W&B store's ENTITY/PROJECT)
    can_gc = True                        # gc() works here

    @property
    def local_root(self) -> Path:
        return self.root

    @property
    def location(self) -> str:
        """What the TUI's title and the CLI's messages name: the store's directory."""
        return str(self.root)

    def refresh(self) -> None:
        """Nothing is cached between calls: every read is a query."""

    def cli_args(self) -> list[str]:
        """How `artifacts-tui` names this store on its command line (what the runner starts a stage with)."""
        return ["--store", str(self.root)]

    def launch_book(self):
        """The runner's launches (queued and started stages), kept here."""
        from core.launches import LaunchBook  # core.launches imports this module

        return LaunchBook(self)

    def start_run(self, *, project: str, job_type=None, config=None, name=None, id=None, tags=(), notes=None,
                  group=None):
        """A run on this store (what `core.init(store=...)` calls)."""
        from core.run import Run  # core.run imports this module

        return Run(self, project, job_type, config, name, run_id=id, tags=tags, notes=notes, group=group)

    # -- rows -> objects --------------------------------------------------------------------------------------
    def _version(self, row) -> ArtifactVersion:
        return self._versions((row,))[0]

    def _versions(self, rows) -> list[ArtifactVersion]:
        """Rows of _VERSION_SELECT, by position -> versions. Hot: `versions()` of a big collection builds 500k of
        these, so the frozen dataclass's __dict__ is filled in one go (its generated __init__ costs a setattr per
        field), the common empty JSON values skip the decoder and `created_at` is made on first read
        (ArtifactVersion.__getattr__). The cyclic garbage collector is paused meanwhile: the objects hold no cycles,
        and without the pause its passes over the growing list cost as much as building it."""
        new, cls, set_dict, loads, aliases_of = _new_version, ArtifactVersion, object.__setattr__, json.loads, \
            _sorted_aliases
        out: list[ArtifactVersion] = []
        append = out.append
        with gc_paused():
            for vid, idx, digest, alg, size, file_count, description, metadata, created_at, tags, cname, ctype, \
                    pname, alias_list in rows:
                version = new(cls)
                set_dict(version, "__dict__", {
                    "project": pname, "name": cname, "type": ctype, "index": idx,
                    "aliases": aliases_of(alias_list) if alias_list else [], "digest": digest, "size": size,
                    "file_count": file_count, "metadata": {} if metadata == "{}" else loads(metadata),
                    "description": description, "_created_ts": created_at, "alg": alg, "id": vid, "_store": self,
                    "tags": [] if tags == "[]" else loads(tags)})
                append(version)
        return out

    def _run(self, row) -> RunInfo:
        state = row["state"]
        if state == "running":
            stale = time.time() - row["heartbeat_at"] > HEARTBEAT_STALE_S
            gone = row["host"] == HOST and not process_alive(row["pid"], row["pid_start"])
            if stale or gone:
                state = "crashed"
        return RunInfo(
            id=row["run_id"], name=row["name"], project=row["pname"], job_type=row["job_type"], state=state,
            config=json.loads(row["config"]), summary=json.loads(row["summary"]),
            created_at=utc(row["created_at"]), updated_at=utc(row["updated_at"]),
            heartbeat_at=utc(row["heartbeat_at"]), host=row["host"], pid=row["pid"],
            tags=json.loads(row["tags"]), notes=row["notes"], group=row["grp"], error=row["error"],
            progress=json.loads(row["progress"]) if row["progress"] else None,
            _pk=row["id"], _store=self,
        )

    # -- reading (API.md) -------------------------------------------------------------------------------------
    def projects(self) -> list[str]:
        return [r["name"] for r in self.db.read("SELECT name FROM projects ORDER BY name")]

    def _project_id(self, project: str, *, required: bool) -> int | None:
        names.check_project(project)
        row = self.db.read_one("SELECT id FROM projects WHERE name = ?", (project,))
        if row is None and required:
            raise NotFoundError(f"no project {project!r} in the store {self.root}")
        return None if row is None else row["id"]

    def artifact_types(self, project: str) -> list[str]:
        pid = self._project_id(project, required=False)
        if pid is None:
            return []
        rows = self.db.read("SELECT DISTINCT type FROM collections WHERE project_id = ? ORDER BY type", (pid,))
        return [r["type"] for r in rows]

    def collections(self, project: str, type: str | None = None) -> list[Collection]:
        pid = self._project_id(project, required=False)
        if pid is None:
            return []
        sql = (f"SELECT c.name, c.type, {_VERSION_COUNT} AS n "
               "FROM collections c WHERE c.project_id = ?")
        params: tuple = (pid,)
        if type is not None:
            sql += " AND c.type = ?"
            params += (type,)
        rows = self.db.read(sql + " ORDER BY c.type, c.name", params)
        return [Collection(project, r["name"], r["type"], r["n"]) for r in rows]

    def _collection_id(self, project: str, name: str) -> int:
        pid = self._project_id(project, required=True)
        names.check_artifact_name(name)
        row = self.db.read_one("SELECT id FROM collections WHERE project_id = ? AND name = ?", (pid, name))
        if row is None:
            raise NotFoundError(f"no artifact {name!r} in project {project!r}")
        return row["id"]

    def versions(self, project: str, name: str, *, offset: int = 0, limit: int | None = None) -> list[ArtifactVersion]:
        cid = self._collection_id(project, name)
        # offset is an index (versions have no gaps: see _VERSION_COUNT), so the page is a range of the
        # (collection_id, idx) index: the newest 10 of a million cost what the first 10 do (OFFSET would scan)
        rows = self.db.read_tuples(
            _VERSION_SELECT + " WHERE v.collection_id = ? AND v.idx >= ? ORDER BY v.idx LIMIT ?",
            (cid, int(offset), -1 if limit is None else int(limit)),
        )
        return self._versions(rows)

    def version_count(self, project: str, name: str) -> int:
        cid = self._collection_id(project, name)
        return self.db.read_one(f"SELECT {_VERSION_COUNT} AS n FROM collections c WHERE c.id = ?", (cid,))["n"]

    def artifact(self, ref: str, project: str | None = None) -> ArtifactVersion:
        """'project/name:alias', 'project/name:vN', or 'name:alias' with `project=`; no alias means latest."""
        project, name, alias = names.parse_ref(ref, project)
        cid = self._collection_id(project, name)
        if names.is_version_alias(alias):
            row = self.db.read_one(_VERSION_SELECT + " WHERE v.collection_id = ? AND v.idx = ?", (cid, int(alias[1:])))
        else:
            row = self.db.read_one(
                _VERSION_SELECT + " WHERE v.id = (SELECT version_id FROM aliases WHERE collection_id = ? AND alias = ?)",
                (cid, alias),
            )
        if row is None:
            if names.is_version_alias(alias):
                raise NotFoundError(f"artifact {project}/{name} has no version {alias} (see `artifacts-tui ls {project}`)")
            raise NotFoundError(f"no version of {project}/{name} has the alias {alias!r}")
        return self._version(row)

    def version_by_id(self, vid: int) -> ArtifactVersion:
        """The version with this row id (what a write path returns after its commit)."""
        return self._version(self.db.read_one(_VERSION_SELECT + " WHERE v.id = ?", (vid,)))

    def runs(self, project: str) -> list[RunInfo]:
        pid = self._project_id(project, required=False)
        if pid is None:
            return []
        rows = self.db.read(_RUN_SELECT + " WHERE r.project_id = ? ORDER BY r.created_at DESC, r.id DESC", (pid,))
        return [self._run(r) for r in rows]

    def runs_since(self, when: float) -> list[RunInfo]:
        """Runs of every project that are running or were written at or after `when` (UTC seconds), oldest first:
        what a follower polls, at a cost that grows with what changed, not with the store."""
        rows = self.db.read(_RUN_SELECT + " WHERE r.state = 'running' OR r.updated_at >= ? OR r.heartbeat_at >= ? "
                            "ORDER BY r.created_at, r.id", (float(when), float(when)))
        return [self._run(r) for r in rows]

    def run(self, project: str, run_id: str) -> RunInfo:
        pid = self._project_id(project, required=True)
        row = self.db.read_one(_RUN_SELECT + " WHERE r.project_id = ? AND r.run_id = ?", (pid, run_id))
        if row is None:
            raise NotFoundError(f"no run {run_id!r} in project {project!r}")
        return self._run(row)

    def _run_pk(self, run_id) -> int:
        if isinstance(run_id, RunInfo):
            return run_id._pk
        row = self.db.read_one("SELECT id FROM runs WHERE run_id = ?", (str(run_id),))
        if row is None:
            raise NotFoundError(f"no run {run_id!r} in the store {self.root}")
        return row["id"]

    def history(self, run_id, after_step: int | None = None, samples: int | None = None) -> list[dict]:
        """The run's history rows after `after_step`, in step order; with `samples`, at most that many rows across
        them, each bucket's min and max of every numeric key kept (core.history_sampling), as W&B's
        `run.history(samples=...)`."""
        pk = self._run_pk(run_id)
        if samples is not None:
            return sampled_history(self.db, pk, after_step, samples)
        rows = self.db.read(
            "SELECT step, data FROM history WHERE run_pk = ? AND step > ? ORDER BY step",
            (pk, -1 if after_step is None else int(after_step)),
        )
        return [{"_step": r["step"], **json.loads(r["data"])} for r in rows]

    def change_token(self) -> int:
        return self.db.read_one("SELECT value FROM meta WHERE key = 'changes'")["value"]

    def lineage_edges(self, project: str) -> list[LineageEdge]:
        pid = self._project_id(project, required=False)
        if pid is None:
            return []
        rows = self.db.read(
            "SELECT r.run_id, vp.name AS vproject, c.name, v.idx, c.type, e.direction FROM edges e "
            "JOIN runs r ON r.id = e.run_pk JOIN versions v ON v.id = e.version_id "
            "JOIN collections c ON c.id = v.collection_id JOIN projects vp ON vp.id = c.project_id "
            "WHERE r.project_id = ? ORDER BY e.created_at, r.id, e.direction, c.name, v.idx",
            (pid,),
        )
        # the version's own project: a run may use an artifact of another project ("other/mnist-raw:v0")
        return [LineageEdge(r["run_id"], r["vproject"], r["name"], r["idx"], r["type"], r["direction"]) for r in rows]

    def lineage_summary(self, project: str) -> LineageSummary:
        """The project's lineage in aggregate (version classes and edge groups, core.lineage_summary): what the
        type-level graph is drawn from, counted in SQL rather than read a version at a time."""
        return lineage_summary(self.db, self._project_id(project, required=False))

    def media_path(self, run_id: str, relpath: str) -> Path:
        names.check_path(relpath)
        if not isinstance(run_id, str) or not run_id.isalnum():
            raise ValidationError(f"run id {run_id!r} is not valid")
        return self.root / "media" / run_id / relpath

    # -- version details ----------------------------------------------------------------------------------------
    def version_files(self, version: ArtifactVersion) -> list[FileEntry]:
        rows = self.db.read("SELECT path, digest, size FROM files WHERE version_id = ? ORDER BY path", (version.id,))
        return [FileEntry(r["path"], r["digest"], r["size"]) for r in rows]

    def version_file_states(self, version: ArtifactVersion, root=None, *,
                            verify_bytes: int | None = None) -> list[FileState]:
        """Each file's blob state and whether `root` (default ./artifacts/name:vN) holds it. Blobs are re-hashed,
        as `verify` does (all of them by default; while their sizes add up to at most `verify_bytes` when given,
        the rest only size-checked: "unverified" when the size is right). A re-hash is remembered in the process
        until the blob's ctime changes, so showing the same version again reads nothing."""
        return file_states(version, root, verify_bytes,
                           lambda entry, budget: self.blobs.state(version.alg, entry.digest, entry.size, budget))

    def version_logged_by(self, version: ArtifactVersion) -> RunInfo | None:
        row = self.db.read_one(
            _RUN_SELECT + " JOIN edges e ON e.run_pk = r.id WHERE e.version_id = ? AND e.direction = 'output' "
            "ORDER BY e.created_at, r.id LIMIT 1", (version.id,))
        return None if row is None else self._run(row)

    def version_used_by(self, version: ArtifactVersion) -> list[RunInfo]:
        rows = self.db.read(
            _RUN_SELECT + " JOIN edges e ON e.run_pk = r.id WHERE e.version_id = ? AND e.direction = 'input' "
            "ORDER BY e.created_at, r.id", (version.id,))
        return [self._run(r) for r in rows]

    def run_versions(self, run: RunInfo, direction: str, *, limit: int | None = None,
                     newest_first: bool = False) -> list[ArtifactVersion]:
        """The versions `run` used ("input") or logged ("output"), in the order it did (`newest_first`: reversed);
        `limit`: only the first that many (a run that logged 90,000 versions is shown a page at a time)."""
        order = "e.created_at DESC, c.name, v.idx DESC" if newest_first else "e.created_at, c.name, v.idx"
        rows = self.db.read(
            _VERSION_SELECT + " JOIN edges e ON e.version_id = v.id WHERE e.run_pk = ? AND e.direction = ? "
            f"ORDER BY {order} LIMIT ?", (run._pk, direction, -1 if limit is None else int(limit)))
        return self._versions(rows)

    def run_files(self, run: RunInfo) -> list[FileEntry]:
        rows = self.db.read("SELECT path, digest, size FROM run_files WHERE run_pk = ? ORDER BY path", (run._pk,))
        return [FileEntry(r["path"], r["digest"], r["size"]) for r in rows]

    def run_log(self, run: RunInfo, after: int = 0, limit: int | None = None) -> list[tuple[int, str]]:
        rows = self.db.read("SELECT seq, text FROM run_logs WHERE run_pk = ? AND seq > ? ORDER BY seq LIMIT ?",
                            (run._pk, int(after), -1 if limit is None else int(limit)))
        return [(r["seq"], r["text"]) for r in rows]

    def run_log_tail(self, run: RunInfo, n: int) -> list[tuple[int, str]]:
        """The last `n` lines the run printed (what a crashed run shows)."""
        rows = self.db.read("SELECT seq, text FROM run_logs WHERE run_pk = ? ORDER BY seq DESC LIMIT ?",
                            (run._pk, int(n)))
        return [(r["seq"], r["text"]) for r in reversed(rows)]

    def system_metrics(self, run: RunInfo, after: float | None = None) -> list[dict]:
        rows = self.db.read("SELECT at, data FROM system_metrics WHERE run_pk = ? AND at > ? ORDER BY at",
                            (run._pk, -1.0 if after is None else float(after)))
        return [{"_timestamp": r["at"], **json.loads(r["data"])} for r in rows]

    def download_version(self, version: ArtifactVersion, root=None, *, paths=None) -> Path:
        """Copy the version's files (or only those at `paths`) to `root` (default ./artifacts/name:vN)."""
        return download(self.blobs, version, root, paths)

    def read_version_file(self, version: ArtifactVersion, path: str, *, limit: int | None = None) -> FileBytes:
        """The first `limit` bytes (None: all) of one file; re-hashed, and IntegrityError if corrupt, when whole."""
        return read_file(self.blobs, version, path, limit)

    def save_version_file(self, version: ArtifactVersion, path: str, target, *, overwrite: bool = False) -> Path:
        """Copy one file to `target` as downloads do (core.download.save_file); -> where it was written."""
        return save_file(self.blobs, version, path, target, overwrite=overwrite)

    # -- editing a logged version (W&B's `artifact.description = ...; artifact.save()`) ------------------------
    def update_version(self, version: ArtifactVersion, *, description=_KEEP, metadata=_KEEP,
                       tags=_KEEP) -> ArtifactVersion:
        """Change a committed version's description, metadata or tags (its files never change); -> the version
        as stored now. A field left out is kept."""
        sets, params = [], []
        if description is not _KEEP:
            sets.append("description = ?")
            params.append(names.check_text(description, "description"))
        if metadata is not _KEEP:
            sets.append("metadata = ?")
            params.append(json.dumps(names.check_metadata(metadata), allow_nan=False, separators=(",", ":")))
        if tags is not _KEEP:
            sets.append("tags = ?")
            params.append(json.dumps(names.check_tags(tags)))
        if sets:
            with self.db.write() as conn:
                cur = conn.execute(f"UPDATE versions SET {', '.join(sets)} WHERE id = ?", (*params, version.id))
                if cur.rowcount == 0:
                    raise NotFoundError(f"version {version.full_name} no longer exists")
        return self.version_by_id(version.id)

    # -- links (core.links): a version linked into another collection, as W&B's link_artifact --------------
    def link_version(self, version: ArtifactVersion, project: str, collection: str, aliases=(),
                     run_id: str | None = None) -> Link:
        """Link `version` into project/collection (created on first use) with `aliases`; linking it again adds
        the aliases to its link. `run_id`: the run that linked it. -> the Link."""
        from core import links

        return links.link_version(self, version, project, collection, aliases,
                                  None if run_id is None else self._run_pk(run_id))

    def unlink(self, link: Link) -> None:
        from core import links

        links.unlink(self, link)

    def version_links(self, version: ArtifactVersion) -> list[Link]:
        """Where this version is linked, oldest link first."""
        from core import links

        return links.version_links(self, version)

    def links(self, project: str, collection: str) -> list[Link]:
        """The links of a linked collection, v0 first; [] for an unknown one."""
        from core import links

        return links.collection_links(self, project, collection)

    def link(self, ref: str, project: str | None = None) -> Link:
        """'project/collection:alias' or ':vN' of a linked collection (no alias: latest) -> the Link."""
        from core import links

        return links.resolve(self, ref, project)

    def set_link_aliases(self, link: Link, aliases) -> Link:
        """Make `aliases` the link's own (what W&B's `linked.aliases = [...]; linked.save()` does)."""
        from core import links

        return links.set_link_aliases(self, link, aliases)

    def link_collections(self, project: str) -> list[Collection]:
        """The linked collections of a project (their type is their versions'), by name."""
        from core import links

        return links.link_collections(self, project)

    # -- aliases ----------------------------------------------------------------------------------------------
    def add_alias(self, version: ArtifactVersion, alias: str) -> None:
        """Point `alias` at `version`, moving it off whichever version of the collection held it."""
        names.check_alias(alias)
        with self.db.write() as conn:
            row = conn.execute("SELECT collection_id FROM versions WHERE id = ?", (version.id,)).fetchone()
            if row is None:
                raise NotFoundError(f"version {version.full_name} no longer exists")
            conn.execute(
                "INSERT INTO aliases (collection_id, alias, version_id) VALUES (?, ?, ?) "
                "ON CONFLICT (collection_id, alias) DO UPDATE SET version_id = excluded.version_id",
                (row["collection_id"], alias, version.id),
            )

    def remove_alias(self, version: ArtifactVersion, alias: str) -> None:
        if alias == "latest":
            raise ValidationError("alias 'latest' is managed by the store and cannot be removed")
        names.check_alias(alias)
        with self.db.write() as conn:
            cur = conn.execute("DELETE FROM aliases WHERE version_id = ? AND alias = ?", (version.id, alias))
            if cur.rowcount == 0:
                raise NotFoundError(f"{version.full_name} has no alias {alias!r}")

    def alias_holder(self, project: str, name: str, alias: str) -> ArtifactVersion | None:
        """The version of project/name holding `alias`, or None (for "best: v1 -> v3" previews)."""
        try:
            return self.artifact(f"{project}/{name}:{alias}")
        except NotFoundError:
            return None

    # -- integrity and space (core.maintenance) ---------------------------------------------------------------
    def verify(self, project: str | None = None) -> list[Problem]:
        """Re-read every blob (never trusting the checksum cache); one Problem per (version, path) that is bad.
        The database itself is checked first: a damaged one raises StoreDamagedError."""
        self.db.check_intact(full=True)  # before the project is looked up: a damaged database says so first
        return maintenance.verify(self, None if project is None else self._project_id(project, required=True))

    def verify_version(self, version: ArtifactVersion) -> None:
        maintenance.verify_version(self, version)

    def pin_blobs(self, owner: str, keys) -> None:
        """Keep these (alg, digest) blobs through `gc` although no version references them (a cache's gc roots)."""
        maintenance.pin_blobs(self, owner, keys)

    def unpin_blobs(self, owner: str) -> None:
        maintenance.unpin_blobs(self, owner)

    def gc(self) -> "maintenance.GcResult":
        """Delete blobs no version references and dead writers' temp files (see core.maintenance.gc)."""
        return maintenance.gc(self)

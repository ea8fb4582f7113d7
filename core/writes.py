"""The write paths a run uses: committing an artifact version (after its blobs exist), run rows, history rows,
lineage edges. Each is one `BEGIN IMMEDIATE` transaction, so numbering and alias moves are decided atomically."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from core import names
from core.errors import NotFoundError, ValidationError
from core.hashing import StatKey, manifest_digest
from core.history_sampling import add_to_blocks
from core.store import HOST, Store, process_start

_ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
_ADJECTIVES = (
    "sunny", "misty", "bright", "quiet", "brisk", "gentle", "lively", "silver", "golden", "crimson", "dark",
    "vivid", "proud", "eager", "fluent", "hardy", "noble", "polished", "rosy", "stellar", "swift", "wise",
)
_NOUNS = (
    "smoke", "river", "forest", "meadow", "dawn", "frost", "wave", "cloud", "field", "moon", "star", "sky",
    "leaf", "breeze", "shadow", "thunder", "glade", "pond", "haze", "firefly", "sea", "sun",
)


class ManifestRow(NamedTuple):
    """One file of a version being committed (a named tuple: one is made per file, thousands at a time)."""

    path: str
    digest: str
    size: int


_ENCODE = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode  # json.dumps' settings, built once


def _dumps(value) -> str:
    return _ENCODE(value)


def ensure_project(conn, project: str) -> int:
    names.check_project(project)
    row = conn.execute("SELECT id FROM projects WHERE name = ?", (project,)).fetchone()
    if row is not None:
        return row["id"]
    return conn.execute("INSERT INTO projects (name, created_at) VALUES (?, ?)", (project, time.time())).lastrowid


def check_collection_type(store: Store, project: str, name: str, type_: str) -> None:
    """Fail early (before any blob is written) when project/name already exists with another type."""
    row = store.db.read_one(
        "SELECT c.type FROM collections c JOIN projects p ON p.id = c.project_id WHERE p.name = ? AND c.name = ?",
        (project, name),
    )
    if row is not None and row["type"] != type_:
        raise ValidationError(
            f"artifact {project}/{name} is of type {row['type']!r}; it cannot be logged as type {type_!r} "
            "(a collection has one type: choose another name)"
        )


def commit_version(
    store: Store, *, run_pk: int | None, project: str, name: str, type_: str, alg: str,
    entries: Sequence[ManifestRow], description: str | None, metadata: dict, aliases: Iterable[str],
    cache: Iterable[tuple[StatKey, str]] = (),
):
    """Record a version whose blobs already exist; dedup by digest; move `latest` and `aliases`; add the output
    edge. -> the ArtifactVersion."""
    digest = manifest_digest(((e.path, e.digest) for e in entries), alg)
    metadata = names.check_metadata(metadata)  # again: a dict changed in place after the check holds NaN as NaN
    now = time.time()
    with store.db.write() as conn:
        pid = ensure_project(conn, project)
        row = conn.execute("SELECT id, type FROM collections WHERE project_id = ? AND name = ?", (pid, name)).fetchone()
        if row is None:
            cid = conn.execute(
                "INSERT INTO collections (project_id, name, type, created_at) VALUES (?, ?, ?, ?)",
                (pid, name, type_, now)).lastrowid
        elif row["type"] != type_:
            raise ValidationError(f"artifact {project}/{name} is of type {row['type']!r}, not {type_!r}")
        else:
            cid = row["id"]
        existing = conn.execute("SELECT id FROM versions WHERE collection_id = ? AND digest = ?", (cid, digest)).fetchone()
        if existing is not None:
            vid = existing["id"]
        else:
            idx = conn.execute("SELECT coalesce(max(idx) + 1, 0) FROM versions WHERE collection_id = ?", (cid,)).fetchone()[0]
            vid = conn.execute(
                "INSERT INTO versions (collection_id, idx, digest, alg, size, file_count, description, metadata, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (cid, idx, digest, alg, sum(e.size for e in entries), len(entries), description, _dumps(metadata), now),
            ).lastrowid
            conn.executemany(
                "INSERT INTO files (version_id, path, digest, size) VALUES (?, ?, ?, ?)",
                [(vid, e.path, e.digest, e.size) for e in entries],
            )
        for alias in ["latest", *aliases]:
            conn.execute(
                "INSERT INTO aliases (collection_id, alias, version_id) VALUES (?, ?, ?) "
                "ON CONFLICT (collection_id, alias) DO UPDATE SET version_id = excluded.version_id",
                (cid, alias, vid),
            )
        if run_pk is not None:
            add_edge(conn, run_pk, vid, "output", now)
        conn.executemany(
            "INSERT OR REPLACE INTO checksum_cache (path, alg, size, mtime_ns, inode, ctime_ns, digest) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(k.path, alg, k.size, k.mtime_ns, k.inode, k.ctime_ns, d) for k, d in cache],
        )
    return store.version_by_id(vid)


def cached_rows(store: Store, paths: Sequence[str], alg: str) -> dict[str, tuple]:
    """What the store's persistent checksum cache holds for these paths (normalised as StatKey's): path -> (size,
    mtime_ns, inode, ctime_ns, digest). Asked by path before any stat: a file not there is read without one."""
    found: dict[str, tuple] = {}
    if not store.db.read_one("SELECT 1 FROM checksum_cache LIMIT 1"):
        return found
    unique = list(dict.fromkeys(paths))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        rows = store.db.read(
            f"SELECT path, size, mtime_ns, inode, ctime_ns, digest FROM checksum_cache WHERE alg = ? AND path IN "
            f"({','.join('?' * len(chunk))})", (alg, *chunk))
        for r in rows:
            found[r["path"]] = (r["size"], r["mtime_ns"], r["inode"], r["ctime_ns"], r["digest"])
    return found


def cached_digest(row: tuple | None, key: StatKey) -> str | None:
    """The digest of a `cached_rows` row when it describes the file as `key` finds it now."""
    if row is not None and row[:4] == (key.size, key.mtime_ns, key.inode, key.ctime_ns):
        return row[4]
    return None


def add_edge(conn, run_pk: int, vid: int, direction: str, now: float | None = None) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO edges (run_pk, version_id, direction, created_at) VALUES (?, ?, ?, ?)",
        (run_pk, vid, direction, time.time() if now is None else now),
    )


def record_input(store: Store, run_pk: int, vid: int) -> None:
    with store.db.write() as conn:
        add_edge(conn, run_pk, vid, "input")


def create_run(
    store: Store, *, project: str, job_type: str | None, config: dict, name: str | None, run_id: str | None,
    tags: list[str], notes: str | None, group: str | None,
) -> tuple[int, str, str]:
    """Insert a running run; -> (pk, run id, run name). The name is W&B-style: adjective-noun-N."""
    now = time.time()
    run_id = run_id or "".join(secrets.choice(_ID_CHARS) for _ in range(8))
    if not run_id.isalnum() or len(run_id) > 64:
        raise ValidationError(f"run id {run_id!r} may only contain letters and digits (at most 64)")
    pid = os.getpid()
    with store.db.write() as conn:
        project_id = ensure_project(conn, project)
        if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
            raise ValidationError(f"a run with id {run_id!r} already exists; choose another id")
        if name is None:
            n = conn.execute("SELECT count(*) FROM runs WHERE project_id = ?", (project_id,)).fetchone()[0] + 1
            name = f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{n}"
        pk = conn.execute(
            "INSERT INTO runs (run_id, project_id, name, job_type, config, state, created_at, updated_at, "
            "heartbeat_at, host, pid, pid_start, tags, notes, grp) "
            "VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, project_id, name, job_type, _dumps(config), now, now, now, HOST, pid, process_start(pid),
             _dumps(list(tags)), notes, group),
        ).lastrowid
    return pk, run_id, name


def update_run(store: Store, pk: int, **fields) -> None:
    """Set config / summary / state / error (JSON-encoded where needed) and the heartbeat."""
    sets, params = ["updated_at = ?", "heartbeat_at = ?"], [time.time(), time.time()]
    for key, value in fields.items():
        if key not in {"config", "summary", "state", "error", "tags", "notes", "grp"}:
            raise ValueError(key)
        sets.append(f"{key} = ?")
        params.append(_dumps(value) if key in {"config", "summary", "tags"} else value)
    with store.db.write() as conn:
        if conn.execute(f"UPDATE runs SET {', '.join(sets)} WHERE id = ?", (*params, pk)).rowcount == 0:
            raise NotFoundError(f"run {pk} vanished from the store")


def append_history(store: Store, pk: int, rows: Sequence[tuple[int, dict]], summary: dict | None, *,
                   lines: Sequence[tuple[float, str]] = (), progress: dict | None = None,
                   system: Sequence[tuple[float, dict]] = ()) -> None:
    """Insert history rows; a row at an existing step merges into it. Also stores the summary, the run's new log
    lines, its progress and system metrics, and beats."""
    now = time.time()
    with store.db.write() as conn:
        if lines:
            seq = conn.execute("SELECT coalesce(max(seq), 0) FROM run_logs WHERE run_pk = ?", (pk,)).fetchone()[0]
            conn.executemany("INSERT INTO run_logs (run_pk, seq, at, text) VALUES (?, ?, ?, ?)",
                             [(pk, seq + i, at, text) for i, (at, text) in enumerate(lines, 1)])
        if progress is not None:
            conn.execute("UPDATE runs SET progress = ? WHERE id = ?", (_dumps(progress), pk))
        if system:
            conn.executemany("INSERT OR REPLACE INTO system_metrics (run_pk, at, data) VALUES (?, ?, ?)",
                             [(pk, at, _dumps(row)) for at, row in system])
        written = []
        if rows:
            # Most rows are new steps: one executemany for them; only steps already there are merged row by row.
            by_step: dict[int, dict] = {}
            for step, data in rows:  # one step twice in a batch: merged, later keys win (as a second log would)
                by_step[step] = {**by_step[step], **data} if step in by_step else data
            rows = list(by_step.items())
            steps = list(by_step)
            there = {r[0] for r in conn.execute("SELECT step FROM history WHERE run_pk = ? AND step BETWEEN ? AND ?",
                                                (pk, min(steps), max(steps)))}
            fresh = [(pk, step, _dumps(data)) for step, data in rows if step not in there]
            conn.executemany("INSERT INTO history (run_pk, step, data) VALUES (?, ?, ?)", fresh)
            for step, data in rows:
                new = step not in there
                written.append((step, data, new))
                if not new:
                    old = json.loads(conn.execute(
                        "SELECT data FROM history WHERE run_pk = ? AND step = ?", (pk, step)).fetchone()[0])
                    old.update(data)
                    conn.execute("UPDATE history SET data = ? WHERE run_pk = ? AND step = ?",
                                 (_dumps(old), pk, step))
        add_to_blocks(conn, pk, written)
        if summary is not None:
            conn.execute("UPDATE runs SET summary = ?, updated_at = ?, heartbeat_at = ? WHERE id = ?",
                         (_dumps(summary), now, now, pk))
        else:
            conn.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (now, pk))


def add_run_file(store: Store, pk: int, path: str, digest: str, alg: str, size: int) -> None:
    with store.db.write() as conn:
        conn.execute("INSERT OR REPLACE INTO run_files (run_pk, path, digest, alg, size) VALUES (?, ?, ?, ?, ?)",
                     (pk, path, digest, alg, size))

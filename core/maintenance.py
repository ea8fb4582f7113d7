"""Integrity and space of the embedded store: `verify` (the database, then every blob re-read), pinned blobs (gc
roots that are not versions, such as the W&B cache's) and `gc`. `core.store.Store` exposes them as methods."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from core import staging
from core.errors import IntegrityError
from core.values import ArtifactVersion, Problem

if TYPE_CHECKING:
    from core.store import Store


def _problems(store: Store, rows) -> list[Problem]:
    seen: dict[tuple[str, str], str | None] = {}
    problems = []
    for r in rows:
        key = (r["alg"], r["digest"])
        if key not in seen:
            seen[key] = store.blobs.rehash(*key)
        actual = seen[key]
        if actual != r["digest"]:
            version = f"{r['pname']}/{r['cname']}:v{r['idx']}"
            kind = "missing" if actual is None else "corrupt"
            problems.append(Problem(version, r["path"], kind, r["digest"], actual or None))
    return problems


_FILE_ROWS = (
    "SELECT f.path, f.digest, v.alg, v.idx, c.name AS cname, p.name AS pname FROM files f "
    "JOIN versions v ON v.id = f.version_id JOIN collections c ON c.id = v.collection_id "
    "JOIN projects p ON p.id = c.project_id"
)


def verify(store: Store, project_id: int | None = None) -> list[Problem]:
    """Re-read every blob (never trusting the checksum cache); one Problem per (version, path) that is bad.
    The caller (`Store.verify`) has checked the database itself first (PRAGMA integrity_check): a damaged one
    raises StoreDamagedError rather than reporting "no problems" over what it can no longer list."""
    if project_id is None:
        rows = store.db.read(_FILE_ROWS + " ORDER BY p.name, c.name, v.idx, f.path")
    else:
        rows = store.db.read(_FILE_ROWS + " WHERE p.id = ? ORDER BY c.name, v.idx, f.path", (project_id,))
    return _problems(store, rows)


def verify_version(store: Store, version: ArtifactVersion) -> None:
    rows = store.db.read(_FILE_ROWS + " WHERE v.id = ? ORDER BY f.path", (version.id,))
    problems = _problems(store, rows)
    if problems:
        raise IntegrityError("; ".join(str(p) for p in problems) + " (run `artifacts-tui verify` for the store)")


def pin_blobs(store: Store, owner: str, keys) -> None:
    """Keep these (alg, digest) blobs through `gc` although no version references them: how a cache built on
    this store (the W&B store's fetched files) registers its gc roots. `unpin_blobs(owner)` lets them go."""
    with store.db.write() as conn:
        conn.executemany("INSERT OR IGNORE INTO pinned_blobs (owner, alg, digest) VALUES (?, ?, ?)",
                         [(owner, alg, digest) for alg, digest in keys])


def unpin_blobs(store: Store, owner: str) -> None:
    with store.db.write() as conn:
        conn.execute("DELETE FROM pinned_blobs WHERE owner = ?", (owner,))


def gc(store: Store) -> "GcResult":
    """Delete blobs no version (or run file) references and temp files of dead writers; -> bytes freed.

    Refuses (StoreDamagedError, nothing deleted) unless the database is present, sound and the store's own:
    an unreadable database would make every blob look unreferenced. Stray entries (a `.DS_Store`, a directory
    where a blob or a temp file should be) are skipped and listed in the result's `.skipped`."""
    freed = 0
    skipped: list[str] = []
    with store.blobs.lock_exclusive(store.timeout):
        store.db.check_intact()
        referenced = {
            (r["alg"], r["digest"])
            for r in store.db.read(
                "SELECT DISTINCT v.alg, f.digest FROM files f JOIN versions v ON v.id = f.version_id "
                "UNION SELECT DISTINCT alg, digest FROM run_files UNION SELECT alg, digest FROM pinned_blobs")
        }
        for alg, digest, path in list(store.blobs.iter_blobs(skipped)):
            if (alg, digest) not in referenced:
                freed += _unlink_file(path, skipped)
        for tmp in list(store.blobs.tmp.iterdir()):  # no writer holds the lock: every temp file is a leftover
            if staging.is_staging(tmp):   # new_file's directories: left alone while their process lives
                freed += staging.reclaim(tmp)
            else:
                freed += _unlink_file(tmp, skipped)
    return GcResult(freed, skipped)


class GcResult(int):
    """Bytes freed by `Store.gc()` (an int, as API.md has it), with `.skipped`: the stray paths it left alone."""

    skipped: list[str]

    def __new__(cls, freed: int, skipped: list[str]) -> "GcResult":
        result = super().__new__(cls, freed)
        result.skipped = skipped
        return result


def _unlink_file(path: Path, skipped: list[str]) -> int:
    """Remove a regular file (or a symlink) -> its size; anything else is named in `skipped` and kept."""
    try:
        st = path.lstat()
        if path.is_dir() and not path.is_symlink():
            skipped.append(str(path))
            return 0
        path.unlink()
        return st.st_size
    except FileNotFoundError:
        return 0

"""Big stores built in seconds: rows inserted in bulk through the store's own connection (`store.db.write()`),
skipping blobs and the per-version write path. What the big-store tests (and bench/) open the TUI on: a run with a
million history rows, a collection with 100k versions logged by one run."""

from __future__ import annotations

import time

import core
from core.history_sampling import BACKFILL_SQL


def big_run(store, project: str = "big", run_id: str = "bigrun01", *, name: str = "big-run", job_type="train"):
    """A finished run with no history -> its RunInfo (the bulk helpers below fill it)."""
    with core.init(project=project, job_type=job_type, name=name, id=run_id, store=store) as run:
        run.summary.update({"loss": 0.0})
    return store.run(project, run_id)


def fill_history(store, run, steps: int, *, spike_at: int = -1) -> None:
    """`steps` rows of {"train/loss", "accuracy"} (a falling loss; a spike of 1000 at `spike_at`), and a
    "val/loss" every 1000 steps, generated in SQL (a million rows in a few seconds)."""
    with store.db.write() as conn:
        conn.execute(
            "WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x + 1 < ?) "
            "INSERT INTO history (run_pk, step, data) SELECT ?, x, CASE WHEN x % 1000 = 0 THEN "
            "json_object('train/loss', CASE WHEN x = ? THEN 1000.0 ELSE 1.0 / (1 + x / 1000.0) END, "
            "'accuracy', (x % 5000) / 5000.0, 'val/loss', 2.0 / (1 + x / 1000.0)) ELSE "
            "json_object('train/loss', CASE WHEN x = ? THEN 1000.0 ELSE 1.0 / (1 + x / 1000.0) END, "
            "'accuracy', (x % 5000) / 5000.0) END FROM s",
            (steps, run._pk, spike_at, spike_at))
        conn.execute(BACKFILL_SQL)  # the blocks sampled reads use, as the migration builds them


def fill_versions(store, run, project: str, name: str, count: int, *, type_: str = "dataset",
                  chunk: int = 100_000) -> None:
    """`count` versions v0..v{count-1} of project/name (one file each, no blobs), each an output of `run`, with
    "latest" on the newest; inserted in bulk."""
    now = time.time()
    with store.db.write() as conn:
        pid = conn.execute("SELECT id FROM projects WHERE name = ?", (project,)).fetchone()[0]
        cid = conn.execute("INSERT INTO collections (project_id, name, type, created_at) VALUES (?, ?, ?, ?)",
                           (pid, name, type_, now)).lastrowid
        first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM versions").fetchone()[0]
    for start in range(0, count, chunk):
        stop = min(count, start + chunk)
        with store.db.write() as conn:
            conn.executemany(
                "INSERT INTO versions (id, collection_id, idx, digest, alg, size, file_count, metadata, created_at) "
                "VALUES (?, ?, ?, ?, 'md5', 10, 1, '{}', ?)",
                ((first + i, cid, i, f"{cid:08x}{i:024x}", now - count + i) for i in range(start, stop)))
            conn.executemany("INSERT INTO files (version_id, path, digest, size) VALUES (?, 'data.txt', ?, 10)",
                             ((first + i, f"{i:032x}") for i in range(start, stop)))
            conn.executemany(
                "INSERT INTO edges (run_pk, version_id, direction, created_at) VALUES (?, ?, 'output', ?)",
                ((run._pk, first + i, now - count + i) for i in range(start, stop)))
    with store.db.write() as conn:
        conn.execute("INSERT INTO aliases (collection_id, alias, version_id) VALUES (?, 'latest', ?)",
                     (cid, first + count - 1))

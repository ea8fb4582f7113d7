"""Many processes on one store: version numbers without gaps or duplicates, one holder per alias, and a fresh
store's schema created once. Workers are fresh interpreters released together through their stdin."""

from __future__ import annotations

import sqlite3

import core
from core.db import SCHEMA_VERSION
from tests.helpers.store import finish_worker, start_worker

PROCESSES = 6
VERSIONS_EACH = 5


def release(workers):
    for proc in workers:
        proc.stdin.write("go\n")
        proc.stdin.flush()


def test_concurrent_writers_get_contiguous_versions(store):
    token = store.change_token()
    workers = [start_worker("log-versions", store.root, "p", "shared", VERSIONS_EACH, f"w{i}")
               for i in range(PROCESSES)]
    release(workers)
    reported = [int(line) for proc in workers for line in finish_worker(proc).split()]
    assert store.change_token() > token  # a poller sees other processes' writes

    total = PROCESSES * VERSIONS_EACH
    assert sorted(reported) == list(range(total))  # each worker saw its own, distinct numbers
    versions = store.versions("p", "shared")
    assert [v.index for v in versions] == list(range(total))
    assert len({v.digest for v in versions}) == total
    contents = set()
    for v in versions:
        (entry,) = v.files()
        contents.add(store.blobs.path(v.alg, entry.digest).read_text())
    assert contents == {f"w{i}-{j}" for i in range(PROCESSES) for j in range(VERSIONS_EACH)}
    assert store.artifact("p/shared:latest").index == total - 1
    assert store.verify() == []
    assert len(store.runs("p")) == PROCESSES and all(r.state == "finished" for r in store.runs("p"))


def test_concurrent_alias_moves_leave_exactly_one_holder(store):
    with core.init(project="p", store=store) as run:
        for i in range(PROCESSES):
            art = core.Artifact("model", type="model")
            with art.new_file("w.txt", mode="w") as handle:
                handle.write(str(i))
            run.log_artifact(art)
    workers = [start_worker("move-alias", store.root, "p", "model", "champion", i, 20) for i in range(PROCESSES)]
    release(workers)
    for proc in workers:
        finish_worker(proc)

    holders = [v for v in store.versions("p", "model") if "champion" in v.aliases]
    assert len(holders) == 1
    assert store.artifact("p/model:champion") == holders[0]
    rows = sqlite3.connect(store.root / "store.db").execute(
        "SELECT count(*) FROM aliases WHERE alias = 'champion'").fetchone()
    assert rows == (1,)


def test_concurrent_first_use_creates_the_schema_once(tmp_path):
    root = tmp_path / "fresh-store"
    workers = [start_worker("first-open", root, f"w{i}") for i in range(PROCESSES)]
    release(workers)
    indexes = sorted(int(finish_worker(proc)) for proc in workers)

    assert indexes == list(range(PROCESSES))
    store = core.open_store(root)
    conn = sqlite3.connect(root / "store.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT count(*) FROM meta").fetchone()[0] == 1
    assert store.projects() == ["p"]
    assert store.version_count("p", "shared") == PROCESSES

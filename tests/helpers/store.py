"""Helpers the store tests import: writing file trees, snapshotting a store to prove it unchanged, and starting
worker processes (`store_workers.py`) with `sys.executable`, never by forking the threaded pytest process."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

WORKERS = Path(__file__).with_name("store_workers.py")


def write_tree(root: Path, files: dict[str, bytes | str]) -> Path:
    """Create `files` (relative path -> content) under `root`; -> root."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)
    return root


# columns a live run rewrites on its own (heartbeat), left out so a snapshot shows only what a call wrote
_VOLATILE = {"runs": {"updated_at", "heartbeat_at"}, "meta": {"value"}}


def store_snapshot(store) -> dict:
    """Every row of the store's tables (read through a separate connection, heartbeat columns aside) and every
    file under the store root, so a test can assert that a rejected call wrote nothing at all."""
    conn = sqlite3.connect(store.root / "store.db")
    try:
        snap: dict = {}
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({name})")]
            keep = [c for c in columns if c not in _VOLATILE.get(name, set())]
            snap[name] = sorted(map(tuple, conn.execute(f"SELECT {', '.join(keep)} FROM {name}")))
    finally:
        conn.close()
    snap["files"] = sorted(
        str(p.relative_to(store.root)) for p in store.root.rglob("*")
        if p.is_file() and not p.name.startswith("store.db") and p.name != "gc.lock"
    )
    return snap


def tree_listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def start_worker(*args: object, env: dict | None = None) -> subprocess.Popen:
    """Start `store_workers.py ARGS` in a fresh interpreter; it talks over stdin/stdout lines."""
    return subprocess.Popen(
        [sys.executable, str(WORKERS), *map(str, args)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})},
    )


def finish_worker(proc: subprocess.Popen, timeout: float = 60) -> str:
    """Wait for a worker; -> its stdout. Fails the test with its stderr when it failed."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"worker failed ({proc.returncode}):\n{err}"
    return out

"""The runner's book of launches, kept in the store so that what waits to run survives a restart of the TUI and
a TUI opened later finds the stages an earlier one started (they run in processes of their own).

A launch is a request (JSON: the stage, its project, dataset, config, inputs, device) with a run group of its own
("launch-<id>-<nonce>"): every run its child process opens carries that group, which is how a viewer finds them.
`claim` moves a queued launch to running inside one write transaction, so two TUIs on one store never start it
twice. States: queued -> running -> finished | failed | cancelled (or cancelled straight from queued).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from core.errors import NotFoundError
from core.store import HOST, Store, process_alive, process_start

ENDED = ("finished", "failed", "cancelled")


@dataclass(frozen=True)
class Launch:
    id: int
    group: str
    request: dict[str, Any]
    state: str
    device: str | None
    pid: int | None
    host: str | None
    exit_code: int | None
    error: str | None
    created_at: float
    started_at: float | None
    ended_at: float | None
    pid_start: int | None = None

    @property
    def process_alive(self) -> bool:
        """Whether the launch's child process still runs (on this host; another host's is taken as running)."""
        if self.pid is None:
            return False
        if self.host != HOST:
            return True
        return process_alive(self.pid, self.pid_start)


class LaunchBook:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _launch(self, row) -> Launch:
        return Launch(row["id"], row["grp"], json.loads(row["request"]), row["state"], row["device"], row["pid"],
                      row["host"], row["exit_code"], row["error"], row["created_at"], row["started_at"],
                      row["ended_at"], row["pid_start"])

    def log_path(self, launch: Launch):
        """Where the launch's child process prints (read when it died before reaching the store)."""
        return self.store.root / "launches" / f"{launch.group}.log"

    def get(self, launch_id: int) -> Launch:
        row = self.store.db.read_one("SELECT * FROM launches WHERE id = ?", (int(launch_id),))
        if row is None:
            raise NotFoundError(f"no launch {launch_id} in the store {self.store.location}")
        return self._launch(row)

    def add(self, request: dict[str, Any]) -> Launch:
        with self.store.db.write() as conn:
            lid = conn.execute(
                "INSERT INTO launches (grp, request, state, created_at) VALUES (?, ?, 'queued', ?)",
                (f"pending-{secrets.token_hex(8)}", json.dumps(request, sort_keys=True), time.time())).lastrowid
            conn.execute("UPDATE launches SET grp = ? WHERE id = ?", (f"launch-{lid}-{secrets.token_hex(3)}", lid))
        return self.get(lid)

    def active(self) -> list[Launch]:
        """Queued and running launches, oldest first."""
        rows = self.store.db.read("SELECT * FROM launches WHERE state IN ('queued', 'running') ORDER BY id")
        return [self._launch(r) for r in rows]

    def recent(self, limit: int = 50) -> list[Launch]:
        rows = self.store.db.read("SELECT * FROM launches ORDER BY id DESC LIMIT ?", (int(limit),))
        return [self._launch(r) for r in reversed(rows)]

    def claim(self, launch_id: int, device: str | None) -> bool:
        """queued -> running for this process (which starts the child next); False when another got it first."""
        with self.store.db.write() as conn:
            cur = conn.execute(
                "UPDATE launches SET state = 'running', device = ?, started_at = ?, host = ? "
                "WHERE id = ? AND state = 'queued'", (device, time.time(), HOST, int(launch_id)))
            return cur.rowcount == 1

    def started(self, launch_id: int, pid: int) -> None:
        with self.store.db.write() as conn:
            conn.execute("UPDATE launches SET pid = ?, pid_start = ? WHERE id = ?",
                         (pid, process_start(pid), int(launch_id)))

    def finish(self, launch_id: int, state: str, *, exit_code: int | None = None, error: str | None = None) -> None:
        if state not in ENDED:
            raise ValueError(state)
        with self.store.db.write() as conn:
            conn.execute("UPDATE launches SET state = ?, exit_code = ?, error = ?, ended_at = ? "
                         "WHERE id = ? AND state IN ('queued', 'running')",
                         (state, exit_code, error, time.time(), int(launch_id)))

    def cancel_queued(self, launch_id: int) -> bool:
        with self.store.db.write() as conn:
            return conn.execute("UPDATE launches SET state = 'cancelled', ended_at = ?, error = 'cancelled before "
                                "it started' WHERE id = ? AND state = 'queued'",
                                (time.time(), int(launch_id))).rowcount == 1

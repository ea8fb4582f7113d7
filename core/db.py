"""SQLite access: one connection per thread, WAL, `BEGIN IMMEDIATE` write transactions with a busy timeout.

Version numbers, alias moves and the schema itself are decided inside `BEGIN IMMEDIATE`, so many processes
writing at once still get contiguous versions and one alias holder. Every write transaction bumps the `changes`
counter that `Store.change_token()` reads, so a TUI can notice other processes' writes by polling one row.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from core.errors import StoreBusyError

SCHEMA_VERSION = 1
DEFAULT_TIMEOUT = 30.0


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class Database:
    def __init__(self, path: Path, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = path
        self.timeout = timeout
        self._local = threading.local()
        self._init_schema()

    # -- connections ------------------------------------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            self._retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
        return conn

    def _retry_busy(self, fn):
        """Turning WAL on (or the first read of a new file) may answer "busy" at once, ignoring busy_timeout."""
        deadline = time.monotonic() + self.timeout
        delay = 0.005
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() > deadline:
                    if _is_busy(exc):
                        raise StoreBusyError(
                            f"the store {self.path.parent} stayed locked for {self.timeout:.0f} s by another "
                            "process; try again when it has finished"
                        ) from exc
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.1)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- transactions -----------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A `BEGIN IMMEDIATE` transaction that bumps the change counter; commits on success."""
        conn = self.connection()
        self._retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            yield conn
            conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'changes'")
            self._retry_busy(lambda: conn.execute("COMMIT"))
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

    def read(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        conn = self.connection()
        return self._retry_busy(lambda: conn.execute(sql, params).fetchall())

    def read_one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        rows = self.read(sql, params)
        return rows[0] if rows else None

    # -- schema -----------------------------------------------------------------------------------------------
    def _init_schema(self) -> None:
        conn = self.connection()
        version = self._retry_busy(lambda: conn.execute("PRAGMA user_version").fetchone()[0])
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            from core.errors import ArtifactsError

            raise ArtifactsError(
                f"the store {self.path.parent} was written by a newer artifacts-tui (schema {version}); upgrade"
            )
        script = resources.files("core").joinpath("schema.sql").read_text(encoding="utf-8")
        self._retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                for statement in script.split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

"""SQLite access: one connection per thread, WAL, `BEGIN IMMEDIATE` write transactions with a busy timeout.

Version numbers, alias moves and the schema itself are decided inside `BEGIN IMMEDIATE`, so many processes
writing at once still get contiguous versions and one alias holder. Every write transaction bumps the `changes`
counter that `Store.change_token()` reads, so a TUI can notice other processes' writes by polling one row.

A damaged database is never mistaken for an empty one: a missing or empty `store.db` beside blobs in `objects/`,
a file that is not SQLite, a schema that is not the store's, or pages SQLite cannot decode all raise
`StoreDamagedError` naming the file; a full disk raises `StoreFullError`. No `sqlite3` error leaves this module.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from core.errors import ArtifactsError, StoreBusyError, StoreDamagedError, StoreFullError
from core.history_sampling import BACKFILL_SQL

SCHEMA_VERSION = 6
# from version N to N + 1, inside one BEGIN IMMEDIATE with the user_version bump; a bare name is that table's
# CREATE statement as schema.sql has it
MIGRATIONS: dict[int, list[str]] = {
    1: ["ALTER TABLE checksum_cache ADD COLUMN ctime_ns INTEGER NOT NULL DEFAULT -1"],  # -1 never matches: re-hash
    2: ["pinned_blobs"],
    3: ["ALTER TABLE runs ADD COLUMN progress TEXT", "run_logs", "system_metrics", "launches"],
    4: ["ALTER TABLE versions ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'", "links"],
    5: ["history_blocks", BACKFILL_SQL,
        "CREATE INDEX IF NOT EXISTS edges_by_run ON edges (run_pk, direction, created_at)"],  # the blocks of the history already there (one pass, once)
}
TABLES = frozenset({"meta", "projects", "collections", "versions", "files", "aliases", "runs", "history", "edges",
                    "run_files", "checksum_cache", "pinned_blobs", "run_logs", "system_metrics", "launches",
                    "links", "history_blocks"})
DEFAULT_TIMEOUT = 30.0


def tables_of(version: int) -> frozenset[str]:
    """The tables a store of schema `version` has (the later migrations add the rest)."""
    added = {name for step, statements in MIGRATIONS.items() if step >= version for name in statements
             if " " not in name}
    return TABLES - added


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _create_statement(script: str, table: str) -> str:
    """schema.sql's CREATE TABLE statement for `table` (what a migration adds)."""
    head = f"CREATE TABLE IF NOT EXISTS {table} ("
    for statement in script.split(";\n"):
        if statement.strip().startswith(head) or f"\n{head}" in statement:
            return statement.strip()
    raise ValueError(f"schema.sql has no table {table}")


def _is_full(exc: sqlite3.Error) -> bool:
    return "disk is full" in str(exc).lower()


class Database:
    def __init__(self, path: Path, timeout: float = DEFAULT_TIMEOUT, *, holds_data=lambda: False) -> None:
        """`holds_data()` says whether the store already holds blobs: a missing or empty database beside them is
        a lost database, never a new store."""
        self.path = path
        self.timeout = timeout
        self._local = threading.local()
        self._holds_data = holds_data
        with self.translated():
            self._init_schema()

    # -- errors -----------------------------------------------------------------------------------------------
    def damaged(self, why: str) -> StoreDamagedError:
        why = " ".join(why.split())  # SQLite's integrity reports span lines; the error is one
        return StoreDamagedError(
            f"the store database {self.path} {why}; restore it from a backup (nothing was changed; "
            "`gc` and writes are refused until it is readable)"
        )

    def translate(self, exc: sqlite3.Error) -> ArtifactsError:
        """A sqlite3 error as the store error a user can act on."""
        if _is_full(exc) or ("i/o error" in str(exc).lower() and self._disk_nearly_full()):
            return StoreFullError(f"the disk holding {self.path} is full; free some space and try again "
                                  "(nothing was written)")
        if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
            return StoreBusyError(f"the store {self.path.parent} stayed locked for {self.timeout:.0f} s by another "
                                  "process; try again when it has finished")
        return self.damaged(f"cannot be read ({exc})")

    def _disk_nearly_full(self) -> bool:
        """SQLite reports a full disk as an I/O error where it maps its shared memory: ask the file system."""
        try:
            st = os.statvfs(self.path.parent)
        except OSError:
            return False
        return st.f_bavail * st.f_frsize < (1 << 20)

    @contextlib.contextmanager
    def translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self.translate(exc) from exc

    # -- connections ------------------------------------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self.translated():
                conn = self._connect()
            self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        self._retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
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
        with self.translated():
            self._retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            yield conn
            conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'changes'")
            self._retry_busy(lambda: conn.execute("COMMIT"))
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self.translate(exc) from exc
            raise

    def read(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        conn = self.connection()
        with self.translated():
            return self._retry_busy(lambda: conn.execute(sql, params).fetchall())

    def read_tuples(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        """As `read`, rows as plain tuples: for the hot paths that build thousands of objects by position."""
        conn = self.connection()

        def fetch() -> list[tuple]:
            cursor = conn.cursor()
            cursor.row_factory = None
            return cursor.execute(sql, params).fetchall()

        with self.translated():
            return self._retry_busy(fetch)

    def read_one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        rows = self.read(sql, params)
        return rows[0] if rows else None

    # -- schema -----------------------------------------------------------------------------------------------
    def tables(self) -> set[str]:
        rows = self.read("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {r["name"] for r in rows}

    def check_intact(self, *, full: bool = False) -> None:
        """Raise StoreDamagedError unless the file is there, SQLite reads it as sound and it holds the store's
        schema. `full`: PRAGMA integrity_check (every index too) instead of quick_check."""
        try:
            size = os.stat(self.path).st_size
        except OSError:
            raise self.damaged("is missing") from None
        if size == 0:
            raise self.damaged("is empty")
        pragma = "integrity_check" if full else "quick_check"
        found = [row[0] for row in self.read(f"PRAGMA {pragma}(20)")]
        if found != ["ok"]:
            raise self.damaged("is corrupt (" + "; ".join(map(str, found[:3])) + ")")
        missing = TABLES - self.tables()
        if missing:
            raise self.damaged(f"lacks the store's tables ({', '.join(sorted(missing))})")

    @staticmethod
    def _schema_snapshot(conn: sqlite3.Connection) -> tuple[int, set[str]]:
        """(user_version, tables) read in one transaction: another process creating the schema between two
        separate reads would make a new store look like a foreign database."""
        conn.execute("BEGIN")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.execute("COMMIT")
        return version, tables

    def _init_schema(self) -> None:
        new_file = not self.path.exists() or self.path.stat().st_size == 0
        if new_file and self._holds_data():
            raise self.damaged("is missing" if not self.path.exists() else "is empty")
        conn = self.connection()
        version, tables = self._retry_busy(lambda: self._schema_snapshot(conn))
        if version > 0:
            missing = tables_of(min(version, SCHEMA_VERSION)) - tables
            if missing:
                raise self.damaged(f"lacks the store's tables ({', '.join(sorted(missing))})")
        if version == SCHEMA_VERSION:
            return
        if version == 0:
            if tables:
                raise self.damaged("holds tables that are not a store's (is it another program's database?)")
            if self._holds_data():
                raise self.damaged("holds no store schema while objects/ holds blobs")
        if version > SCHEMA_VERSION:
            raise ArtifactsError(
                f"the store {self.path.parent} was written by a newer artifacts-tui (schema {version}); upgrade"
            )
        from importlib import resources  # only a store being made or upgraded reads the schema

        script = resources.files("core").joinpath("schema.sql").read_text(encoding="utf-8")
        self._retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]  # again: another process may have done it
            if current == 0:
                for statement in script.split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
            else:
                for step in range(current, SCHEMA_VERSION):
                    for statement in MIGRATIONS[step]:
                        conn.execute(_create_statement(script, statement) if " " not in statement else statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

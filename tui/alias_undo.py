"""Alias changes made from the TUI, with an undo stack.

Each change records the version, the alias, and the version that held the alias before (adding an alias moves
it within its collection), so `undo()` can put things back through `store.add_alias` / `store.remove_alias`.
The methods call the store and so run in worker threads; a lock keeps two quick key presses from interleaving.
No Textual here: the explorer screen drives it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal

from core.errors import NotFoundError


class UndoConflict(Exception):
    """The alias changed elsewhere since the recorded change: undoing it would silently overwrite that."""


@dataclass(frozen=True)
class AliasChange:
    action: Literal["add", "remove"]
    ref: str                     # "project/name:vN" that gained or lost the alias
    alias: str
    previous: str | None = None  # for "add": the version that held the alias before (it moved from there)

    @property
    def index(self) -> int:
        return int(self.ref.rsplit(":v", 1)[1])

    def describe(self) -> str:
        """What the change did, for the preview and notifications: "best: v1 -> v3", "best: + v3", "best: - v3"."""
        here = f"v{self.index}"
        if self.action == "remove":
            return f"{self.alias}: removed from {here}"
        if self.previous is None:
            return f"{self.alias}: new on {here}"
        if self.previous == self.ref:
            return f"{self.alias}: already on {here}"
        return f"{self.alias}: {self.previous.rsplit(':', 1)[1]} -> {here}"


def preview(store: Any, version: Any, alias: str) -> AliasChange:
    """The change adding `alias` to `version` would make (reads the store; writes nothing)."""
    holder = store.alias_holder(version.project, version.name, alias)
    return AliasChange("add", version.full_name, alias, holder.full_name if holder is not None else None)


class AliasEditor:
    """Adds and removes aliases on a store, remembering each change so it can be undone (last first)."""

    def __init__(self, store: Any, limit: int = 100) -> None:
        self.store = store
        self._undo: list[AliasChange] = []
        self._limit = limit
        self._lock = threading.Lock()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def add(self, version: Any, alias: str) -> AliasChange:
        with self._lock:
            change = preview(self.store, version, alias)
            self.store.add_alias(version, alias)
            self._push(change)
            return change

    def remove(self, version: Any, alias: str) -> AliasChange:
        with self._lock:
            self.store.remove_alias(version, alias)
            change = AliasChange("remove", version.full_name, alias)
            self._push(change)
            return change

    def undo(self) -> AliasChange | None:
        """Revert the last change; returns it, or None when there is nothing to undo."""
        with self._lock:
            if not self._undo:
                return None
            change = self._undo[-1]
            self._check_unchanged(change)
            version = self.store.artifact(change.ref)
            if change.action == "remove":
                self.store.add_alias(version, change.alias)
            elif change.previous is None:
                try:
                    self.store.remove_alias(version, change.alias)
                except NotFoundError:
                    pass  # someone else removed it already: the state undo wants
            elif change.previous != change.ref:
                self.store.add_alias(self.store.artifact(change.previous), change.alias)
            self._undo.pop()
            return change

    def _check_unchanged(self, change: AliasChange) -> None:
        """Raise `UndoConflict` (dropping the record) unless the alias is where `change` left it."""
        project, rest = change.ref.split("/", 1)
        name = rest.rsplit(":", 1)[0]
        expected = None if change.action == "remove" else change.ref
        version = self.store.alias_holder(project, name, change.alias)
        holder = version.full_name if version is not None else None
        if holder == expected or (holder is None and change.action == "add" and change.previous is None):
            return  # as left (or already back where undo would put it)
        self._undo.pop()
        if holder is None:
            raise UndoConflict(f"{change.alias} was removed from v{change.index} since; not undone")
        raise UndoConflict(f"{change.alias} moved to {holder.rsplit(':', 1)[1]} since; not undone")

    def _push(self, change: AliasChange) -> None:
        self._undo.append(change)
        del self._undo[: -self._limit]

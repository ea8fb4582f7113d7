"""The W&B store's session state: what was fetched (kept until `refresh()`), fetched once however many threads ask,
and the paging of a collection's versions.

The TUI calls the store from several worker threads at once (the tree, the details, the files tab, the poll), so
each cache entry is computed by one thread while the others wait for its result (`SessionCache.get`). A refresh
starts a new generation: results of calls that began before it are handed back to their caller but not kept.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")


class SessionCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[Hashable, Any] = {}
        self._flights: dict[Hashable, threading.Lock] = {}
        self.generation = 0

    def get(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        with self._lock:
            if key in self._values:
                return self._values[key]
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._values:
                    return self._values[key]
                generation = self.generation
            value = compute()
            with self._lock:
                if generation == self.generation:
                    self._values[key] = value
                if self._flights.get(key) is flight:
                    del self._flights[key]
            return value

    def peek(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            return self._values.get(key, default)

    def drop(self, match: Callable[[Hashable], bool]) -> None:
        with self._lock:
            for key in [k for k in self._values if match(k)]:
                del self._values[key]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self.generation += 1


class VersionPager:
    """The versions of one collection as the server pages them (`Api.artifacts(...)`, `per_page` a page).

    The server's order is not part of its contract, so the pager learns it from the first page: newest first (what
    W&B serves) means the TUI's first screen, the newest 200 versions, costs 200 / per_page round trips however
    long the collection is. `slice` answers oldest-first positions, as the local store's `versions()` does.
    """

    def __init__(self, paginator: Any) -> None:
        self._paginator = paginator
        self._iter = iter(paginator)
        self.rows: list[tuple[int, Any]] = []   # (version index, SDK artifact) in server order
        self.done = False
        self.lock = threading.Lock()
        try:
            self.total: int | None = int(len(paginator))  # loads the first page
        except (TypeError, ValueError, NotImplementedError):
            self.total = None

    def _load(self, index_of: Callable[[Any], int], count: int | None) -> None:
        while not self.done and (count is None or len(self.rows) < count):
            try:
                art = next(self._iter)
            except StopIteration:
                self.done = True
                break
            self.rows.append((index_of(art), art))
        if self.done:
            self.total = len(self.rows)

    def _descending(self) -> bool:
        return len(self.rows) < 2 or self.rows[0][0] > self.rows[1][0]

    def slice(self, index_of: Callable[[Any], int], offset: int, limit: int | None) -> list[Any]:
        """Artifacts at oldest-first positions [offset, offset + limit), loading only the pages they need."""
        with self.lock:
            if self.total is None:
                self._load(index_of, None)
            self._load(index_of, min(2, self.total or 0))
            total = self.total or 0
            end = total if limit is None else min(total, offset + max(limit, 0))
            if offset >= end:
                return []
            self._load(index_of, total - offset if self._descending() else end)
            if self.done:
                ordered = sorted(self.rows, key=lambda row: row[0])
                return [art for _, art in ordered[offset:end]]
            if self._descending():
                picked = self.rows[total - end: total - offset]
                return [art for _, art in sorted(picked, key=lambda row: row[0])]
            return [art for _, art in self.rows[offset:end]]

    def find(self, match: Callable[[int, Any], bool]) -> Any | None:
        """An already-loaded artifact that matches (no round trip)."""
        with self.lock:
            return next((art for index, art in self.rows if match(index, art)), None)


def parallel_map(fn: Callable[[_T], _R], items: Iterable[_T], workers: int = 8) -> list[_R]:
    """`[fn(x) for x in items]` on up to `workers` daemon threads (round trips overlap); the first error is raised."""
    items = list(items)
    if len(items) <= 1 or workers <= 1:
        return [fn(item) for item in items]
    results: list[Any] = [None] * len(items)
    errors: list[BaseException] = []
    todo: queue.Queue = queue.Queue()
    for pair in enumerate(items):
        todo.put(pair)

    def work() -> None:
        while not errors:
            try:
                i, item = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results[i] = fn(item)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
                errors.append(exc)

    threads = [threading.Thread(target=work, name="wandb-fetch", daemon=True) for _ in range(min(workers, len(items)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results

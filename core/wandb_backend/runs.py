"""The runs side of the W&B store: runs, their history and media, and the lineage built from them.

Lineage comes from the runs (`run.used_artifacts()` / `run.logged_artifacts()`: one page per run each, fetched in
parallel), never from per-artifact `used_by()` (one round trip per run, unpaged) or `logged_by()`: one pass over a
project answers `logged_by`, `used_by`, `inputs`, `outputs` and the lineage graph. Composed into `WandbStore` (its
`runs_side`); it reaches the server through `store.client` and shares the store's session cache and identity maps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core import names
from core.errors import NotFoundError
from core.values import ArtifactVersion, LineageEdge, RunInfo
from core.wandb_backend.convert import history_row, version_key
from core.wandb_backend.session_cache import parallel_map

HISTORY_STEPS = 100_000   # steps one history() call reads at most; the caller continues with after_step


class WandbRuns:
    """The runs side of one `WandbStore` (composed into it as `store.runs_side`)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def _runs(self, project: str) -> list[tuple[Any, RunInfo]]:
        """(SDK run, RunInfo) pairs, newest first; ties: the later-listed (later-created) run first."""
        def compute():
            fetched = self.store._listing(project, ("runs", project), f"listing the runs of {self.store.path(project)}",
                                    lambda api: list(api.runs(self.store.path(project), per_page=self.store.per_page,
                                                              lazy=False)))
            pairs = [(run, self.store._run_info(run, project)) for run in fetched or []]
            order = sorted(range(len(pairs)), key=lambda i: (pairs[i][1].created_at, i), reverse=True)
            return [pairs[i] for i in order]

        return self.store._session.get(("run-infos", project), compute)

    def runs(self, project: str) -> list[RunInfo]:
        return [info for _, info in self._runs(project)]

    def run(self, project: str, run_id: str) -> RunInfo:
        return self._run_pair(project, run_id)[1]

    def _run_pair(self, project: str, run_id: str) -> tuple[Any, RunInfo]:
        for run, info in self._runs(project):
            if info.id == run_id:
                return run, info
        raise NotFoundError(f"no run {run_id!r} in W&B project {self.store.path(project)}")

    def _edges(self, project: str) -> dict[str, dict[str, list[Any]]]:
        """run id -> {"input": [SDK artifacts], "output": [...]}, for every run of the project."""
        def one_run(run: Any) -> tuple[str, dict[str, list[Any]]]:
            what = f"reading the artifacts of run {run.id} in {self.store.path(project)}"
            used = self.store.client.call(what, lambda api: list(run.used_artifacts(per_page=100)))
            logged = self.store.client.call(what, lambda api: list(run.logged_artifacts(per_page=100)))
            return str(run.id), {"input": used, "output": logged}

        def compute():
            oldest_first = [run for run, _ in reversed(self._runs(project))]
            return dict(parallel_map(one_run, oldest_first))

        return self.store._session.get(("edges", project), compute)

    def lineage_edges(self, project: str) -> list[LineageEdge]:
        edges = []
        for run_id, sides in self._edges(project).items():
            for direction in ("input", "output"):
                for art in sides[direction]:
                    version = self.store._version(art)
                    edges.append(LineageEdge(run_id, version.project, version.name, version.index, version.type,
                                             direction))
        return edges

    def _runs_with(self, vid: int, direction: str) -> list[RunInfo]:
        key = self._keys_of(vid)
        by_id = {info.id: info for _, info in self._runs(key[0])}
        found = [by_id[run_id] for run_id, sides in self._edges(key[0]).items()
                 if run_id in by_id and any(version_key(a) == key for a in sides[direction])]
        return sorted(found, key=lambda info: info.created_at)

    def _keys_of(self, vid: int) -> tuple[str, str, int]:
        with self.store._lock:
            key = self.store._keys.get(vid)
        if key is None:
            raise NotFoundError(f"version {vid} is not from this W&B store")
        return key

    def logged_by(self, vid: int) -> RunInfo | None:
        producers = self._runs_with(vid, "output")
        return producers[0] if producers else None

    def used_by(self, vid: int) -> list[RunInfo]:
        return self._runs_with(vid, "input")

    def run_versions(self, run_pk: int, direction: str) -> list[ArtifactVersion]:
        with self.store._lock:
            project, run_id = self.store._run_keys[run_pk]
        return [self.store._version(a) for a in self._edges(project).get(run_id, {}).get(direction, [])]


    def _find_run(self, run_id: Any) -> tuple[Any, RunInfo]:
        if isinstance(run_id, RunInfo):
            return self._run_pair(run_id.project, run_id.id)
        with self.store._lock:
            projects = [p for (p, rid) in self.store._run_pks if rid == str(run_id)]
        if not projects and self.store.default_project:
            projects = [self.store.default_project]
        for project in projects:
            try:
                return self._run_pair(project, str(run_id))
            except NotFoundError:
                continue
        raise NotFoundError(f"no run {run_id!r} seen on W&B ({self.store.entity}); list its project's runs first")

    def history(self, run_id: Any, after_step: int | None = None) -> list[dict]:
        run, info = self._find_run(run_id)
        start = -1 if after_step is None else int(after_step)
        key = ("history", info.project, info.id)
        done = self.store._session.peek(key)
        if done is not None:
            return [row for row in done if row["_step"] > start]
        # scan_history has no timeout of its own: the deadline and the step bound keep it finite
        rows = self.store.client.call(
            f"reading the history of run {info.id} in {self.store.path(info.project)}",
            lambda api: [history_row(r) for r in run.scan_history(
                min_step=start + 1, max_step=start + 1 + HISTORY_STEPS, page_size=1000)])
        rows.sort(key=lambda row: row["_step"])
        if after_step is None and info.state != "running" and len(rows) < HISTORY_STEPS:
            self.store._session.get(key, lambda: rows)  # a finished run's history does not change
        return rows

    def media_path(self, run_id: str, relpath: str) -> Path:
        relpath = names.check_path(relpath)
        run, info = self._find_run(run_id)
        base = self.store.cache.media_dir(self.store.client.host, self.store.entity, info.project, info.id)
        path = base / relpath
        if not path.exists() and callable(getattr(run, "file", None)):
            base.mkdir(parents=True, exist_ok=True)
            self.store.client.call(f"downloading {relpath} of run {info.id}",
                         lambda api: run.file(relpath).download(root=str(base), replace=True))
        return path


"""`core.init` and `core.Run`: the wandb.init-style API over the embedded store.

A run is a row in the store from `init` on, beating a heartbeat so that a dead process shows as "crashed".
`run.log` is buffered in memory and flushed by a background thread about twice a second (and at finish), so a
training loop pays microseconds per call while a TUI in another process still follows the rows live.
"""

from __future__ import annotations

import atexit
import math
import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from core import names, writes
from core.artifact import Artifact, coerce_for_logging
from core.blobs import BlobBatch
from core.errors import ValidationError
from core.gc_pause import gc_paused
from core.hashing import PROCESS_CACHE, StatKey, key_path
from core.media import Image
from core.system_metrics import SystemSampler
from core.values import ArtifactVersion
from core.store import Store, open_store

FLUSH_INTERVAL_S = 0.5
HEARTBEAT_INTERVAL_S = 10.0
MAX_BUFFERED_ROWS = 10_000
_PRIMITIVES = frozenset((int, float, str, bool, type(None)))
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class Config(dict):
    """The run's config: a dict with attribute access (`config.batch_size`), saved on every change."""

    def __init__(self, data: Mapping | None = None, on_change=None) -> None:
        super().__init__()
        object.__setattr__(self, "_on_change", None)
        self.update(data or {})
        object.__setattr__(self, "_on_change", on_change)

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"config has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, names.clean_json_value(value, f"config.{key}"))
        self._changed()

    def update(self, other=(), /, **kwargs) -> None:  # type: ignore[override]
        data = dict(other, **kwargs)
        if hasattr(other, "__dict__") and not isinstance(other, Mapping):  # argparse.Namespace
            data = dict(vars(other), **kwargs)
        for key, value in data.items():
            super().__setitem__(str(key), names.clean_json_value(value, f"config.{key}"))
        self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()


class Summary(Config):
    """The run's summary: the last value of each logged key unless set explicitly; saved on update."""


class Run:
    def __init__(self, store: Store, project: str, job_type: str | None, config: Mapping | None, name: str | None,
                 run_id: str | None = None, tags: Iterable[str] = (), notes: str | None = None,
                 group: str | None = None) -> None:
        names.check_project(project)
        if job_type is not None and (not isinstance(job_type, str) or not job_type or len(job_type) > 128):
            raise ValidationError(f"job_type must be a non-empty string of at most 128 characters, got {job_type!r}")
        names.check_text(job_type, "job_type")
        names.check_text(name, "run name", limit=128)
        names.check_text(notes, "run notes")
        names.check_text(group, "run group", limit=128)
        for tag in tags:
            names.check_text(tag, "run tag", limit=128)
        cfg = names.clean_json_value(dict(config or {}), "config")
        self.store = store
        self.project = project
        self.job_type = job_type
        self._pk, self.id, self.name = writes.create_run(
            store, project=project, job_type=job_type, config=cfg, name=name, run_id=run_id,
            tags=list(tags), notes=notes, group=group)
        self.config = Config(cfg, on_change=self._save_config)
        self.summary = Summary(on_change=self._save_summary)
        self.tags, self.notes, self.group = list(tags), notes, group
        self.state = "running"
        self._lock = threading.Lock()
        self._rows: dict[int, dict] = {}
        self._step = 0
        self._open_step: int | None = None
        self._summary_dirty = False
        self._lines: list[tuple[float, str]] = []
        self._progress: dict | None = None
        self._system: list[tuple[float, dict]] = []
        self._sampler = SystemSampler()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"run-{self.id}-heartbeat", daemon=True)
        self._thread.start()
        atexit.register(self._finish_at_exit)  # as wandb: a script that never calls finish() keeps its rows

    def __repr__(self) -> str:
        return f"Run({self.project}/{self.name}, id={self.id}, job_type={self.job_type!r}, state={self.state!r})"

    @property
    def step(self) -> int:
        return self._step

    # -- persistence ------------------------------------------------------------------------------------------
    def _save_config(self) -> None:
        writes.update_run(self.store, self._pk, config=dict(self.config))

    def _save_summary(self) -> None:
        writes.update_run(self.store, self._pk, summary=dict(self.summary))

    def _beat(self) -> None:
        last_beat = time.monotonic()
        while not self._stop.wait(FLUSH_INTERVAL_S):
            try:
                if self._sampler.due():
                    row = self._sampler.sample()
                    if row:
                        with self._lock:
                            self._system.append((time.time(), row))
                if self._pending() or time.monotonic() - last_beat > HEARTBEAT_INTERVAL_S:
                    self.flush()
                    last_beat = time.monotonic()
            except Exception:  # a busy store must not kill the heartbeat; the next tick retries
                pass

    def _pending(self) -> bool:
        return bool(self._rows or self._lines or self._progress is not None or self._system)

    def flush(self) -> None:
        """Write buffered history rows (and the summary they changed), log lines, progress and system metrics to
        the store now."""
        with self._lock:
            rows, self._rows = self._rows, {}
            summary = dict(self.summary) if self._summary_dirty else None
            self._summary_dirty = False
            lines, self._lines = self._lines, []
            progress, self._progress = self._progress, None
            system, self._system = self._system, []
        writes.append_history(self.store, self._pk, sorted(rows.items()), summary, lines=lines, progress=progress,
                              system=system)

    # -- what a viewer of the run sees besides its history --------------------------------------------------
    def log_line(self, text: str) -> None:
        """A line of the run's output (the stage's log lines), kept in the store for every viewer."""
        with self._lock:
            self._lines.append((time.time(), str(text)))

    def set_progress(self, progress: Mapping[str, Any]) -> None:
        """Where the run is (stage, done, total, unit, epoch...); the latest value wins at each flush."""
        with self._lock:
            self._progress = {**names.clean_json_value(dict(progress), "progress"), "at": time.time()}

    # -- logging ----------------------------------------------------------------------------------------------
    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool | None = None) -> None:
        """Log a row of metrics at `step` (default: the next step). Logging twice at one step merges the rows."""
        self._check_open()
        if not isinstance(data, Mapping):
            raise ValidationError(f"run.log takes a dict of metrics, got {type(data).__name__}")
        if step is not None:
            if not isinstance(step, int) or step < 0:
                raise ValidationError(f"step must be a non-negative integer, got {step!r}")
            if step < self._step and step != self._open_step:
                import warnings

                warnings.warn(f"run.log at step {step} is older than the current step {self._step}; ignored",
                              stacklevel=2)
                return
            at = step
        else:
            at = self._open_step if self._open_step is not None else self._step
        row = {}
        for key, value in data.items():
            if not isinstance(key, str) or not key:
                raise ValidationError(f"metric names must be non-empty strings, got {key!r}")
            kind = type(value)
            if kind not in _PRIMITIVES or (kind is int and not _INT64_MIN <= value <= _INT64_MAX):
                value = self._convert(key, value, at)  # media, containers, numpy scalars, huge ints: checked
            elif kind is float and not math.isfinite(value):
                value = None  # NaN and ±inf (a diverged loss): JSON has no value for them, so null, as W&B charts
            row[key] = value
        with self._lock:
            existing = self._rows.get(at)
            if existing is None:
                self._rows[at] = row
            else:
                existing.update(row)
            for key, value in row.items():
                if not isinstance(value, (dict, list)):
                    dict.__setitem__(self.summary, key, value)
            self._summary_dirty = True
            pending = len(self._rows)
        if commit is False or (step is not None and commit is None):
            # the row stays open (as in wandb): later rows at its step, or without a step, merge into it
            self._open_step, self._step = at, at
        else:
            self._open_step, self._step = None, at + 1
        if pending >= MAX_BUFFERED_ROWS:
            self.flush()

    def _convert(self, key: str, value: Any, step: int) -> Any:
        if isinstance(value, Image):
            return self._save_image(key, value, step, 0)
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, Image) for v in value):
            return [self._save_image(key, v, step, i) for i, v in enumerate(value)]
        return names.clean_json_value(value, key)

    def _save_image(self, key: str, image: Image, step: int, i: int) -> dict:
        safe_key = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in key)[:64] or "image"
        rel = f"{safe_key}_{step}_{i}.png"
        path = self.store.media_path(self.id, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save_png(path)
        return image.to_row(rel)

    # -- artifacts --------------------------------------------------------------------------------------------
    def use_artifact(self, ref: str | ArtifactVersion, type: str | None = None, aliases=None) -> ArtifactVersion:
        """Record that this run used a version: "name", "name:alias", "name:vN", "project/name:alias" or a
        version object. -> the ArtifactVersion (call `.download()` for its files)."""
        self._check_open()
        if isinstance(ref, ArtifactVersion):
            version = ref
        elif isinstance(ref, str):
            version = self.store.artifact(ref, project=self.project)
        elif hasattr(ref, "qualified_name") and hasattr(ref, "project"):
            version = self.store.artifact(f"{ref.project}/{ref.qualified_name}")
        else:
            raise ValidationError(f"use_artifact takes 'name:alias' or a logged version, got {ref.__class__.__name__}")
        if type is not None and version.type != type:
            raise ValidationError(f"{version.full_name} is of type {version.type!r}, not {type!r}")
        writes.record_input(self.store, self._pk, version.id)
        return version

    def log_artifact(self, artifact, name: str | None = None, type: str | None = None,
                     aliases: Iterable[str] | None = None, tags=None) -> ArtifactVersion:
        """Store the artifact's files and commit a version (or return the existing version with the same
        content). `aliases` may include "latest" (a no-op: the store manages it). -> the ArtifactVersion."""
        self._check_open()
        artifact, wanted = coerce_for_logging(artifact, name, type, aliases)
        try:
            return log_files(self.store, artifact, self.project, wanted, run_pk=self._pk)
        finally:
            artifact.cleanup()

    def save(self, path: str | os.PathLike, base_path: str | None = None, policy: str = "live") -> list[str]:
        """Keep a file with the run (as `wandb.save`): stored as a blob, listed by `RunInfo.files()`."""
        self._check_open()
        import glob

        from core.hashing import MD5

        saved = []
        for match in sorted(glob.glob(os.fspath(path))) or [os.fspath(path)]:
            src = Path(match)
            if not src.is_file():
                raise ValidationError(f"cannot save {match!r} with the run: no such file")
            rel = names.check_path(src.relative_to(base_path).as_posix() if base_path else src.name)
            batch = BlobBatch(self.store.blobs)
            try:
                blob = batch.add_file(src, MD5)
                batch.publish()
                writes.add_run_file(self.store, self._pk, rel, blob.digest, MD5, blob.size)
            finally:
                batch.close()
            saved.append(rel)
        return saved

    # -- ending -----------------------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self.state != "running":
            raise ValidationError(f"run {self.name} has already ended ({self.state}); start a new one with init()")

    def _finish_at_exit(self) -> None:
        if self.state == "running":
            self.finish()

    def finish(self, exit_code: int | None = None, *, state: str | None = None, error: str | None = None) -> None:
        """End the run: "finished" (or "failed" for a non-zero exit_code, or the given state)."""
        if self.state != "running":
            return
        atexit.unregister(self._finish_at_exit)
        state = state or ("failed" if exit_code else "finished")
        if state not in {"finished", "failed", "cancelled", "crashed"}:
            raise ValidationError(f"unknown run state {state!r}")
        self._stop.set()
        self._thread.join()
        with self._lock:
            self._summary_dirty = True
        self.flush()
        writes.update_run(self.store, self._pk, state=state, error=error)
        self.state = state

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.finish(**exit_state(exc_type, exc))
        return False


def exit_state(exc_type, exc) -> dict:
    """How a run ends when its `with` block is left: finished; cancelled on Ctrl-C or an exception carrying
    `run_state = "cancelled"` (core.pipeline.Cancelled); failed otherwise. -> `finish()` keyword arguments."""
    if exc_type is None:
        return {}
    if issubclass(exc_type, KeyboardInterrupt):
        return {"state": "cancelled", "error": "interrupted"}
    state = getattr(exc, "run_state", "failed")
    return {"state": state if state in {"failed", "cancelled"} else "failed", "error": f"{exc_type.__name__}: {exc}"}


def log_files(store: Store, artifact: Artifact, project: str, aliases: list[str], run_pk: int | None):
    """Copy the artifact's files into the blob store (skipping unchanged, already-stored files) and commit."""
    with gc_paused():
        return _log_files(store, artifact, project, aliases, run_pk)


def _log_files(store: Store, artifact: Artifact, project: str, aliases: list[str], run_pk: int | None):
    writes.check_collection_type(store, project, artifact.name, artifact.type)
    names.check_metadata(artifact.metadata)
    names.check_text(artifact.description, "description")  # again: set after construction, checked before any blob
    sources = artifact.source_names()
    alg = artifact.alg
    # A file either cache has seen is stat'ed first (unchanged and stored: nothing to read); any other is read at
    # once, and its cache key comes from the fstat of the opened file (the same fields, one system call fewer).
    paths = {path: key_path(src) for path, src in sources.items()}
    rows = writes.cached_rows(store, list(paths.values()), alg)
    knows = PROCESS_CACHE.knows
    batch = BlobBatch(store.blobs, expected=len(sources))
    try:
        entries, cache = [], []
        add, confinement, row = batch.add_file, artifact.confinement, writes.ManifestRow
        for path, src in sources.items():
            where = paths[path]
            key = known = None
            try:
                if where in rows or knows(where, alg):
                    key = StatKey.of(src)
                    known = PROCESS_CACHE.get(key, alg) or writes.cached_digest(rows.get(where), key)
                blob = add(src, alg, (known, key.size) if known else None, confinement(path))
            except FileNotFoundError as exc:
                if exc.filename != src:
                    raise
                raise ValidationError(f"artifact {artifact.name!r}: file {src} (for {path!r}) disappeared") from None
            entries.append(row(path, blob.digest, blob.size))
            if not artifact.is_staged(src):  # new_file's temp files are never seen again
                if (st := blob.source) is not None:
                    key = StatKey(where, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
                PROCESS_CACHE.put(key, alg, blob.digest)
                cache.append((key, blob.digest))
        batch.publish()
        return writes.commit_version(
            store, run_pk=run_pk, project=project, name=artifact.name, type_=artifact.type, alg=alg, entries=entries,
            description=artifact.description, metadata=artifact.metadata, aliases=aliases, cache=cache)
    finally:
        batch.close()


def init(project: str | None = None, job_type: str | None = None, config: Mapping | None = None,
         name: str | None = None, store: Store | None = None, *, id: str | None = None,
         tags: Iterable[str] = (), notes: str | None = None, group: str | None = None) -> Run:
    """Start a run in `project` (default "uncategorized", as W&B) on `store` (default: `open_store()`), through
    the store's `start_run` (the local store's is a `Run`; the W&B store's logs through `wandb.init`)."""
    store = store if store is not None else open_store()
    return store.start_run(project=project or "uncategorized", job_type=job_type, config=config, name=name,
                           id=id, tags=tags or (), notes=notes, group=group)

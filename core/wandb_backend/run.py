"""Runs on a W&B server with `core.Run`'s surface, so the pipeline stages log to W&B unchanged.

`core.init(..., store=WandbStore)` returns a `WandbRun` (through `WandbStore.start_run`): it opens the run with
`wandb.init` (same job types, names, config and aliases as on the local store), turns `core.Artifact` into
`wandb.Artifact` and `core.Image` into `wandb.Image`, and hands back the store's `ArtifactVersion`s, so
`version.download()` and `logged_by()` work as they do locally. Files a run logs are also copied into the local
blob store, keyed by digest: the next stage reads them without downloading them back.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from core import names
from core.artifact import Artifact, coerce_for_logging
from core.errors import ValidationError
from core.hashing import MD5
from core.media import Image
from core.values import ArtifactVersion
from core.run import Config, Summary, exit_state


def _wandb() -> Any:
    os.environ["WANDB_SILENT"] = "true"
    import wandb

    return wandb


class WandbRun:
    def __init__(self, store: Any, *, project: str, job_type: str | None = None, config: Mapping | None = None,
                 name: str | None = None, id: str | None = None, tags: Iterable[str] = (), notes: str | None = None,
                 group: str | None = None) -> None:
        names.check_project(project)
        cfg = names.clean_json_value(dict(config or {}), "config")
        self.store, self.project, self.job_type = store, project, job_type
        self._sdk = store.client.sdk or _wandb()
        settings = self._sdk.Settings(silent=True, console="off") if hasattr(self._sdk, "Settings") else None
        self._wb = store.client.call(
            f"starting a {job_type or 'run'} run in {store.path(project)}",
            lambda api: self._sdk.init(entity=store.entity, project=project, job_type=job_type, config=cfg, name=name,
                                       id=id, tags=list(tags) or None, notes=notes, group=group,
                                       reinit="create_new", settings=settings),
            target=store.path(project), timeout=None)
        self.id, self.name = str(self._wb.id), str(self._wb.name)
        self.config = Config(cfg, on_change=self._push_config)
        self.summary = Summary(on_change=self._push_summary)
        self.state = "running"
        store.forget_project(project)

    def __repr__(self) -> str:
        return f"WandbRun({self.project}/{self.name}, id={self.id}, job_type={self.job_type!r}, state={self.state!r})"

    def log_line(self, text: str) -> None:
        """Kept by wandb itself: the run's console output is its output.log (this run's process prints it)."""

    def set_progress(self, progress) -> None:
        """W&B has no progress field; the history and the console say where the run is."""

    def _push_config(self) -> None:
        self._wb.config.update(dict(self.config), allow_val_change=True)

    def _push_summary(self) -> None:
        self._wb.summary.update(dict(self.summary))

    def _check_open(self) -> None:
        if self.state != "running":
            raise ValidationError(f"run {self.name} has already ended ({self.state}); start a new one with init()")

    # -- logging ------------------------------------------------------------------------------------------------
    def _convert(self, value: Any) -> Any:
        if isinstance(value, Image):
            return self._sdk.Image(value._pil, caption=value.caption)
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, Image) for v in value):
            return [self._convert(v) for v in value]
        return value

    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool | None = None) -> None:
        self._check_open()
        if not isinstance(data, Mapping):
            raise ValidationError(f"run.log takes a dict of metrics, got {type(data).__name__}")
        row = {str(key): self._convert(value) for key, value in data.items()}
        self._wb.log(row, step=step, commit=commit)
        for key, value in data.items():  # the summary keeps the last scalar, as on the local store
            if isinstance(value, (int, float, str, bool)) or value is None:
                dict.__setitem__(self.summary, str(key), value)

    # -- artifacts ------------------------------------------------------------------------------------------------
    def use_artifact(self, ref: str | ArtifactVersion, type: str | None = None, aliases=None) -> ArtifactVersion:
        self._check_open()
        version = ref if isinstance(ref, ArtifactVersion) else self.store.artifact(ref, project=self.project)
        if type is not None and version.type != type:
            raise ValidationError(f"{version.full_name} is of type {version.type!r}, not {type!r}")
        full = f"{self.store.path(version.project, version.name)}:v{version.index}"
        self.store.client.call(f"recording that run {self.name} uses {version.full_name}",
                           lambda api: self._wb.use_artifact(full), target=full)
        self.store.forget_project(self.project)
        return version

    def log_artifact(self, artifact: Any, name: str | None = None, type: str | None = None,
                     aliases: Iterable[str] | None = None, tags=None) -> ArtifactVersion:
        """Log to the server, wait for the version number, keep the files locally; -> the store's version.
        Content equal to an existing version gives that version back (W&B's dedup, as the local store's)."""
        self._check_open()
        artifact, wanted = coerce_for_logging(artifact, name, type, aliases)
        if artifact.alg != MD5:
            raise ValidationError(f"artifact {artifact.name!r} uses {artifact.alg}; logging to W&B needs MD5 digests")
        existing = self.store.collection_types(self.project).get(artifact.name)
        if existing is not None and existing != artifact.type:  # W&B refuses it too, less clearly
            raise ValidationError(f"artifact {self.project}/{artifact.name} is of type {existing!r}, not "
                                  f"{artifact.type!r}")
        try:
            sources = artifact.sources()
            target = f"{self.store.path(self.project, artifact.name)}"
            logged = self.store.client.call(f"logging {artifact.name} to {self.store.path(self.project)}",
                                        lambda api: self._log(artifact, sources, wanted), target=target,
                                        timeout=None)
            files = self.store.cache.keep_logged(MD5, sources)
            self.store.cache.save_manifest(MD5, str(logged.digest), files)
        finally:
            artifact.cleanup()
        self.store.forget_collection(self.project, artifact.name)
        self.store.forget_project(self.project)
        return self.store.artifact(f"{self.project}/{artifact.name}:{logged.version}")

    def _log(self, artifact: Artifact, sources: dict[str, Path], aliases: list[str]) -> Any:
        wa = self._sdk.Artifact(artifact.name, type=artifact.type, description=artifact.description,
                                metadata=dict(artifact.metadata))
        for path, src in sorted(sources.items()):
            wa.add_file(str(src), name=path)
        logged = self._wb.log_artifact(wa, aliases=aliases or None)
        logged.wait()
        return logged

    # -- ending ---------------------------------------------------------------------------------------------------
    def finish(self, exit_code: int | None = None, *, state: str | None = None, error: str | None = None) -> None:
        if self.state != "running":
            return
        state = state or ("failed" if exit_code else "finished")
        self._wb.finish(exit_code=0 if state == "finished" else (exit_code or 1))
        self.state = state
        self.store.forget_project(self.project)

    def __enter__(self) -> "WandbRun":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.finish(**exit_state(exc_type, exc))  # the same end states as a local run (Cancelled -> cancelled)
        return False

"""What every pipeline stage shares: its inputs named by `name:alias`, its run, and its outcome told as events.

`execute_stage` resolves a stage's inputs before opening its run (a missing one is a `NotFoundError` naming it and
leaves no run behind), opens the run with the stage's job type and config, hands the stage body a `StageContext` for
its events, and turns the outcome into `StageFinished` or `StageFailed` plus a `StageResult` for the caller.
`Cancelled` and Ctrl-C end the run "cancelled" (the run API reads `Cancelled.run_state`) and propagate.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import names
from core.errors import NotFoundError, ValidationError
from core.pipeline.config import check_dataset
from core.pipeline.registry import DEFAULT_PROJECT, STAGE_INPUTS, STAGES, Stage
from core.pipeline.events import (
    Cancelled,
    Event,
    EventCallback,
    LoggedVersion,
    LogLine,
    Progress,
    StageFailed,
    StageFinished,
    StageStarted,
)

if TYPE_CHECKING:
    from core import ArtifactVersion, Store

__all__ = [
    "DEFAULT_PROJECT",
    "STAGES",
    "STAGE_INPUTS",
    "StageContext",
    "StageResult",
    "check_inputs",
    "download_input",
    "execute_stage",
    "input_refs",
    "open_store",
    "stage_config",
]



@dataclass(frozen=True)
class StageResult:
    """What a finished stage did: its run, the versions it logged, its run summary."""

    stage: str
    project: str
    run_id: str
    outputs: tuple[LoggedVersion, ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)


def _noop(_event: Event) -> None:
    return None


def _split_ref(ref: str) -> tuple[str, str]:
    """("name", "alias") of "name:alias", "project/name:alias" or "name" (alias "latest")."""
    _project, name, alias = names.split_ref(ref)
    return name, alias


def _inputs_of(stage: str | Stage) -> tuple[str, ...]:
    """A stage's input names: a `Stage`'s own, or a tutorial stage's by name (`registry.STAGE_INPUTS`)."""
    return stage.inputs if isinstance(stage, Stage) else STAGE_INPUTS[stage]


def input_refs(stage: str | Stage, inputs: Iterable[str] = ()) -> dict[str, str]:
    """The `name:alias` each input of `stage` is read from: "name:latest" unless `inputs` names that artifact.

    References to artifacts the stage does not use are ignored here (the pipeline hands every stage all of them);
    `check_inputs` tells a user about ones no stage uses.
    """
    refs = {name: f"{name}:latest" for name in _inputs_of(stage)}
    for ref in inputs:
        name, alias = _split_ref(str(ref))
        if name in refs:
            refs[name] = ref if ":" in ref else f"{ref}:latest"
    return refs


def check_inputs(stages: Sequence[str | Stage], inputs: Iterable[str]) -> None:
    """A `ValidationError` for an input reference that none of `stages` reads (a typo would otherwise be ignored)."""
    used = {name for stage in stages for name in _inputs_of(stage)}
    stages = [stage.name if isinstance(stage, Stage) else stage for stage in stages]
    for ref in inputs:
        name, alias = _split_ref(str(ref))
        if not name or not alias:
            raise ValidationError(f"input {ref!r} must be NAME:ALIAS, e.g. mnist-preprocess:v0")
        if name not in used:
            wanted = ", ".join(sorted(used)) or "none"
            raise ValidationError(f"input {ref!r}: {' / '.join(stages)} does not use {name!r} (it uses: {wanted})")


class StageContext:
    """One stage invocation: the event callback bound to the stage name, and the run once it is open."""

    def __init__(self, stage: str, project: str, on_event: EventCallback | None) -> None:
        self.stage = stage
        self.project = project
        self.emit: EventCallback = on_event or _noop
        self.run_id = ""

    def log_line(self, text: str) -> None:
        self.emit(LogLine(self.stage, text))

    def progress(self, done: int, total: int, unit: str, epoch: int | None = None) -> None:
        self.emit(Progress(self.stage, done, total, unit, epoch))

    def attach(self, run: Any) -> None:
        """Record the stage's log lines and progress on its run too, so that every viewer of the store (the TUI's
        runner, another shell) sees them; the caller's callback still gets every event first-hand."""
        forward = self.emit
        log_line, set_progress = run.log_line, run.set_progress

        def emit(event: Event) -> None:
            if type(event) is LogLine:
                log_line(event.text)
            elif type(event) is Progress:
                set_progress({"stage": event.stage, "done": event.done, "total": event.total, "unit": event.unit,
                              "epoch": event.epoch})
            forward(event)

        self.emit = emit

    def final(self, event: Event) -> None:
        # The stage is already over: a Cancelled raised now has nothing left to stop.
        try:
            self.emit(event)
        except Cancelled:
            pass


def open_store(store: Store | None) -> Store:
    import core

    return store if store is not None else core.open_store()


def _resolve_inputs(store: Store, project: str, stage: str, refs: Mapping[str, str]) -> dict[str, ArtifactVersion]:
    resolved = {}
    for name, ref in refs.items():
        try:
            resolved[name] = store.artifact(ref, project=project)
        except NotFoundError as exc:
            raise NotFoundError(
                f"stage {stage!r} needs input {ref!r}, which is not in project {project!r} ({exc}); run the stage "
                f"that logs {name!r} first, or pick an existing version (artifacts-tui ls {project})"
            ) from None
    return resolved


def _logged(run: Any, version: ArtifactVersion) -> LoggedVersion:
    producer = version.logged_by()
    return LoggedVersion(
        project=version.project, name=version.name, version=version.version, type=version.type,
        aliases=tuple(version.aliases), created=producer is None or producer.id == run.id,
    )


def execute_stage(
    stage: str,
    *,
    project: str,
    store: Store | None,
    config: Mapping[str, Any],
    refs: Mapping[str, str],
    on_event: EventCallback | None,
    body: Callable[[StageContext, Any, dict[str, ArtifactVersion]], list[ArtifactVersion]],
    group: str | None = None,
) -> StageResult:
    """Open the stage's run (in run group `group`, when given) around `body`, turning its outcome into events and a
    `StageResult`."""
    import core

    ctx = StageContext(stage, project, on_event)
    try:
        names.check_group(group)
        store = open_store(store)
        resolved = _resolve_inputs(store, project, stage, refs)
        with core.init(project=project, job_type=stage, config=dict(config), store=store, group=group) as run:
            ctx.run_id = run.id
            ctx.attach(run)
            ctx.emit(StageStarted(stage, project, run.id, tuple(v.qualified_name for v in resolved.values())))
            versions = body(ctx, run, resolved)
            outputs = tuple(_logged(run, v) for v in versions)
            summary = dict(run.summary)
    except Cancelled as exc:
        ctx.final(StageFailed(stage, project, ctx.run_id, str(exc), state="cancelled"))
        raise
    except KeyboardInterrupt:
        ctx.final(StageFailed(stage, project, ctx.run_id, "interrupted", state="cancelled"))
        raise
    except Exception as exc:
        ctx.final(StageFailed(stage, project, ctx.run_id, str(exc) or type(exc).__name__, state="failed"))
        raise
    for out in outputs:
        note = "" if out.created else " (same content as before: no new version)"
        ctx.final(LogLine(stage, f"logged {out.qualified_name} [{', '.join(out.aliases)}]{note}"))
    ctx.final(StageFinished(stage, project, ctx.run_id, outputs, summary))
    return StageResult(stage, project, ctx.run_id, outputs, summary)


def download_input(version: ArtifactVersion, download_root: str | os.PathLike[str] | None) -> Path:
    root = None if download_root is None else Path(download_root) / version.qualified_name
    return Path(version.download(root=root))


def stage_config(base: Mapping[str, Any], dataset: str | None) -> dict[str, Any]:
    config = dict(base)
    if dataset is not None:
        config["dataset"] = check_dataset(dataset)
    return config

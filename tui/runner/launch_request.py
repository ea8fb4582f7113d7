"""What the runner launches: a stage (the tutorial's, all five as "pipeline", or one of the user's) with its project,
dataset, pinned inputs and settings, and the plain function that runs it.

`LaunchRequest` is the value the launch form returns and the job queue runs; it knows nothing of Textual, so the
same request runs headless (`run_request`) in tests and benchmarks, and `cli_args()` gives the `artifacts-tui run`
arguments that launch it in a child process. What a stage is (its inputs, outputs, label, settings) comes from the
stage registry (`core.pipeline.registry`); the user's stages are listed by a child process (`stage_catalog`), so the
TUI process never imports their modules. Validation reuses the pipeline's own checks, so the form refuses exactly
what a stage would refuse, before any run is opened.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.pipeline import Cancelled, EventCallback
from core.pipeline.registry import DEFAULT_PROJECT, PIPELINE, Registry, Stage, StageCall, tutorial_registry

__all__ = [
    "PIPELINE", "PRODUCERS", "STAGE_CHOICES", "LaunchRequest", "known_stages", "missing_input_hint", "run_request",
    "stage_catalog", "stage_inputs", "uses_training_config",
]

STAGE_CHOICES = tutorial_registry().names()  # "pipeline" and the tutorial's five; `stage_catalog()` adds the user's
PRODUCERS = tutorial_registry().producers()  # the stage that logs each input, for messages that say what to run first

_catalog: Registry | None = None
_catalog_lock = threading.Lock()


def stage_catalog(*, refresh: bool = False) -> Registry:
    """Every stage a launch can name: the tutorial's and the user's (entry points, `$ARTIFACTS_TUI_STAGES`), as a
    child process lists them. Read once per process (blocking: call it from a worker); `refresh` reads again.
    What could not be loaded is in `.problems`."""
    global _catalog
    with _catalog_lock:
        if _catalog is None or refresh:
            from core.pipeline.user_stages import describe_user_stages

            _catalog = describe_user_stages()
        return _catalog


def known_stages() -> Registry:
    """The catalog as far as it has been read (the tutorial's stages until `stage_catalog` has run); never blocks."""
    return _catalog if _catalog is not None else tutorial_registry()


def _lookup(stage: str) -> Stage | None:
    registry = known_stages()
    return registry.get(stage) if stage in registry else None


def uses_training_config(stage: str) -> bool:
    """Whether epochs, batch size, optimizer, interval and device matter to `stage`."""
    found = _lookup(stage)
    return bool(found and found.uses_training_config)


def _text(value: Any) -> str:
    """A setting as `--config` reads it back (by the type of its default)."""
    return value if isinstance(value, str) else json.dumps(value)


@dataclass(frozen=True)
class LaunchRequest:
    """One launch: `stage` is "pipeline", a tutorial stage or a user's stage; `inputs` pins inputs as "name:alias"
    (the rest are read at "latest"); `train_config` holds `core.pipeline.config.TrainConfig` keys (tutorial stages);
    `config` a user stage's settings over their defaults; `group` the run group of every run it opens."""

    stage: str = PIPELINE
    project: str = DEFAULT_PROJECT
    dataset: str = "digits"
    inputs: tuple[str, ...] = ()
    train_config: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    group: str | None = None

    @property
    def stages(self) -> tuple[str, ...]:
        found = _lookup(self.stage)
        return found.runs if found is not None else (self.stage,)

    @property
    def title(self) -> str:
        return f"pipeline on {self.dataset}" if self.stage == PIPELINE else self.stage

    @property
    def epochs(self) -> int | None:
        if "train" not in self.stages:
            return None
        return self._train().epochs

    def _train(self) -> Any:
        from core.pipeline.config import TrainConfig

        return TrainConfig.from_mapping(self.train_config)

    def validate(self) -> None:
        """A `core.ValidationError` naming the first problem; nothing is run or written."""
        from core import names
        from core.errors import ValidationError
        from core.pipeline import check_inputs
        from core.pipeline.config import check_dataset
        from core.pipeline.user_stages import resolve_config

        registry = known_stages() if self.stage in known_stages() else stage_catalog()
        if self.stage not in registry:
            raise ValidationError(f"stage must be one of {', '.join(registry.names())}, got {self.stage!r}")
        stage = registry.get(self.stage)
        names.check_project(self.project)
        names.check_group(self.group)
        if stage.uses_dataset:
            check_dataset(self.dataset)
        check_inputs([registry.get(name) for name in stage.runs], self.inputs)
        if stage.is_tutorial:
            self._train()
            if self.config:
                raise ValidationError(f"stage {self.stage!r} has no settings of its own; got {dict(self.config)}")
        else:
            resolve_config(stage, self.config)

    def cli_args(self) -> list[str]:
        """`artifacts-tui` arguments that run this request (`run STAGE --project P ...`), for a child process."""
        args = ["run", self.stage, "--project", self.project]
        found = _lookup(self.stage)
        if found is None or found.uses_dataset:
            args += ["--dataset", self.dataset]
        for ref in self.inputs:
            args += ["--input", ref]
        for key, value in self.train_config.items():
            if value is not None:
                args += [f"--{key.replace('_', '-')}", str(value)]  # TrainConfig's keys are run's flags
        for key, value in self.config.items():
            args += ["--config", f"{key}={_text(value)}"]
        if self.group is not None:
            args += ["--group", self.group]
        return args


def _stage_call(request: LaunchRequest, stage: str, store: Any, on_event: EventCallback | None,
                download_root: str | os.PathLike[str] | None) -> Any:
    registry = known_stages() if stage in known_stages() else stage_catalog()
    call = StageCall(project=request.project, store=store, dataset=request.dataset,
                     train_config=dict(request.train_config), config=dict(request.config),
                     inputs=tuple(request.inputs), download_root=download_root, on_event=on_event,
                     group=request.group)
    (result,) = registry.get(stage).launch(call)
    return result


def run_request(
    request: LaunchRequest,
    *,
    store: Any,
    on_event: EventCallback | None = None,
    download_root: str | os.PathLike[str] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> list[Any]:
    """Run the request's stages in order in this thread, stopping at the first that raises (its error propagates).

    `cancelled()` is asked before each stage, so a pipeline cancelled between stages opens no further run.
    """
    request.validate()
    results = []
    for stage in request.stages:
        if cancelled():
            raise Cancelled("cancelled before " + stage)
        results.append(_stage_call(request, stage, store, on_event, download_root))
    return results


def missing_input_hint(name: str) -> str:
    producer = known_stages().producers().get(name)
    return f"run {producer} first" if producer else "log it first"


def stage_inputs(stage: str) -> tuple[str, ...]:
    """The artifact names a launch form offers to pin for `stage` (none for the pipeline: its stages log them)."""
    found = _lookup(stage)
    return () if found is None or found.steps else found.inputs

"""What the runner launches: a stage of the tutorial pipeline (or all five) with its dataset, pinned inputs and
training settings, and the plain function that runs it.

`LaunchRequest` is the value the launch form returns and the job queue runs; it knows nothing of Textual, so the
same request runs headless (`run_request`) in tests and benchmarks. Validation reuses the pipeline's own checks, so
the form refuses exactly what a stage would refuse, before any run is opened.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.pipeline import DEFAULT_PROJECT, STAGE_INPUTS, STAGES, Cancelled, EventCallback

__all__ = [
    "PIPELINE", "PRODUCERS", "STAGE_CHOICES", "LaunchRequest", "missing_input_hint", "run_request", "stage_inputs",
    "uses_training_config",
]

PIPELINE = "pipeline"
STAGE_CHOICES = (PIPELINE, *STAGES)

# The stage that logs each input, for messages that say what to run first.
PRODUCERS = {
    "mnist-raw": "load-data",
    "mnist-preprocess": "preprocess-data",
    "convnet": "initialize",
    "trained-model": "train",
}


def uses_training_config(stage: str) -> bool:
    """Whether epochs, batch size, optimizer, interval and device matter to `stage`."""
    return stage in (PIPELINE, "train", "report")


@dataclass(frozen=True)
class LaunchRequest:
    """One launch: `stage` is "pipeline" or one of `core.pipeline.STAGES`; `inputs` pins inputs as "name:alias"
    (the rest are read at "latest"); `train_config` holds `core.pipeline.config.TrainConfig` keys."""

    stage: str = PIPELINE
    project: str = DEFAULT_PROJECT
    dataset: str = "digits"
    inputs: tuple[str, ...] = ()
    train_config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stages(self) -> tuple[str, ...]:
        return STAGES if self.stage == PIPELINE else (self.stage,)

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
        from core.pipeline.config import check_dataset
        from core.pipeline import check_inputs

        if self.stage not in STAGE_CHOICES:
            raise ValidationError(f"stage must be one of {', '.join(STAGE_CHOICES)}, got {self.stage!r}")
        names.check_project(self.project)
        check_dataset(self.dataset)
        check_inputs(self.stages, self.inputs)
        self._train()


def _stage_call(request: LaunchRequest, stage: str, store: Any, on_event: EventCallback | None,
                download_root: str | os.PathLike[str] | None) -> Any:
    import core.pipeline as pipeline

    common = {"project": request.project, "store": store, "on_event": on_event}
    downstream = {**common, "dataset": request.dataset, "inputs": list(request.inputs),
                  "download_root": download_root}
    config = dict(request.train_config)
    if stage == "load-data":
        return pipeline.load_and_log(dataset=request.dataset, **common)
    if stage == "preprocess-data":
        return pipeline.preprocess_and_log(None, **downstream)
    if stage == "initialize":
        return pipeline.build_model_and_log(None, dataset=request.dataset, seed=request._train().seed, **common)
    if stage == "train":
        return pipeline.train_and_log(config, **downstream)
    return pipeline.evaluate_and_log(config, **downstream)


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
    producer = PRODUCERS.get(name)
    return f"run {producer} first" if producer else "log it first"


def stage_inputs(stage: str) -> tuple[str, ...]:
    """The artifact names a launch form offers to pin for `stage` (none for the pipeline: its stages log them)."""
    return () if stage == PIPELINE else STAGE_INPUTS.get(stage, ())

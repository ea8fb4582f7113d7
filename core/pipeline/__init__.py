"""The tutorial pipeline ("Track models and datasets") as stage functions, runnable headless or from the TUI.

    from core.pipeline import run_pipeline, Cancelled
    run_pipeline(project="artifacts-example", dataset="digits", train_config={"epochs": 3}, on_event=print)

Importing this package is cheap: torch, torchvision and scikit-learn load when a stage runs.
"""

from core.pipeline.errors import DatasetUnavailableError, PipelineError, UnsafeCheckpointError
from core.pipeline.events import (
    Cancelled,
    Event,
    EventCallback,
    LoggedVersion,
    LogLine,
    Metrics,
    Progress,
    StageFailed,
    StageFinished,
    StageStarted,
)
from core.pipeline.harness import DEFAULT_PROJECT, STAGE_INPUTS, STAGES, StageResult, check_inputs
from core.pipeline.stages import (
    TrainLogger,
    build_model_and_log,
    evaluate_and_log,
    load_and_log,
    preprocess_and_log,
    run_pipeline,
    train_and_log,
)

__all__ = [
    "DEFAULT_PROJECT",
    "STAGES",
    "STAGE_INPUTS",
    "Cancelled",
    "DatasetUnavailableError",
    "Event",
    "EventCallback",
    "LogLine",
    "LoggedVersion",
    "Metrics",
    "PipelineError",
    "Progress",
    "StageFailed",
    "StageFinished",
    "StageResult",
    "StageStarted",
    "TrainLogger",
    "UnsafeCheckpointError",
    "build_model_and_log",
    "check_inputs",
    "evaluate_and_log",
    "load_and_log",
    "preprocess_and_log",
    "run_pipeline",
    "train_and_log",
]

"""The tutorial pipeline ("Track models and datasets") as stage functions, runnable headless or from the TUI.

    from core.pipeline import run_pipeline, Cancelled
    run_pipeline(project="artifacts-example", dataset="digits", train_config={"epochs": 3}, on_event=print)

The stages a front end can launch are in one registry (`registry.py`: the tutorial's five and "pipeline") beside the
user's own (`user_stages.py`: `@stage(...)`-decorated functions from entry points, `--stages` or
`$ARTIFACTS_TUI_STAGES`):

    from core.pipeline import StageCall, load_registry
    load_registry(["mystages:fit_probe"]).get("fit-probe").launch(StageCall(project="p", config={"lr": 0.1}))

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
from core.pipeline.devices import available_devices, check_device
from core.pipeline.harness import StageResult, check_inputs
from core.pipeline.registry import (
    DATASETS,
    DEFAULT_PROJECT,
    PIPELINE,
    STAGE_INPUTS,
    STAGES,
    Registry,
    Stage,
    StageCall,
    tutorial_registry,
)
from core.pipeline.stages import (
    TrainLogger,
    build_model_and_log,
    evaluate_and_log,
    load_and_log,
    preprocess_and_log,
    run_pipeline,
    train_and_log,
)
from core.pipeline.user_stages import ENTRY_POINT_GROUP, describe_user_stages, load_registry, stage

__all__ = [
    "DATASETS",
    "DEFAULT_PROJECT",
    "ENTRY_POINT_GROUP",
    "PIPELINE",
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
    "Registry",
    "Stage",
    "StageCall",
    "StageFailed",
    "StageFinished",
    "StageResult",
    "StageStarted",
    "TrainLogger",
    "UnsafeCheckpointError",
    "available_devices",
    "build_model_and_log",
    "check_device",
    "check_inputs",
    "describe_user_stages",
    "evaluate_and_log",
    "load_and_log",
    "load_registry",
    "preprocess_and_log",
    "run_pipeline",
    "stage",
    "train_and_log",
    "tutorial_registry",
]

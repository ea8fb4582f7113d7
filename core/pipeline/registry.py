"""The stage registry: the one home of what a launchable stage is, for the CLI's `run`, the launch form and the runner.

A `Stage` says everything a front end needs without running it: its name (the job type of its run), the artifacts
it reads (each at "latest" unless a launch pins `name:alias`) and logs, its label, whether the training settings
and the dataset choice matter to it, and for a user's stage the defaults of its settings. The tutorial's five stages
and "pipeline" (all five in order) are registered here; `core.pipeline.user_stages` adds the user's own (entry
points, `--stages module:attr`, `$ARTIFACTS_TUI_STAGES`) into a `Registry` beside them.

A launch hands a stage a `StageCall` (project, store, dataset, inputs, settings, group, event callback); every stage
takes the same one and uses what it needs, so no front end has a table of which stage wants which argument.
Importing this module is cheap: the tutorial's stage functions (and torch) load when a stage runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from core import names
from core.errors import ValidationError

if TYPE_CHECKING:
    from core.pipeline.events import EventCallback
    from core.pipeline.harness import StageResult

__all__ = [
    "DATASETS",
    "DATASET_LABELS",
    "DEFAULT_DATASET",
    "DEFAULT_PROJECT",
    "PIPELINE",
    "STAGES",
    "STAGE_INPUTS",
    "TUTORIAL_STAGES",
    "Registry",
    "Stage",
    "StageCall",
    "tutorial_registry",
]

DEFAULT_PROJECT = "artifacts-example"
PIPELINE = "pipeline"
DATASETS = ("mnist", "digits")
DEFAULT_DATASET = "mnist"  # the tutorial's; the launch form offers digits first because it works offline
DATASET_LABELS = {"digits": "digits (bundled, works offline)", "mnist": "mnist (downloads once)"}
_STAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class StageCall:
    """What one launch hands a stage. Every stage takes the same call and uses what it needs: the tutorial's read
    `dataset`, `data_dir` and `train_config` (`TrainConfig` keys), a user's stage reads `config` (its settings over
    their defaults). `inputs` pins inputs as "name:alias" (the others are read at "latest"); `group` is the W&B run
    group of every run the launch opens."""

    project: str = DEFAULT_PROJECT
    store: Any = None
    dataset: str = DEFAULT_DATASET
    data_dir: str | os.PathLike[str] | None = None
    train_config: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    download_root: str | os.PathLike[str] | None = None
    on_event: EventCallback | None = None
    group: str | None = None

    @property
    def common(self) -> dict[str, Any]:
        """The keyword arguments every tutorial stage function takes."""
        return {"project": self.project, "store": self.store, "on_event": self.on_event, "group": self.group}

    @property
    def downstream(self) -> dict[str, Any]:
        """Those of the tutorial stages that read artifacts (all but load-data and initialize)."""
        return {**self.common, "dataset": self.dataset, "inputs": list(self.inputs),
                "download_root": self.download_root}


@dataclass(frozen=True)
class Stage:
    """One launchable stage.

    `name` is the job type of its run and what `artifacts-tui run NAME` takes. `function` is what runs it: for a
    user's stage its body `fn(run, inputs, config) -> None` (see `core.pipeline.user_stages`); for the tutorial's,
    the adapter `fn(call: StageCall) -> list[StageResult]` around its `*_and_log` function. A stage described by
    another process (the TUI lists user stages without importing them) has `function=None` until it is loaded.
    `inputs` and `outputs` are artifact names; `config` holds a user stage's settings with their defaults (whose types
    parse `--config KEY=VALUE`); `steps` lists the stages "pipeline" runs; `origin` says where the stage was
    registered from ("tutorial", "--stages mystages:fit", "entry point ...").
    """

    name: str
    function: Callable[..., Any] | None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    label: str = ""
    description: str = ""
    config: Mapping[str, Any] = field(default_factory=dict, hash=False)
    uses_training_config: bool = False
    uses_dataset: bool = False
    steps: tuple[str, ...] = ()
    origin: str = "user"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.name, str) or not _STAGE_NAME.match(self.name) or len(self.name) > names.MAX_NAME:
            raise ValidationError(f"stage name must be letters, digits, '_', '-' or '.' (at most {names.MAX_NAME}, "
                                  f"not starting with a symbol), got {self.name!r}")
        for what in ("inputs", "outputs"):
            value = getattr(self, what)
            if isinstance(value, str) or not isinstance(value, Iterable):
                raise ValidationError(f"stage {self.name!r}: {what} must be a list of artifact names, got {value!r}")
            set_(self, what, tuple(names.check_artifact_name(n) for n in value))
        if len(set(self.inputs)) != len(self.inputs):
            raise ValidationError(f"stage {self.name!r} names an input twice: {list(self.inputs)}")
        if not isinstance(self.config, Mapping):
            raise ValidationError(f"stage {self.name!r}: config must be a dict of settings and their defaults, "
                                  f"got {type(self.config).__name__}")
        for key in self.config:
            if not isinstance(key, str) or not key or "=" in key or key.strip() != key:
                raise ValidationError(f"stage {self.name!r}: setting names must be non-empty strings without '=' "
                                      f"or surrounding spaces, got {key!r}")
        config = names.clean_json_value(dict(self.config), f"stage {self.name!r} config")
        set_(self, "config", MappingProxyType(config))
        set_(self, "steps", tuple(self.steps))
        set_(self, "label", str(self.label or self.name))

    @property
    def is_tutorial(self) -> bool:
        return self.origin == "tutorial"

    @property
    def runs(self) -> tuple[str, ...]:
        """The stages a launch of this one runs, in order: its steps for "pipeline", else itself."""
        return self.steps or (self.name,)

    def launch(self, call: StageCall) -> list[StageResult]:
        """Run the stage (every step of "pipeline") in this thread; the stage's error propagates."""
        if self.is_tutorial:
            assert self.function is not None
            return self.function(call)
        from core.pipeline.user_stages import run_user_stage

        return [run_user_stage(self, call)]

    def describe(self) -> dict[str, Any]:
        """The stage as JSON (no function): what `Stage.from_description` reads back in another process."""
        return {"name": self.name, "inputs": list(self.inputs), "outputs": list(self.outputs), "label": self.label,
                "description": self.description, "config": dict(self.config),
                "uses_training_config": self.uses_training_config, "uses_dataset": self.uses_dataset,
                "steps": list(self.steps), "origin": self.origin}

    @classmethod
    def from_description(cls, data: Mapping[str, Any]) -> Stage:
        keys = ("name", "inputs", "outputs", "label", "description", "config", "uses_training_config",
                "uses_dataset", "steps", "origin")
        return cls(function=None, **{k: data[k] for k in keys if k in data})


class Registry:
    """The stages one process can launch, by name: the tutorial's, "pipeline", then the user's in the order given.

    Two stages may not share a name; a user stage may not take a tutorial stage's name. `problems` holds what could
    not be loaded where the caller chose to go on without it (the TUI lists the rest and shows the problem).
    """

    def __init__(self, user: Iterable[Stage] = (), problems: Iterable[str] = ()) -> None:
        self._stages: dict[str, Stage] = {s.name: s for s in (PIPELINE_STAGE, *TUTORIAL_STAGES)}
        for stage in user:
            taken = self._stages.get(stage.name)
            if taken is None:
                self._stages[stage.name] = stage
            elif taken.is_tutorial:
                raise ValidationError(f"stage {stage.name!r} ({stage.origin}) has the name of a tutorial stage; "
                                      f"give it another name")
            elif taken.function is not stage.function or taken.function is None:
                raise ValidationError(f"two stages are named {stage.name!r}: from {taken.origin} and from "
                                      f"{stage.origin}; rename one")
        self.problems: tuple[str, ...] = tuple(problems)

    def __contains__(self, name: object) -> bool:
        return name in self._stages

    def __iter__(self) -> Iterator[Stage]:
        return iter(self._stages.values())

    def __len__(self) -> int:
        return len(self._stages)

    def names(self) -> tuple[str, ...]:
        """"pipeline", the tutorial's five in order, then the user's: the choices of `run` and the launch form."""
        return tuple(self._stages)

    @property
    def user_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self._stages.values() if not s.is_tutorial)

    def get(self, name: str) -> Stage:
        stage = self._stages.get(name)
        if stage is None:
            raise ValidationError(f"unknown stage {name!r}; stages: {', '.join(self.names())} (your own stages: "
                                  f"--stages MODULE:ATTR, $ARTIFACTS_TUI_STAGES or the entry points "
                                  f"'artifacts_tui.stages')")
        return stage

    def producers(self) -> dict[str, str]:
        """The stage that logs each artifact (the first registered, when several do), for "run X first" hints."""
        producers: dict[str, str] = {}
        for stage in self._stages.values():
            for output in stage.outputs:
                producers.setdefault(output, stage.name)
        return producers


# -- the tutorial's stages ------------------------------------------------------------------------------------------
# Each adapter turns a StageCall into the keyword arguments of its `core.pipeline.stages` function.

def _load_data(call: StageCall) -> list[StageResult]:
    from core.pipeline.stages import load_and_log

    return [load_and_log(dataset=call.dataset, data_dir=call.data_dir, **call.common)]


def _preprocess_data(call: StageCall) -> list[StageResult]:
    from core.pipeline.stages import preprocess_and_log

    return [preprocess_and_log(None, **call.downstream)]


def _initialize(call: StageCall) -> list[StageResult]:
    from core.pipeline.stages import build_model_and_log

    return [build_model_and_log(None, dataset=call.dataset, seed=call.train_config.get("seed", 0), **call.common)]


def _train(call: StageCall) -> list[StageResult]:
    from core.pipeline.stages import train_and_log

    return [train_and_log(dict(call.train_config), **call.downstream)]


def _report(call: StageCall) -> list[StageResult]:
    from core.pipeline.stages import evaluate_and_log

    return [evaluate_and_log(dict(call.train_config), **call.downstream)]


def _pipeline(call: StageCall) -> list[StageResult]:
    from core.pipeline.stages import run_pipeline

    return run_pipeline(dataset=call.dataset, data_dir=call.data_dir, train_config=dict(call.train_config),
                        inputs=call.inputs, download_root=call.download_root, **call.common)


def _tutorial(name: str, function: Callable[..., Any], label: str, **facts: Any) -> Stage:
    return Stage(name, function, label=f"{name}: {label}", origin="tutorial", uses_dataset=True, **facts)


TUTORIAL_STAGES: tuple[Stage, ...] = (
    _tutorial("load-data", _load_data, "log mnist-raw", outputs=("mnist-raw",),
              description="load MNIST (or the bundled digits) and log it as mnist-raw"),
    _tutorial("preprocess-data", _preprocess_data, "log mnist-preprocess", inputs=("mnist-raw",),
              outputs=("mnist-preprocess",), description="normalize and add the channel axis"),
    _tutorial("initialize", _initialize, "log convnet", outputs=("convnet",),
              description="build the ConvNet and log its initial weights"),
    _tutorial("train", _train, "log trained-model", inputs=("mnist-preprocess", "convnet"),
              outputs=("trained-model",), uses_training_config=True, description="train the ConvNet"),
    _tutorial("report", _report, "evaluate, 32 hardest examples", inputs=("mnist-preprocess", "trained-model"),
              uses_training_config=True, description="test loss and accuracy, the highest-loss examples as images"),
)
STAGES: tuple[str, ...] = tuple(s.name for s in TUTORIAL_STAGES)
# The artifacts each tutorial stage uses, by default at "latest" (the tutorial's `run.use_artifact("name:latest")`).
STAGE_INPUTS: Mapping[str, tuple[str, ...]] = MappingProxyType({s.name: s.inputs for s in TUTORIAL_STAGES})
PIPELINE_STAGE = Stage(PIPELINE, _pipeline, label="pipeline: all five stages", origin="tutorial", steps=STAGES,
                       uses_training_config=True, uses_dataset=True,
                       description="the tutorial's five stages in order, stopping at the first that fails")

_TUTORIAL_REGISTRY = Registry()


def tutorial_registry() -> Registry:
    """The registry of the tutorial's stages and "pipeline" alone (what needs no user code loaded)."""
    return _TUTORIAL_REGISTRY

"""What a running stage tells its caller, and how the caller stops it.

The stages run headless (`artifacts-tui run`) and in the TUI's background workers; both learn what is happening
only through these small frozen values, handed to the `on_event` callback in the stage's own thread. They hold plain
strings and numbers (never a live store object), so a caller may pass them to another thread as they are.

A callback stops a stage by raising `Cancelled`: the run then ends "cancelled" and logs no artifact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Union

__all__ = [
    "Cancelled",
    "Event",
    "EventCallback",
    "LogLine",
    "LoggedVersion",
    "Metrics",
    "Progress",
    "StageFailed",
    "StageFinished",
    "StageStarted",
]


class Cancelled(Exception):
    """Raised by an `on_event` callback (or a Ctrl-C handler) to stop the stage that called it.

    `run_state` tells the run API to finish the run as "cancelled" rather than "failed" when this escapes its block.
    """

    run_state = "cancelled"

    def __init__(self, reason: str = "cancelled by the caller") -> None:
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class StageStarted:
    """A stage opened its run: `stage` is its job type ("train"), `inputs` the versions it uses ("convnet:v0")."""

    stage: str
    project: str
    run_id: str
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Progress:
    """`done` of `total` units of the stage's work are complete (batches while training, splits while loading)."""

    stage: str
    done: int
    total: int
    unit: str = "batch"
    epoch: int | None = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass(frozen=True, slots=True)
class Metrics:
    """Values logged to the run at `step` (examples seen while training), e.g. {"train/loss": 0.31, "epoch": 0}."""

    stage: str
    step: int
    values: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of human-readable output (what the tutorial prints), without a trailing newline."""

    stage: str
    text: str


@dataclass(frozen=True, slots=True)
class LoggedVersion:
    """An artifact version a stage logged, with its aliases as they were right after logging."""

    project: str
    name: str
    version: str
    type: str
    aliases: tuple[str, ...] = ()
    created: bool = True  # False when the content equalled an existing version (no new version was made)

    @property
    def qualified_name(self) -> str:
        return f"{self.name}:{self.version}"


@dataclass(frozen=True, slots=True)
class StageFinished:
    """The stage's run finished; `outputs` are the versions it logged, `summary` the run's summary values."""

    stage: str
    project: str
    run_id: str
    outputs: tuple[LoggedVersion, ...] = ()
    summary: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StageFailed:
    """The stage stopped: `state` is "failed" (an error, told in `error`) or "cancelled". `run_id` is "" when the
    stage failed before opening its run (a bad config, a missing input)."""

    stage: str
    project: str
    run_id: str
    error: str
    state: str = "failed"


Event = Union[StageStarted, Progress, Metrics, LogLine, StageFinished, StageFailed]
EventCallback = Callable[[Event], object]

"""Following runs that other processes write (`artifacts-tui run train ...` in another shell, a wandb-style script).

Such a run reaches us only through the store: its row says "running", its `run.log` rows land in the history table
about twice a second, and a process that died shows as "crashed" once the store sees its pid gone (same host) or its
heartbeat stale. `poll_store` runs in a thread worker: it is cheap when nothing changed (one `change_token()` read),
reads the running runs of every project when the token moved, and only the rows after the last step it has (the
first read of a run is sampled: `store.history(run_id, samples=N)`, so following a run of hours costs N rows).
A dead process writes nothing, so the runs still followed are re-read every few seconds even with the token still.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FollowUpdate", "Followed", "poll_store"]


@dataclass
class Followed:
    """A run we follow: its project, and the last history step, log line and system sample we have."""

    project: str
    last_step: int | None = None
    last_line: int = 0
    last_system: float | None = None


@dataclass(frozen=True)
class FollowUpdate:
    token: int
    runs: list[Any] = field(default_factory=list)  # core.RunInfo: running runs, our launches' runs, followed runs
    rows: dict[str, list[dict]] = field(default_factory=dict)  # run id -> history rows after its last step
    outputs: dict[str, list[Any]] = field(default_factory=dict)  # run id -> LoggedVersion, for runs that ended
    lines: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # run id -> log lines after the last
    system: dict[str, list[dict]] = field(default_factory=dict)  # run id -> system samples after the last


LINES_PER_POLL = 500  # a burst of output is read over a few polls, never in one long read
FIRST_READ_SAMPLES = 2_000  # rows of a run's history read when we start following it (all of a shorter one)


def poll_store(
    store: Any, seen_token: int | None, followed: Mapping[str, Followed], groups: frozenset[str], recheck: bool,
    since: float = 0.0,
) -> FollowUpdate | None:
    """What changed since `seen_token`; None when nothing did and no followed run needs its state re-read.

    Runs found: every running run, every run of a launch group in `groups` (even one that began and ended between
    two polls: a short stage), and every run already followed (to see it end).
    """
    from core.errors import NotFoundError

    token = store.change_token()
    moved = token != seen_token
    if not moved and not (recheck and (followed or groups)):
        return None
    found: dict[str, Any] = {}
    if moved or groups:
        # only what is running or was written since the last poll (oldest first: stages appear in the order they
        # ran, a short one that began and ended between two polls included)
        for run in store.runs_since(since):
            if run.state == "running" or run.id in followed or (run.group and run.group in groups):
                found[run.id] = run
    for run_id, entry in followed.items():
        if run_id not in found:
            try:
                found[run_id] = store.run(entry.project, run_id)
            except NotFoundError:
                continue
    update = FollowUpdate(token, list(found.values()))
    for run_id, run in found.items():
        entry = followed.get(run_id) or Followed(run.project)
        # New rows need the token to move, except the last ones of a run that just ended.
        if moved or run_id not in followed or run.state != "running":
            if entry.last_step is None:
                # first read: a run of hours found running (or adopted after a restart) is read sampled, min and
                # max kept, never its 100k rows at once; the tail after that is read whole
                update.rows[run_id] = store.history(run_id, samples=FIRST_READ_SAMPLES)
            else:
                # from the last step we have, again: a later run.log at that same step merges more keys into it
                update.rows[run_id] = store.history(run_id, after_step=entry.last_step - 1)
            update.lines[run_id] = run.log_lines(entry.last_line, LINES_PER_POLL)
            update.system[run_id] = run.system_metrics(entry.last_system)
        if run.state != "running":
            update.outputs[run_id] = [logged_version(v) for v in run.outputs()]
    return update


def logged_version(version: Any) -> Any:
    from core.pipeline.events import LoggedVersion

    return LoggedVersion(project=version.project, name=version.name, version=version.version, type=version.type,
                         aliases=tuple(version.aliases))

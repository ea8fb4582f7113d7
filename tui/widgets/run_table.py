"""The runs of a project, newest first: name, job type, state, age and a few summary metrics.

The screen hands over the runs (`set_runs`) on every refresh; the table rebuilds its rows but keeps the cursor
on the same run, so a run starting or finishing elsewhere never moves the selection.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from tui.safe import safe_json, safe_text
from tui import format as formatting

METRIC_COLUMNS = 2


def state_text(state: str) -> Text:
    """"✓ finished" and the like, in the state's style (`tui.format.RUN_STATES`)."""
    return safe_text(formatting.run_state(state), formatting.run_state_style(state))


def metric_text(value: Any) -> Text:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return safe_text(value if isinstance(value, str) else safe_json(value), "dim")
    if isinstance(value, float):
        return Text(f"{value:.4g}", justify="right")
    return Text(str(value), justify="right")


def summary_keys(runs: Sequence[Any], limit: int = METRIC_COLUMNS) -> list[str]:
    """The numeric summary keys most runs share (user keys first, `_`-prefixed internals never)."""
    counts: Counter[str] = Counter()
    for run in runs:
        for key, value in (run.summary or {}).items():
            if not key.startswith("_") and isinstance(value, (int, float)) and not isinstance(value, bool):
                counts[key] += 1
    return [key for key, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


class RunTable(DataTable):
    """One row per run; `RunHighlighted` when the cursor lands on one."""

    class RunHighlighted(Message):
        def __init__(self, run: Any) -> None:
            super().__init__()
            self.run = run

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._runs: dict[str, Any] = {}
        self._metrics: list[str] = []

    def set_runs(self, runs: Sequence[Any], select: str | None = None) -> None:
        """Show `runs`; keep the cursor on `select` (a run id), else on the run it was on."""
        keep = select or self.current_run_id
        metrics = summary_keys(runs)
        now = self.app.clock()
        self.clear(columns=metrics != self._metrics or not self.columns)
        if not self.columns:
            self.add_column("Name", key="name")
            self.add_column("Job", key="job")
            self.add_column("State", key="state")
            self.add_column("Age", key="age")
            for key in metrics:
                self.add_column(safe_text(key), key=f"m:{key}")
        self._metrics = metrics
        self._runs = {}
        for run in runs:
            self._runs[run.id] = run
            cells = [
                safe_text(run.name or run.id, "bold"),
                safe_text(run.job_type or "", "italic"),
                state_text(run.state),
                Text(formatting.age(run.created_at, now), justify="right"),
            ]
            cells += [metric_text(run.summary.get(key, "")) for key in metrics]
            self.add_row(*cells, key=run.id)
        if keep in self._runs:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    @property
    def current_run_id(self) -> str | None:
        if not self.row_count or self.cursor_row < 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # cursor outside the rows while the table is being rebuilt
            return None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        run = self._runs.get(event.row_key.value) if event.row_key is not None else None
        if run is not None:
            self.post_message(self.RunHighlighted(run))

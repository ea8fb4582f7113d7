"""Which runs the runs view shows, and in what order: the filter (`parse_filter`: `state:running job:train
lr=0.01 word`), the sort by one column (missing values last either way), the grouping by W&B group (pipeline),
the metric columns, and the bound on rows.

`build_view` is pure and never touches the store, so the runs screen runs it in a worker (a project may hold many
runs): it filters the runs the store gave, sorts them, groups them when asked, picks the metric columns from the runs
that match (keeping the ones shown before, so columns stay put while runs come and go and whatever run is
highlighted) and keeps at most `limit` rows, saying how many it left out. `tui.widgets.run_table` draws the result.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_METRICS = 4   # metric columns chosen; the table shows as many as its width allows
ROW_PAGE = 100    # rows a view holds at first, and adds each time the "more" row is chosen
STATE_ORDER = ("running", "crashed", "failed", "cancelled", "finished")
GROUP_KEY = "\0group:"   # row keys of group headers; run ids are printable, so never collide

# column key -> (header, direction a first `s` on it sorts in: True = descending)
BASE_COLUMNS = {"name": ("Name", False), "job": ("Job", False), "state": ("State", False),
                "created": ("Created", True), "runtime": ("Runtime", True)}


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def summary_keys(runs: Iterable[Any], limit: int = MAX_METRICS, previous: Sequence[str] = ()) -> list[str]:
    """The numeric summary keys most runs share (`_`-prefixed internals never); those in `previous` that some run
    still has keep their place in front, so the columns do not jump as runs come, go or are filtered."""
    counts: Counter[str] = Counter()
    for run in runs:
        for key, value in (run.summary or {}).items():
            if not key.startswith("_") and is_number(value):
                counts[key] += 1
    kept = [key for key in previous if counts.get(key)]
    rest = sorted((key for key in counts if key not in kept), key=lambda key: (-counts[key], key))
    return (kept + rest)[:limit]


def runtime_seconds(run: Any, now: datetime) -> float | None:
    """How long the run ran: to now while it runs, to its last heartbeat when it crashed, else to its end."""
    start = run.created_at
    if start is None:
        return None
    end = {"running": now, "crashed": getattr(run, "heartbeat_at", None)}.get(run.state, run.updated_at)
    if end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def format_runtime(seconds: float | None) -> str:
    """"45s", "12m05s", "3h07m", "2d04h": two units at most, so the column stays narrow."""
    if seconds is None:
        return "?"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


# ----- the filter ----------------------------------------------------------------------------------------------

FIELDS = {"state": "state", "job": "job", "type": "job", "job_type": "job", "name": "name", "group": "group",
          "tag": "tag", "id": "id"}
_COMPARISON = re.compile(r"^([^=!<>]+)(!=|>=|<=|=|>|<)(.*)$")


@dataclass(frozen=True)
class Term:
    """One word of a filter. `field`: a FIELDS value, "text" (a bare word) or "value" (a config/summary key)."""
    field: str
    value: str
    negate: bool = False
    key: str = ""
    op: str = ""


def parse_filter(text: str) -> list[Term]:
    """`state:running job:train lr=0.01 loss<0.2 -state:failed "two words"`: every term must hold (a leading `-`
    negates one). `field:value` for state (a prefix; `state:failed,crashed` for either), job, name, group, tag
    and id; `key=value` (also `!=`, `<`, `>`, `<=`, `>=`) for a config value, else a summary value (`a.b` reaches
    into nested config); any other word is looked for in the name, id, job type and group."""
    words = text.split()
    for closing in ("", '"', "'"):  # an unclosed quote while typing reads as closed at the end
        try:
            words = shlex.split(text + closing)
            break
        except ValueError:
            continue
    terms = []
    for word in words:
        negate = word.startswith("-") and len(word) > 1
        if negate:
            word = word[1:]
        name, colon, value = word.partition(":")
        comparison = _COMPARISON.match(word)
        if colon and name.casefold() in FIELDS and value:
            terms.append(Term(FIELDS[name.casefold()], value.casefold(), negate))
        elif comparison and not colon:
            key, op, value = comparison.groups()
            terms.append(Term("value", value, negate, key=key, op=op))
        else:
            terms.append(Term("text", word.casefold(), negate))
    return terms


def _lookup(mapping: Any, key: str) -> tuple[bool, Any]:
    if not isinstance(mapping, dict):
        return False, None
    if key in mapping:
        return True, mapping[key]
    node = mapping
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None


def _compare(value: Any, op: str, wanted: str) -> bool:
    if wanted == "":  # `lr=` while typing: runs that have the key
        return op != "!="
    number = _number(wanted)
    if is_number(value) and number is not None:
        a = float(value)
        return {"=": a == number, "!=": a != number, ">": a > number, "<": a < number,
                ">=": a >= number, "<=": a <= number}[op]
    if op not in ("=", "!="):
        return False
    shown = value if isinstance(value, str) else json.dumps(value)
    return (shown.casefold() == wanted.casefold()) == (op == "=")


def _holds(run: Any, term: Term) -> bool:
    value = term.value
    if term.field == "state":
        return any(part and run.state.startswith(part) for part in value.split(","))
    if term.field == "job":
        return value in (run.job_type or "").casefold()
    if term.field == "name":
        return value in (run.name or "").casefold() or value in str(run.id).casefold()
    if term.field == "group":
        return value in (run.group or "").casefold()
    if term.field == "tag":
        return any(value in str(tag).casefold() for tag in run.tags or ())
    if term.field == "id":
        return value == str(run.id).casefold()
    if term.field == "value":
        found, got = _lookup(run.config, term.key)
        if not found:
            found, got = _lookup(run.summary, term.key)
        return _compare(got, term.op, value) if found else term.op == "!="
    haystack = " ".join((run.name or "", str(run.id), run.job_type or "", run.group or "")).casefold()
    return value in haystack


def matches(run: Any, terms: Sequence[Term]) -> bool:
    return all(_holds(run, term) != term.negate for term in terms)


# ----- sorting, grouping, the view ------------------------------------------------------------------------------

def sort_value(run: Any, column: str, now: datetime) -> Any:
    """What `column` sorts `run` by; None when the run has no value there (sorted last, either direction)."""
    if column == "name":
        return (run.name or str(run.id)).casefold()
    if column == "job":
        return (run.job_type or "").casefold() or None
    if column == "state":
        return STATE_ORDER.index(run.state) if run.state in STATE_ORDER else len(STATE_ORDER)
    if column == "created":
        return run.created_at.timestamp() if run.created_at is not None else None
    if column == "runtime":
        return runtime_seconds(run, now)
    if column.startswith("m:"):
        value = (run.summary or {}).get(column[2:])
        return float(value) if is_number(value) else None
    return None


def sort_runs(runs: Sequence[Any], column: str, descending: bool, now: datetime) -> list[Any]:
    """Sorted by `column`; ties keep the given order (the store's: newest first)."""
    keyed = [(sort_value(run, column, now), run) for run in runs]
    present = [pair for pair in keyed if pair[0] is not None]
    present.sort(key=lambda pair: pair[0], reverse=descending)
    return [run for _, run in present] + [run for value, run in keyed if value is None]


@dataclass
class GroupRow:
    """A group's header row: its name (None: runs without a group) and every member's id, shown or not."""
    name: str | None
    run_ids: list[str] = field(default_factory=list)
    collapsed: bool = False

    @property
    def key(self) -> str:
        return group_key(self.name)


def group_key(name: str | None) -> str:
    return GROUP_KEY + ("\0" if name is None else name)


@dataclass
class ViewSpec:
    """What the user asked the table to show."""
    filter_text: str = ""
    sort: str = "created"
    descending: bool = True
    grouped: bool = False
    collapsed: frozenset[str] = frozenset()   # group keys whose runs are hidden
    limit: int = ROW_PAGE


@dataclass
class RunsView:
    rows: list[Any]           # core.RunInfo or GroupRow, in order
    total: int                # runs in the project
    matched: int              # runs the filter kept
    more: int                 # rows left out by the limit
    metrics: list[str]        # metric columns, most wanted first
    spec: ViewSpec
    position: dict[str, int] = field(default_factory=dict)  # run id -> index among the matched, sorted runs


def build_view(runs: Sequence[Any], spec: ViewSpec, now: datetime, previous_metrics: Sequence[str] = ()) -> RunsView:
    """The rows `spec` asks for, at most `spec.limit` of them (headers included)."""
    terms = parse_filter(spec.filter_text)
    kept = [run for run in runs if matches(run, terms)] if terms else list(runs)
    ordered = sort_runs(kept, spec.sort, spec.descending, now)
    metrics = summary_keys(kept, previous=previous_metrics)
    rows: list[Any] = []
    if spec.grouped:
        groups: dict[str | None, GroupRow] = {}
        members: dict[str | None, list[Any]] = {}
        for run in ordered:
            name = run.group or None
            if name not in groups:
                groups[name] = GroupRow(name)
                members[name] = []
            groups[name].run_ids.append(run.id)
            members[name].append(run)
        for name, header in groups.items():
            header.collapsed = header.key in spec.collapsed
            rows.append(header)
            if not header.collapsed:
                rows.extend(members[name])
    else:
        rows = ordered
    return RunsView(rows=rows[:spec.limit], total=len(runs), matched=len(kept), more=max(0, len(rows) - spec.limit),
                    metrics=metrics, spec=spec, position={run.id: i for i, run in enumerate(ordered)})


def column_keys(metrics: Sequence[str]) -> list[str]:
    """The columns `s` cycles through, in table order."""
    return [*BASE_COLUMNS, *(f"m:{key}" for key in metrics)]


def column_title(column: str) -> str:
    return column[2:] if column.startswith("m:") else BASE_COLUMNS.get(column, (column, False))[0]


def sort_arrow(descending: bool) -> str:
    return "▼" if descending else "▲"

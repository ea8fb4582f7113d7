"""Downsampled run history (`store.history(run_id, samples=N)`), as W&B's `run.history(samples=...)`: charts of a
run with a million steps read about N rows, never the million.

The store keeps, beside the `history` rows, one `history_blocks` row per run and block of `BLOCK` consecutive
steps: its first and last step, its row count and the min and max of every numeric key (`{"key": [min, max]}`),
updated in the same transaction as the rows (`add_to_blocks`). A sampled read buckets the run's steps into N/2
buckets and merges the blocks of each; each bucket becomes two rows, at its first and last step, holding every
numeric key's min and max (the extreme the neighbouring buckets lead away from first), so a spike anywhere in the
bucket shows. A short run (fewer rows than `BLOCK * N / 2`) is bucketed from its rows instead, and one with at most
N rows is returned whole. Sampled rows hold only numeric values: images and text are in the full history.

A value overwritten at the same step leaves its old extreme in its block: the bucket is wider, never narrower.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence

BLOCK = 128  # steps per history_blocks row: a million steps -> 7,813 small rows

# what the migration to schema 6 (and a bulk loader) runs to build the blocks of rows already there
BACKFILL_SQL = f"""
WITH base AS (
    SELECT run_pk, step / {BLOCK} AS block, min(step) AS first_step, max(step) AS last_step, count(*) AS n
    FROM history GROUP BY run_pk, block
), keyed AS (
    SELECT h.run_pk, h.step / {BLOCK} AS block, j.key AS key, min(j.value) AS lo, max(j.value) AS hi
    FROM history h, json_each(h.data) j WHERE j.type IN ('integer', 'real') GROUP BY 1, 2, 3
), stats AS (
    -- %!.17g: every double exactly (json_array would round to 15 digits)
    SELECT run_pk, block, json_group_object(key, json(printf('[%!.17g,%!.17g]', lo, hi))) AS stats
    FROM keyed GROUP BY run_pk, block
)
INSERT OR REPLACE INTO history_blocks (run_pk, block, first_step, last_step, rows, stats)
SELECT b.run_pk, b.block, b.first_step, b.last_step, b.n, coalesce(s.stats, '{{}}')
FROM base b LEFT JOIN stats s ON s.run_pk = b.run_pk AND s.block = b.block
"""


def _is_number(value) -> bool:
    kind = type(value)  # not bool; an int of any size (math.isfinite would overflow on 10**400)
    return kind is int or (kind is float and math.isfinite(value))


class _Unit:
    """A stretch of steps (a block, a bucket or one row): its first and last step, rows and numeric extremes."""

    __slots__ = ("first", "last", "rows", "stats")

    def __init__(self, first: int, last: int, rows: int, stats: dict[str, list[float]]) -> None:
        self.first, self.last, self.rows, self.stats = first, last, rows, stats

    @classmethod
    def of_row(cls, step: int, data: dict) -> "_Unit":
        return cls(step, step, 1, {k: [v, v] for k, v in data.items() if _is_number(v)})

    def merge(self, other: "_Unit") -> None:
        self.first, self.last = min(self.first, other.first), max(self.last, other.last)
        self.rows += other.rows
        for key, (lo, hi) in other.stats.items():
            mine = self.stats.get(key)
            if mine is None:
                self.stats[key] = [lo, hi]
            else:
                mine[0], mine[1] = min(mine[0], lo), max(mine[1], hi)


def _fold(unit: _Unit, step: int, data: dict, new: bool) -> None:
    """One row into its block's unit, in place (no unit per row: a million rows are logged through here)."""
    if step < unit.first:
        unit.first = step
    if step > unit.last:
        unit.last = step
    if new:
        unit.rows += 1
    stats = unit.stats
    for key, value in data.items():
        kind = type(value)  # bool is not a number here (type(True) is bool)
        if kind is not int and (kind is not float or not math.isfinite(value)):
            continue
        mine = stats.get(key)
        if mine is None:
            stats[key] = [value, value]
        elif value < mine[0]:
            mine[0] = value
        elif value > mine[1]:
            mine[1] = value


def add_to_blocks(conn, pk: int, rows: Iterable[tuple[int, dict, bool]]) -> None:
    """Fold written history rows (step, data, whether the step is new) into their blocks, inside the write."""
    touched: dict[int, _Unit] = {}
    for step, data, new in rows:
        block = step // BLOCK
        unit = touched.get(block)
        if unit is None:
            unit = touched[block] = _Unit(step, step, 0, {})
        _fold(unit, step, data, new)
    for block, unit in touched.items():
        old = conn.execute("SELECT first_step, last_step, rows, stats FROM history_blocks "
                           "WHERE run_pk = ? AND block = ?", (pk, block)).fetchone()
        if old is not None:
            unit.merge(_Unit(old[0], old[1], old[2], json.loads(old[3])))
        conn.execute("INSERT OR REPLACE INTO history_blocks (run_pk, block, first_step, last_step, rows, stats) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     (pk, block, unit.first, unit.last, unit.rows, json.dumps(unit.stats, separators=(",", ":"))))


def _bucketed(units: Sequence[_Unit], samples: int) -> list[dict]:
    """At most `samples` rows: `samples // 2` buckets of steps, two rows each (one when a bucket is one step)."""
    count = max(1, samples // 2)
    low, high = units[0].first, units[-1].last
    width = (high - low) // count + 1
    buckets: list[_Unit] = []
    for unit in units:
        index = (unit.first - low) // width
        if buckets and (buckets[-1].first - low) // width == index:
            buckets[-1].merge(unit)
        else:
            buckets.append(_Unit(unit.first, unit.last, unit.rows, {k: list(v) for k, v in unit.stats.items()}))
    rows: list[dict] = []
    for i, bucket in enumerate(buckets):
        before = buckets[i - 1].stats if i > 0 else {}
        after = buckets[i + 1].stats if i + 1 < len(buckets) else {}
        first: dict = {"_step": bucket.first}
        last: dict = {"_step": bucket.last}
        for key, (lo, hi) in bucket.stats.items():
            # falling from the last bucket to the next: the max comes first, the min last (and rising the reverse)
            prev, nxt = before.get(key), after.get(key)
            falling = (prev is not None and nxt is not None and sum(prev) > sum(nxt)) or \
                (prev is None and nxt is not None and sum(nxt) < lo + hi) or \
                (nxt is None and prev is not None and sum(prev) > lo + hi)
            first[key], last[key] = (hi, lo) if falling else (lo, hi)
        rows.append(first)
        if bucket.last != bucket.first:
            rows.append(last)
    return rows


def downsample(rows: Sequence[dict], samples: int) -> list[dict]:
    """`rows` (history rows with `_step`, in step order) down to at most `samples`, min and max kept."""
    if len(rows) <= samples:
        return list(rows)
    units = [_Unit.of_row(r["_step"], {k: v for k, v in r.items() if k != "_step"}) for r in rows]
    return _bucketed(units, samples)


def sampled_history(db, pk: int, after_step: int | None, samples: int) -> list[dict]:
    """About `samples` rows of the run's history after `after_step`, read from its blocks (see the module)."""
    samples = max(1, int(samples))
    after = -1 if after_step is None else int(after_step)
    blocks = db.read("SELECT block, first_step, last_step, rows, stats FROM history_blocks "
                     "WHERE run_pk = ? AND last_step > ? ORDER BY block", (pk, after))
    total = sum(b["rows"] for b in blocks)

    def plain(above: int, upto: int | None = None) -> list[dict]:
        rows = db.read("SELECT step, data FROM history WHERE run_pk = ? AND step > ? AND step <= ? ORDER BY step",
                       (pk, above, (1 << 62) if upto is None else upto))
        return [{"_step": r["step"], **json.loads(r["data"])} for r in rows]

    if total <= samples or total <= BLOCK * max(1, samples // 2):
        return downsample(plain(after), samples)  # short: at most BLOCK * samples / 2 rows decoded
    units: list[_Unit] = []
    for b in blocks:
        if b["first_step"] <= after:  # the block the tail starts in: only its rows after `after_step`
            units += [_Unit.of_row(r["_step"], {k: v for k, v in r.items() if k != "_step"})
                      for r in plain(after, b["last_step"])]
        else:
            units.append(_Unit(b["first_step"], b["last_step"], b["rows"], json.loads(b["stats"])))
    return _bucketed(units, samples) if units else []

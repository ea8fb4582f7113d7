"""`store.history(run_id, samples=N)`: at most about N rows across the run, in step order, each bucket's min and
max of every numeric key kept (a spike shows), read from the blocks the store keeps beside the rows."""

from __future__ import annotations

import sqlite3

import pytest

import core
from core.history_sampling import BLOCK, downsample
from tests.helpers.big_store import big_run, fill_history


def _logged(store, steps: int, spike_at: int | None = None):
    with core.init(project="p", job_type="train", id="samp0001", store=store) as run:
        for step in range(steps):
            run.log({"loss": 1000.0 if step == spike_at else 1.0 / (step + 1), "acc": step / steps,
                     "note": "text"}, step=step)
    return "samp0001"


def _check(rows, samples):
    steps = [r["_step"] for r in rows]
    assert len(rows) <= samples
    assert steps == sorted(set(steps))  # step order, each step once


def test_a_short_history_comes_back_whole(tmp_path):
    store = core.open_store(tmp_path / "s")
    run_id = _logged(store, 20)
    assert store.history(run_id, samples=50) == store.history(run_id)


@pytest.mark.parametrize("steps", [3_000, 40_000])  # bucketed from the rows / from the blocks
def test_sampled_rows_are_bounded_in_order_and_keep_the_spike(tmp_path, steps):
    store = core.open_store(tmp_path / "s")
    run_id = _logged(store, steps, spike_at=steps // 3 + 7)
    rows = store.history(run_id, samples=100)
    _check(rows, 100)
    assert len(rows) >= 90
    losses = [r["loss"] for r in rows]
    assert max(losses) == 1000.0 and min(losses) == pytest.approx(1.0 / steps)  # the spike and the last value
    assert rows[0]["_step"] == 0 and rows[-1]["_step"] == steps - 1              # the whole run
    assert all("note" not in r for r in rows)                                     # only numbers are sampled
    # a falling curve stays falling: no bucket draws its min before its max
    assert losses[:20] == sorted(losses[:20], reverse=True)


def test_the_tail_is_sampled_from_after_step(tmp_path):
    store = core.open_store(tmp_path / "s")
    run_id = _logged(store, 40_000)
    tail = store.history(run_id, after_step=30_000 + BLOCK // 2, samples=100)
    _check(tail, 100)
    assert tail[0]["_step"] == 30_000 + BLOCK // 2 + 1 and tail[-1]["_step"] == 39_999
    assert store.history(run_id, after_step=39_990, samples=100) == store.history(run_id, after_step=39_990)


def test_a_step_logged_twice_merges_into_its_block(tmp_path):
    store = core.open_store(tmp_path / "s")
    with core.init(project="p", id="twice001", store=store) as run:
        for step in range(5_000):
            run.log({"loss": 1.0}, step=step)
            if step == 2_500:
                run.log({"val": 9.0}, step=step)  # a second key at the same step, in another write
    rows = store.history("twice001", samples=20)
    _check(rows, 20)
    assert max(r.get("val", 0) for r in rows) == 9.0


@pytest.mark.slow
def test_a_million_rows_sample_to_the_bound_with_the_spike(tmp_path):
    store = core.open_store(tmp_path / "s")
    run = big_run(store)
    fill_history(store, run, 1_000_000, spike_at=654_321)
    rows = store.history(run.id, samples=500)
    _check(rows, 500)
    assert max(r["train/loss"] for r in rows) == 1000.0
    assert any("val/loss" in r for r in rows)  # a key logged every 1000 steps is there too


def test_migration_builds_blocks_of_an_older_store(tmp_path):
    store = core.open_store(tmp_path / "s")
    run_id = _logged(store, 40_000, spike_at=12_345)
    expected = store.history(run_id, samples=60)
    store.db.close()
    conn = sqlite3.connect(tmp_path / "s" / "store.db")
    conn.execute("DROP TABLE history_blocks")
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    assert core.open_store(tmp_path / "s").history(run_id, samples=60) == expected


def test_downsample_of_plain_rows():
    rows = [{"_step": i, "x": float(i % 7)} for i in range(1000)]
    out = downsample(rows, 40)
    _check(out, 40)
    assert {r["x"] for r in out} == {0.0, 6.0}

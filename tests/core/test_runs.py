"""Runs: their end states (finished, failed, cancelled, crashed), history rows and their merging, ordering,
and what reading an unknown project does."""

from __future__ import annotations

import signal
import sqlite3
import time

import pytest

import core
from tests.helpers.store import start_worker


def test_leaving_the_block_finishes_the_run(store):
    with core.init(project="p", job_type="train", name="my-run", tags=["a"], notes="n", group="g",
                   store=store) as run:
        assert store.run("p", run.id).state == "running"
    info = store.run("p", run.id)
    assert (info.state, info.error, info.name, info.job_type) == ("finished", None, "my-run", "train")
    assert (info.tags, info.notes, info.group) == (["a"], "n", "g")
    assert info.created_at.tzinfo is not None and info.created_at <= info.updated_at
    with pytest.raises(core.ValidationError, match="ended"):
        run.log({"late": 1})


def test_an_escaping_exception_fails_the_run(store):
    with pytest.raises(ValueError, match="boom"):
        with core.init(project="p", store=store) as run:
            raise ValueError("boom")
    info = store.run("p", run.id)
    assert info.state == "failed" and "ValueError: boom" in info.error


def test_keyboard_interrupt_cancels_the_run(store):
    with pytest.raises(KeyboardInterrupt):
        with core.init(project="p", store=store) as run:
            raise KeyboardInterrupt
    assert store.run("p", run.id).state == "cancelled"


def test_finish_with_an_exit_code_and_twice(store):
    run = core.init(project="p", store=store)
    run.finish(exit_code=1)
    run.finish()  # a second finish changes nothing
    assert store.run("p", run.id).state == "failed"
    other = core.init(project="p", store=store)
    other.finish(state="cancelled")
    assert store.run("p", other.id).state == "cancelled"


def test_a_killed_process_shows_its_run_as_crashed(store):
    proc = start_worker("hold-run", store.root, "p")
    run_id = proc.stdout.readline().strip()
    assert store.run("p", run_id).state == "running"
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert store.run("p", run_id).state == "crashed"
    assert [r.state for r in store.runs("p")] == ["crashed"]


def test_a_stale_heartbeat_from_another_host_shows_crashed(store):
    with core.init(project="p", store=store) as run:
        pass
    conn = sqlite3.connect(store.root / "store.db")
    with conn:
        conn.execute("UPDATE runs SET state = 'running', host = 'elsewhere', heartbeat_at = ?", (time.time(),))
    assert store.run("p", run.id).state == "running"  # another host's live run: only its heartbeat can tell
    with conn:
        conn.execute("UPDATE runs SET heartbeat_at = ?", (time.time() - 61,))
    assert store.run("p", run.id).state == "crashed"


def test_history_rows_merge_at_one_step(store):
    with core.init(project="p", store=store) as run:
        run.log({"loss": 0.5}, step=3)
        run.log({"acc": 0.9}, step=3)
        run.log({"loss": 0.4}, step=5)
        run.flush()  # the first half of step 5 is already in the store
        run.log({"acc": 0.95}, step=5)
        run.log({"lr": 0.1})  # no step: joins the open step, then moves on
        run.log({"loss": 0.3})
        with pytest.warns(UserWarning, match="older"):
            run.log({"loss": 9.9}, step=1)
    rows = store.history(run.id)
    assert rows == [
        {"_step": 3, "loss": 0.5, "acc": 0.9},
        {"_step": 5, "loss": 0.4, "acc": 0.95, "lr": 0.1},
        {"_step": 6, "loss": 0.3},
    ]
    assert store.history(run.id, after_step=3) == rows[1:]
    assert store.history(run.id, after_step=6) == []
    assert store.run("p", run.id).summary == {"loss": 0.3, "acc": 0.95, "lr": 0.1}


def test_history_can_be_followed_while_the_run_is_live(store):
    run = core.init(project="p", store=store)
    for i in range(3):
        run.log({"loss": 1.0 / (i + 1)})
    run.flush()
    seen = store.history(run.id)
    assert [r["_step"] for r in seen] == [0, 1, 2]
    run.log({"loss": 0.1})
    run.flush()
    assert [r["_step"] for r in store.history(run.id, after_step=seen[-1]["_step"])] == [3]
    run.config.update({"epochs": 3})
    assert store.run("p", run.id).config == {"epochs": 3}  # config is saved at once, not at finish
    run.finish()


def test_nan_becomes_null_and_bad_values_are_refused(store):
    with core.init(project="p", store=store) as run:
        run.log({"loss": float("nan"), "nested": {"a": [1, 2]}})
        with pytest.raises(core.ValidationError):
            run.log({"bad": object()})
        with pytest.raises(core.ValidationError):
            run.log({"loss": 1.0}, step=-1)
    assert store.history(run.id) == [{"_step": 0, "loss": None, "nested": {"a": [1, 2]}}]


def test_runs_are_listed_newest_first_and_ties_keep_creation_order(store):
    ids = []
    for _ in range(4):
        with core.init(project="p", store=store) as run:
            ids.append(run.id)
    assert [r.id for r in store.runs("p")] == ids[::-1]
    conn = sqlite3.connect(store.root / "store.db")
    with conn:
        conn.execute("UPDATE runs SET created_at = 1000.0")
    assert [r.id for r in store.runs("p")] == ids[::-1]


def test_run_names_are_unique_in_their_project(store):
    names = set()
    for _ in range(5):
        with core.init(project="p", store=store) as run:
            names.add(run.name)
    assert len(names) == 5


def test_unknown_projects_are_empty_lists_or_not_found(store):
    with core.init(project="known", store=store) as run:
        art = core.Artifact("data", type="dataset")
        with art.new_file("x.txt", mode="w") as handle:
            handle.write("x")
        run.log_artifact(art)
    assert store.artifact_types("nowhere") == []
    assert store.collections("nowhere") == []
    assert store.runs("nowhere") == []
    assert store.lineage_edges("nowhere") == []
    for call in (lambda: store.versions("nowhere", "data"), lambda: store.version_count("nowhere", "data"),
                 lambda: store.artifact("nowhere/data:latest"), lambda: store.run("nowhere", run.id),
                 lambda: store.versions("known", "missing"), lambda: store.artifact("known/data:v7"),
                 lambda: store.artifact("known/data:no-such-alias"), lambda: store.run("known", "nosuchrun"),
                 lambda: store.history("nosuchrun")):
        with pytest.raises(core.NotFoundError):
            call()
    assert store.projects() == ["known"]  # reading never creates a project


def test_a_script_that_never_calls_finish_keeps_its_rows_and_finishes(tmp_path):
    import subprocess
    import sys

    root = tmp_path / "s"
    subprocess.run([sys.executable, "-c", "import core; run = core.init(project='p', store=core.open_store("
                    f"{str(root)!r})); run.log({{'a': 1}})"], check=True, timeout=60)
    store = core.open_store(root)
    (run,) = store.runs("p")
    assert run.state == "finished"
    assert store.history(run.id) == [{"_step": 0, "a": 1}]


def test_a_diverged_loss_and_a_huge_int_are_logged_not_fatal_at_finish(store):
    """inf/-inf/NaN (a diverged training) are stored as null as W&B charts them; an int past 64 bits is kept; a
    second row at one step within a batch merges; finish never raises over what log accepted."""
    with core.init(project="p", store=store) as run:
        run.log({"loss": 0.5, "big": 10**30})
        run.log({"loss": float("inf"), "low": float("-inf"), "nan": float("nan")})
        run.log({"loss": 0.25}, step=2)
        run.log({"acc": 0.9}, step=2)
        run_id = run.id
    assert store.run("p", run_id).state == "finished"
    assert store.history(run_id) == [{"_step": 0, "loss": 0.5, "big": 10**30},
                                     {"_step": 1, "loss": None, "low": None, "nan": None},
                                     {"_step": 2, "loss": 0.25, "acc": 0.9}]
    assert sorted(row["loss"] for row in store.history(run_id, samples=2)) == [0.25, 0.5]  # nulls: not extremes

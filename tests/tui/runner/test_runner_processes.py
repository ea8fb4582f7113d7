"""Launches run as supervised child processes: the TUI never runs a stage itself, a run outlives the TUI that
started it, a later TUI adopts it, cancel ends it "cancelled" within seconds, a killed child reads "crashed" with its
last lines, the queue survives a restart, and two slots run two launches at once (that every stage
of a pipeline appears is in test_runner_pipeline.py's end-to-end test)."""

from __future__ import annotations

import os
import signal
import time

import pytest

import core
from tests.helpers.runner import wait_until
from tui.app import ArtifactsApp
from tui.runner.launch_request import LaunchRequest

pytestmark = pytest.mark.slow

LONG_TRAIN = {"epochs": 400, "batch_size": 32, "batch_log_interval": 1}  # minutes on digits: cancelled long before


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie of ours counts as gone
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


async def _running_pid(pilot, job) -> int:
    await wait_until(pilot, lambda: job.state == "running" and job.detail.startswith("pid"), timeout=30,
                     what="the child to start")
    return int(job.detail.split()[1].rstrip(","))


async def test_a_launch_is_a_child_process_and_its_run_reaches_the_tui_through_the_store(prepared_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = ArtifactsApp(store=prepared_store)
    async with app.run_test(size=(100, 30)) as pilot:
        job = app.jobs.submit(LaunchRequest(stage="train", train_config={"epochs": 1}))
        pid = await _running_pid(pilot, job)
        assert pid != os.getpid()
        await wait_until(pilot, lambda: not job.active, timeout=120, what="the training to end")
        assert job.state == "finished", job.error
        (run,) = [r for r in prepared_store.runs("artifacts-example") if r.group == job.group]
        assert run.pid == pid and run.state == "finished"
        assert job.progress is not None and job.progress.done == job.progress.total  # a finished run reads 100 %
        assert "train/loss" in job.points and any("Train Epoch" in line for line in job.log)
        assert [o.qualified_name for o in job.outputs] == ["trained-model:v0"]


async def test_a_run_outlives_the_tui_and_a_later_tui_adopts_then_cancels_it(prepared_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = ArtifactsApp(store=prepared_store)
    pid = None
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            job = app.jobs.submit(LaunchRequest(stage="train", train_config=LONG_TRAIN))
            pid = await _running_pid(pilot, job)
            await wait_until(pilot, lambda: "train/loss" in job.points, timeout=60, what="the first losses")
            await pilot.press("q")
            await pilot.press("l")  # quit, leave it running
        assert process_alive(pid)
        again = ArtifactsApp(store=core.open_store(prepared_store.root))
        async with again.run_test(size=(100, 30)) as pilot:
            (adopted,) = again.jobs.active
            assert adopted.state == "running" and adopted.detail == f"pid {pid}"
            await wait_until(pilot, lambda: len(adopted.points.get("train/loss", [])) > 0, timeout=30,
                             what="the adopted run's losses")
            started = time.monotonic()
            assert again.jobs.cancel(adopted)
            await wait_until(pilot, lambda: not adopted.active, timeout=20, what="the cancel")
            assert time.monotonic() - started < 8  # SIGINT reaches the stage at its next batch
            assert adopted.state == "cancelled"
        (run,) = [r for r in prepared_store.runs("artifacts-example") if r.group == adopted.group]
        assert run.state == "cancelled" and run.outputs() == []  # no partial artifact
    finally:
        if pid is not None:
            _kill_group(pid)


async def test_cancel_ends_the_shown_run_cancelled_within_two_seconds(prepared_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = ArtifactsApp(store=prepared_store)
    async with app.run_test(size=(100, 30)) as pilot:
        job = app.jobs.submit(LaunchRequest(stage="train", train_config=LONG_TRAIN))
        pid = await _running_pid(pilot, job)
        try:
            await wait_until(pilot, lambda: "train/loss" in job.points, timeout=60, what="training")
            started = time.monotonic()
            app.jobs.cancel(job)
            await wait_until(pilot, lambda: not job.active, timeout=20, what="the cancel")
            assert job.state == "cancelled" and time.monotonic() - started < 4
            await wait_until(pilot, lambda: not process_alive(pid), timeout=20, what="the child to exit")
        finally:
            _kill_group(pid)


async def test_a_killed_child_reads_crashed_with_its_last_lines(prepared_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = ArtifactsApp(store=prepared_store)
    async with app.run_test(size=(100, 30)) as pilot:
        job = app.jobs.submit(LaunchRequest(stage="train", train_config=LONG_TRAIN))
        pid = await _running_pid(pilot, job)
        await wait_until(pilot, lambda: "train/loss" in job.points, timeout=60, what="training")
        _kill_group(pid)
        await wait_until(pilot, lambda: not job.active, timeout=20, what="the crash to show")
        assert job.state == "crashed" and "killed by signal 9" in job.error and "last lines" in job.error


async def test_the_queue_survives_a_restart_and_two_slots_run_two_launches_at_once(prepared_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = ArtifactsApp(store=prepared_store)
    pids = []
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            app.jobs._slots = 1
            first = app.jobs.submit(LaunchRequest(stage="train", train_config=LONG_TRAIN))
            second = app.jobs.submit(LaunchRequest(stage="train", train_config=LONG_TRAIN))
            pids.append(await _running_pid(pilot, first))
            assert second.state == "queued"
            await pilot.press("q")
            await pilot.press("l")
        again = ArtifactsApp(store=core.open_store(prepared_store.root))
        async with again.run_test(size=(100, 30)) as pilot:
            again.jobs._slots = 2
            again.jobs._start_next()
            states = {job.key: job for job in again.jobs.active}
            assert set(states) == {first.key, second.key}
            pids.append(await _running_pid(pilot, states[second.key]))
            assert states[first.key].state == "running" and states[second.key].state == "running"  # in parallel
            again.jobs.cancel_all()
            await wait_until(pilot, lambda: not again.jobs.active, timeout=30, what="both to stop")
    finally:
        for pid in pids:
            _kill_group(pid)


LEAVE_SCRIPT = """
import sys, time
import core
from tui.app import ArtifactsApp
from tui.runner.launch_request import LaunchRequest

app = ArtifactsApp(store=core.open_store(sys.argv[1]))

async def pilot(p):
    job = app.jobs.submit(LaunchRequest(stage="train", train_config={"epochs": 400, "batch_size": 32}))
    while not job.detail.startswith("pid"):
        await p.pause(0.05)
    print(job.detail.split()[1].rstrip(","), flush=True)
    await p.press("q")
    await p.press("l")

app.run(headless=True, size=(80, 24), auto_pilot=pilot)
print("exited", flush=True)
"""


def test_quitting_and_leaving_runs_running_exits_the_process_at_once(prepared_store, tmp_path):
    import subprocess
    import sys

    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", LEAVE_SCRIPT, str(prepared_store.root)], capture_output=True,
                          text=True, timeout=90, cwd=tmp_path)
    pid = int(done.stdout.split()[0])
    try:
        assert done.returncode == 0 and done.stdout.split()[-1] == "exited", done.stderr[-2000:]
        assert time.monotonic() - started < 60  # it did not wait for the training
        assert process_alive(pid)  # which runs on
    finally:
        _kill_group(pid)

"""What watching costs: the train stage launched from the runner (headless app, runner screen open, progress bar,
charts and log redrawn as it streams) against the same stage with no UI at all.

Both run `tui.runner.launch_request.run_request` on the same store and inputs in a thread of their own (the runner's is a
Textual thread worker), timed in that thread; runs alternate so that drift in the machine's load hits both, and the
best of each is compared. Goal: within 5%. Wall-clock times swing by tens of percent on a shared machine, so two
steadier figures come with it: the process's CPU time for the stage with and without the UI, and the UI thread's CPU
time per second of training (the UI and the training loop share the GIL and the cores: this is what watching can
take from training). Also measured: how often the UI is updated while training (the queue batches events: at most
4 a second whatever the batch rate), and how soon `cancel` stops a training (goal: under 2 s)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from bench.common import Result

TITLE = "Runner: training watched live in the TUI vs no UI (digits)"
REPEAT = 5
CONFIG = {"epochs": 6, "batch_size": 32, "batch_log_interval": 5}  # 228 batches, a chart point every 5


class _Counter:
    def __init__(self) -> None:
        self.updates = 0
        self.ui_cpu = 0.0  # CPU seconds of the UI (main) thread while the stage ran
        self.process_cpu: list[float] = []  # CPU seconds of the whole process, per watched run


def _app(store, workdir: Path):
    from textual.app import App

    import tui
    from tui.runner.actions import install_runner
    from tui.screens.runner import RunnerScreen

    class BenchApp(App):
        CSS_PATH = [Path(tui.__file__).parent / "styles" / "runner.tcss"]

        def on_mount(self) -> None:
            install_runner(self, store, download_root=workdir / "downloads")
            self.push_screen(RunnerScreen(store, self.jobs))

    return BenchApp()


async def _watched(store, workdir: Path, request, counter: _Counter) -> float:
    app = _app(store, workdir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await asyncio.sleep(0.5)  # the app settles (first layout and paint) before the stage starts
        publish = app.jobs._publish

        def counting(job) -> None:
            counter.updates += 1
            publish(job)

        app.jobs._publish = counting
        cpu, process_cpu = time.thread_time(), time.process_time()
        job = app.jobs.submit(request)
        while job.active:
            await asyncio.sleep(0.1)  # what an idle app does: nothing between its timers
        counter.ui_cpu += time.thread_time() - cpu
        counter.process_cpu.append(time.process_time() - process_cpu)
        assert job.state == "finished", job.error
        return job.run_seconds


async def _cancel_latency(store, workdir: Path, request) -> float:
    app = _app(store, workdir)
    async with app.run_test(size=(80, 24)) as pilot:
        job = app.jobs.submit(request)
        while job.progress is None or job.progress.done < 3:
            await pilot.pause(0.02)
        t0 = time.perf_counter()
        app.jobs.cancel(job)
        while job.active:
            await pilot.pause(0.01)
        assert job.state == "cancelled"
        return time.perf_counter() - t0


def run(workdir: Path) -> list[Result]:
    import core
    from tui.runner.launch_request import LaunchRequest, run_request

    store = core.open_store(workdir / "store")
    downloads = workdir / "downloads"
    for stage in ("load-data", "preprocess-data", "initialize"):
        run_request(LaunchRequest(stage=stage), store=store, download_root=downloads)
    request = LaunchRequest(stage="train", train_config=CONFIG)

    def bare() -> float:
        # In a thread, as the runner's worker is: torch runs measurably differently in the main thread, and the
        # comparison is about what the UI costs, not where the stage runs.
        times: list[float] = []

        def timed() -> None:
            t0 = time.perf_counter()
            run_request(request, store=store, download_root=downloads)
            times.append(time.perf_counter() - t0)

        cpu = time.process_time()
        thread = threading.Thread(target=timed)
        thread.start()
        thread.join()
        bare_cpu.append(time.process_time() - cpu)
        return times[0]

    bare_cpu: list[float] = []
    bare()  # warm-up: imports, the first convolutions' kernel set-up
    bare_cpu.clear()
    counter = _Counter()
    bare_times, watched_times = [], []
    for _ in range(REPEAT):
        bare_times.append(bare())
        watched_times.append(asyncio.run(_watched(store, workdir, request, counter)))
    ours, peer = min(watched_times), min(bare_times)
    updates_per_s = counter.updates / sum(watched_times)
    ui_share = counter.ui_cpu / sum(watched_times)
    cpu_ours, cpu_peer = min(counter.process_cpu), min(bare_cpu)
    latency = asyncio.run(_cancel_latency(store, workdir, LaunchRequest(stage="train", train_config={
        **CONFIG, "epochs": 100})))
    batches = CONFIG["epochs"] * -(-1197 // CONFIG["batch_size"])
    return [
        Result(name=f"train stage, {batches} batches, watched in the runner (80x24, headless)", ours=ours, unit="s",
               peer="same stage, no UI", peer_value=peer, goal="<= 1.05x peer", met=ours <= 1.05 * peer),
        Result(name="CPU time of the same stage, watched (process total)", ours=cpu_ours, unit="s",
               peer="same stage, no UI", peer_value=cpu_peer, goal="<= 1.05x peer", met=cpu_ours <= 1.05 * cpu_peer),
        Result(name="UI thread CPU per second of training (the cost the training thread shares)", ours=100 * ui_share,
               unit="%", goal="<= 5 %", met=ui_share <= 0.05),
        Result(name="UI updates while training (batched events)", ours=updates_per_s, unit="/s",
               goal="<= 5 /s", met=updates_per_s <= 5.0),
        Result(name="cancel: from `c` to the run ended cancelled", ours=latency, unit="s", goal="< 2 s",
               met=latency < 2.0),
    ]

"""Speed at scale (issue "Speed at scale"): big stores built in seconds with the store's own bulk path
(tests/helpers/big_store.py), each figure against its peer or floor measured in the same run.

- the first screen in a real pty (os.openpty, 80x24: the terminal a user has), on a store of 100k versions, against
  a bare Textual app with one Static in the same harness; and the longest event-loop stall while it starts;
- opening a 100k-version collection and its next page of older versions, with the longest stall meanwhile (best
  of STALL_RUNS runs, each figure on its own);
- `store.versions()` of a 500k-version collection against the same SQL through sqlite3;
- `artifacts-tui ls P` / `show` on a 1M-version store, against the interpreter start-up and imports alone;
- 1M `run.log` + finish against 10 x the 100k figure (linearity);
- a chart's history: `store.history(samples=1000)` at 100k and 1M steps, against the full read.
"""

from __future__ import annotations

import asyncio
import gc
import os
import select
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Result, best_of

TITLE = "Scale: first screen in a pty, stalls, 500k-version reads, 1M-version CLI, 1M-step runs"
ROOT = Path(__file__).resolve().parent.parent
REPEAT = 3
PTY_REPEAT = 9  # the first screen is short (0.3-0.8 s) and the machine's load moves it: more alternating runs
STALL_RUNS = 3  # the stall probe's runs; each figure is the best of them
PROJECT = "scaleproj"  # what the first screen draws once the tree is there (not in any path shown before)

_PTY_BARE = r"""
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("bare-app-ready")

Bare().run()
"""


def _pty_first_screen(argv: list[str], marker: bytes, env: dict) -> float:
    """Seconds from spawning `argv` in an 80x24 pty until `marker` is drawn (then the process is killed)."""
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=env, start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        deadline = t0 + 60
        while marker not in seen:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{argv[-1]!r} never drew {marker!r}: {seen[-400:]!r}")
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
        return time.perf_counter() - t0
    finally:
        proc.kill()
        proc.wait(timeout=10)
        os.close(master)


async def _stalls(store_path: Path) -> dict[str, float]:
    """Longest event-loop stall (ms) while the app starts, while a 100k-version collection opens and while its
    next page loads; and the seconds from the key press to that page."""
    from textual import events

    import core
    from tui.app import ArtifactsApp
    from tui.widgets.artifact_tree import ArtifactTree, CollectionItem, MoreItem, VersionItem

    worst = [0.0]

    async def probe() -> None:
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.001)
            worst[0] = max(worst[0], time.perf_counter() - t - 0.001)

    def take() -> float:
        value, worst[0] = worst[0], 0.0
        return value * 1000

    def press(key: str) -> None:
        # As the terminal's driver delivers a key: Pilot.press also waits until the process looks idle (up to 1 s
        # twice), which the probe above never lets it look, so it would time the harness
        app.post_message(events.Key(key, None))

    gc.collect()
    gc.freeze()  # as `artifacts-tui` does before its app runs (tui/cli/main.py)
    app = ArtifactsApp(store=core.open_store(store_path), poll_interval=60)
    task = asyncio.get_running_loop().create_task(probe())
    out: dict[str, float] = {}
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            while not (app.screen.query(ArtifactTree) and app.screen.query_one(ArtifactTree).root.children):
                await pilot.pause(0.005)
            await pilot.pause(0.2)
            out["start"] = take()
            tree = app.screen.query_one(ArtifactTree)
            tree.cursor_line = next(i for i in range(tree.last_line + 1)
                                    if isinstance(tree.get_node_at_line(i).data, CollectionItem))
            await pilot.pause()
            take()
            t0 = time.perf_counter()
            press("enter")
            node = tree.cursor_node
            while not any(isinstance(c.data, VersionItem) for c in node.children):
                await asyncio.sleep(0.001)
            out["open_s"] = time.perf_counter() - t0
            await asyncio.sleep(0.2)
            out["open"] = take()
            more = next(c for c in node.children if isinstance(c.data, MoreItem))
            before = len(node.children)
            tree.cursor_line = more.line - 1   # the last version row; a user walks down onto "older versions"
            await pilot.pause()
            take()
            t0 = time.perf_counter()
            press("down")
            while len(node.children) <= before:
                await asyncio.sleep(0.001)
            out["page_s"] = time.perf_counter() - t0
            await asyncio.sleep(0.2)
            out["page"] = take()
    finally:
        task.cancel()
    return out


def _cli(store: Path, *args: str) -> float:
    return best_of(lambda: subprocess.run([sys.executable, "-m", "tui.cli", "--store", str(store), *args], cwd=ROOT,
                                          check=True, stdout=subprocess.DEVNULL), repeat=REPEAT)


def _log_calls(root: Path, calls: int) -> float:
    import core

    store = core.open_store(root)
    os.sync()  # what the stores built before left dirty is written back now, not during the calls timed here
    t0 = time.perf_counter()
    with core.init(project="bench", job_type="log", store=store) as run:
        for i in range(calls):
            run.log({"train/loss": 1.0 / (i + 1), "epoch": i // 1000})
    return time.perf_counter() - t0


def run(workdir: Path) -> list[Result]:
    sys.path.insert(0, str(ROOT))
    import core
    from core.store import _VERSION_SELECT
    from tests.helpers.big_store import big_run, fill_history, fill_versions

    results: list[Result] = []

    # -- a store of 100k versions: the first screen in a pty, and the stalls ------------------------------------
    store_100k = core.open_store(workdir / "s100k")
    bulk = big_run(store_100k, PROJECT)
    fill_versions(store_100k, bulk, PROJECT, "deep", 100_000)
    env = dict(os.environ, TERM="xterm-256color", ARTIFACTS_TUI_HOME=str(workdir / "home"))
    ours_pty, bare_pty = [], []
    for _ in range(PTY_REPEAT):  # alternate, so that a change in the machine's load hits both
        ours_pty.append(_pty_first_screen([sys.executable, "-m", "tui.cli", "--store", str(store_100k.root)],
                                          PROJECT.encode(), env))
        bare_pty.append(_pty_first_screen([sys.executable, "-c", _PTY_BARE], b"bare-app-ready", env))
    first = min(ours_pty)
    results.append(Result("first screen in a real 80x24 pty, store of 100k versions", first, "s",
                          "bare Textual app with one Static, same pty", min(bare_pty), "<= 1.5x peer",
                          first <= 1.5 * min(bare_pty)))
    # Best of STALL_RUNS, each figure on its own, as every other figure here: one run caught whatever else the
    # machine did then (the same code gave 15 and 30 ms for the start on this machine within minutes).
    runs = [asyncio.run(_stalls(store_100k.root)) for _ in range(STALL_RUNS)]
    stalls = {key: min(run[key] for run in runs) for key in runs[0]}
    results.append(Result("longest event-loop stall while the explorer starts", stalls["start"], "ms",
                          goal="< 30 ms", met=stalls["start"] < 30))
    results.append(Result("longest stall opening a 100k-version collection", stalls["open"], "ms",
                          goal="< 30 ms", met=stalls["open"] < 30))
    results.append(Result("next page of older versions (down onto the row, to its rows)", stalls["page_s"] * 1000, "ms",
                          goal="< 100 ms", met=stalls["page_s"] < 0.1))
    results.append(Result("longest stall while that page loads", stalls["page"], "ms", goal="< 30 ms",
                          met=stalls["page"] < 30))

    # -- 500k versions through store.versions() -----------------------------------------------------------------
    fill_versions(store_100k, bulk, PROJECT, "huge", 500_000)
    cid = store_100k._collection_id(PROJECT, "huge")

    def raw() -> None:
        conn = sqlite3.connect(store_100k.root / "store.db")
        conn.execute(_VERSION_SELECT + " WHERE v.collection_id = ? ORDER BY v.idx", (cid,)).fetchall()
        conn.close()

    raw_s = best_of(raw, repeat=REPEAT)
    ours_s = best_of(lambda: store_100k.versions(PROJECT, "huge"), repeat=REPEAT)
    results.append(Result("store.versions() of a 500k-version collection", ours_s, "s",
                          "the same SQL through sqlite3 (tuples)", raw_s, "<= 2x peer", ours_s <= 2 * raw_s))

    # -- the CLI on a 1M-version store --------------------------------------------------------------------------
    store_1m = core.open_store(workdir / "s1m")
    fill_versions(store_1m, big_run(store_1m, PROJECT), PROJECT, "million", 1_000_000)
    floor = best_of(lambda: subprocess.run([sys.executable, "-c", "import tui.cli.main"], cwd=ROOT, check=True),
                    repeat=REPEAT)
    for args in (("ls", PROJECT), ("show", f"{PROJECT}/million:latest"), ("show", f"{PROJECT}/million:v3")):
        took = _cli(store_1m.root, *args)
        results.append(Result(f"`artifacts-tui {' '.join(args)}` on a 1M-version store", took, "s",
                              "python -c 'import tui.cli.main' (start-up alone)", floor, "< 0.5 s", took < 0.5))

    # -- 1M run.log calls against 10 x 100k ---------------------------------------------------------------------
    # One 1M run spans ~15 s of the machine's drift; the best of a few 100k runs would pick their luckiest 1.5 s
    # and bill the difference to linearity. So the 100k runs come before and after it and their median counts.
    from statistics import median

    hundred = [_log_calls(workdir / "log100k-0", 100_000)]
    million = _log_calls(workdir / "log1m", 1_000_000)
    hundred += [_log_calls(workdir / f"log100k-{i}", 100_000) for i in (1, 2)]
    hundred_k = median(hundred)
    results.append(Result("1,000,000 run.log calls + finish", million, "s", "10 x the 100,000-call figure (median)",
                          10 * hundred_k, "<= 1.05x peer", million <= 1.05 * 10 * hundred_k))

    # -- a chart's read of a 100k / 1M-step history -------------------------------------------------------------
    for steps in (100_000, 1_000_000):
        run_info = big_run(store_1m, PROJECT, run_id=f"hist{steps}", name=f"hist-{steps}")
        fill_history(store_1m, run_info, steps, spike_at=steps // 2)
        sampled = best_of(lambda: store_1m.history(run_info.id, samples=1000), repeat=REPEAT)
        full = best_of(lambda: store_1m.history(run_info.id), repeat=1)
        results.append(Result(f"chart read of a {steps:,}-step run: history(samples=1000)", sampled, "s",
                              "the full history read", full, "< 0.3 s", sampled < 0.3))
    return results

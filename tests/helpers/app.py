"""What the TUI tests share: a small real store built through the public API (`build_demo_store`), a frozen clock,
`settle`, which waits for the app's store workers instead of sleeping, bounded waits, the screen as text, keyboard
walks to a version or a run, and other processes writing to (or reading) the store while the app watches."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerState

import core
from tui.widgets.artifact_tree import ArtifactTree, CollectionItem, ProjectItem, TypeItem, VersionItem
from tui.widgets.run_table import RunTable

PROJECT = "demo"
ROOT = Path(__file__).resolve().parents[2]  # the repository: `import core` in another process finds it from here


def log_version(run, name: str, type_: str, files: dict[str, bytes], *, aliases=(), description=None,
                metadata=None):
    artifact = core.Artifact(name, type=type_, description=description, metadata=metadata)
    for path, data in files.items():
        with artifact.new_file(path, mode="wb") as f:
            f.write(data)
    return run.log_artifact(artifact, aliases=list(aliases))


def build_demo_store(store) -> None:
    """demo/mnist-raw v0..v2 ("best" on v1), demo/convnet v0 ("production"), and three runs."""
    with core.init(project=PROJECT, job_type="load-data", name="load-digits", id="load0001", store=store,
                   config={"seed": 0, "dataset": "digits"}) as run:
        for i in range(3):
            files = {"train.pt": b"x" * (100 * (i + 1)), "labels.txt": b"0123456789"}
            if i >= 1:
                files[f"extra-{i}.txt"] = b"e" * i
            log_version(run, "mnist-raw", "dataset", files, aliases=["best"] if i == 1 else [],
                        description=f"Raw digits, split train/val/test (take {i})",
                        metadata={"sizes": [1000, 400, 397], "take": i, "source": {"name": "digits", "upsample": 28}})
        for step in range(10):
            run.log({"train/loss": 1.0 / (step + 1), "accuracy": step * 10.0}, step=step)
        run.summary.update({"accuracy": 90.0})
    with core.init(project=PROJECT, job_type="train", name="train-convnet", id="train001", store=store,
                   config={"epochs": 5, "lr": 0.001}) as run:
        run.use_artifact("mnist-raw:latest")
        log_version(run, "convnet", "model", {"model.pth": b"\0" * 2000}, aliases=["production"],
                    metadata={"layers": 3})
        run.summary.update({"accuracy": 97.5, "loss": 0.08})
    with pytest.raises(RuntimeError):
        with core.init(project=PROJECT, job_type="evaluate", name="eval-broken", id="eval0001", store=store):
            raise RuntimeError("evaluation failed on purpose")


def frozen_clock(store):
    """A clock three minutes after the newest thing in `store`: every age reads "3m" whatever the real time."""
    stamps = [run.created_at for project in store.projects() for run in store.runs(project)]
    for project in store.projects():
        for collection in store.collections(project):
            stamps += [v.created_at for v in store.versions(project, collection.name)]
    now = max(stamps) + timedelta(minutes=3, seconds=1)
    return lambda: now


async def settle(pilot: Pilot, rounds: int = 50) -> None:
    """Wait until no store worker is pending or running and the screen has processed what they delivered."""
    app = pilot.app
    for _ in range(rounds):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # a newer call of its group superseded it, as the screens intend: wait again
            pass
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            await pilot.pause()
            if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
                return


async def wait_until(pilot: Pilot, condition, timeout: float = 10.0) -> bool:
    """Let the app run (its timers fire, its workers finish) until `condition()` holds; no key is pressed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


def tree_labels(app) -> list[str]:
    """The tree's visible rows as plain text."""
    tree = app.screen.query_one(ArtifactTree)
    return [tree.get_node_at_line(i).label.plain for i in range(tree.last_line + 1)]


async def open_version(pilot: Pilot, ref: str) -> None:
    """Expand the tree down to version `ref` ("demo/name:vN") with keys, and put the cursor on it."""
    app = pilot.app
    await settle(pilot)
    tree = app.screen.query_one(ArtifactTree)
    project, rest = ref.split("/", 1)
    name, version = rest.rsplit(":", 1)

    def line_of(predicate) -> int:
        for i in range(tree.last_line + 1):
            if predicate(tree.get_node_at_line(i).data):
                return i
        raise AssertionError(f"no row for {ref}: {tree_labels(app)}")

    async def move_to(line: int) -> None:
        while tree.cursor_line < line:
            await pilot.press("down")
        while tree.cursor_line > line:
            await pilot.press("up")

    for is_row in (
        lambda d: isinstance(d, ProjectItem) and d.project == project,
        lambda d: isinstance(d, TypeItem) and d.project == project,
        lambda d: isinstance(d, CollectionItem) and d.project == project and d.name == name,
    ):
        rows = [i for i in range(tree.last_line + 1) if is_row(tree.get_node_at_line(i).data)]
        if isinstance(tree.get_node_at_line(rows[0]).data, TypeItem):
            # the type row holding the collection
            rows = [i for i in rows if any(c.data.name == name for c in tree.get_node_at_line(i).children
                                           if isinstance(c.data, CollectionItem))]
        await move_to(rows[0])
        if not tree.cursor_node.is_expanded:
            await pilot.press("enter")
            await settle(pilot)
    await move_to(line_of(lambda d: isinstance(d, VersionItem) and d.name == name and f"v{d.index}" == version))
    await settle(pilot)


_SGR = re.compile(r"\x1b\[[0-9;]*m")          # colours and attributes: what Textual itself sends
_MOVE = re.compile(r"\x1b\[[0-9]+;[0-9]+H")     # cursor moves at the start of each line


def terminal_output(app) -> str:
    """What a real terminal would receive for a full repaint of the current screen."""
    update = app.screen._compositor.render_update(full=True)
    return update.render_segments(app.console)


def screen_text(app) -> str:
    """The current screen as plain text, one line per row."""
    return _MOVE.sub("", _SGR.sub("", terminal_output(app)))


def foreign_controls(app) -> list[str]:
    """Control characters in the terminal output that are not Textual's own colour and cursor sequences."""
    text = screen_text(app)
    return [hex(ord(ch)) for ch in text if (ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F
            or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"]


async def move_to_run(pilot, name: str) -> None:
    """Move the runs table's cursor down to the run called `name`."""
    table = pilot.app.screen.query_one(RunTable)
    for _ in range(table.row_count):
        if table.get_row_at(table.cursor_row)[0].plain == name:
            break
        await pilot.press("down")
    await settle(pilot)
    assert table.get_row_at(table.cursor_row)[0].plain == name


def in_another_process(store, code: str) -> subprocess.Popen:
    """Run `code` (indented as in a test) in a fresh interpreter, with `store` opened on the same root."""
    script = "import sys, time, core\nstore = core.open_store(sys.argv[1])\n" + textwrap.dedent(code)
    return subprocess.Popen([sys.executable, "-c", script, str(store.root)], cwd=ROOT)


def holders(store, alias: str, name: str = "mnist-raw") -> list[str]:
    """The versions of demo/NAME holding `alias`, read through `store`."""
    return [v.version for v in store.versions("demo", name) if alias in v.aliases]


def holders_from_another_process(store, alias: str) -> list[str]:
    """Ask a fresh process: the change must be in the store's files, not only in this process's memory."""
    code = (
        "import core, json, sys; s = core.open_store(sys.argv[1]); "
        "print(json.dumps([v.version for v in s.versions('demo', 'mnist-raw') if sys.argv[2] in v.aliases]))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(store.root), alias], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)

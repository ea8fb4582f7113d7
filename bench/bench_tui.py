"""What opening the explorer costs: time to the first interactive screen and memory on a store of 10,000 versions
in 20 collections (torch and wandb must stay unimported), and the time to open one collection of 10,000 versions.

Start-up is measured in a fresh interpreter each time (imports included), from the first line of the process until
the tree lists the store, against the same harness around a bare Textual app (a header, a one-row tree, a footer):
the floor any Textual app pays. Opening a collection is measured in a running app from the key press to the first
page of rows on screen, against reading all 10,000 versions from the store (what an unpaged view would need first).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Result, best_of

TITLE = "TUI: first screen, memory, and opening a 10,000-version collection"
REPEAT = 5
ROOT = Path(__file__).resolve().parent.parent

_STARTUP = r"""
import time
t0 = time.perf_counter()
import asyncio, json, resource, sys
which, path = sys.argv[1], sys.argv[2]

async def main():
    if which == "ours":
        import core
        from tui.app import ArtifactsApp
        from tui.widgets.artifact_tree import ArtifactTree
        app = ArtifactsApp(store=core.open_store(path))
        ready = lambda: app.screen.query(ArtifactTree) and app.screen.query_one(ArtifactTree).root.children
    else:
        from textual.app import App
        from textual.widgets import Footer, Header, Tree

        class Bare(App):
            def compose(self):
                tree = Tree("store")
                tree.root.add_leaf("project")
                yield Header()
                yield tree
                yield Footer()

        app = Bare()
        ready = lambda: app.screen.query(Tree)
    async with app.run_test(size=(80, 24)) as pilot:
        while not ready():
            await pilot.pause(0.002)
        await pilot.pause()
        elapsed = time.perf_counter() - t0
        heavy = sorted(m for m in ("torch", "wandb") if m in sys.modules)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "rss_mb": rss, "heavy": heavy}))

asyncio.run(main())
"""


def _build(root: Path, collections: int, versions: int) -> Path:
    """A store of `collections` x `versions` (each version: one small file, distinct by its name)."""
    import core

    payload = root / "payload.bin"
    payload.parent.mkdir(parents=True, exist_ok=True)
    payload.write_bytes(b"x" * 1000)
    store = core.open_store(root / "store")
    with core.init(project="bench", job_type="build", store=store) as run:
        for c in range(collections):
            for v in range(versions):
                artifact = core.Artifact(f"collection-{c:02d}", type="dataset" if c % 2 else "model")
                artifact.add_file(payload, name=f"file-{v}.bin")
                run.log_artifact(artifact, aliases=["best"] if v == versions // 2 else [])
    return root / "store"


def _startup(which: str, store: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _STARTUP, which, str(store)], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


async def _open_collection(store_path: Path) -> float:
    import core
    from tui.app import ArtifactsApp
    from tui.widgets.artifact_tree import ArtifactTree, CollectionItem, VersionItem

    app = ArtifactsApp(store=core.open_store(store_path), poll_interval=60)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = None
        while tree is None or not tree.root.children:
            await pilot.pause(0.01)
            tree = app.screen.query_one(ArtifactTree) if app.screen.query(ArtifactTree) else None
        await pilot.pause()
        line = next(i for i in range(tree.last_line + 1) if isinstance(tree.get_node_at_line(i).data, CollectionItem))
        tree.cursor_line = line
        await pilot.pause()
        t0 = time.perf_counter()
        await pilot.press("enter")
        while not any(isinstance(c.data, VersionItem) for c in tree.cursor_node.children):
            await pilot.pause(0.001)
        await pilot.pause()
        return time.perf_counter() - t0


def run(workdir: Path) -> list[Result]:
    import core

    wide = _build(workdir / "wide", collections=20, versions=500)
    deep = _build(workdir / "deep", collections=1, versions=10_000)

    ours, bare = [], []
    for _ in range(REPEAT):  # alternate, so that a change in the machine's load hits both
        ours.append(_startup("ours", wide))
        bare.append(_startup("bare", wide))
    first_screen = min(r["seconds"] for r in ours)
    rss = max(r["rss_mb"] for r in ours)
    heavy = sorted({m for r in ours for m in r["heavy"]})

    opening = min(asyncio.run(_open_collection(deep)) for _ in range(REPEAT))
    deep_store = core.open_store(deep)
    unpaged = best_of(lambda: deep_store.versions("bench", "collection-00"), repeat=REPEAT)

    return [
        Result("first interactive screen, 10,000 versions in 20 collections", first_screen, "s",
               peer="bare Textual app, same harness", peer_value=min(r["seconds"] for r in bare),
               goal="< 0.5 s", met=first_screen < 0.5),
        Result("memory (max RSS) at the first screen", rss, "MB", peer="bare Textual app",
               peer_value=max(r["rss_mb"] for r in bare), goal="< 150 MB", met=rss < 150),
        Result(f"torch/wandb imported at start-up ({', '.join(heavy) or 'none'})", float(len(heavy)), "modules",
               goal="0", met=not heavy),
        Result("open a collection of 10,000 versions (key press to first page)", opening, "s",
               peer="store.versions() of all 10,000 (unpaged)", peer_value=unpaged, goal="< 0.3 s",
               met=opening < 0.3),
    ]

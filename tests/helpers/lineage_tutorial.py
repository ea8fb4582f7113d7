"""The graph of W&B's "Track models and datasets" tutorial as a user ends up with it: the five stages run once, then
training and the report run again (a second trained model, now "best"). Built by hand, without a store, so that
golden renders depend on the layout code alone; `build_tutorial_store` makes the same thing in a real store."""

from __future__ import annotations

from core.lineage.graph import Graph, run_node, version_node

PROJECT = "artifacts-example"


def tutorial_graph() -> Graph:
    g = Graph()

    def version(name: str, index: int, type_: str, aliases=()) -> str:
        return g.add_node(version_node(PROJECT, name, index, type_, aliases)).id

    def run(run_id: str, name: str, job_type: str, inputs=()) -> str:
        node = g.add_node(run_node(run_id, name, job_type)).id
        for v in inputs:
            g.add_edge(v, node)
        return node

    # In the order a store creates them (each run, then what it logs), as `build_graph` reads them back.
    r1 = run("r1", "sunny-smoke-1", "load-data")
    raw = version("mnist-raw", 0, "dataset", ["latest"])
    r2 = run("r2", "misty-river-2", "preprocess-data", inputs=[raw])
    pre = version("mnist-preprocess", 0, "dataset", ["latest"])
    r3 = run("r3", "bold-cloud-3", "initialize")
    net = version("convnet", 0, "model", ["latest"])
    r4 = run("r4", "quiet-wave-4", "train", inputs=[pre, net])
    m0 = version("trained-model", 0, "model")
    run("r5", "calm-sun-5", "report", inputs=[pre, m0])
    r6 = run("r6", "brave-leaf-6", "train", inputs=[pre, net])
    m1 = version("trained-model", 1, "model", ["best", "latest"])
    run("r7", "dry-dew-7", "report", inputs=[pre, m1])
    for producer, product in ((r1, raw), (r2, pre), (r3, net), (r4, m0), (r6, m1)):
        g.add_edge(producer, product)
    return g.finish()


def build_tutorial_store(store) -> None:
    """The same project in `store`, through the public API (tiny files stand in for the data)."""
    import core

    def log(run, name, type_, data, aliases=()):
        artifact = core.Artifact(name, type=type_)
        with artifact.new_file("data.bin", mode="wb") as f:
            f.write(data)
        return run.log_artifact(artifact, aliases=list(aliases))

    def init(run_id, name, job_type):
        return core.init(project=PROJECT, job_type=job_type, name=name, id=run_id, store=store)

    with init("r1", "sunny-smoke-1", "load-data") as run:
        log(run, "mnist-raw", "dataset", b"raw")
    with init("r2", "misty-river-2", "preprocess-data") as run:
        run.use_artifact("mnist-raw:latest")
        log(run, "mnist-preprocess", "dataset", b"pre")
    with init("r3", "bold-cloud-3", "initialize") as run:
        log(run, "convnet", "model", b"net")
    with init("r4", "quiet-wave-4", "train") as run:
        run.use_artifact("mnist-preprocess:latest")
        run.use_artifact("convnet:latest")
        log(run, "trained-model", "model", b"m0")
    with init("r5", "calm-sun-5", "report") as run:
        run.use_artifact("mnist-preprocess:latest")
        run.use_artifact("trained-model:latest")
    with init("r6", "brave-leaf-6", "train") as run:
        run.use_artifact("mnist-preprocess:latest")
        run.use_artifact("convnet:latest")
        log(run, "trained-model", "model", b"m1", aliases=["best"])
    with init("r7", "dry-dew-7", "report") as run:
        run.use_artifact("mnist-preprocess:latest")
        run.use_artifact("trained-model:latest")

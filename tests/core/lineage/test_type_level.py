"""The type-level lineage built from the store's counts (`build_type_graph`): the very graph the version-level model
collapses to on a small store, and on a store of 100k versions drawn from a few rows, no version read."""

from __future__ import annotations

import pytest

import core
from core.lineage import draw, view
from core.lineage.build import build_graph, build_type_graph, summarize
from tests.helpers.app import build_demo_store, log_version
from tests.helpers.big_store import big_run, fill_versions
from tests.helpers.lineage_tutorial import PROJECT, build_tutorial_store


def _shape(graph):
    """What a drawing of a type-level graph depends on: nodes in order, edges in order, and the pipeline order;
    of `members`, the newest (the node the TUI's cursor goes to when a type is expanded)."""
    return ([(n.id, n.kind, n.label, n.type, n.members[-1:]) for n in graph.nodes.values()], graph.edges,
            graph.order_hint)


def test_the_counted_type_level_is_the_collapsed_model(store):
    build_tutorial_store(store)
    build_demo_store(store)
    with core.init(project="demo", job_type="compare", name="cross", store=store) as run:
        run.use_artifact(f"{PROJECT}/mnist-raw:v0")   # a version of another project
        run.use_artifact("demo/mnist-raw:v0")
        log_version(run, "mnist-raw", "dataset", {"train.pt": b"x" * 100, "labels.txt": b"0123456789"})  # dedup
        log_version(run, "notes", "text", {"n.txt": b"n"})
    with core.init(project="demo", job_type="idle", store=store):
        pass
    for project in (PROJECT, "demo"):
        model = build_graph(store, project)
        counted = build_type_graph(store, project)
        assert _shape(counted) == _shape(view(model, "type")), project
        assert draw(counted, 80) == draw(view(model, "type"), 80)
        # the store's SQL counts agree with the same summary derived from every version (what the W&B store does)
        assert store.lineage_summary(project) == summarize(store, project)
    assert "[dataset (4)]" in draw(build_type_graph(store, "demo"), 100)  # 3 of demo's own, 1 of the other project


@pytest.mark.slow
def test_the_type_level_of_100k_versions_reads_a_few_rows_and_no_version(tmp_path, monkeypatch):
    store = core.open_store(tmp_path / "big")
    train = big_run(store, "big", "train001", name="train")
    fill_versions(store, train, "big", "ds", 100_000)
    with core.init(project="big", job_type="evaluate", name="eval", id="eval0001", store=store) as run:
        for index in (0, 99_999):
            run.use_artifact(f"big/ds:v{index}")
        log_version(run, "report", "report", {"r.txt": b"r"})

    rows = []
    read = store.db.read

    def counting_read(sql, params=()):
        found = read(sql, params)
        rows.append(len(found))
        return found

    def no_version(*_args):
        raise AssertionError("the type level made an ArtifactVersion")

    monkeypatch.setattr(store.db, "read", counting_read)
    monkeypatch.setattr(store, "_version", no_version)
    graph = build_type_graph(store, "big")
    assert sum(rows) < 40, rows   # classes, edge groups and stamps: not a row per version
    assert {n.label for n in graph.nodes.values()} == {"train (1)", "dataset (100000)", "evaluate (1)", "report (1)"}
    assert set(graph.edges) == {("job_type:train", "artifact_type:dataset"), ("artifact_type:dataset", "job_type:evaluate"),
                                ("job_type:evaluate", "artifact_type:report")}
    assert graph.nodes["artifact_type:dataset"].members == ("version:big/ds:v99999",)  # the newest
    assert [graph.order_hint[n] for n in ("job_type:train", "artifact_type:dataset", "job_type:evaluate")] == [0, 1, 2]

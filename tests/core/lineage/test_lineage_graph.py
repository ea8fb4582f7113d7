"""The lineage model's views: type level, version level, one type expanded or collapsed, and focus."""

from __future__ import annotations

import pytest

from core.lineage.graph import (
    ARTIFACT_TYPE, JOB_TYPE, MORE, RUN_CLUSTER, VERSION_CLUSTER, Graph, Node, cluster, describe, focus, run_node,
    version_node, view,
)
from tests.helpers.lineage_tutorial import PROJECT, tutorial_graph


def labels(graph: Graph) -> set[str]:
    return {node.text for node in graph.nodes.values()}


def label_edges(graph: Graph) -> set[tuple[str, str]]:
    return {(graph.nodes[a].label, graph.nodes[b].label) for a, b in graph.edges}


def test_version_level_is_runs_and_versions_with_their_aliases():
    g = view(tutorial_graph(), "version")
    assert "mnist-raw:v0 (latest)" in labels(g)
    assert "trained-model:v1 (best, latest)" in labels(g)  # user aliases first, latest last
    assert "train:quiet-wave-4" in labels(g)
    assert ("load-data:sunny-smoke-1", "mnist-raw:v0") in label_edges(g)
    assert ("mnist-preprocess:v0", "train:brave-leaf-6") in label_edges(g)
    assert g.nodes[f"version:{PROJECT}/trained-model:v1"].ref == f"{PROJECT}/trained-model:v1"


def test_type_level_merges_nodes_and_edges_and_counts_members():
    g = view(tutorial_graph(), "type")
    assert labels(g) == {
        "load-data (1)", "preprocess-data (1)", "initialize (1)", "train (2)", "report (2)",
        "dataset (2)", "model (3)",
    }
    assert label_edges(g) == {
        ("load-data (1)", "dataset (2)"), ("dataset (2)", "preprocess-data (1)"),
        ("preprocess-data (1)", "dataset (2)"), ("initialize (1)", "model (3)"), ("dataset (2)", "train (2)"),
        ("model (3)", "train (2)"), ("train (2)", "model (3)"), ("dataset (2)", "report (2)"),
        ("model (3)", "report (2)"),
    }
    assert g.nodes["artifact_type:model"].kind == ARTIFACT_TYPE
    assert g.nodes["job_type:train"].kind == JOB_TYPE
    # every model node is shown by its type node
    assert g.owner[f"version:{PROJECT}/convnet:v0"] == "artifact_type:model"
    assert g.owner["run:r4"] == "job_type:train"


def test_an_artifact_type_and_a_job_type_of_the_same_name_stay_apart():
    m = Graph()
    v = m.add_node(version_node("p", "data", 0, "train")).id
    r = m.add_node(run_node("r", "x", "train")).id
    m.add_edge(v, r)
    g = view(m.finish(), "type")
    assert set(g.nodes) == {"artifact_type:train", "job_type:train"}
    assert g.edges == [("artifact_type:train", "job_type:train")]


def test_expanding_one_type_shows_its_versions_and_keeps_the_rest_collapsed():
    g = view(tutorial_graph(), "type", toggled={"artifact_type:dataset"})
    assert "mnist-raw:v0 (latest)" in labels(g) and "mnist-preprocess:v0 (latest)" in labels(g)
    assert "dataset (2)" not in labels(g)
    assert "model (3)" in labels(g) and "train (2)" in labels(g)
    assert ("preprocess-data (1)", "mnist-preprocess:v0") in label_edges(g)
    assert ("mnist-preprocess:v0", "train (2)") in label_edges(g)


def test_collapsing_one_type_at_version_level():
    g = view(tutorial_graph(), "version", toggled={"job_type:train"})
    assert "train (2)" in labels(g)
    assert "train:quiet-wave-4" not in labels(g)
    assert ("train (2)", "trained-model:v1") in label_edges(g)
    assert "convnet:v0 (latest)" in labels(g)


def test_unknown_level_is_an_error():
    with pytest.raises(ValueError):
        view(tutorial_graph(), "collection")


def test_focus_keeps_two_hops_each_way_and_marks_what_it_left_out():
    g = view(tutorial_graph(), "version")
    center = f"version:{PROJECT}/convnet:v0"
    f = focus(g, center)
    kept = {n.label for n in f.nodes.values() if n.kind != MORE}
    assert kept == {
        "convnet:v0", "initialize:bold-cloud-3",                  # up: the run that logged it (nothing above)
        "train:quiet-wave-4", "train:brave-leaf-6",                # down 1
        "trained-model:v0", "trained-model:v1",                    # down 2
    }
    more = {(f.nodes[a].label, f.nodes[b].label) for a, b in f.edges if MORE in (f.nodes[a].kind, f.nodes[b].kind)}
    assert more == {
        ("+1 version", "train:quiet-wave-4"), ("+1 version", "train:brave-leaf-6"),  # mnist-preprocess:v0 feeds both
        ("trained-model:v0", "+1 run"), ("trained-model:v1", "+1 run"),             # each goes to a report
    }


def test_focus_limits_fanout_to_the_newest_neighbours():
    m = Graph()
    v = m.add_node(version_node("p", "data", 0, "dataset")).id
    for i in range(20):
        r = m.add_node(run_node(f"r{i}", f"run-{i}", "train")).id
        m.add_edge(v, r)
    f = focus(m.finish(), v, fanout=5)
    runs = [n.label for n in f.nodes.values() if n.kind == "run"]
    assert runs == [f"train:run-{i}" for i in range(15, 20)]
    assert [n.label for n in f.nodes.values() if n.kind == MORE] == ["+15 runs"]


def test_focus_on_an_unknown_node_is_an_error():
    with pytest.raises(KeyError):
        focus(tutorial_graph(), "version:nope/x:v0")


def test_map_labels_reaches_labels_and_aliases():
    g = Graph()
    g.add_node(Node("a", "version", "x\x1b[31m", aliases=("b\x07",)))
    shown = g.finish().map_labels(lambda s: s.replace("\x1b", "ESC").replace("\x07", "BEL"))
    assert shown.nodes["a"].text == "xESC[31m (bBEL)"


def test_edges_are_deduplicated_and_self_loops_dropped():
    g = Graph()
    g.add_node(Node("a", "run", "a"))
    g.add_node(Node("b", "version", "b"))
    g.add_edge("a", "b")
    g.add_edge("a", "b")
    g.add_edge("a", "a")
    assert g.finish().edges == [("a", "b")]
    with pytest.raises(KeyError):
        g.add_edge("a", "nope")


def test_focus_with_a_limit_leaves_out_only_what_does_not_fit_and_reveals_on_request():
    g = view(tutorial_graph(), "type")
    whole = focus(g, "artifact_type:model", up=99, down=99, fanout=0, limit=40)
    assert set(whole.nodes) == set(g.nodes)  # 7 nodes fit: nothing is hidden, however far
    m = Graph()
    v = m.add_node(version_node("p", "data", 0, "dataset")).id
    for i in range(6):
        m.add_node(run_node(f"r{i}", f"run-{i}", "train"))
        m.add_edge(v, f"run:r{i}")
    m.add_node(version_node("p", "model", 0, "model"))
    m.add_edge("run:r0", "version:p/model:v0")
    m.finish()
    trimmed = focus(m, v, up=99, down=99, fanout=0, limit=4)
    more = [n for n in trimmed.nodes.values() if n.kind == MORE]
    assert [n.label for n in more] == ["+3 runs"]  # says what it hides; the newest runs are kept
    assert {n.label for n in trimmed.nodes.values() if n.kind == "run"} == {"train:run-5", "train:run-4", "train:run-3"}
    shown = focus(m, v, up=99, down=99, fanout=0, limit=4, keep=more[0].members)
    assert {n.label for n in shown.nodes.values() if n.kind == "run"} == {f"train:run-{i}" for i in range(6)}
    assert [n.label for n in shown.nodes.values() if n.kind == MORE] == ["+1 version"]  # model:v0, past run-0
    assert describe([m.nodes["run:r0"], m.nodes[v], m.nodes["run:r1"]]) == "2 runs, 1 version"


def test_five_similar_nodes_or_more_are_one_cluster_until_expanded():
    m = Graph()
    data = m.add_node(version_node("p", "data", 0, "dataset")).id
    for i in range(6):
        m.add_node(run_node(f"r{i}", f"run-{i}", "train"))
        m.add_edge(data, f"run:r{i}")
        m.add_node(version_node("p", "model", i, "model", ["best"] if i == 2 else ()))
        m.add_edge(f"run:r{i}", f"version:p/model:v{i}")
    m.add_node(run_node("e", "eval-1", "evaluate"))
    m.add_edge("version:p/model:v5", "run:e")
    m.finish()
    c = cluster(m)
    assert {n.text for n in c.nodes.values()} == {"data:v0", "train: 6 runs", "model: 6 versions (best)",
                                                  "evaluate:eval-1"}
    assert c.nodes["cluster:run:train"].kind == RUN_CLUSTER
    assert c.nodes["cluster:version:p/model"].kind == VERSION_CLUSTER
    assert set(c.edges) == {("version:p/data:v0", "cluster:run:train"), ("cluster:run:train", "cluster:version:p/model"),
                            ("cluster:version:p/model", "run:e")}
    assert c.owner["run:r3"] == "cluster:run:train"
    opened = cluster(m, expanded={"cluster:run:train"})
    assert "train:run-3" in {n.label for n in opened.nodes.values()} and "cluster:version:p/model" in opened.nodes
    # the node a focus is on stays itself; four of a kind are not a cluster
    apart = cluster(m, apart={"version:p/model:v5"})
    assert "version:p/model:v5" in apart.nodes and apart.nodes["cluster:version:p/model"].label == "model: 5 versions"
    assert "cluster:version:p/model" not in cluster(m, apart={"version:p/model:v5", "version:p/model:v4"}).nodes

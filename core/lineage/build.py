"""The lineage model of one project, read from any store with the interface of API.md.

`build_graph` (version level) makes only four calls: `runs`, `collections`, `versions` (for aliases) and
`lineage_edges`, which a W&B-backed store answers as cheaply as the local one. Nodes come out oldest first (runs and
versions by creation time), so the drawing of a project is the same every time it is read, and "the newest" is
always at the end.

`build_type_graph` (type level) reads no version at all: it takes the store's `lineage_summary` (versions grouped
into classes that share their edges, counted by the store) and gives the graph `view(build_graph(...), "type")`
gives, except that a type node's `members` names only its newest member (what the TUI puts the cursor on) and
`owner` maps the type nodes and runs only. Versions of one class have the same neighbours, so they have the same
depth in the pipeline: the classes give every type its exact `order_hint`. `summarize` derives the summary from
the four calls above, for a store that cannot count in aggregate.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from core import names
from core.lineage.graph import (
    ARTIFACT_TYPE, JOB_TYPE, VERSION, Graph, Node, pipeline_order, run_id, run_node, type_node_id, version_id,
    version_node,
)
from core.lineage_summary import class_order
from core.values import LineageSummary, VersionClass

_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


def build_graph(store: Any, project: str) -> Graph:
    """Runs and artifact versions of `project` with their lineage edges (version level)."""
    stamped: list[tuple[datetime, int, str, Node]] = []
    for collection in store.collections(project):
        for v in store.versions(project, collection.name):
            node = version_node(project, v.name, v.index, v.type, v.aliases)
            stamped.append((v.created_at or _EPOCH, 1, node.id, node))
    for run in store.runs(project):
        node = run_node(run.id, run.name, run.job_type)
        stamped.append((run.created_at or _EPOCH, 0, node.id, node))
    stamped.sort(key=lambda item: (item[0], item[1], item[2]))
    graph = Graph()
    for _, _, _, node in stamped:
        graph.add_node(node)
    for edge in store.lineage_edges(project):
        vid = version_id(edge.project, edge.name, edge.index)
        if vid not in graph.nodes:  # a version this project's runs used from elsewhere
            graph.add_node(version_node(edge.project, edge.name, edge.index, edge.type))
        rid = run_id(edge.run_id)
        if rid not in graph.nodes:
            continue
        if edge.direction == "output":
            graph.add_edge(rid, vid)
        else:
            graph.add_edge(vid, rid)
    return graph.finish()


def build_type_graph(store: Any, project: str) -> Graph:
    """The type-level graph of `project` from the store's summary (see the module's docstring)."""
    return type_graph(store.lineage_summary(project), store.runs(project))


def type_graph(summary: LineageSummary, runs: list[Any]) -> Graph:
    """The type-level graph of a project with these runs (`RunInfo`s) and this summary."""
    by_collection: dict[tuple[str, str], list[tuple[int, VersionClass]]] = {}
    for k, c in enumerate(summary.classes):
        by_collection.setdefault((c.project, c.name), []).append((k, c))

    def class_edges():
        for rid, project, name, direction in summary.edge_groups:
            for k, c in by_collection.get((project, name), ()):
                if rid in (c.logged_by if direction == "output" else c.used_by):
                    yield k, rid, direction

    # The model with each class of versions as one node, in build_graph's order: runs and versions by creation
    # time, then versions of other projects in the order the edges name them. Each entry: (where the node sorts,
    # where its newest member sorts, the node, how many it stands for, the newest member's id).
    entries: list[tuple[tuple, tuple, Node, int, str]] = []
    for run in runs:
        node = run_node(run.id, run.name, run.job_type)
        key = (0, run.created_at or _EPOCH, 0, node.id)
        entries.append((key, key, node, 1, node.id))
    first_edge: dict[int, int] = {}
    for position, (k, _, _) in enumerate(class_edges()):
        first_edge.setdefault(k, position)
    for k, c in enumerate(summary.classes):
        node = Node(id=f"class:{k}", kind=VERSION, label=f"{c.name}:v{c.oldest}..v{c.newest}", type=c.type,
                    group=type_node_id(VERSION, c.type))
        newest = version_id(c.project, c.name, c.newest)
        if c.foreign:
            key = (1, first_edge.get(k, len(first_edge)), c.oldest)
            entries.append((key, key, node, c.count, newest))
        else:
            entries.append(((0, c.first_at or _EPOCH, 1, version_id(c.project, c.name, c.oldest)),
                            (0, c.last_at or _EPOCH, 1, newest), node, c.count, newest))
    entries.sort(key=lambda entry: entry[0])
    model = Graph()
    for _, _, node, _, _ in entries:
        model.add_node(node)
    for k, rid, direction in class_edges():
        if direction == "output":
            model.add_edge(run_id(rid), f"class:{k}")
        else:
            model.add_edge(f"class:{k}", run_id(rid))
    model.finish()

    # Its type level: one node per type, counting the versions (or runs) it stands for, at its members' least depth.
    depth = pipeline_order(model)
    counts: dict[str, int] = {}
    newest_of: dict[str, tuple[tuple, str]] = {}
    for _, last_key, node, count, newest in entries:
        counts[node.group] = counts.get(node.group, 0) + count
        if node.group not in newest_of or last_key > newest_of[node.group][0]:
            newest_of[node.group] = (last_key, newest)
    out = Graph()
    for _, _, node, _, _ in entries:
        group = node.group
        if group not in out.nodes:
            out.add_node(Node(id=group, kind=ARTIFACT_TYPE if node.kind == VERSION else JOB_TYPE,
                              label=f"{node.type} ({counts[group]})", type=node.type,
                              members=(newest_of[group][1],)))
            out.owner[group] = group
            out.order_hint[group] = depth[node.id]
        out.order_hint[group] = min(out.order_hint[group], depth[node.id])
        if node.kind != VERSION:
            out.owner[node.id] = group
    for a, b in model.edges:
        out.add_edge(model.nodes[a].group, model.nodes[b].group)
    return out.finish()


def summarize(store: Any, project: str) -> LineageSummary:
    """The summary `Store.lineage_summary` counts in SQL, derived here from the calls `build_graph` makes (every
    version read): what a store without aggregate queries (the W&B one) answers."""
    edges = store.lineage_edges(project)
    neighbours: dict[tuple[str, str, int], tuple[set[str], set[str]]] = {}
    for e in edges:
        logged, used = neighbours.setdefault((e.project, e.name, e.index), (set(), set()))
        (logged if e.direction == "output" else used).add(e.run_id)
    members: dict[tuple, list[tuple[int, Any]]] = {}
    types: dict[tuple[str, str], str] = {}
    own: set[tuple[str, str, int]] = set()
    for collection in store.collections(project):
        types[(project, collection.name)] = collection.type
        for v in store.versions(project, collection.name):
            own.add((project, v.name, v.index))
            logged, used = neighbours.get((project, v.name, v.index), ((), ()))
            key = (project, v.name, tuple(sorted(logged)), tuple(sorted(used)), False)
            members.setdefault(key, []).append((v.index, v.created_at))
    for e in edges:
        if (e.project, e.name, e.index) in own:
            continue
        own.add((e.project, e.name, e.index))
        types[(e.project, e.name)] = e.type
        logged, used = neighbours[(e.project, e.name, e.index)]
        members.setdefault((e.project, e.name, tuple(sorted(logged)), tuple(sorted(used)), True), []).append(
            (e.index, None))
    classes = []
    for (proj, name, logged, used, is_foreign), found in members.items():
        stamps = [at for _, at in found if at is not None]
        classes.append(VersionClass(proj, name, types[(proj, name)], len(found), min(i for i, _ in found),
                                    max(i for i, _ in found), min(stamps) if stamps else None,
                                    max(stamps) if stamps else None, logged, used, is_foreign))
    classes.sort(key=class_order)
    groups = dict.fromkeys((e.run_id, e.project, e.name, e.direction) for e in edges)
    return LineageSummary(tuple(classes), tuple(groups))


def version_ref_id(ref: str) -> str:
    """The node id of version "project/name:vN"."""
    return version_id(*names.parse_version_ref(ref))

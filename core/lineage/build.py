"""The lineage model of one project, read from any store with the interface of API.md.

Only four calls: `runs`, `collections`, `versions` (for aliases) and `lineage_edges`, which a W&B-backed store
answers as cheaply as the local one. Nodes come out oldest first (runs and versions by creation time), so the
drawing of a project is the same every time it is read, and "the newest" is always at the end.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from core import names
from core.lineage.graph import Graph, Node, run_id, run_node, version_id, version_node

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


def version_ref_id(ref: str) -> str:
    """The node id of version "project/name:vN"."""
    return version_id(*names.parse_version_ref(ref))

"""The lineage graph as plain data, and the views the TUI and CLI draw of it.

The model is W&B's: a bipartite DAG of runs and artifact versions (run -> version it logged, version -> run that used
it). It is kept free of the store so that layout and rendering can be tested on hand-made graphs. Views derive smaller
graphs from it:

- version level ("explode"): the model itself, `mnist-raw:v1`, `train:sunny-smoke-1`;
- type level: one node per artifact type and per run job type ("dataset (3)", "train (2)"), edges merged;
- mixed: type level with some types expanded into their members, or version level with some types collapsed;
- focus: the k-hop neighbourhood of one node, with "+N more" markers where nodes were left out.

Type-level graphs can have cycles (a "preprocess" run uses a dataset and logs a dataset); `order_hint` carries the
pipeline order of the members so that the layout knows which way such a cycle really flows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

RUN = "run"
VERSION = "version"
ARTIFACT_TYPE = "artifact_type"
JOB_TYPE = "job_type"
MORE = "more"

NO_JOB_TYPE = "run"
"""What a run without a job type is grouped under at type level."""


@dataclass(frozen=True)
class Node:
    """One node of a lineage graph.

    `group` is the id of the type node a run or version collapses into; `ref` is what the node stands for outside the
    graph ("project/name:vN" for a version, the run id for a run); `members` lists the model nodes a type or "+N more"
    node stands for.
    """

    id: str
    kind: str
    label: str
    type: str = ""
    aliases: tuple[str, ...] = ()
    group: str = ""
    ref: str | None = None
    members: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """What a drawing shows for the node: its label, then the aliases of a version (user aliases, then latest)."""
        if not self.aliases:
            return self.label
        ordered = [a for a in self.aliases if a != "latest"] + [a for a in self.aliases if a == "latest"]
        return f"{self.label} ({', '.join(ordered)})"


@dataclass
class Graph:
    """Nodes in a deterministic order, and directed edges between their ids (no duplicates, no self-loops).

    `owner` maps every model node id to the node of this graph that shows it (itself, its type node, or nothing when a
    focus left it out); `order_hint` ranks nodes in pipeline order (smaller runs first).
    """

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)
    owner: dict[str, str] = field(default_factory=dict)
    order_hint: dict[str, int] = field(default_factory=dict)

    def add_node(self, node: Node) -> Node:
        self.nodes.setdefault(node.id, node)
        return self.nodes[node.id]

    def add_edge(self, src: str, dst: str) -> None:
        if src == dst:
            return
        if src not in self.nodes or dst not in self.nodes:
            raise KeyError(f"edge {src!r} -> {dst!r} names an unknown node")
        self.edges.append((src, dst))

    def finish(self) -> "Graph":
        """Drop duplicate edges (keeping first-seen order) and default `owner` to the identity."""
        self.edges = list(dict.fromkeys(self.edges))
        for node_id in self.nodes:
            self.owner.setdefault(node_id, node_id)
        return self

    def successors(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {n: [] for n in self.nodes}
        for a, b in self.edges:
            out[a].append(b)
        return out

    def predecessors(self) -> dict[str, list[str]]:
        into: dict[str, list[str]] = {n: [] for n in self.nodes}
        for a, b in self.edges:
            into[b].append(a)
        return into

    def map_labels(self, fn) -> "Graph":
        """The same graph with `fn` applied to every label and alias (e.g. to make control characters visible)."""
        nodes = {
            nid: replace(n, label=fn(n.label), aliases=tuple(fn(a) for a in n.aliases)) for nid, n in self.nodes.items()
        }
        return Graph(nodes, list(self.edges), dict(self.owner), dict(self.order_hint))


# --- the model -------------------------------------------------------------------------------------------------


def version_id(project: str, name: str, index: int) -> str:
    return f"version:{project}/{name}:v{index}"


def run_id(run: str) -> str:
    return f"run:{run}"


def type_node_id(kind: str, type_name: str) -> str:
    return f"{ARTIFACT_TYPE if kind == VERSION else JOB_TYPE}:{type_name}"


def version_node(project: str, name: str, index: int, type_name: str, aliases: Iterable[str] = ()) -> Node:
    return Node(
        id=version_id(project, name, index),
        kind=VERSION,
        label=f"{name}:v{index}",
        type=type_name,
        aliases=tuple(aliases),
        group=type_node_id(VERSION, type_name),
        ref=f"{project}/{name}:v{index}",
    )


def run_node(run: str, name: str, job_type: str | None) -> Node:
    job = job_type or NO_JOB_TYPE
    return Node(id=run_id(run), kind=RUN, label=f"{job}:{name}", type=job, group=type_node_id(RUN, job), ref=run)


def pipeline_order(graph: Graph) -> dict[str, int]:
    """Depth of every node in the model (longest path from a source), the pipeline order of its stages.

    The model is acyclic except in odd cases (a run that re-logs the very content it used); nodes on a cycle keep the
    depth reached before the cycle closed.
    """
    preds = graph.predecessors()
    succs = graph.successors()
    indegree = {n: len(p) for n, p in preds.items()}
    depth = {n: 0 for n in graph.nodes}
    queue = deque(n for n in graph.nodes if indegree[n] == 0)
    while queue:
        n = queue.popleft()
        for s in succs[n]:
            depth[s] = max(depth[s], depth[n] + 1)
            indegree[s] -= 1
            if indegree[s] == 0:
                queue.append(s)
    return depth


# --- views ----------------------------------------------------------------------------------------------------


def view(model: Graph, level: str = "type", toggled: Iterable[str] = ()) -> Graph:
    """The model at `level` ("type" or "version"), with the type nodes in `toggled` the other way round.

    At type level a toggled type is expanded into its versions or runs; at version level a toggled type is collapsed
    into one node. `toggled` holds type node ids ("artifact_type:dataset", "job_type:train").
    """
    if level not in ("type", "version"):
        raise ValueError(f"unknown level {level!r}: use 'type' or 'version'")
    toggled = set(toggled)
    depth = pipeline_order(model)

    def collapsed(node: Node) -> bool:
        if not node.group:
            return False
        return (node.group in toggled) != (level == "type")

    members: dict[str, list[Node]] = {}
    for node in model.nodes.values():
        if collapsed(node):
            members.setdefault(node.group, []).append(node)

    out = Graph()
    for node in model.nodes.values():
        if collapsed(node):
            group = node.group
            if group not in out.nodes:
                group_members = members[group]
                kind = ARTIFACT_TYPE if node.kind == VERSION else JOB_TYPE
                out.add_node(
                    Node(
                        id=group,
                        kind=kind,
                        label=f"{node.type} ({len(group_members)})",
                        type=node.type,
                        members=tuple(m.id for m in group_members),
                    )
                )
                out.order_hint[group] = min(depth[m.id] for m in group_members)
            out.owner[node.id] = group
        else:
            out.add_node(node)
            out.owner[node.id] = node.id
            out.order_hint[node.id] = depth[node.id]
    for a, b in model.edges:
        out.add_edge(out.owner[a], out.owner[b])
    return out.finish()


def focus(graph: Graph, center: str, up: int = 2, down: int = 2, fanout: int = 8) -> Graph:
    """The part of `graph` within `up` hops upstream and `down` hops downstream of `center`.

    At most `fanout` neighbours of a node are followed in each direction (the last ones in graph order, the newest
    runs and versions); every node kept that has neighbours left out gets a "+N more" node on that side.
    """
    if center not in graph.nodes:
        raise KeyError(f"{center!r} is not a node of this graph")
    preds = graph.predecessors()
    succs = graph.successors()
    keep: dict[str, None] = {center: None}
    for neighbours, hops in ((preds, up), (succs, down)):
        frontier = [center]
        for _ in range(hops):
            nxt: list[str] = []
            for n in frontier:
                for m in neighbours[n][-fanout:] if fanout else neighbours[n]:
                    if m not in keep:
                        keep[m] = None
                        nxt.append(m)
            frontier = nxt

    out = Graph()
    for node_id, node in graph.nodes.items():  # graph order, not discovery order: stable under refocusing
        if node_id in keep:
            out.add_node(node)
            if node_id in graph.order_hint:
                out.order_hint[node_id] = graph.order_hint[node_id]
    for a, b in graph.edges:
        if a in keep and b in keep:
            out.add_edge(a, b)
    for node_id in list(out.nodes):
        hint = graph.order_hint.get(node_id, 0)
        hidden_in = [m for m in preds[node_id] if m not in keep]
        hidden_out = [m for m in succs[node_id] if m not in keep]
        if hidden_in:
            marker = _more_node(f"more:in:{node_id}", hidden_in)
            out.add_node(marker)
            out.order_hint[marker.id] = hint - 1
            out.add_edge(marker.id, node_id)
        if hidden_out:
            marker = _more_node(f"more:out:{node_id}", hidden_out)
            out.add_node(marker)
            out.order_hint[marker.id] = hint + 1
            out.add_edge(node_id, marker.id)
    for model_id, shown in graph.owner.items():
        if shown in keep:
            out.owner[model_id] = shown
    return out.finish()


def _more_node(node_id: str, hidden: list[str]) -> Node:
    return Node(id=node_id, kind=MORE, label=f"+{len(hidden)} more", members=tuple(hidden))

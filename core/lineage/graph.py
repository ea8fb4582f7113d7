"""The lineage graph as plain data, and the views the TUI and CLI draw of it.

The model is W&B's: a bipartite DAG of runs and artifact versions (run -> version it logged, version -> run that used
it). It is kept free of the store so that layout and rendering can be tested on hand-made graphs. Views derive smaller
graphs from it:

- version level ("explode"): the model itself, `mnist-raw:v1`, `train:sunny-smoke-1`;
- type level: one node per artifact type and per run job type ("dataset (3)", "train (2)"), edges merged;
- mixed: type level with some types expanded into their members, or version level with some types collapsed;
- focus: the neighbourhood of one node (k hops, or as much as fits), with "+2 runs" markers where nodes were left
  out;
- clusters: five or more versions of one collection, or runs of one job type, as one node (W&B's lineage does so).

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
VERSION_CLUSTER = "version_cluster"
RUN_CLUSTER = "run_cluster"

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


def focus(graph: Graph, center: str, up: int = 2, down: int = 2, fanout: int = 8, *, limit: int | None = None,
          keep: Iterable[str] = ()) -> Graph:
    """The part of `graph` within `up` hops upstream and `down` hops downstream of `center`.

    At most `fanout` neighbours of a node are followed in each direction (the last ones in graph order, the newest
    runs and versions; 0 for all); with `limit`, the neighbourhood is taken nearest first whichever way the edges
    run (siblings too) and no more than `limit` nodes of it, so that only what does not fit is left out. Nodes in
    `keep` are kept whatever the limits (what Enter on a "+N" node reveals). Every node kept that has neighbours left out gets a "+N ..." node on that side saying what it
    stands for ("+2 runs"), its `members` the nodes left out.
    """
    if center not in graph.nodes:
        raise KeyError(f"{center!r} is not a node of this graph")
    preds = graph.predecessors()
    succs = graph.successors()
    keep_set = {center} | {k for k in keep if k in graph.nodes}
    kept: dict[str, None] = {center: None}
    if limit is None:  # upstream along inputs, downstream along outputs
        frontiers = [((preds,), up, [center]), ((succs,), down, [center])]
    else:  # the neighbourhood, nearest first whichever way: siblings too
        frontiers = [((succs, preds), max(up, down), [center])]
    hop = 0
    full = False
    while not full and any(f for _, hops, f in frontiers if hop < hops):
        nxt_frontiers = []
        for ways, hops, frontier in frontiers:
            nxt: list[str] = []
            if hop < hops:
                for n in frontier:
                    for neighbours in ways:
                        linked = neighbours[n]
                        for m in reversed(linked[-fanout:] if fanout else linked):  # newest first
                            if m in kept:
                                continue
                            if limit is not None and len(kept) >= limit and m not in keep_set:
                                full = True
                                continue
                            kept[m] = None
                            nxt.append(m)
            nxt_frontiers.append((ways, hops, nxt))
        frontiers = nxt_frontiers
        hop += 1
    for k in keep_set - set(kept):  # revealed: shown with the neighbour it hangs off
        kept[k] = None
    keep_ids = kept

    out = Graph()
    for node_id, node in graph.nodes.items():  # graph order, not discovery order: stable under refocusing
        if node_id in keep_ids:
            out.add_node(node)
            if node_id in graph.order_hint:
                out.order_hint[node_id] = graph.order_hint[node_id]
    for a, b in graph.edges:
        if a in keep_ids and b in keep_ids:
            out.add_edge(a, b)
    for node_id in list(out.nodes):
        hint = graph.order_hint.get(node_id, 0)
        hidden_in = [m for m in preds[node_id] if m not in keep_ids]
        hidden_out = [m for m in succs[node_id] if m not in keep_ids]
        if hidden_in:
            marker = _more_node(f"more:in:{node_id}", [graph.nodes[m] for m in hidden_in])
            out.add_node(marker)
            out.order_hint[marker.id] = hint - 1
            out.add_edge(marker.id, node_id)
        if hidden_out:
            marker = _more_node(f"more:out:{node_id}", [graph.nodes[m] for m in hidden_out])
            out.add_node(marker)
            out.order_hint[marker.id] = hint + 1
            out.add_edge(node_id, marker.id)
    for model_id, shown in graph.owner.items():
        if shown in keep_ids:
            out.owner[model_id] = shown
    return out.finish()


NOUNS = {RUN: ("run", "runs"), RUN_CLUSTER: ("run", "runs"), VERSION: ("version", "versions"),
         VERSION_CLUSTER: ("version", "versions"), ARTIFACT_TYPE: ("type", "types"), JOB_TYPE: ("type", "types")}


def describe(nodes: Iterable[Node]) -> str:
    """What some nodes stand for, counted by kind in the order first seen: "2 runs", "1 run, 3 versions"."""
    counts: dict[tuple[str, str], int] = {}
    for node in nodes:
        noun = NOUNS.get(node.kind, ("node", "nodes"))
        counts[noun] = counts.get(noun, 0) + (len(node.members) if node.kind in (RUN_CLUSTER, VERSION_CLUSTER) else 1)
    return ", ".join(f"{n} {one if n == 1 else many}" for (one, many), n in counts.items())


def _more_node(node_id: str, hidden: list[Node]) -> Node:
    return Node(id=node_id, kind=MORE, label=f"+{describe(hidden)}", members=tuple(n.id for n in hidden))


# --- clusters -------------------------------------------------------------------------------------------------

CLUSTER_MIN = 5
"""As in W&B's lineage view: this many similar nodes or more are drawn as one node (expandable)."""


def cluster_id(node: Node) -> str | None:
    """The cluster `node` belongs to: the versions of one collection, or the runs of one job type; None for others."""
    if node.kind == VERSION and node.ref:
        return f"cluster:version:{node.ref.rpartition(':')[0]}"
    if node.kind == RUN:
        return f"cluster:run:{node.type}"
    return None


def cluster(graph: Graph, min_size: int = CLUSTER_MIN, expanded: Iterable[str] = (), apart: Iterable[str] = ()
            ) -> Graph:
    """`graph` with every group of `min_size` or more versions of one collection, or runs of one job type, drawn as
    one node ("[trained-model: 12 versions]", "(train: 40 runs)") whose `members` are the nodes it stands for.

    Clusters whose id is in `expanded` stay apart, and so do the nodes in `apart` (the node a focus is on).
    """
    expanded, apart = set(expanded), set(apart)
    groups: dict[str, list[Node]] = {}
    for node in graph.nodes.values():
        cid = cluster_id(node)
        if cid is not None and cid not in expanded and node.id not in apart:
            groups.setdefault(cid, []).append(node)
    groups = {cid: members for cid, members in groups.items() if len(members) >= min_size}
    if not groups:
        return graph
    into: dict[str, str] = {m.id: cid for cid, members in groups.items() for m in members}
    out = Graph()
    for node in graph.nodes.values():
        cid = into.get(node.id)
        if cid is None:
            out.add_node(node)
            if node.id in graph.order_hint:
                out.order_hint[node.id] = graph.order_hint[node.id]
        elif cid not in out.nodes:
            members = groups[cid]
            first = members[0]
            if first.kind == VERSION:
                kind, label = VERSION_CLUSTER, f"{first.label.rpartition(':')[0]}: {len(members)} versions"
            else:
                kind, label = RUN_CLUSTER, f"{first.type}: {len(members)} runs"
            aliases = tuple(dict.fromkeys(a for m in members for a in m.aliases if a != "latest"))
            out.add_node(Node(id=cid, kind=kind, label=label, type=first.type, aliases=aliases, group=first.group,
                              members=tuple(m.id for m in members)))
            hints = [graph.order_hint[m.id] for m in members if m.id in graph.order_hint]
            if hints:
                out.order_hint[cid] = min(hints)
    for a, b in graph.edges:
        out.add_edge(into.get(a, a), into.get(b, b))
    for model_id, shown in graph.owner.items():
        out.owner[model_id] = into.get(shown, shown)
    return out.finish()

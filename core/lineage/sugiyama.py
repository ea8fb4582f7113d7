"""The layered (Sugiyama) part of the layout, free of any drawing: which layer and which slot each node gets.

Steps, each deterministic (ties broken by node index, never by hash order):
1. cycles: edges inside a strongly connected component that run against the pipeline order are reversed;
2. layers: longest path from the sources under an optional per-layer capacity (the narrow top-to-bottom layout),
   then nodes with more outputs than inputs pulled down next to their successors;
3. dummies: an edge spanning several layers becomes a chain of dummy items; edges leaving one node share the chain;
4. order (`ordering.py`): barycenter sweeps down and up, keeping the order with the fewest crossings;
5. place (`placement.py`): positions along each layer by weighted isotonic regression towards the median of the
   neighbours' ports, so that edges run straight where they can while items keep their order and never overlap.

Coordinates here are abstract: "minor" runs along a layer (rows left to right, columns top to bottom).
"""

from __future__ import annotations

import heapq

from core.lineage.layered import Layered, LayoutEdge, Overflow
from core.lineage.ordering import initial_order, order_layers
from core.lineage.placement import place


# --- 1. cycles ---------------------------------------------------------------------------------------------------


def strongly_connected(n: int, succ: list[list[int]]) -> list[int]:
    """Component number of every node (Tarjan, iterative so that deep graphs do not hit the recursion limit)."""
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    comp = [-1] * n
    counter = 0
    count = 0
    for root in range(n):
        if index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, 0)]
        while work:
            v, i = work[-1]
            if i < len(succ[v]):
                work[-1] = (v, i + 1)
                w = succ[v][i]
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp[w] = count
                    if w == v:
                        break
                count += 1
    return comp


def break_cycles(n: int, edges: list[tuple[int, int]], rank: list[int]) -> list[LayoutEdge]:
    """Acyclic layout edges for `edges`: inside a cycle, an edge against `rank` order (then index) is reversed.

    Any linear order makes the edges that follow it acyclic, and edges between components cannot close a cycle, so
    only edges on a cycle change direction. A pair of opposite edges becomes one edge with a head at each end.
    """
    succ: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        succ[u].append(v)
    comp = strongly_connected(n, succ)
    merged: dict[tuple[int, int], LayoutEdge] = {}
    for u, v in edges:
        if comp[u] == comp[v] and (rank[u], u) > (rank[v], v):
            key = (v, u)
            edge = merged.setdefault(key, LayoutEdge(v, u))
            edge.head_a = True
        else:
            key = (u, v)
            edge = merged.setdefault(key, LayoutEdge(u, v))
            edge.head_b = True
    return list(merged.values())


# --- 2. layers ---------------------------------------------------------------------------------------------------


def topological(n: int, edges: list[LayoutEdge]) -> list[int]:
    indegree = [0] * n
    succ: list[list[int]] = [[] for _ in range(n)]
    for e in edges:
        succ[e.a].append(e.b)
        indegree[e.b] += 1
    heap = [v for v in range(n) if indegree[v] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        v = heapq.heappop(heap)
        order.append(v)
        for w in succ[v]:
            indegree[w] -= 1
            if indegree[w] == 0:
                heapq.heappush(heap, w)
    return order


def assign_layers(n: int, edges: list[LayoutEdge], width: list[int], capacity: list[int] | None, gap: int) -> list[int]:
    """Layer of every node: as early as its predecessors and the capacity allow, then pulled towards its successors.

    `capacity[L]` bounds the summed widths (plus gaps) of the real nodes of layer L; a layer always takes one node.
    """
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for e in edges:
        succs[e.a].append(e.b)
        preds[e.b].append(e.a)
    order = topological(n, edges)
    layer = [0] * n
    used: list[int] = []

    def room(level: int, w: int) -> bool:
        while len(used) <= level:
            used.append(0)
        if capacity is None or used[level] == 0:
            return True
        cap = capacity[level] if level < len(capacity) else capacity[-1]
        return used[level] + w <= cap

    for v in order:
        level = max((layer[p] + 1 for p in preds[v]), default=0)
        while not room(level, width[v] + gap):
            level += 1
        layer[v] = level
        used[level] += width[v] + gap
    # A node with at least as many outputs as inputs shortens as many edges as it lengthens, or more, by moving
    # down; moving a run of such nodes (a source, then what it alone feeds) down together shortens the run.
    for v in reversed(order):
        if not succs[v] or len(succs[v]) < len(preds[v]):
            continue
        limit = min(layer[s] for s in succs[v]) - 1
        for level in range(limit, layer[v], -1):
            if room(level, width[v] + gap):
                used[layer[v]] -= width[v] + gap
                used[level] += width[v] + gap
                layer[v] = level
                break
    return layer


# --- 3. dummies --------------------------------------------------------------------------------------------------


def add_dummies(n: int, layer: list[int], edges: list[LayoutEdge]) -> tuple[list[int], list[tuple[int, int]]]:
    """Fill every edge's `chain` (items from a to b); returns the item layers and the segments between items.

    Edges leaving the same node share one chain of dummies: a node's outputs fan out from one trunk instead of running
    side by side. Edges drawn only as loops (no `head_b`) get no chain.
    """
    item_layer = list(layer)
    trunks: dict[int, list[int]] = {}
    segments: dict[tuple[int, int], None] = {}
    for e in edges:
        if not e.head_b:
            continue
        trunk = trunks.setdefault(e.a, [e.a])
        while len(trunk) < layer[e.b] - layer[e.a]:
            item_layer.append(layer[e.a] + len(trunk))
            trunk.append(len(item_layer) - 1)
        e.chain = trunk[: layer[e.b] - layer[e.a]] + [e.b]
        for x, y in zip(e.chain, e.chain[1:]):
            segments[(x, y)] = None
    return item_layer, list(segments)


def build(
    n: int,
    edges: list[tuple[int, int]],
    rank: list[int],
    width: list[int],
    minor_size: list[int],
    port_offset: list[int],
    gap: int,
    dummy_gap: int,
    limit: int | None = None,
    loop_margin: int = 0,
) -> Layered:
    """The layered structure of one connected graph. `width` is what a node takes along a layer for the capacity;
    with `limit`, layers are kept within it (dummies included, and room left for the lanes of loops, `loop_margin`
    plus one cell each) or `Overflow` is raised."""
    lay_edges = break_cycles(n, edges, rank)
    loops = sum(1 for e in lay_edges if e.head_a)
    if limit is not None and loops:
        limit -= loop_margin + loops
        if limit < 1:
            raise Overflow
    capacity = None
    for _attempt in range(12):
        layer = assign_layers(n, lay_edges, width, capacity, gap)
        item_layer, segments = add_dummies(n, layer, lay_edges)
        n_items = len(item_layer)
        depth = max(item_layer, default=-1) + 1
        totals = [0] * depth
        for item, L in enumerate(item_layer):
            totals[L] += (minor_size[item] if item < n else 1) + gap  # the most the order can make it take
        totals = [t - gap for t in totals]
        if limit is None or all(t <= limit for t in totals):
            break
        if capacity is None:
            capacity = [limit + gap] * depth
        while len(capacity) < depth:
            capacity.append(limit + gap)
        for L, t in enumerate(totals):
            if t > limit:
                capacity[L] = max(1, capacity[L] - (t - limit))
    else:
        raise Overflow
    up: list[list[int]] = [[] for _ in range(n_items)]
    down: list[list[int]] = [[] for _ in range(n_items)]
    for x, y in segments:
        down[x].append(y)
        up[y].append(x)
    layers = initial_order(n_items, n, item_layer, up, down)
    layers = order_layers(layers, n_items, up, down)
    size = list(minor_size) + [1] * (n_items - n)
    offsets = list(port_offset) + [0] * (n_items - n)
    lay = Layered(n, item_layer, layers, size, [0] * n_items, offsets, up, down, lay_edges, gap, dummy_gap)
    place(lay, limit)
    return lay

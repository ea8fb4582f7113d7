"""Step 4 of the layered layout: the order of items within each layer, chosen to cross few edges.

Depth-first discovery gives a start where connected items sit together; barycenter sweeps (down using
predecessors, up using successors) then refine it, and the order with the fewest crossings wins. Ties keep the
current order, so the result depends only on the graph.
"""

from __future__ import annotations

from bisect import bisect_right, insort


def initial_order(n_items: int, n_real: int, item_layer: list[int], up, down) -> list[list[int]]:
    """Items per layer in depth-first discovery order from the real nodes in index order: connected items start
    close together, which the sweeps then refine."""
    depth = max(item_layer, default=-1) + 1
    layers: list[list[int]] = [[] for _ in range(depth)]
    seen = [False] * n_items
    for root in range(n_real):
        if seen[root]:
            continue
        seen[root] = True
        stack = [root]
        while stack:
            v = stack.pop()
            layers[item_layer[v]].append(v)
            for w in reversed(down[v] + up[v]):
                if not seen[w]:
                    seen[w] = True
                    stack.append(w)
    return layers


def crossings_between(upper: list[int], lower_index: list[int], down) -> int:
    """Crossings of the segments between two adjacent layers: inversions among the lower ends taken in upper order
    (counted with `bisect` on a sorted list, whose inserts are C memmoves, faster here than a Fenwick tree)."""
    seen: list[int] = []
    count = 0
    for v in upper:
        ends = sorted(lower_index[w] for w in down[v])
        for t in ends:
            count += len(seen) - bisect_right(seen, t)
        for t in ends:
            insort(seen, t)
    return count


def order_layers(layers: list[list[int]], n_items: int, up, down, sweeps: int = 8) -> list[list[int]]:
    """Barycenter sweeps (down using predecessors, up using successors); the order with fewest crossings wins."""
    index = [0] * n_items
    for items in layers:
        for i, v in enumerate(items):
            index[v] = i

    def total() -> int:
        return sum(crossings_between(layers[L], index, down) for L in range(len(layers) - 1))

    def sweep(levels, nbrs) -> None:
        for L in levels:
            items = layers[L]
            keyed = []
            for v in items:
                ns = nbrs[v]
                key = sum(index[w] for w in ns) / len(ns) if ns else float(index[v])
                keyed.append((key, index[v], v))
            keyed.sort()
            layers[L] = items = [v for _, _, v in keyed]
            for i, v in enumerate(items):
                index[v] = i

    best = total()
    best_layers = [list(items) for items in layers]
    stale = 0
    for i in range(sweeps):
        if best == 0:
            break
        if i % 2 == 0:
            sweep(range(1, len(layers)), up)
        else:
            sweep(range(len(layers) - 2, -1, -1), down)
        count = total()
        if count < best:
            best, best_layers, stale = count, [list(items) for items in layers], 0
        else:
            stale += 1
            if stale >= 3:
                break
    return best_layers

"""A big graph in a narrow width: one node per row in pipeline order, edges along vertical lanes (as `git log
--graph` draws history), in time linear in the graph.

A layered drawing of thousands of nodes within 80 columns ends up with one node per layer anyway, and gets there
through thousands of dummy items that every step of the layered layout works on again and again. Here each node is
placed once, top to bottom:

- its box goes right under the line of the node just before it when that feeds it (a chain `run -> version` reads
  straight down), else in the leftmost gap between the lanes passing its rows;
- each input arrives on a track row of its own above the node's arrowhead (the edges into a node merge only there);
- its outputs leave from the row under its box: straight down to the next node when that is one of them, and along
  one lane (the lowest free even column) for all the others, so that a node's outputs share one trunk;
- an edge against the order (a cycle) is a loop: out of the row under its source, up a column right of everything,
  into the right end of its target's box (`[dataset]◀┐`), an arrowhead no other edge shares.

Per node the work is its degree plus the lanes beside it (at most half the width), so the whole is linear.
"""

from __future__ import annotations

from bisect import bisect_left, insort

from core.lineage.graph import Graph
from core.lineage.layered import Overflow
from core.lineage.routing import simplify
from core.lineage.sugiyama import break_cycles, topological

DOWN_TAIL = (0, -1)
INTO_TOP = (0, 1)
INTO_RIGHT = (-1, 0)


def lane_layout(graph: Graph, texts: dict[str, str], widths: dict[str, int], limit: int | None):
    """The `Layout` (orientation "tb") of `graph` with boxes `texts` of `widths` cells; `Overflow` when it cannot be
    drawn within `limit` columns."""
    from core.lineage.layout import TB, Box, EdgePath, Layout

    ids = list(graph.nodes)
    index = {nid: i for i, nid in enumerate(ids)}
    n = len(ids)
    rank = [graph.order_hint.get(nid, 0) for nid in ids]
    lay_edges = break_cycles(n, [(index[a], index[b]) for a, b in graph.edges], rank)
    order = topological(n, lay_edges)
    at = [0] * n
    for i, v in enumerate(order):
        at[v] = i
    targets: list[list[int]] = [[] for _ in range(n)]
    feeders: list[list[int]] = [[] for _ in range(n)]
    loops: list[tuple[int, int]] = []  # (source, target): the target comes earlier
    for e in lay_edges:
        if e.head_b:
            targets[e.a].append(e.b)
            feeders[e.b].append(e.a)
        if e.head_a:
            loops.append((e.b, e.a))
    width = [widths[nid] for nid in ids]

    straight = [-1] * n       # the next node in order, when the node feeds it: drawn straight down
    trunk_end = [-1] * n      # the last target reached along the node's lane
    for v in range(n):
        ts = sorted(targets[v], key=at.__getitem__)
        if ts and at[ts[0]] == at[v] + 1:
            straight[v] = ts.pop(0)
        if ts:
            trunk_end[v] = ts[-1]
    lane = [-1] * n           # column of the node's lane (its outputs other than the straight one)
    port = [0] * n
    box_x = [0] * n
    box_y = [0] * n
    out_y = [0] * n
    track_y: dict[tuple[int, int], int] = {}   # (feeder, node) -> row of the feeder's track into the node
    active: list[int] = []    # columns of open lanes, sorted
    owner: dict[int, int] = {}
    y = 0
    for k in order:
        w = width[k]
        half = w // 2
        ending = [lane[s] for s in feeders[k] if trunk_end[s] == k]
        passing = [c for c in active if trunk_end[owner[c]] != k] if ending else active

        def fits(x: int) -> bool:
            if x < 0 or (limit is not None and x + w > limit):
                return False
            i = bisect_left(passing, x - 1)
            return i == len(passing) or passing[i] > x + w

        prefer = [port[s] for s in feeders[k] if straight[s] == k] + ending
        x = next((c - half for c in prefer if fits(c - half)), None)
        if x is None:
            x = 0
            for c in passing:
                if c < x - 1:
                    continue
                if c > x + w:
                    break
                x = c + 2
            if limit is not None and x + w > limit:
                raise Overflow
        box_x[k], port[k] = x, x + half
        incoming = []
        for s in feeders[k]:
            col = port[s] if straight[s] == k else lane[s]
            if col != port[k]:
                incoming.append((abs(col - port[k]), col, s))
        incoming.sort()
        for row, (_, _, s) in enumerate(incoming):
            track_y[(s, k)] = y + row
        y += len(incoming)
        if feeders[k]:
            y += 1  # the arrowhead row
        for c in ending:
            active.remove(c)
            del owner[c]
        box_y[k] = y
        out_y[k] = y + 1
        if trunk_end[k] != -1:
            c = 0
            i = 0
            while True:  # the lowest free even column that is not the straight line's
                while i < len(active) and active[i] < c:
                    i += 1
                if (i < len(active) and active[i] == c) or c == port[k]:
                    c += 2
                    continue
                break
            lane[k] = c
            insort(active, c)
            owner[c] = k
        y += 2

    boxes = {}
    for v, nid in enumerate(ids):
        boxes[nid] = Box(nid, graph.nodes[nid].kind, texts[nid], box_x[v], box_y[v], width[v])
    paths = []
    right = max((box_x[v] + width[v] for v in range(n)), default=0)
    for v in range(n):
        for d in targets[v]:
            start = (port[v], out_y[v])
            arrow = box_y[d] - 1
            col = port[v] if straight[v] == d else lane[v]
            right = max(right, col + 1)
            pts = [start, (col, out_y[v])]
            t = track_y.get((v, d))
            if t is not None:
                pts += [(col, t), (port[d], t)]
            pts.append((port[d], arrow))
            paths.append(EdgePath(ids[v], ids[d], tuple(simplify(pts)), DOWN_TAIL, INTO_TOP))
    if loops:
        base = right + 1
        columns: list[list[tuple[int, int]]] = []
        spans = sorted(loops, key=lambda ba: (out_y[ba[0]] - box_y[ba[1]], box_y[ba[1]], ba))
        for b, a in spans:
            lo, hi = box_y[a], out_y[b]
            i = next((i for i, used in enumerate(columns) if all(hi < u or v < lo for u, v in used)), len(columns))
            if i == len(columns):
                columns.append([])
            columns[i].append((lo, hi))
            col = base + 2 * i
            right = max(right, col + 1)
            pts = [(port[b], out_y[b]), (col, out_y[b]), (col, box_y[a]), (box_x[a] + width[a], box_y[a])]
            paths.append(EdgePath(ids[b], ids[a], tuple(simplify(pts)), DOWN_TAIL, INTO_RIGHT))
    if limit is not None and right > limit:
        raise Overflow
    height = max((box_y[v] + 1 for v in range(n)), default=0)
    height = max([height] + [p.points[0][1] + 1 for p in paths if p.head == INTO_RIGHT])
    return Layout(TB, right, height, boxes, paths)

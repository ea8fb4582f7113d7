"""Orthogonal edge routing between the layers of a `sugiyama.Layered` structure.

Between two layers lies a channel. An edge leaves its node's port, runs along the major axis to a track (one track per
source node: its outputs fan out from it), along the track to the target's port, and on to an arrowhead just before
the target. Straight edges (source and target ports aligned) need no track.

An edge that runs against the layers (it closes a cycle, as "preprocess-data -> dataset" does at type level) is a
loop: out of its source like any output, along a lane outside the component, and back into the target's input side
through a track in the channel before the target. Lanes of shorter loops lie nearer the graph, so loops nest. Where
the target is wider than one cell (top to bottom), the loop lands on an arrowhead of its own, away from the one its
forward inputs share, so that a reader sees where it ends instead of a line merging into another edge.

Two rules keep the drawing honest (a line never appears to join two unrelated nodes):
- a line leaving a track towards the previous layer must not overlap one leaving another track towards the next layer
  on the same row (even when the first node also feeds the second straight on: the overlap would join the second
  track to the first node's other outputs); such tracks are ordered, and when the constraints form a cycle the next
  layer is nudged one cell and the channel routed again;
- tracks never share a cell along their length (each has its own column or row).

Track order within a channel follows a crossing-saving rule of thumb, then adjacent swaps that remove crossings.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from core.lineage.layered import Layered, Overflow

FAR = 10**9  # provisional lane coordinates: beyond every item until the component's extent is known


@dataclass
class Track:
    id: int                 # the source item, or -(item + 1) for the track looping into that item
    left: list[int]         # rows where a line leaves the track towards the previous layer
    right: list[int]        # rows where a line leaves it towards the next layer
    lo: int
    hi: int
    source: int | None      # the row of its source item (None for a loop-in track)


@dataclass
class Routed:
    major: list[int]                    # where each layer starts along the major axis
    layer_size: list[int]               # its extent along the major axis
    tracks: dict[tuple[int, int], int]  # (channel, track id) -> major coordinate; channel L follows layer L
    lanes: dict[tuple[int, int], int]   # (source item, target item) of a loop -> minor coordinate of its lane
    major_extent: int
    minor_extent: int
    entries: dict[int, int] = field(default_factory=dict)  # loop target item -> minor coordinate of its arrowhead


def _nudge(lay: Layered, items: list[int], i: int, limit: int | None) -> bool:
    """Move items[i] one cell along the layer (forward, else backward), pushing neighbours; False if no room."""
    saved = [lay.pos[v] for v in items]
    lay.pos[items[i]] += 1
    for j in range(i + 1, len(items)):
        prev = items[j - 1]
        lay.pos[items[j]] = max(lay.pos[items[j]], lay.pos[prev] + lay.sep(prev, items[j]))
    last = items[-1]
    if limit is None or lay.pos[last] + lay.size[last] <= limit:
        return True
    for v, p in zip(items, saved):
        lay.pos[v] = p
    lay.pos[items[i]] -= 1
    for j in range(i - 1, -1, -1):
        nxt = items[j + 1]
        lay.pos[items[j]] = min(lay.pos[items[j]], lay.pos[nxt] - lay.sep(items[j], nxt))
    if lay.pos[items[0]] >= 0:
        return True
    for v, p in zip(items, saved):
        lay.pos[v] = p
    return False


def loop_entry(lay: Layered, L: int, c: int) -> int:
    """Where loops land on item `c` of layer L+1: a cell of its side away from its port (two cells or more where
    there is room), in no column a line of layer L leaves from (so the loop's last stretch crosses other lines but
    never runs along one); the port itself when there is no such cell (a one-cell side, left to right)."""
    start, port = lay.pos[c], lay.port(c)
    taken = {lay.port(a) for a in lay.layers[L]} if L >= 0 else set()
    cells = list(range(start + lay.size[c] - 2, start, -1)) + [start + lay.size[c] - 1, start]
    for apart in (2, 1):
        for x in cells:
            if abs(x - port) >= apart and x not in taken:
                return x
    return port


def _tracks(lay: Layered, L: int, loops_out: dict[int, list[int]], loops_in: dict[int, list[int]],
            entries: dict[int, int]) -> list[Track]:
    port = lay.port
    pos, offset = lay.pos, lay.port_offset
    depth = len(lay.layers)
    tracks: list[Track] = []
    for a in lay.layers[L] if L >= 0 else []:
        s = pos[a] + offset[a]
        bent = [p for p in (pos[b] + offset[b] for b in lay.down[a]) if p != s]
        lanes = loops_out.get(a, [])
        if not bent and not lanes:
            continue
        straight = len(bent) < len(lay.down[a])
        rows = bent + lanes + [s]
        tracks.append(Track(a, [s] + lanes, bent + ([s] if straight else []), min(rows), max(rows), s))
    for c in lay.layers[L + 1] if L + 1 < depth else []:
        lanes = loops_in.get(c, [])
        if lanes:
            entries[c] = loop_entry(lay, L, c)
            rows = [entries[c]] + lanes
            tracks.append(Track(-(c + 1), [], rows, min(rows), max(rows), None))
    return tracks


def _track_order(lay: Layered, L: int, tracks: list[Track]) -> tuple[list[int], set, int | None]:
    """Track ids of channel L left to right and the pairs (x, y) where x must lie left of y; or the item of layer
    L+1 to nudge when those constraints are cyclic."""
    if not tracks:
        return [], set(), None
    by_id = {t.id: t for t in tracks}
    pos, offset = lay.pos, lay.port_offset
    by_port = {pos[c] + offset[c]: c for c in lay.layers[L + 1]} if L + 1 < len(lay.layers) else {}
    right_at: dict[int, list[int]] = {}
    for t in tracks:
        for r in t.right:
            right_at.setdefault(r, []).append(t.id)
    must: dict[tuple[int, int], int] = {}  # (x, y): x's track left of y's, because of the item of layer L+1 given
    for t in tracks:
        for r in t.left:
            c = by_port.get(r)
            if c is None:
                continue
            for other in right_at.get(r, ()):
                if other != t.id:
                    must[(t.id, other)] = c

    def key(tid: int) -> tuple[int, int, int]:
        t = by_id[tid]
        if t.source is None:
            return (3, t.lo, tid)
        if t.source == t.lo:
            return (0, -t.source, tid)  # going down: the lower the source, the further left
        if t.source == t.hi:
            return (2, t.source, tid)   # going up: the higher the source, the further left
        return (1, t.source, tid)

    after: dict[int, list[int]] = {t.id: [] for t in tracks}
    indegree = {t.id: 0 for t in tracks}
    for x, y in must:
        after[x].append(y)
        indegree[y] += 1
    heap = [(key(t.id), t.id) for t in tracks if indegree[t.id] == 0]
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        _, x = heapq.heappop(heap)
        order.append(x)
        for y in after[x]:
            indegree[y] -= 1
            if indegree[y] == 0:
                heapq.heappush(heap, (key(y), y))
    if len(order) < len(tracks):
        left = set(by_id) - set(order)
        for (x, y), c in sorted(must.items()):
            if x in left and y in left:
                return [], set(), c

    def cost(x: int, y: int) -> int:  # crossings with x's track left of y's
        tx, ty = by_id[x], by_id[y]
        return sum(1 for r in tx.right if ty.lo < r < ty.hi) + sum(1 for r in ty.left if tx.lo < r < tx.hi)

    for _ in range(3):
        changed = False
        for i in range(len(order) - 1):
            x, y = order[i], order[i + 1]
            if (x, y) in must or (y, x) in must:
                continue
            if cost(y, x) < cost(x, y):
                order[i], order[i + 1] = y, x
                changed = True
        if not changed:
            break
    return order, set(must), None


def _columns(order: list[int], tracks: list[Track], must: set[tuple[int, int]] | None = None) -> dict[int, int]:
    """Pack tracks into as few columns as possible (the left-edge idea): a track takes the first column after those
    of the tracks it must follow where no other track's span comes within a cell of its own."""
    by_id = {t.id: t for t in tracks}
    before: dict[int, list[int]] = {}
    for x, y in must or ():
        before.setdefault(y, []).append(x)
    columns: list[list[tuple[int, int]]] = []
    placed: dict[int, int] = {}
    for tid in order:
        t = by_id[tid]
        col = max((placed[x] + 1 for x in before.get(tid, ())), default=0)
        while col < len(columns) and any(lo <= t.hi + 1 and t.lo <= hi + 1 for lo, hi in columns[col]):
            col += 1
        if col == len(columns):
            columns.append([])
        columns[col].append((t.lo, t.hi))
        placed[tid] = col
    return placed


def route(lay: Layered, major_size: list[int], extra: int, margin: int, limit: int | None) -> Routed:
    """Tracks of every channel, lanes of the loops, and the major coordinates of layers and tracks.

    `major_size[v]` is how far a real node extends along the major axis; `extra` is the fixed part of a channel
    (3 left to right: a cell either side of the tracks and the arrowhead; 2 top to bottom: one row, the arrowhead);
    `margin` is the free space between the component and its first loop lane.
    """
    depth = len(lay.layers)
    loops = [(e.b, e.a) for e in lay.edges if e.head_a]
    loops.sort(key=lambda ba: (lay.layer[ba[0]] - lay.layer[ba[1]], lay.layer[ba[0]], ba[1], ba[0]))
    provisional = {loop: FAR + rank for rank, loop in enumerate(loops)}
    loops_out: dict[int, list[int]] = {}
    loops_in: dict[int, list[int]] = {}
    for (b, a), lane in provisional.items():
        loops_out.setdefault(b, []).append(lane)
        loops_in.setdefault(a, []).append(lane)

    orders: dict[int, dict[int, int]] = {}  # channel -> track id -> column
    entries: dict[int, int] = {}
    for L in range(-1, depth):
        items = lay.layers[L + 1] if L + 1 < depth else []
        budget = 10 * (len(items) + (len(lay.layers[L]) if L >= 0 else 0)) + 50
        while True:
            tracks_here = _tracks(lay, L, loops_out, loops_in, entries)
            order, must, nudge = _track_order(lay, L, tracks_here)
            if nudge is None:
                break
            budget -= 1
            if budget < 0 or not _nudge(lay, items, items.index(nudge), limit):
                raise Overflow
        orders[L] = _columns(order, tracks_here, must)

    major: list[int] = []
    sizes: list[int] = []
    tracks: dict[tuple[int, int], int] = {}
    width = {L: (max(cols.values()) + 1 if cols else 0) for L, cols in orders.items()}
    at = 0
    if width[-1]:
        for tid, col in orders[-1].items():
            tracks[(-1, tid)] = col
        at = width[-1] + extra - 1
    for L in range(depth):
        major.append(at)
        size = max((major_size[v] if v < lay.n_real else 1 for v in lay.layers[L]), default=1)
        sizes.append(size)
        at += size
        for tid, col in orders[L].items():
            tracks[(L, tid)] = at + 1 + col
        if L < depth - 1:
            at += width[L] + extra
        elif width[L]:
            at += width[L] + 1
    minor_extent = max((lay.pos[v] + lay.size[v] for items in lay.layers for v in items), default=0)
    # Now that tracks have places, the loop spanning fewer columns gets the nearer lane, so that loops nest.
    def reach(loop: tuple[int, int]) -> tuple[int, int, int, int]:
        b, a = loop
        t_in, t_out = tracks[(lay.layer[a] - 1, -(a + 1))], tracks[(lay.layer[b], b)]
        return (t_out - t_in, -t_in, b, a)

    loops.sort(key=reach)
    lanes = {loop: minor_extent + margin + rank for rank, loop in enumerate(loops)}
    if loops:
        minor_extent += margin + len(loops)
    if limit is not None and minor_extent > limit:
        raise Overflow
    return Routed(major, sizes, tracks, lanes, at, minor_extent, entries)


def chain_points(lay: Layered, routed: Routed, chain: list[int], major_size: list[int]) -> list[tuple[int, int]]:
    """(major, minor) corner points of the line along `chain`, from the cell after its first item to the arrowhead
    cell before its last."""
    port = lay.port
    first = chain[0]
    L = lay.layer[first]
    points = [(routed.major[L] + major_size[first], port(first))]
    for x, y in zip(chain, chain[1:]):
        L = lay.layer[x]
        if port(x) != port(y):
            t = routed.tracks[(L, x)]
            points.append((t, port(x)))
            points.append((t, port(y)))
        nxt = routed.major[L + 1]
        if lay.is_dummy(y):
            points.append((nxt + routed.layer_size[L + 1] - 1, port(y)))
        else:
            points.append((nxt - 1, port(y)))
    return simplify(points)


def loop_points(lay: Layered, routed: Routed, source: int, target: int, major_size: list[int]) -> list[tuple[int, int]]:
    """(major, minor) corner points of the loop from `source` back to `target` (an earlier layer)."""
    lane = routed.lanes[(source, target)]
    ls, lt = lay.layer[source], lay.layer[target]
    t_out = routed.tracks[(ls, source)]
    t_in = routed.tracks[(lt - 1, -(target + 1))]
    s, t = lay.port(source), routed.entries.get(target, lay.port(target))
    points = [
        (routed.major[ls] + major_size[source], s), (t_out, s), (t_out, lane), (t_in, lane), (t_in, t),
        (routed.major[lt] - 1, t),
    ]
    return simplify(points)


def simplify(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop repeated points and the middle of three collinear ones."""
    out: list[tuple[int, int]] = []
    for p in points:
        if out and out[-1] == p:
            continue
        if len(out) >= 2:
            (x0, y0), (x1, y1) = out[-2], out[-1]
            if (x0 == x1 == p[0]) or (y0 == y1 == p[1]):
                out[-1] = p
                continue
        out.append(p)
    return out

"""Step 5 of the layered layout: positions along each layer.

Each layer is placed by weighted isotonic regression (pool adjacent violators) towards the median port of the
items' neighbours, in passes down and up; items keep their order and never come closer than `Layered.sep`, and a
narrow layout keeps every layer within its width. A last pass straightens what it can: an item with a single
predecessor moves right under it, a dummy lines up with the rest of its chain.
"""

from __future__ import annotations

from core.lineage.layered import Layered, Overflow


def isotonic(z: list[float], w: list[float]) -> list[float]:
    """Non-decreasing y minimising sum w_i (y_i - z_i)^2 (pool adjacent violators)."""
    sums: list[float] = []
    weights: list[float] = []
    counts: list[int] = []
    for zi, wi in zip(z, w):
        sums.append(zi * wi)
        weights.append(wi)
        counts.append(1)
        while len(sums) > 1 and sums[-2] * weights[-1] > sums[-1] * weights[-2]:
            s, wt, c = sums.pop(), weights.pop(), counts.pop()
            sums[-1] += s
            weights[-1] += wt
            counts[-1] += c
    out: list[float] = []
    for s, wt, c in zip(sums, weights, counts):
        out.extend([s / wt] * c)
    return out


def _offsets(lay: Layered, items: list[int]) -> list[int]:
    """Packed start positions of `items` (each as close after the previous as `sep` allows)."""
    offsets = [0] * len(items)
    for i in range(1, len(items)):
        offsets[i] = offsets[i - 1] + lay.sep(items[i - 1], items[i])
    return offsets


def place_layer(lay: Layered, L: int, targets: list[float], weights: list[float], slack: int | None) -> None:
    items = lay.layers[L]
    offsets = _offsets(lay, items)
    z = [t - o for t, o in zip(targets, offsets)]
    if slack is not None:
        z = [min(max(zi, 0.0), float(slack)) for zi in z]
    y = isotonic(z, weights)
    for v, yi, o in zip(items, y, offsets):
        lay.pos[v] = int(yi + 0.5) + o if yi >= 0 else -int(-yi + 0.5) + o


def _median(values: list[int]) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return float(values[mid]) if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def place(lay: Layered, limit: int | None, rounds: int = 3) -> None:
    """Minor positions: packed, then pulled towards the median port of the neighbours, layer by layer."""
    slacks: list[int | None] = []
    for items in lay.layers:
        offsets = _offsets(lay, items)
        for v, off in zip(items, offsets):
            lay.pos[v] = off
        need = offsets[-1] + lay.size[items[-1]] if items else 0
        if limit is None:
            slacks.append(None)
        elif need > limit:
            raise Overflow
        else:
            slacks.append(limit - need)

    pos, offset, n_real = lay.pos, lay.port_offset, lay.n_real

    def pass_(levels, nbr_lists) -> None:
        for L in levels:
            targets, weights = [], []
            for v in lay.layers[L]:
                ports = [pos[w] + offset[w] for nbrs in nbr_lists for w in nbrs[v]]
                if ports:
                    targets.append(_median(ports) - offset[v])
                    weights.append((1.0 if v < n_real else 4.0) * len(ports))
                else:
                    targets.append(float(pos[v]))
                    weights.append(0.25)
            place_layer(lay, L, targets, weights, slacks[L])

    depth = len(lay.layers)
    for _ in range(rounds):
        pass_(range(1, depth), (lay.up,))
        pass_(range(depth - 2, -1, -1), (lay.down,))
    pass_(range(depth), (lay.up, lay.down))
    straighten(lay, limit)
    low = min((lay.pos[v] for items in lay.layers for v in items[:1]), default=0)
    if low:
        for items in lay.layers:
            for v in items:
                lay.pos[v] -= low


def straighten(lay: Layered, limit: int | None) -> None:
    """Straighten edges where the neighbours leave room: going down, an item with a single predecessor (or a dummy
    with a dummy before it) moves under it; going up, a source with a single successor (or a dummy) moves over it.
    Long edges then run straight instead of jogging at every layer, and a chain of single steps is one line."""
    depth = len(lay.layers)
    pos, offset = lay.pos, lay.port_offset
    for down_pass in (True, False):
        levels = range(1, depth) if down_pass else range(depth - 2, -1, -1)
        for L in levels:
            items = lay.layers[L]
            for i, v in enumerate(items):
                dummy = lay.is_dummy(v)
                if not down_pass and not dummy and lay.up[v]:
                    continue
                nbrs = lay.up[v] if down_pass else lay.down[v]
                if len(nbrs) != 1:
                    nbrs = [w for w in nbrs if lay.is_dummy(w)] if dummy else []
                    if len(nbrs) != 1:
                        continue
                target = pos[nbrs[0]] + offset[nbrs[0]] - offset[v]
                if i:
                    lo = pos[items[i - 1]] + lay.sep(items[i - 1], v)
                else:
                    lo = 0 if limit is not None else None
                if i + 1 < len(items):
                    hi = pos[items[i + 1]] - lay.sep(v, items[i + 1])
                else:
                    hi = limit - lay.size[v] if limit is not None else None
                if (lo is None or lo <= target) and (hi is None or target <= hi):
                    pos[v] = target

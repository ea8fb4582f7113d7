"""The data the layered layout passes between its steps: layout edges, the layered structure, and `Overflow`.

Items are real nodes (0..n_real-1) and the dummies that carry long edges through layers; "minor" is the coordinate
along a layer (rows when the graph runs left to right, columns when it runs top to bottom).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LayoutEdge:
    """An edge of the acyclic layout graph, a -> b, standing for graph edges: `head_b` when one runs a -> b (it is drawn
    along `chain`), `head_a` when one runs b -> a against the layers (it is drawn as a loop around the component)."""

    a: int
    b: int
    head_b: bool = False
    head_a: bool = False
    chain: list[int] = field(default_factory=list)


@dataclass
class Layered:
    """Items (real nodes 0..n_real-1, then dummies) with layers, order and minor positions."""

    n_real: int
    layer: list[int]
    layers: list[list[int]]
    size: list[int]
    pos: list[int]
    port_offset: list[int]
    up: list[list[int]]
    down: list[list[int]]
    edges: list[LayoutEdge]
    gap: int = 0        # free cells between neighbours along a layer
    dummy_gap: int = 0  # between two dummies (parallel lines need less air than labels)

    def sep(self, u: int, v: int) -> int:
        """Least distance from the start of u to the start of v when v follows u in a layer."""
        return self.size[u] + (self.dummy_gap if self.is_dummy(u) and self.is_dummy(v) else self.gap)

    def port(self, item: int) -> int:
        return self.pos[item] + self.port_offset[item]

    def is_dummy(self, item: int) -> bool:
        return item >= self.n_real


class Overflow(Exception):
    """A layer cannot fit in the width asked for."""

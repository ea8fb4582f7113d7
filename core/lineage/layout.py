"""Where every node and edge of a lineage graph goes on a grid of terminal cells.

`layout(graph, width=...)` returns a `Layout`: one-line boxes (`[mnist-raw:v1 (latest)]` for artifacts,
`(train:sunny-smoke-1)` for runs) and orthogonal edge paths. It draws top to bottom at every level (left to right on
request), within `width` where it can; with `strict=True` a graph that cannot be drawn within `width` at all is given
as a list of edges instead (`Layout.orientation == "list"`). Names are drawn whole. Nothing here draws characters:
that is `render.py`, so that tests can check the geometry itself.

Small graphs: connected components are laid out one by one and stacked; each goes through `sugiyama` (layers, order,
positions) and `routing` (channels and tracks). Big ones go along lanes (`lanes.py`), in linear time.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from core.lineage import routing, sugiyama
from core.gc_pause import gc_paused
from core.lineage.lanes import lane_layout
from core.lineage.layered import Overflow
from core.lineage.graph import (
    ARTIFACT_TYPE, JOB_TYPE, RUN, RUN_CLUSTER, VERSION, VERSION_CLUSTER, Graph, Node, pipeline_order,
)

LR = "lr"
TB = "tb"
LIST = "list"
MIN_WIDTH = 16

Point = tuple[int, int]


@dataclass(frozen=True)
class Box:
    """A node drawn on one row: `text` (brackets included) from column x, `width` cells wide."""

    id: str
    kind: str
    text: str
    x: int
    y: int
    width: int

    def contains(self, x: int, y: int) -> bool:
        return y == self.y and self.x <= x < self.x + self.width


@dataclass(frozen=True)
class EdgePath:
    """The line of graph edge src -> dst: corner points from the cell beside src's box to the arrowhead cell beside
    dst's box. `tail` and `head` are the steps (dx, dy) from those end cells into the boxes."""

    src: str
    dst: str
    points: tuple[Point, ...]
    tail: Point
    head: Point

    def cells(self) -> list[Point]:
        """Every cell the line passes through, in order."""
        out = [self.points[0]]
        for (x0, y0), (x1, y1) in zip(self.points, self.points[1:]):
            dx = (x1 > x0) - (x1 < x0)
            dy = (y1 > y0) - (y1 < y0)
            x, y = x0, y0
            while (x, y) != (x1, y1):
                x, y = x + dx, y + dy
                out.append((x, y))
        return out


@dataclass
class Layout:
    orientation: str
    width: int
    height: int
    boxes: dict[str, Box] = field(default_factory=dict)
    paths: list[EdgePath] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)          # the text of a "list" layout

    def box_at(self, x: int, y: int) -> Box | None:
        for box in self.boxes.values():
            if box.contains(x, y):
                return box
        return None


# --- text --------------------------------------------------------------------------------------------------------


def cell_width(text: str) -> int:
    """Terminal cells `text` takes: wide East Asian characters take two, combining marks none."""
    if text.isascii():
        return len(text)
    return sum(_char_width(c) for c in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def truncate(text: str, cells: int, ellipsis: str = "…") -> str:
    """`text` cut to at most `cells` cells, ending with `ellipsis` when it was cut."""
    if cell_width(text) <= cells:
        return text
    room = max(cells - cell_width(ellipsis), 0)
    out, used = [], 0
    for char in text:
        w = _char_width(char)
        if used + w > room:
            break
        out.append(char)
        used += w
    return "".join(out) + ellipsis


def box_text(node: Node, max_label: int | None = None, ascii: bool = False) -> str:
    """The node as drawn: `[...]` for artifacts and artifact types, `(...)` for runs and job types."""
    text = node.text
    if max_label is not None:
        text = truncate(text, max_label, "~" if ascii else "…")
    if node.kind in (VERSION, ARTIFACT_TYPE, VERSION_CLUSTER):
        return f"[{text}]"
    if node.kind in (RUN, JOB_TYPE, RUN_CLUSTER):
        return f"({text})"
    return text


# --- layout ------------------------------------------------------------------------------------------------------


LIST_INDENT = " " * 8  # what starts the rest of a wrapped line of a list layout
LANES_ABOVE = 300
"""Graphs with more nodes than this are drawn in lanes (`lanes.py`) instead of layers: within a narrow width a
layered drawing of that many nodes has about one node per layer, at many times the cost."""


def layout(
    graph: Graph,
    width: int | None = None,
    orientation: str = TB,
    *,
    strict: bool = False,
    max_label: int | None = None,
    ascii: bool = False,
) -> Layout:
    """Place `graph` top to bottom (the default, for every level of the graph) or left to right (`"lr"`;
    `"auto"`: left to right when that fits in `width`, else top to bottom).

    Top to bottom, the drawing is kept within `width` where it can be: layers of limited width for small graphs,
    one node per row along lanes for big ones or when layers cannot fit. `strict`: a graph that still does not fit
    is given as a list of edges (`Layout.orientation == "list"`, long lines wrapped); without it (the TUI, which
    pans) it is drawn wider than `width`. Labels are never shortened unless `max_label` asks for it, so a reader
    never sees a cut name. `orientation="lr"` is never narrowed.
    """
    if orientation not in ("auto", LR, TB):
        raise ValueError(f"unknown orientation {orientation!r}")
    with gc_paused():  # what is built holds no cycles: see gc_pause.py
        return _layout(graph, width, orientation, strict, max_label, ascii)


def _layout(graph: Graph, width: int | None, orientation: str, strict: bool, max_label: int | None,
            ascii: bool) -> Layout:
    if width is not None:
        width = max(width, MIN_WIDTH)
    strict = strict and width is not None
    texts = {nid: box_text(node, max_label, ascii) for nid, node in graph.nodes.items()}
    if orientation == LR:
        return _layout_all(graph, texts, LR, None)
    if orientation == "auto" and (width is None or _lr_may_fit(graph, texts, width)):
        result = _layout_all(graph, texts, LR, None)
        if width is None or result.width <= width:
            return result
    big = len(graph.nodes) > LANES_ABOVE
    widths = {nid: cell_width(text) for nid, text in texts.items()}
    if width is not None:
        if not big:
            try:
                return _layout_all(graph, texts, TB, width)
            except Overflow:
                pass
        try:
            return lane_layout(graph, texts, widths, width)
        except Overflow:
            pass
        if strict:
            arrow = "--> " if ascii else "──▶ "
            return list_layout(graph, texts, arrow, width)
    return lane_layout(graph, texts, widths, None) if big else _layout_all(graph, texts, TB, None)


def _lr_may_fit(graph: Graph, texts: dict[str, str], width: int) -> bool:
    """False when a left-to-right drawing is surely wider than `width`: its longest path alone is (node widths plus
    an arrow between each two), so a big graph is not laid out in full only to be thrown away."""
    if len(graph.nodes) <= LANES_ABOVE:
        return True
    depth = pipeline_order(graph)
    longest: dict[int, int] = {}
    for nid, d in depth.items():
        longest[d] = max(longest.get(d, 0), cell_width(texts[nid]))
    return sum(longest.values()) + 3 * (len(longest) - 1) <= width


def _components(graph: Graph) -> list[list[str]]:
    """Node ids of each weakly connected component, components in order of their first node."""
    index = {nid: i for i, nid in enumerate(graph.nodes)}
    parent = list(range(len(index)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in graph.edges:
        ra, rb = find(index[a]), find(index[b])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[str]] = {}
    for nid, i in index.items():
        groups.setdefault(find(i), []).append(nid)
    return list(groups.values())


def _layout_all(graph: Graph, texts: dict[str, str], orientation: str, limit: int | None) -> Layout:
    out = Layout(orientation, 0, 0)
    y = 0
    edges_of: dict[int, list[tuple[str, str]]] = {}
    comp_of: dict[str, int] = {}
    components = _components(graph)
    for i, ids in enumerate(components):
        for nid in ids:
            comp_of[nid] = i
    for a, b in graph.edges:
        edges_of.setdefault(comp_of[a], []).append((a, b))
    for i, ids in enumerate(components):
        part = _layout_component(graph, ids, edges_of.get(i, []), texts, orientation, limit)
        if out.boxes:
            y += 1  # a blank row between components
        for box in part.boxes.values():
            out.boxes[box.id] = Box(box.id, box.kind, box.text, box.x, box.y + y, box.width)
        for p in part.paths:
            pts = tuple((px, py + y) for px, py in p.points)
            out.paths.append(EdgePath(p.src, p.dst, pts, p.tail, p.head))
        out.width = max(out.width, part.width)
        y += part.height
    out.height = y
    return out


def _layout_component(
    graph: Graph, ids: list[str], edges: list[tuple[str, str]], texts: dict[str, str], orientation: str,
    limit: int | None,
) -> Layout:
    index = {nid: i for i, nid in enumerate(ids)}
    n = len(ids)
    widths = [cell_width(texts[nid]) for nid in ids]
    rank = [graph.order_hint.get(nid, 0) for nid in ids]
    int_edges = [(index[a], index[b]) for a, b in edges]
    if orientation == LR:  # one row per node, a blank row between labels
        lay = sugiyama.build(n, int_edges, rank, [1] * n, [1] * n, [0] * n, gap=1, dummy_gap=0)
        major_size = widths
        routed = routing.route(lay, major_size, extra=3, margin=0, limit=None)
    else:  # labels side by side, two blank columns apart; ports at their middles
        ports = [w // 2 for w in widths]
        lay = sugiyama.build(n, int_edges, rank, widths, widths, ports, gap=2, dummy_gap=1, limit=limit, loop_margin=1)
        major_size = [1] * n
        routed = routing.route(lay, major_size, extra=2, margin=1, limit=limit)

    def xy(major: int, minor: int) -> Point:
        return (major, minor) if orientation == LR else (minor, major)

    out = Layout(orientation, 0, 0)
    for v, nid in enumerate(ids):
        x, y = xy(routed.major[lay.layer[v]], lay.pos[v])
        out.boxes[nid] = Box(nid, graph.nodes[nid].kind, texts[nid], x, y, widths[v])
    forward = (1, 0) if orientation == LR else (0, 1)
    backward = (-forward[0], -forward[1])
    for e in lay.edges:
        a, b = ids[e.a], ids[e.b]
        if e.head_b:
            pts = tuple(xy(*p) for p in routing.chain_points(lay, routed, e.chain, major_size))
            out.paths.append(EdgePath(a, b, pts, backward, forward))
        if e.head_a:  # b -> a runs against the layers: a loop out of b and back into a's input side
            pts = tuple(xy(*p) for p in routing.loop_points(lay, routed, e.b, e.a, major_size))
            out.paths.append(EdgePath(b, a, pts, backward, forward))
    if orientation == LR:
        out.width, out.height = routed.major_extent, routed.minor_extent
    else:
        out.width, out.height = routed.minor_extent, routed.major_extent
    return out


def list_layout(graph: Graph, texts: dict[str, str], arrow: str = "──▶ ", width: int | None = None) -> Layout:
    """The fallback for graphs too wide to draw: every node in pipeline order, each followed by the nodes it feeds.
    With `width`, a line longer than that goes on over the next lines (indented), whole: no name is cut."""
    succs = graph.successors()
    position = {nid: i for i, nid in enumerate(graph.nodes)}
    depth = pipeline_order(graph)
    order = sorted(graph.nodes, key=lambda nid: (graph.order_hint.get(nid, depth[nid]), position[nid]))
    out = Layout(LIST, 0, 0)
    lines: list[str] = []
    for nid in order:
        node = graph.nodes[nid]
        out.boxes[nid] = Box(nid, node.kind, texts[nid], 0, len(lines), cell_width(texts[nid]))
        lines.extend(wrap(texts[nid], width, LIST_INDENT))
        for s in succs[nid]:
            lines.extend(wrap(f"  {arrow}{texts[s]}", width, LIST_INDENT))
    out.lines = lines
    out.width = max((cell_width(line) for line in lines), default=0)
    out.height = len(lines)
    return out


def wrap(line: str, width: int | None, indent: str) -> list[str]:
    """`line` in pieces of at most `width` cells, every piece after the first starting with `indent`."""
    if width is None or cell_width(line) <= width:
        return [line]
    pieces, piece, used = [], [], 0
    for char in line:
        w = _char_width(char)
        if used + w > width:
            pieces.append("".join(piece))
            piece, used = [indent], cell_width(indent)
        piece.append(char)
        used += w
    pieces.append("".join(piece))
    return pieces

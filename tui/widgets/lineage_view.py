"""The lineage drawing as a scrollable, navigable widget: a cursor on one node, arrow keys along edges and layers.

It draws what `core.lineage.render` made of a `Layout` (rows of text) with the Line API, so a graph of thousands of
nodes costs only the rows on screen. Node labels arrive already passed through `tui.safe` (the screen maps every
label before layout) and are put into segments as literal text, never markup. The screen decides what graph to
show; this widget only shows it, moves the cursor and keeps the cursor in view, panning when the drawing is larger
than the screen.

Moves: along the layers' direction (right/left when the graph runs left to right, down/up when top to bottom) the
cursor follows an edge to the nearest successor or predecessor; across it, it steps to the neighbouring node of the
same layer. Where there is no such node it goes to the nearest node that way, and where there is none at all the
drawing pans that way. `h` / `l` pan half a screen sideways; the cursor then moves to the nearest node still on
screen, so that the selected node is always in view.

The node under the cursor is marked by glyphs as well as reverse video, so that it reads without colour:
`▶[name]◀` where the cells beside it are blank, a row of `▔` under it where they are not.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.lineage.graph import ARTIFACT_TYPE, JOB_TYPE, MORE, RUN, VERSION, Graph
from core.lineage.layout import LR, Box, Layout, cell_width

STEPS = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}
KIND_CLASS = {
    RUN: "lineage-view--run", VERSION: "lineage-view--version", ARTIFACT_TYPE: "lineage-view--type",
    JOB_TYPE: "lineage-view--type", MORE: "lineage-view--more",
}


class LineageView(ScrollView, can_focus=True):
    """A lineage drawing with a node cursor."""

    COMPONENT_CLASSES = {
        "lineage-view--edge", "lineage-view--run", "lineage-view--version", "lineage-view--type",
        "lineage-view--more", "lineage-view--alias", "lineage-view--cursor",
    }
    BINDINGS = [
        Binding("up", "move('up')", "Up", show=False),
        Binding("down", "move('down')", "Down", show=False),
        Binding("left", "move('left')", "Left", show=False),
        Binding("right", "move('right')", "Right", show=False),
        Binding("h", "pan(-1)", "Pan left", show=False),
        Binding("l", "pan(1)", "Pan right", show=False),
    ]
    MARK_LEFT, MARK_RIGHT, MARK_UNDER = "▶", "◀", "▔"

    class CursorMoved(Message):
        """The cursor is on node `node_id` now."""

        def __init__(self, view: "LineageView", node_id: str | None) -> None:
            super().__init__()
            self.view = view
            self.node_id = node_id

        @property
        def control(self) -> "LineageView":
            return self.view

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.graph = Graph()
        self.placed = Layout(LR, 0, 0)
        self.rows: list[str] = []
        self.cursor: str | None = None
        self._boxes_by_row: dict[int, list[Box]] = {}
        self._succ: dict[str, list[str]] = {}
        self._pred: dict[str, list[str]] = {}
        self._strips: dict[int, Strip] = {}

    # ----- content ---------------------------------------------------------------------------------------------

    def show(self, graph: Graph, placed: Layout, rows: list[str], cursor: str | None) -> None:
        """Show a new drawing of `graph`, with the cursor on `cursor` (or the first node when that is not in it)."""
        self.graph, self.placed, self.rows = graph, placed, rows
        self._boxes_by_row = {}
        for box in placed.boxes.values():
            self._boxes_by_row.setdefault(box.y, []).append(box)
        for boxes in self._boxes_by_row.values():
            boxes.sort(key=lambda b: b.x)
        self._succ, self._pred = graph.successors(), graph.predecessors()
        self._strips.clear()
        self.virtual_size = Size(placed.width + 1, placed.height + 1)  # room for the cursor's marks
        if cursor not in placed.boxes:
            cursor = next(iter(placed.boxes), None)
        self._set_cursor(cursor, center=True)
        self.refresh()

    def box_of(self, node_id: str | None) -> Box | None:
        return self.placed.boxes.get(node_id) if node_id else None

    # ----- cursor ----------------------------------------------------------------------------------------------

    def _set_cursor(self, node_id: str | None, *, center: bool = False, scroll: bool = True) -> None:
        old = self.box_of(self.cursor)
        self.cursor = node_id
        for box in (old, self.box_of(node_id)):
            if box is not None:
                self._strips.pop(box.y, None)
                self._strips.pop(box.y + 1, None)  # the row a mark may take under the box
        self.refresh()
        box = self.box_of(node_id)
        if box is not None and scroll:
            # the marks beside the box come into view with it
            region = Region(max(box.x - 1, 0), box.y, box.width + 2, 1)
            self.scroll_to_region(region, animate=False, center=center, force=True)
        self.post_message(self.CursorMoved(self, node_id))

    def select(self, node_id: str) -> None:
        """Put the cursor on `node_id` (when it is drawn)."""
        if node_id in self.placed.boxes:
            self._set_cursor(node_id)

    def action_move(self, direction: str) -> None:
        target = self.neighbour(direction)
        if target is not None:
            self._set_cursor(target)
        elif direction in ("left", "right"):
            self.action_pan(-1 if direction == "left" else 1)

    def action_pan(self, step: int) -> None:
        """Scroll half a screen sideways; if the cursor's node left the screen, move it to the nearest one on it."""
        width = self.size.width
        target = max(0, min(int(self.scroll_x) + step * max(width // 2, 1), self.max_scroll_x))
        if target == int(self.scroll_x):
            return
        self.scroll_to(x=target, animate=False, force=True, immediate=True)
        here = self.box_of(self.cursor)
        if here is not None and self._on_screen(here, target):
            return
        top = int(self.scroll_y)
        shown = [b for b in self.placed.boxes.values()
                 if self._on_screen(b, target) and top <= b.y < top + self.size.height]
        if not shown:
            shown = [b for b in self.placed.boxes.values() if self._on_screen(b, target)]
        if shown:
            cx = target + width / 2
            y = here.y if here is not None else top
            best = min(shown, key=lambda b: (abs(b.y - y) + abs(b.x + b.width / 2 - cx) / 4, b.y, b.x))
            self._set_cursor(best.id, scroll=False)

    def _on_screen(self, box: Box, scroll_x: int) -> bool:
        return box.x >= scroll_x and box.x + box.width <= scroll_x + self.size.width

    def neighbour(self, direction: str) -> str | None:
        """Where `direction` takes the cursor: along an edge, within the layer, or to the nearest node that way."""
        here = self.box_of(self.cursor)
        if here is None:
            return next(iter(self.placed.boxes), None)
        dx, dy = STEPS[direction]
        along = (dx != 0) if self.placed.orientation == LR else (dy != 0)
        if along:
            forward = (dx > 0) if self.placed.orientation == LR else (dy > 0)
            linked = (self._succ if forward else self._pred).get(self.cursor, [])
            boxes = [self.placed.boxes[n] for n in linked if n in self.placed.boxes]
            if boxes:
                return min(boxes, key=lambda b: (_across(here, b, self.placed.orientation), b.y, b.x)).id
        else:
            same_layer = [b for b in self._in_direction(here, dx, dy) if _same_layer(here, b, self.placed.orientation)]
            if same_layer:
                return min(same_layer, key=lambda b: (_distance(here, b, dx, dy), b.y, b.x)).id
        candidates = self._in_direction(here, dx, dy)
        if not candidates:
            return None
        return min(candidates, key=lambda b: (_distance(here, b, dx, dy), b.y, b.x)).id

    def _in_direction(self, here: Box, dx: int, dy: int) -> list[Box]:
        cx = here.x + here.width / 2
        out = []
        for box in self.placed.boxes.values():
            if box.id == here.id:
                continue
            bx = box.x + box.width / 2
            if (dx > 0 and box.x >= here.x + here.width) or (dx < 0 and box.x + box.width <= here.x) or \
                    (dy > 0 and box.y > here.y) or (dy < 0 and box.y < here.y):
                out.append(box)
            elif dx and box.y == here.y and (bx - cx) * dx > 0:
                out.append(box)
        return out

    def on_click(self, event: Click) -> None:
        x, y = event.x + int(self.scroll_x), event.y + int(self.scroll_y)
        for box in self._boxes_by_row.get(y, ()):
            if box.x <= x < box.x + box.width:
                self._set_cursor(box.id)
                return

    # ----- drawing ---------------------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.size.width
        if row >= len(self.rows) + 1:
            return Strip.blank(width, self.rich_style)
        strip = self._strips.get(row)
        if strip is None:
            strip = self._strips[row] = Strip(self._segments(row))
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def _marks(self) -> dict[int, list[tuple[int, str]]]:
        """Cells (row -> [(column, glyph)]) that mark the cursor's node: beside it where blank, else under it."""
        box = self.box_of(self.cursor)
        if box is None:
            return {}
        cells = self._cells(box.y)
        marks = [(x, glyph) for x, glyph in ((box.x - 1, self.MARK_LEFT), (box.x + box.width, self.MARK_RIGHT))
                 if x >= 0 and (x >= len(cells) or cells[x] == " ")]
        if len(marks) == 2 or (marks and box.x == 0):
            return {box.y: marks}
        under = self._cells(box.y + 1) if box.y + 1 < len(self.rows) else []
        if len(under) < box.x + box.width:
            under = under + [" "] * (box.x + box.width - len(under))
        if all(c == " " for c in under[box.x : box.x + box.width]):
            return {box.y: marks, box.y + 1: [(box.x + i, self.MARK_UNDER) for i in range(box.width)]}
        return {box.y: marks}

    def _cells(self, y: int) -> list[str]:
        """Row `y` one entry per cell (a wide character takes its cell and an empty one)."""
        out: list[str] = []
        for char in self.rows[y] if y < len(self.rows) else "":
            out.append(char)
            if cell_width(char) == 2:
                out.append("")
        return out

    def _segments(self, y: int) -> list[Segment]:
        segments = self._plain_segments(y)
        marks = self._marks().get(y)
        if not marks:
            return segments
        cursor = self.get_component_rich_style("lineage-view--cursor")
        for x, glyph in sorted(marks):
            segments = _overlay(segments, x, Segment(glyph, cursor))
        return segments

    def _plain_segments(self, y: int) -> list[Segment]:
        if y >= len(self.rows):
            return []
        row = self.rows[y]
        edge = self.get_component_rich_style("lineage-view--edge")
        segments: list[Segment] = []
        at = 0      # index into the row string
        shift = 0   # cells minus characters so far (a wide character is one character for two cells)
        for box in self._boxes_by_row.get(y, ()):
            start = box.x - shift
            if start > at:
                segments.append(Segment(row[at:start], edge))
            segments.extend(self._box_segments(box))
            at = start + len(box.text)
            shift += box.width - len(box.text)
        if at < len(row):
            segments.append(Segment(row[at:], edge))
        return segments

    def _box_segments(self, box: Box) -> list[Segment]:
        node = self.graph.nodes.get(box.id)
        style = self.get_component_rich_style(KIND_CLASS.get(box.kind, "lineage-view--run"))
        if box.id == self.cursor:
            style += self.get_component_rich_style("lineage-view--cursor")
            return [Segment(box.text, style)]
        if node is None or not node.aliases:
            return [Segment(box.text, style)]
        # "[name:v1 (best, latest)]": the aliases in their own colour
        split = text_index(box.text, 1 + cell_width(node.label))
        alias_style: Style = style + self.get_component_rich_style("lineage-view--alias")
        return [Segment(box.text[:split], style), Segment(box.text[split:-1], alias_style),
                Segment(box.text[-1:], style)]


def _overlay(segments: list[Segment], x: int, mark: Segment) -> list[Segment]:
    """`segments` with the cell at column x replaced by `mark` (one cell), padding with blanks past their end."""
    out: list[Segment] = []
    at = 0
    placed = False
    for seg in segments:
        width = seg.cell_length
        if not placed and at <= x < at + width:
            head, rest = seg.split_cells(x - at)
            _, tail = rest.split_cells(1)
            out += [s for s in (head, mark, tail) if s.text]
            placed = True
        else:
            out.append(seg)
        at += width
    if not placed:
        out += [Segment(" " * (x - at)), mark] if x > at else [mark]
    return out


def text_index(text: str, cells: int) -> int:
    """The index in `text` where its first `cells` cells end."""
    used = 0
    for i, char in enumerate(text):
        if used >= cells:
            return i
        used += cell_width(char)
    return len(text)


def _same_layer(a: Box, b: Box, orientation: str) -> bool:
    return a.x == b.x if orientation == LR else a.y == b.y


def _across(a: Box, b: Box, orientation: str) -> float:
    """How far apart two boxes are across the layers' direction."""
    if orientation == LR:
        return abs(a.y - b.y)
    return abs((a.x + a.width / 2) - (b.x + b.width / 2))


def _distance(a: Box, b: Box, dx: int, dy: int) -> float:
    """Distance with the move's own axis counted first (straight ahead beats diagonal)."""
    ax, bx = a.x + a.width / 2, b.x + b.width / 2
    if dx:
        return abs(bx - ax) + 4 * abs(b.y - a.y)
    return abs(b.y - a.y) * 8 + abs(bx - ax)

"""Turns a `Layout` into terminal text: box-drawing lines and arrowheads, or plain ASCII with `ascii=True`.

Each edge path marks the cells it crosses with the directions it leaves them in (up, down, left, right); a cell's
character is chosen from the union, so lines that meet show as a junction. Two lines that merely cross show as the
vertical one drawn through (`─│─`), so that `┼` always means a real four-way junction and a reader never takes a
crossing for a connection.
`render_rows` gives one string per row (what the TUI styles and crops), `render` the text with trailing spaces stripped,
and `render_cells` one entry per terminal cell for checks that read the drawing cell by cell.
"""

from __future__ import annotations

import codecs

from core.gc_pause import gc_paused
from core.lineage.layout import LIST, Layout, _char_width

UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
_STEP = {(0, -1): UP, (0, 1): DOWN, (-1, 0): LEFT, (1, 0): RIGHT}

UNICODE_LINES = {
    LEFT | RIGHT: "─", UP | DOWN: "│", LEFT: "─", RIGHT: "─", UP: "│", DOWN: "│",
    DOWN | RIGHT: "┌", DOWN | LEFT: "┐", UP | RIGHT: "└", UP | LEFT: "┘",
    UP | DOWN | RIGHT: "├", UP | DOWN | LEFT: "┤", LEFT | RIGHT | DOWN: "┬", LEFT | RIGHT | UP: "┴",
    UP | DOWN | LEFT | RIGHT: "┼",
}
UNICODE_ARROWS = {(1, 0): "▶", (-1, 0): "◀", (0, 1): "▼", (0, -1): "▲"}
ASCII_ARROWS = {(1, 0): ">", (-1, 0): "<", (0, 1): "v", (0, -1): "^"}
LINE_CHARS = set(UNICODE_LINES.values()) | {"-", "|", "+"}
ARROW_CHARS = set(UNICODE_ARROWS.values()) | set(ASCII_ARROWS.values())


def _ascii_line(arms: int) -> str:
    if arms & (UP | DOWN) and arms & (LEFT | RIGHT):
        return "+"
    return "|" if arms & (UP | DOWN) else "-"


def arms_of(char: str) -> int:
    """The directions a drawn character connects (arrowheads count as a line along their axis)."""
    for arms, c in UNICODE_LINES.items():
        if c == char and arms not in (LEFT, RIGHT, UP, DOWN):
            return arms
    if char in ("-", "▶", "◀", ">", "<"):
        return LEFT | RIGHT
    if char in ("|", "▲", "▼", "v", "^"):
        return UP | DOWN
    if char == "+":
        return UP | DOWN | LEFT | RIGHT
    return 0


_ARROW_CODES = {(1, 0): 16, (-1, 0): 17, (0, 1): 18, (0, -1): 19}
_CROSSING = 20


def _decoding_table(lines: dict[int, str], arrows: dict[tuple[int, int], str]) -> str:
    """256 characters, one per byte: arm sets 0-15 become line characters, 16-19 arrowheads, 20 a crossing (the
    vertical line drawn whole, the horizontal one broken by it)."""
    table = [" "] + [lines[i] for i in range(1, 16)]
    table += [arrows[step] for step, _ in sorted(_ARROW_CODES.items(), key=lambda kv: kv[1])]
    table.append(lines[UP | DOWN])
    return "".join(table) + "?" * (256 - len(table))


_UNICODE_TABLE = _decoding_table({i: UNICODE_LINES[i] for i in range(1, 16)}, UNICODE_ARROWS)
_ASCII_TABLE = _decoding_table({i: _ascii_line(i) for i in range(1, 16)}, ASCII_ARROWS)
_ACROSS = bytes([LEFT | RIGHT])
_ALONG = bytes([UP | DOWN])


def render_rows(layout: Layout, *, ascii: bool = False) -> list[str]:
    """One string per row, trailing spaces kept (a wide character stands for two cells).

    The canvas is two flat bytearrays of arm bits, one for horizontal runs and one for vertical runs, written with
    slice and strided-slice assignments (every inner cell of a run holds both of its arms, so writing a run again, or
    over the end of another, loses nothing). The two are OR-ed as big integers, decoded to characters through a
    256-entry table in one call, and cut into rows; only rows holding boxes are touched again.
    """
    if layout.orientation == LIST:
        return list(layout.lines)
    with gc_paused():  # the rows and the list of arrowheads hold no cycles: see gc_pause.py
        return _render_rows(layout, ascii)


def _render_rows(layout: Layout, ascii: bool) -> list[str]:
    width, height = layout.width, layout.height
    if not width or not height:
        return [""] * height
    size = width * height
    across = bytearray(size)
    along = bytearray(size)
    heads: list[tuple[int, int]] = []
    corners: set[int] = set()
    for path in layout.paths:
        points = path.points
        corners.update(y * width + x for x, y in points)
        x, y = points[0]
        arm = _STEP[path.tail]
        (across if arm & (LEFT | RIGHT) else along)[y * width + x] |= arm
        hx, hy = points[-1]
        heads.append((hy * width + hx, _ARROW_CODES[path.head]))
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            if y0 == y1:
                if x0 > x1:
                    x0, x1 = x1, x0
                row = y0 * width
                across[row + x0 + 1 : row + x1] = _ACROSS * (x1 - x0 - 1)
                across[row + x0] |= RIGHT
                across[row + x1] |= LEFT
            else:
                if y0 > y1:
                    y0, y1 = y1, y0
                if y1 - y0 > 1:
                    along[(y0 + 1) * width + x0 : y1 * width + x0 : width] = _ALONG * (y1 - y0 - 1)
                along[y0 * width + x0] |= DOWN
                along[y1 * width + x0] |= UP
    cells = bytearray((int.from_bytes(across, "little") | int.from_bytes(along, "little")).to_bytes(size, "little"))
    # A cell with all four arms where no line starts, ends or turns is two lines crossing, not a junction.
    at = cells.find(15)
    while at != -1:
        if at not in corners:
            cells[at] = _CROSSING
        at = cells.find(15, at + 1)
    for i, code in heads:
        cells[i] = code
    text = codecs.charmap_decode(bytes(cells), "strict", _ASCII_TABLE if ascii else _UNICODE_TABLE)[0]
    rows = [text[i : i + width] for i in range(0, size, width)]
    boxes_by_row: dict[int, list] = {}
    for box in layout.boxes.values():
        boxes_by_row.setdefault(box.y, []).append(box)
    for y, boxes in boxes_by_row.items():
        boxes.sort(key=lambda b: b.x)
        row, pieces, at = rows[y], [], 0
        for box in boxes:
            pieces.append(row[at : box.x])
            pieces.append(box.text)  # a wide character is one character for two cells
            at = box.x + box.width
        pieces.append(row[at:])
        rows[y] = "".join(pieces)
    return rows


def render_cells(layout: Layout, *, ascii: bool = False) -> list[list[str]]:
    """One list of cell strings per row (a wide character is followed by ""), for checks that work cell by cell."""
    return [_cells(row) for row in render_rows(layout, ascii=ascii)]


def _cells(line: str) -> list[str]:
    out: list[str] = []
    for char in line:
        w = _char_width(char)
        if w == 0 and out:
            out[-1] += char
            continue
        out.append(char)
        if w == 2:
            out.append("")
    return out


def render(layout: Layout, *, ascii: bool = False) -> str:
    """The drawing as text, one line per row, trailing spaces removed, ending with a newline."""
    return "".join(row.rstrip() + "\n" for row in render_rows(layout, ascii=ascii))

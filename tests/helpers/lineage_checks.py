"""Checks that a rendered lineage drawing says what its graph says, read back from the text itself.

Used by the property tests on random graphs and by the golden tests: every edge has a line whose drawn characters
connect the two right boxes, no box overlaps another or hides under a line, and lines of unrelated edges only ever
cross (never run along each other or meet at a junction).
"""

from __future__ import annotations

from core.lineage.graph import Graph
from core.lineage.layout import LIST, LIST_INDENT, Layout, cell_width
from core.lineage.render import ARROW_CHARS, DOWN, LEFT, RIGHT, UP, arms_of, render_cells

STEP = {(0, -1): UP, (0, 1): DOWN, (-1, 0): LEFT, (1, 0): RIGHT}
ARROW_FOR = {(1, 0): "▶>", (-1, 0): "◀<", (0, 1): "▼v", (0, -1): "▲^"}


def check_drawing(graph: Graph, placed: Layout, *, ascii: bool = False, width: int | None = None) -> list[str]:
    """Problems found (an empty list when the drawing is right)."""
    rows = render_cells(placed, ascii=ascii)
    problems: list[str] = []
    if width is not None:
        for y, row in enumerate(rows):
            used = cell_width("".join(row).rstrip())
            if used > width:
                problems.append(f"row {y} is {used} cells wide, more than {width}")
    if placed.orientation == LIST:
        return problems + _check_list(graph, placed)
    problems += _check_boxes(graph, placed, rows)
    drawn = {(p.src, p.dst) for p in placed.paths}
    for edge in graph.edges:
        if edge not in drawn:
            problems.append(f"edge {edge} has no line")
    for p in placed.paths:
        if (p.src, p.dst) not in set(graph.edges):
            problems.append(f"line {p.src} -> {p.dst} is not an edge of the graph")
        problems += _check_path(placed, p, rows, ascii)
    problems += _check_honest(placed)
    return problems


def _check_boxes(graph: Graph, placed: Layout, rows: list[list[str]]) -> list[str]:
    problems = []
    if set(placed.boxes) != set(graph.nodes):
        problems.append(f"boxes {sorted(placed.boxes)} differ from nodes {sorted(graph.nodes)}")
    by_row: dict[int, list] = {}
    for box in placed.boxes.values():
        by_row.setdefault(box.y, []).append(box)
        shown = "".join(rows[box.y][box.x : box.x + box.width])
        if shown != box.text:
            problems.append(f"box {box.id} shows {shown!r}, not {box.text!r}")
        if box.x < 0 or box.x + box.width > placed.width or not 0 <= box.y < placed.height:
            problems.append(f"box {box.id} lies outside the canvas")
    for boxes in by_row.values():
        boxes.sort(key=lambda b: b.x)
        for a, b in zip(boxes, boxes[1:]):
            if a.x + a.width > b.x:
                problems.append(f"boxes {a.id} and {b.id} overlap")
    return problems


def _check_path(placed: Layout, p, rows: list[list[str]], ascii: bool) -> list[str]:
    problems = []
    name = f"line {p.src} -> {p.dst}"
    for (x0, y0), (x1, y1) in zip(p.points, p.points[1:]):
        if x0 != x1 and y0 != y1:
            return [f"{name} has a diagonal step"]
    cells = p.cells()
    if len(set(cells)) != len(cells):
        problems.append(f"{name} passes a cell twice")
    sx, sy = cells[0][0] + p.tail[0], cells[0][1] + p.tail[1]
    if not placed.boxes[p.src].contains(sx, sy):
        problems.append(f"{name} does not start at its source box")
    hx, hy = cells[-1][0] + p.head[0], cells[-1][1] + p.head[1]
    if not placed.boxes[p.dst].contains(hx, hy):
        problems.append(f"{name} does not end at its target box")
    last = rows[cells[-1][1]][cells[-1][0]]
    if last not in ARROW_FOR[p.head]:
        problems.append(f"{name} ends in {last!r}, not an arrowhead into its target")
    for i, (x, y) in enumerate(cells):
        if placed.box_at(x, y) is not None:
            problems.append(f"{name} runs through box {placed.box_at(x, y).id} at {(x, y)}")
            continue
        need = STEP[p.tail] if i == 0 else STEP[(cells[i - 1][0] - x, cells[i - 1][1] - y)]
        need |= STEP[p.head] if i == len(cells) - 1 else STEP[(cells[i + 1][0] - x, cells[i + 1][1] - y)]
        char = rows[y][x]
        if char in "│|" and need == LEFT | RIGHT:
            # a crossing: the vertical line is drawn whole and this line continues on both sides of it
            ok = bool(arms_of(_beyond(rows[y], x, -1)) & RIGHT) and bool(arms_of(_beyond(rows[y], x, 1)) & LEFT)
        elif char in ARROW_CHARS:
            ok = need == arms_of(char)  # arrowheads sit on straight stretches, pointing along them
        elif ascii:
            ok = char == "+" or (char == "-" and not need & (UP | DOWN)) or (char == "|" and not need & (LEFT | RIGHT))
        else:
            ok = need & arms_of(char) == need
        if not ok:
            problems.append(f"{name} at {(x, y)} is drawn {char!r}")
    return problems


def _beyond(row: list[str], x: int, step: int) -> str:
    """The first character from x in direction `step` that is not a crossing vertical line."""
    x += step
    while 0 <= x < len(row) and row[x] in "│|":
        x += step
    return row[x] if 0 <= x < len(row) else " "


def _check_honest(placed: Layout) -> list[str]:
    """Lines of edges that share no node may cross, but never overlap or join."""
    use: dict[tuple[int, int], list[tuple[str, str, int]]] = {}
    for p in placed.paths:
        cells = p.cells()
        for i, (x, y) in enumerate(cells):
            prev = STEP[p.tail] if i == 0 else STEP[(cells[i - 1][0] - x, cells[i - 1][1] - y)]
            nxt = STEP[p.head] if i == len(cells) - 1 else STEP[(cells[i + 1][0] - x, cells[i + 1][1] - y)]
            use.setdefault((x, y), []).append((p.src, p.dst, prev | nxt))
    problems = []
    for cell, users in use.items():
        for i, (s1, d1, a1) in enumerate(users):
            for s2, d2, a2 in users[i + 1 :]:
                if s1 == s2 or d1 == d2:
                    continue
                crossing = {a1, a2} == {LEFT | RIGHT, UP | DOWN}
                if not crossing:
                    problems.append(f"lines {s1}->{d1} and {s2}->{d2} meet at {cell}")
    return problems


def _check_list(graph: Graph, placed: Layout) -> list[str]:
    problems = []
    lines, start = [], {}  # wrapped lines joined back: the rest of a line starts with LIST_INDENT
    for y, line in enumerate(placed.lines):
        if line.startswith(LIST_INDENT) and lines:
            lines[-1] += line[len(LIST_INDENT):]
        else:
            start[y] = len(lines)
            lines.append(line)
    for src, dst in graph.edges:
        y = start[placed.boxes[src].y]
        if lines[y] != placed.boxes[src].text:
            problems.append(f"node {src} is listed as {lines[y]!r}")
        following = []
        for line in lines[y + 1 :]:
            if not line.startswith("  "):
                break
            following.append(line)
        if not any(line.endswith(placed.boxes[dst].text) for line in following):
            problems.append(f"edge {src} -> {dst} is not listed")
    return problems

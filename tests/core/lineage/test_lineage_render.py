"""Golden renders of the tutorial pipeline, and the drawing read back: what a person sees must be the graph.

The golden files live in golden/; after a deliberate change to the drawing, regenerate them with
`LINEAGE_GOLDEN_UPDATE=1 pytest tests/core/lineage` and read the diff before committing it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.lineage import draw
from core.lineage.graph import Graph, Node, view
from core.lineage import layout as layout_module
from core.lineage.layout import LIST, LIST_INDENT, LR, TB, cell_width, layout
from core.lineage.render import render, render_cells
from tests.helpers.lineage_checks import check_drawing
from tests.helpers.lineage_tutorial import tutorial_graph

GOLDEN = Path(__file__).parent / "golden"
CASES = [(level, width, charset) for level in ("type", "version") for width in (80, 120)
         for charset in ("unicode", "ascii")]


@pytest.mark.parametrize(("level", "width", "charset"), CASES)
def test_tutorial_golden(level, width, charset):
    ascii = charset == "ascii"
    text = draw(view(tutorial_graph(), level), width, ascii=ascii)
    path = GOLDEN / f"tutorial-{level}-{width}-{charset}.txt"
    if os.environ.get("LINEAGE_GOLDEN_UPDATE"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert max(cell_width(line) for line in text.splitlines()) <= width
    if ascii:
        assert text.isascii()


@pytest.mark.parametrize(("level", "width", "charset"), CASES)
def test_tutorial_drawing_reads_back_as_the_graph(level, width, charset):
    graph = view(tutorial_graph(), level)
    placed = layout(graph, width, strict=True, ascii=charset == "ascii")
    assert placed.orientation in (LR, TB)
    assert check_drawing(graph, placed, ascii=charset == "ascii", width=width) == []


def test_both_levels_read_top_to_bottom_and_left_to_right_on_request():
    graph = tutorial_graph()
    assert layout(view(graph, "type"), 80, strict=True).orientation == TB
    assert layout(view(graph, "version"), 80, strict=True).orientation == TB
    assert layout(view(graph, "type"), 80, LR).orientation == LR
    assert layout(view(graph, "type"), 80, "auto").orientation == LR  # the old rule: left to right when it fits


def _last_cells(placed, target: str) -> dict[tuple[str, str], tuple[int, int]]:
    return {(p.src, p.dst): p.cells()[-1] for p in placed.paths if p.dst == target}


@pytest.mark.parametrize("lanes", [False, True])
def test_a_loop_back_lands_on_an_arrowhead_of_its_own(monkeypatch, lanes):
    if lanes:  # the drawing big graphs get, on the small one
        monkeypatch.setattr(layout_module, "LANES_ABOVE", 0)
    graph = view(tutorial_graph(), "type")
    placed = layout(graph, 80, strict=True)
    assert check_drawing(graph, placed, width=80) == []
    rows = render_cells(placed)
    for loop, target in (("job_type:train", "artifact_type:model"),
                         ("job_type:preprocess-data", "artifact_type:dataset")):
        ends = _last_cells(placed, target)
        x, y = ends.pop((loop, target))
        assert rows[y][x] in "▼◀"  # an arrowhead, right beside the box of the type it feeds back
        assert (x, y) not in ends.values()  # shared with no forward edge: a reader sees where it lands
        box = placed.boxes[target]
        assert box.contains(x, y + 1) or (y == box.y and x == box.x + box.width)


def test_what_a_reader_sees_in_the_type_level_drawing():
    text = draw(view(tutorial_graph(), "type"), 80)
    lines = text.splitlines()
    for box in ("(load-data (1))", "[dataset (2)]", "(preprocess-data (1))", "(initialize (1))", "[model (3)]",
                "(train (2))", "(report (2))"):
        assert box in text
    row = next(i for i, line in enumerate(lines) if "[dataset (2)]" in line)
    assert lines[row - 1].count("▼") >= 2  # the input from load-data, and the loop back from preprocess-data


def test_a_cycle_is_drawn_as_a_loop_into_the_target():
    g = Graph()
    for name, kind in (("a", "run"), ("b", "version"), ("c", "run")):
        g.add_node(Node(name, kind, name))
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", "b")
    g.order_hint.update(a=0, b=1, c=2)
    placed = layout(g.finish(), 80)
    assert check_drawing(g, placed) == []
    assert render(placed) == (
        "(a)\n"
        " │\n"
        " │┌─┐\n"
        " ▼▼ │\n"
        "[b] │\n"
        " │  │\n"
        " ▼  │\n"
        "(c) │\n"
        " │  │\n"
        " └──┘\n"
    )
    assert render(layout(g, 80, LR)) == (
        "(a)─┬─▶[b]──▶(c)─┐\n"
        "    └────────────┘\n"
    )


def test_a_name_is_never_cut_even_when_it_cannot_fit():
    g = Graph()
    g.add_node(Node("r", "run", "preprocess-data:" + "x" * 60))
    g.add_node(Node("v", "version", "mnist-preprocess:v0"))
    g.add_edge("r", "v")
    placed = layout(g.finish(), 30, strict=True)
    assert check_drawing(g, placed, width=30) == []
    text = render(placed)
    assert "…" not in text and "~" not in text
    assert "x" * 60 in text.replace("\n" + LIST_INDENT, "")  # wrapped over lines, whole
    # what fits is drawn, with every name whole, at 80 columns too
    wide = view(tutorial_graph(), "version")
    assert all(box.text in draw(wide, 80) for box in layout(wide).boxes.values())


def test_a_graph_too_wide_to_draw_is_listed_within_the_width():
    g = Graph()
    for i in range(12):
        g.add_node(Node(f"s{i}", "run", f"source-number-{i}"))
        g.add_node(Node(f"t{i}", "version", f"target-number-{i}"))
    for i in range(12):
        for j in range(12):
            g.add_edge(f"s{i}", f"t{j}")
    placed = layout(g.finish(), 40, strict=True)
    assert placed.orientation == LIST
    assert check_drawing(g, placed, width=40) == []
    text = render(placed)
    assert text.startswith("(source-number-0)\n  ──▶ [target-number-0]\n  ──▶ [target-number-1]\n")


def test_wide_characters_take_two_cells():
    g = Graph()
    g.add_node(Node("a", "run", "训练"))
    g.add_node(Node("b", "version", "模型:v0"))
    g.add_edge("a", "b")
    placed = layout(g.finish(), 80, LR)
    assert check_drawing(g, placed) == []
    assert render(placed) == "(训练)──▶[模型:v0]\n"


def test_same_graph_same_text_whatever_the_hash_seed():
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from tests.helpers.lineage_tutorial import tutorial_graph; from core.lineage import draw, view;"
        "print(draw(view(tutorial_graph(), 'version'), 80) + draw(view(tutorial_graph(), 'type'), 80))"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run([sys.executable, "-c", script, str(Path(__file__).resolve().parents[3])], env=env,
                                capture_output=True, text=True, check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_empty_graph_draws_nothing():
    assert draw(Graph(), 80) == ""


def test_a_drawing_leaves_the_garbage_collector_as_it_found_it(monkeypatch):
    """Layout and render pause the cyclic collector while they build (core/gc_pause.py). It must run again
    afterwards, also after a drawing that failed, or a long TUI session would keep every reference cycle it made."""
    import gc

    graph = view(tutorial_graph(), "version")
    was_enabled = gc.isenabled()
    try:
        gc.enable()
        text = draw(graph, 80)
        assert text and gc.isenabled()
        gc.disable()  # a caller that switched it off keeps it off
        assert draw(graph, 80) == text and not gc.isenabled()
        gc.enable()

        def broken(*args, **kwargs):
            raise RuntimeError("layout failed")

        monkeypatch.setattr(layout_module, "_layout_all", broken)
        with pytest.raises(RuntimeError):
            layout(graph, 80)
        assert gc.isenabled()
    finally:
        (gc.enable if was_enabled else gc.disable)()


def test_a_big_graph_is_drawn_whole_within_80_columns_along_lanes(monkeypatch):
    from bench.bench_lineage import pipeline_graph

    graph = pipeline_graph(2000)
    placed = layout(graph, 80, strict=True)
    assert placed.orientation == TB and len(placed.boxes) == len(graph.nodes)  # a drawing, not a list
    assert placed.height < 6 * len(graph.nodes)  # a box row and a few rows of lines per node
    rows = render_cells(placed)
    assert all(len(row) <= 80 for row in rows)
    for box in placed.boxes.values():
        assert "".join(rows[box.y][box.x : box.x + box.width]) == box.text  # every name whole
    assert sorted((p.src, p.dst) for p in placed.paths) == sorted(graph.edges)
    for p in placed.paths:  # every line ends in an arrowhead against its target
        (x, y), (dx, dy) = p.points[-1], p.head
        assert rows[y][x] in "▼◀" and placed.boxes[p.dst].contains(x + dx, y + dy)
    # the same drawing, read back in full on a smaller graph of the same shape
    monkeypatch.setattr(layout_module, "LANES_ABOVE", 0)
    small = pipeline_graph(150)
    assert check_drawing(small, layout(small, 80, strict=True), width=80) == []

"""Property tests on random graphs: whatever the graph, the drawing must say exactly what the graph says.

Checked on the rendered characters (see lineage_checks.py): every edge has a line from its source box to an arrowhead
at its target box, boxes never overlap, lines never run through a box, lines of unrelated edges only cross, and a
narrow layout stays within its width.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.lineage.graph import Graph, Node, focus, view
from core.lineage.layout import LIST, LR, TB, layout
from tests.helpers.lineage_checks import check_drawing
from tests.helpers.lineage_tutorial import tutorial_graph

KINDS = ["run", "version", "artifact_type", "job_type", "more"]


@st.composite
def graphs(draw, max_nodes: int = 18, cycles: bool = False) -> Graph:
    n = draw(st.integers(1, max_nodes))
    g = Graph()
    for i in range(n):
        label = draw(st.text(alphabet="abcdefghij:-_.0123456789", min_size=0, max_size=24))
        g.add_node(Node(f"n{i}", draw(st.sampled_from(KINDS)), f"n{i}{label}"))
        g.order_hint[f"n{i}"] = draw(st.integers(0, 4))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    for a, b in draw(st.lists(pairs, max_size=3 * n)):
        if a != b and (cycles or a < b):
            g.add_edge(f"n{a}", f"n{b}")
    return g.finish()


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(graphs(), st.sampled_from([LR, TB]), st.booleans())
def test_every_edge_is_drawn_between_the_right_boxes(graph, orientation, ascii):
    placed = layout(graph, None, orientation, ascii=ascii)
    assert check_drawing(graph, placed, ascii=ascii) == []


@SETTINGS
@given(graphs(cycles=True), st.sampled_from([LR, TB]))
def test_cycles_are_drawn_as_loops_that_reach_the_right_boxes(graph, orientation):
    placed = layout(graph, None, orientation)
    assert check_drawing(graph, placed) == []


@SETTINGS
@given(graphs(cycles=True), st.integers(16, 130), st.booleans())
def test_a_narrow_layout_stays_within_its_width(graph, width, ascii):
    placed = layout(graph, width, strict=True, ascii=ascii)
    assert placed.orientation in (LR, TB, LIST)
    assert check_drawing(graph, placed, ascii=ascii, width=width) == []


@SETTINGS
@given(graphs(), st.integers(30, 130))
def test_same_graph_same_layout(graph, width):
    first = layout(graph, width, strict=True)
    second = layout(graph, width, strict=True)
    assert first.boxes == second.boxes and first.paths == second.paths


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_views_of_the_tutorial_draw_correctly(data):
    model = tutorial_graph()
    types = ["artifact_type:dataset", "artifact_type:model", "job_type:train", "job_type:report", "job_type:initialize"]
    level = data.draw(st.sampled_from(["type", "version"]))
    toggled = data.draw(st.sets(st.sampled_from(types)))
    graph = view(model, level, toggled)
    if data.draw(st.booleans()):
        center = data.draw(st.sampled_from(sorted(graph.nodes)))
        graph = focus(graph, center, up=data.draw(st.integers(0, 3)), down=data.draw(st.integers(0, 3)))
    width = data.draw(st.integers(40, 120))
    placed = layout(graph, width, strict=True)
    assert check_drawing(graph, placed, width=width) == []


@SETTINGS
@given(graphs(max_nodes=24, cycles=True), st.one_of(st.none(), st.integers(16, 130)), st.booleans())
def test_the_lane_drawing_of_big_graphs_says_what_the_graph_says(graph, width, ascii):
    import pytest

    from core.lineage import layout as layout_module

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(layout_module, "LANES_ABOVE", 0)  # what a graph of thousands gets, on small ones
        placed = layout(graph, width, strict=width is not None, ascii=ascii)
    assert check_drawing(graph, placed, ascii=ascii, width=width) == []

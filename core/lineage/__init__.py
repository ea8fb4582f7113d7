"""Lineage graphs of runs and artifact versions: the model and its views (`graph`), built from a store (`build`),
placed on a grid of cells (`layout`) and drawn as text (`render`).

`draw(graph, width=80)` is the one-call path the CLI and tests use. The functions `layout.layout` and `render.render`
are left in their modules (importing them here would hide the modules of the same names).
"""

from __future__ import annotations

from core.lineage.graph import (
    ARTIFACT_TYPE,
    JOB_TYPE,
    MORE,
    RUN,
    VERSION,
    Graph,
    Node,
    focus,
    run_node,
    version_node,
    view,
)
from core.lineage.layout import LIST, LR, TB, Box, EdgePath, Layout

__all__ = [
    "ARTIFACT_TYPE", "JOB_TYPE", "MORE", "RUN", "VERSION", "Graph", "Node", "focus", "run_node", "version_node",
    "view", "LIST", "LR", "TB", "Box", "EdgePath", "Layout", "draw",
]


def draw(graph: Graph, width: int | None = 80, *, ascii: bool = False, orientation: str = TB,
         strict: bool = True) -> str:
    """`graph` as text within `width` columns: top to bottom (`orientation="lr"`: left to right; `"auto"`: left to
    right when that fits), names never cut."""
    from core.lineage.layout import layout
    from core.lineage.render import render

    placed = layout(graph, width, orientation, strict=strict and width is not None, ascii=ascii)
    return render(placed, ascii=ascii)

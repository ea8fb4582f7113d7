"""The lineage screen: the project's graph of runs and artifacts, at type or version level, navigable.

Pushed by the explorer (`l`) focused on the selected version, or on the whole project; it dismisses with
"project/name:vN" when the user opens a version (`o`), which the explorer then selects, or None (`escape`).

State: the level ("type" or "version"), the types toggled the other way (expanded at type level, collapsed at version
level), whether focus mode is on and around which node, and the cursor. The store is read in a worker, and so is the
layout (a graph of thousands of versions takes a fraction of a second); every label goes through `tui.safe` before
it is laid out. The graph refreshes live when the store changes, keeping the state and the cursor.

The plain type level (nothing expanded) is drawn from the store's counts (`build_type_graph`), whatever the store
holds; the version-level model is read only when a view needs versions (`e`, or a type expanded).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from core.lineage.build import build_graph, build_type_graph, version_ref_id
from core.lineage.graph import ARTIFACT_TYPE, JOB_TYPE, MORE, RUN, VERSION, Graph, focus, view
from core.lineage.layout import layout
from core.lineage.render import render_rows
from tui.safe import safe_str, safe_text
from tui.screens.base import StoreScreen
from tui.widgets.lineage_view import LineageView

TYPE, VERSIONS = "type", "version"
HOPS = 2
KIND_WORDS = {RUN: "run", VERSION: "artifact version", ARTIFACT_TYPE: "artifact type", JOB_TYPE: "job type",
              MORE: "left out by focus"}


def draw_graph(model: Graph, level: str, toggled: frozenset[str], center: str | None, width: int):
    """(graph, layout, rows) for the current state; `center` is the focus node (None: the whole graph)."""
    return draw_view(view(model, level, toggled), center, width)


def draw_view(graph: Graph, center: str | None, width: int):
    """(graph, layout, rows) of a graph already at its level, focused on `center` unless None."""
    if center is not None:
        shown = resolve(graph, center)
        if shown is not None:
            graph = focus(graph, shown, up=HOPS, down=HOPS)
    graph = graph.map_labels(safe_str)
    placed = layout(graph, max(width, 20))
    return graph, placed, render_rows(placed)


def resolve(graph: Graph, node_id: str | None) -> str | None:
    """The node of `graph` that shows `node_id`: itself, the type it collapsed into, or, for a type that is
    expanded, its newest member."""
    if node_id is None:
        return None
    if node_id in graph.nodes:
        return node_id
    if node_id in graph.owner:
        return graph.owner[node_id]
    members = [n.id for n in graph.nodes.values() if n.group == node_id]
    return members[-1] if members else None


class LineageScreen(StoreScreen):
    """The lineage graph of one project; `focus` ("project/name:vN") opens it around that version."""

    TITLE = "Lineage"
    CSS_PATH = "../styles/lineage.tcss"
    AUTO_FOCUS = "#lineage-view"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("enter", "toggle_node", "Expand", tooltip="Expand a type into its versions or runs, or collapse a "
                "version or run back into its type"),
        Binding("e", "toggle_level", "Explode", tooltip="Show the whole graph by version and run, or by type"),
        Binding("f", "toggle_focus", "Focus", tooltip=f"Show only {HOPS} steps up and down of the node under the "
                "cursor, or the whole graph again"),
        Binding("o", "open", "Open", tooltip="Select the version under the cursor in the explorer"),
    ]

    def __init__(self, store: Any, project: str, focus: str | None = None) -> None:
        super().__init__(store, id="lineage")
        self.project = project
        self.model: Graph | None = None   # version level, read when a view needs it
        self.types: Graph | None = None   # the plain type level, from the store's counts
        self.level = VERSIONS if focus else TYPE
        self.toggled: frozenset[str] = frozenset()
        self.center: str | None = None
        self.cursor: str | None = None
        if focus:
            try:
                self.center = self.cursor = version_ref_id(focus)
            except ValueError:
                self.level = TYPE
        self.title = f"Lineage of {safe_str(project)}"

    def compose(self) -> ComposeResult:
        yield Header()
        yield LineageView(id="lineage-view")
        yield Static(id="lineage-status")
        yield Footer(compact=True)

    @property
    def graph_view(self) -> LineageView:
        return self.query_one(LineageView)

    def on_mount(self) -> None:
        super().on_mount()
        self._load()

    def refresh_data(self) -> None:
        # The store changed: what is shown is read again, the other graph when it is next needed.
        if self._needs_model():
            self.types = None
        else:
            self.model = None
        self._load()

    def _needs_model(self) -> bool:
        return self.level == VERSIONS or bool(self.toggled)

    def _load(self) -> None:
        if self._needs_model():
            self.fetch("lineage", lambda: build_graph(self.store, self.project), self._loaded,
                       loading=self.graph_view if self.model is None else None)
        else:
            self.fetch("lineage", lambda: build_type_graph(self.store, self.project), self._types_loaded,
                       loading=self.graph_view if self.types is None else None)

    def _loaded(self, model: Graph) -> None:
        self.model = model
        self._redraw()

    def _types_loaded(self, types: Graph) -> None:
        self.types = types
        self._redraw()

    def on_resize(self) -> None:
        if self.model is not None or self.types is not None:
            self._redraw()

    def _redraw(self) -> None:
        width = self.graph_view.size.width or self.app.size.width
        center = self.center
        if self._needs_model():
            if self.model is None:  # read it first (this view needs versions); _loaded draws
                self._load()
                return
            model, level, toggled = self.model, self.level, self.toggled
            self.fetch("layout", lambda: draw_graph(model, level, toggled, center, width), self._drawn)
        else:
            if self.types is None:
                self._load()
                return
            types = self.types
            self.fetch("layout", lambda: draw_view(types, center, width), self._drawn)

    def _drawn(self, drawn) -> None:
        graph, placed, rows = drawn
        self.graph_view.show(graph, placed, rows, resolve(graph, self.cursor))

    # ----- status --------------------------------------------------------------------------------------------

    def on_lineage_view_cursor_moved(self, event: LineageView.CursorMoved) -> None:
        if event.node_id is not None:
            self.cursor = event.node_id
        self._status()

    def _status(self) -> None:
        view_ = self.graph_view
        status = self.query_one("#lineage-status", Static)
        if not view_.graph.nodes:
            status.update(Text("No runs or artifacts in this project yet: the graph appears once a run logs or uses "
                               "an artifact.", style="italic"))
            return
        parts = [("Types" if self.level == TYPE else "Versions", "bold")]
        if self.center is not None:
            center = resolve(view_.graph, self.center)
            parts += [(" · focus on ", ""), safe_text(view_.graph.nodes[center].text) if center else ("?", "")]
        node = view_.graph.nodes.get(view_.cursor or "")
        if node is not None:
            parts += [(" · ", ""), safe_text(node.text, "bold"), (f" ({KIND_WORDS.get(node.kind, node.kind)})", "dim")]
        text = Text()
        for part in parts:
            if isinstance(part, Text):
                text.append_text(part)
            else:
                text.append(part[0], part[1])
        status.update(text)

    # ----- actions -------------------------------------------------------------------------------------------

    def _cursor_node(self):
        view_ = self.graph_view
        return view_.graph.nodes.get(view_.cursor or "")

    def action_back(self) -> None:
        self.dismiss(None)

    def action_toggle_node(self) -> None:
        node = self._cursor_node()
        if node is None:
            return
        if node.kind == MORE:  # what focus left out: look around the node it hangs off instead
            linked = [b for a, b in self.graph_view.graph.edges if a == node.id]
            linked += [a for a, b in self.graph_view.graph.edges if b == node.id]
            if linked:
                self.center = self.cursor = linked[0]
                self._redraw()
            return
        if node.kind in (ARTIFACT_TYPE, JOB_TYPE):  # expand: its members replace it
            group = node.id
            self.cursor = node.members[-1] if node.members else None
        elif node.group:  # collapse: the version or run folds back into its type
            group = node.group
            self.cursor = group
        else:
            return
        self.toggled = self.toggled ^ {group}
        self._fold_center()
        self._redraw()

    def action_toggle_level(self) -> None:
        node = self._cursor_node()
        self.level = VERSIONS if self.level == TYPE else TYPE
        self.toggled = frozenset()
        if node is not None and node.kind in (ARTIFACT_TYPE, JOB_TYPE) and node.members:
            self.cursor = node.members[-1]
        elif node is not None and self.level == TYPE and node.group:
            self.cursor = node.group  # the type it folds into (the type level names no single version)
        self._fold_center()
        self._redraw()

    def _fold_center(self) -> None:
        """Back at the plain type level, which names no version or run: focus on the type the center folds into."""
        if self.center is None or self._needs_model():
            return
        shown = self.graph_view.graph.nodes.get(resolve(self.graph_view.graph, self.center) or "")
        if shown is not None and shown.group:
            self.center = shown.group

    def action_toggle_focus(self) -> None:
        if self.center is not None:
            self.center = None
        else:
            node = self._cursor_node()
            if node is None or node.kind == MORE:
                return
            self.center = node.id
        self._redraw()

    def action_open(self) -> None:
        node = self._cursor_node()
        if node is None or node.kind != VERSION or not node.ref:
            self.notify("Put the cursor on an artifact version to open it in the explorer.", markup=False)
            return
        self.dismiss(node.ref)

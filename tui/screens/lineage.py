"""The lineage screen: the project's graph of runs and artifacts, at type or version level, navigable.

Pushed by the explorer (`l`) focused on the selected version, or on the whole project; it dismisses with
"project/name:vN" when the user opens a version (`o`), which the explorer then selects, or None (`escape`).

State: the level ("type" or "version"), the types toggled the other way (expanded at type level, collapsed at version
level), the clusters opened (five or more versions of a collection, or runs of a job type, are one node until Enter
opens them), the orientation (top to bottom at both levels; `r` turns it), whether focus mode is on and around which
node, what Enter revealed of the nodes focus left out, and the cursor. Focus keeps as much of the neighbourhood as
fits on the screen; a "+2 runs" node stands for the rest. The store is read in a worker, and so is the
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
from textual.widgets import Static

from core.lineage.build import build_graph, build_type_graph, version_ref_id
from core.lineage.graph import (
    ARTIFACT_TYPE, JOB_TYPE, MORE, RUN, RUN_CLUSTER, VERSION, VERSION_CLUSTER, Graph, cluster, cluster_id, focus, view,
)
from core.lineage.layout import LR, TB, layout
from core.lineage.render import render_rows
from tui.safe import safe_str, safe_text
from tui.screens.base import StoreScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.lineage_view import LineageView
from tui.widgets.title_bar import TitleBar

TYPE, VERSIONS = "type", "version"
KIND_WORDS = {RUN: "run", VERSION: "artifact version", ARTIFACT_TYPE: "artifact type", JOB_TYPE: "job type",
              MORE: "left out by focus", VERSION_CLUSTER: "versions, Enter shows them",
              RUN_CLUSTER: "runs, Enter shows them"}
CELLS_PER_NODE = 24 * 3
"""What a node takes on screen, about (a label and its gap, by a box row and two rows of lines): how many fit."""


def fits_on(width: int, height: int) -> int:
    """How many nodes focus keeps on a screen of `width` x `height` cells."""
    return max(12, width * height // CELLS_PER_NODE)


def draw_graph(model: Graph, level: str, toggled: frozenset[str], center: str | None, width: int,
               orientation: str = TB, opened: frozenset[str] = frozenset(), revealed: frozenset[str] = frozenset(),
               height: int = 24):
    """(graph, layout, rows) for the current state; `center` is the focus node (None: the whole graph)."""
    return draw_view(view(model, level, toggled), center, width, orientation, opened, revealed, height)


def draw_view(graph: Graph, center: str | None, width: int, orientation: str = TB,
              opened: frozenset[str] = frozenset(), revealed: frozenset[str] = frozenset(), height: int = 24):
    """(graph, layout, rows) of a graph already at its level: clustered, focused on `center` unless None."""
    shown = resolve(graph, center)
    graph = cluster(graph, expanded=opened, apart=(shown,) if shown else ())  # the focus node stays itself
    target = resolve(graph, shown or center)
    if target is not None:
        hops = len(graph.nodes)
        graph = focus(graph, target, up=hops, down=hops, fanout=0, limit=fits_on(width, height), keep=revealed)
    graph = graph.map_labels(safe_str)
    placed = layout(graph, max(width, 20), orientation)
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


def status_line(name: str | None, kind: str, level: str, focus_on: str | None, focus_here: bool,
                width: int) -> Text:
    """One line, never cut at the edge: the node under the cursor first (what the arrows are on), then the level,
    then the focus. Where it does not fit, the focus loses its name, then the node its kind, then the name its
    end ("…")."""
    def line(with_kind: bool, focus_named: bool) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        if name is not None:
            text.append_text(safe_text(name, "bold"))
            if with_kind:
                text.append(f" ({kind})", style="dim")
            text.append(" · ")
        text.append(level, style="bold")
        if focus_on is not None:
            if focus_here:
                text.append(" · focus here")
            elif focus_named:
                text.append(" · focus on ")
                text.append_text(safe_text(focus_on))
            else:
                text.append(" · focused (f: all)")
        return text

    for with_kind, focus_named in ((True, True), (True, False), (False, False)):
        text = line(with_kind, focus_named)
        if text.cell_len <= width:
            return text
    tail = line(False, False)
    if name is not None:  # cut the name, keep what follows it
        rest = tail.cell_len - len(safe_text(name))
        shown = safe_text(name, "bold")
        shown.truncate(max(width - rest, 2), overflow="ellipsis")
        tail = Text.assemble(shown, tail[len(safe_text(name)):], no_wrap=True, overflow="ellipsis", end="")
    tail.truncate(max(width, 1), overflow="ellipsis")
    return tail


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
        Binding("f", "toggle_focus", "Focus", tooltip="Show only what is linked to the node under the cursor (as "
                "much as fits on the screen), or the whole graph again"),
        Binding("o", "open", "Open", tooltip="Select the version under the cursor in the explorer, or open the run "
                "under it in the runs view"),
        Binding("r", "rotate", "Rotate", tooltip="Draw the graph left to right, or top to bottom again"),
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
        self.orientation = TB
        self.opened: frozenset[str] = frozenset()     # clusters shown node by node
        self.revealed: frozenset[str] = frozenset()   # nodes a focus left out that Enter brought back
        if focus:
            try:
                self.center = self.cursor = version_ref_id(focus)
            except ValueError:
                self.level = TYPE
        self.title = f"Lineage of {safe_str(project)}"

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield LineageView(id="lineage-view")
        yield Static(id="lineage-status")
        yield KeyFooter()

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

    def holds_keys(self) -> bool:
        """The graph is on its way (read, or laid out again after a key): keys typed meanwhile wait for it rather than
        move a cursor on the old drawing (tui/key_gate.py; for KEY_WAIT_S at most)."""
        return self.fetching("lineage", "layout")

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
        height = self.graph_view.size.height or self.app.size.height
        center, orientation, opened, revealed = self.center, self.orientation, self.opened, self.revealed
        if self._needs_model():
            if self.model is None:  # read it first (this view needs versions); _loaded draws
                self._load()
                return
            model, level, toggled = self.model, self.level, self.toggled
            self.fetch("layout", lambda: draw_graph(model, level, toggled, center, width, orientation, opened,
                                                    revealed, height), self._drawn)
        else:
            if self.types is None:
                self._load()
                return
            types = self.types
            self.fetch("layout", lambda: draw_view(types, center, width, orientation, opened, revealed, height),
                       self._drawn)

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
        node = view_.graph.nodes.get(view_.cursor or "")
        center = resolve(view_.graph, self.center) if self.center is not None else None
        width = (status.size.width or self.app.size.width) - 2  # its padding
        status.update(status_line(
            node.text if node is not None else None, KIND_WORDS.get(node.kind, node.kind) if node else "",
            "Types" if self.level == TYPE else "Versions",
            None if self.center is None else (view_.graph.nodes[center].text if center else "?"),
            center is not None and node is not None and center == node.id, width))

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
        if node.kind == MORE:  # what focus left out: show it
            self.revealed = self.revealed | set(node.members)
            self.cursor = node.members[-1] if node.members else None
            self._redraw()
            return
        if node.kind in (VERSION_CLUSTER, RUN_CLUSTER):  # open the cluster: its members replace it
            self.opened = self.opened | {node.id}
            self.cursor = node.members[-1] if node.members else None
            self._redraw()
            return
        if cluster_id(node) in self.opened:  # back into its cluster
            self.opened = self.opened - {cluster_id(node)}
            self.cursor = cluster_id(node)
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

    def action_rotate(self) -> None:
        self.orientation = LR if self.orientation == TB else TB
        self._redraw()

    def _fold_center(self) -> None:
        """Back at the plain type level, which names no version or run: focus on the type the center folds into."""
        if self.center is None or self._needs_model():
            return
        shown = self.graph_view.graph.nodes.get(resolve(self.graph_view.graph, self.center) or "")
        if shown is not None and shown.group:
            self.center = shown.group

    def action_toggle_focus(self) -> None:
        self.revealed = frozenset()
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
        if node is not None and node.kind == RUN and node.ref:
            from tui.screens.runs import RunsScreen  # runs.py imports this module

            def picked(ref: str | None) -> None:  # a version chosen in the runs view: on to the explorer
                if ref:
                    self.dismiss(ref)

            self.app.push_screen(RunsScreen(self.store, self.project, node.ref), picked)
            return
        if node is None or node.kind != VERSION or not node.ref:
            self.notify("Put the cursor on an artifact version or a run to open it.", markup=False)
            return
        self.dismiss(node.ref)

"""The explorer's tree: projects -> artifact types -> collections -> versions, newest version first.

The tree never calls the store. The screen hands it the catalog (`set_catalog`) and pages of versions
(`show_versions`); the tree asks for more through messages (`CollectionOpened`, `PageRequested`,
`NewerPageRequested`) so that a collection of thousands of versions loads a page at a time in a worker, never
blocking the UI. Updates are merged into the existing nodes (nothing is rebuilt), so a live refresh keeps the cursor
on the node it was on.

A collection shows one contiguous window of its versions, newest first: "… N newer versions" above it when it does
not reach the newest, "… N older versions" below it when it does not reach v0. A jump to a version far from the
window (from the lineage or the runs view) replaces the window with a page around that version, so the rows shown
stay a few pages whatever the collection holds; a page's rows are inserted at positions computed from the window's
ends, never by scanning the rows already there.

At any width a version row keeps its number, size and age and shows only whole alias badges, then `+N` for those
that did not fit (`render_label` fits them to the row). Ages are redrawn on a slow timer from the versions already
loaded (no store read). A filter parks the collections it hides, with their loaded versions and whether they were
open, and clearing it brings them back as they were, cursor included. Cursor moves made on a collection's
"loading…" row are kept and applied when its versions arrive.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from typing import Any

from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui.safe import join_text, safe_text
from tui import format as formatting
from tui.widgets.alias_badges import alias_badges, badge
from tui.widgets.tree_rows import (  # noqa: F401 - imported from here too
    CollectionItem, MoreItem, NewerItem, NoMatchItem, PlaceholderItem, ProjectItem, TypeItem, VersionItem,
)


class _Collection:
    """What the tree keeps of one collection it shows."""

    __slots__ = ("node", "total", "loaded", "loading", "versions", "objects", "low", "high", "newer", "older",
                 "pending_down", "pending_select")

    def __init__(self, node: TreeNode) -> None:
        self.node = node
        self.total = 0
        self.loaded = False
        self.loading = False
        self.versions: dict[int, TreeNode] = {}
        self.objects: dict[int, Any] = {}
        self.low = 0      # the window of versions shown: [low, high); empty when low == high
        self.high = 0
        self.newer: TreeNode | None = None   # the "newer versions" row, when there is one
        self.older: TreeNode | None = None   # the "older versions" row
        self.pending_down = 0          # downs pressed on the "loading…" row, applied when the versions arrive
        self.pending_select = False    # and enter


BADGE_MAX = 12  # characters of an alias shown in a tree row (the overview shows it whole)
SHORTEST_BADGE = 4  # letters of a shortened badge ("prod…"): fewer, and `+N` says it better
AGE_REFRESH_S = 30.0  # how often the ages in version rows are redrawn ("3m" becomes "4m")


def version_label(version: Any, now, room: int | None = None) -> Text:
    """`vN`, size and age (dimmed), then the alias badges. With `room` (cells), the badges that fit whole, one
    more shortened with "…" when at least a few letters fit, then `+N` for the rest: the size and age always show,
    and a badge never loses its end to the row's edge."""
    label = Text(f"v{version.index}", style="bold")
    label.append(f" {formatting.human_size(version.size)} · {formatting.age(version.created_at, now)}", style="dim")
    if not version.aliases:
        return label
    ordered = [a for a in version.aliases if a != "latest"] + [a for a in version.aliases if a == "latest"]
    if room is None:
        label.append(" ")
        label.append_text(alias_badges(ordered, max_length=BADGE_MAX))
        return label
    label.append_text(fit_badges(ordered, room - label.cell_len))
    return label


def fit_badges(aliases: list[str], room: int) -> Text:
    """" badge badge +N" in at most `room` cells (possibly empty)."""

    def more(count: int) -> str:
        return f" +{count}" if count else ""

    for whole in range(len(aliases), -1, -1):
        text = Text()
        for alias in aliases[:whole]:
            text.append(" ")
            text.append_text(badge(alias, BADGE_MAX))
        rest = len(aliases) - whole
        if text.cell_len + len(more(rest)) > room:
            continue
        if rest:  # the next alias, shortened, in what is left (" " + " ab… " needs its letters + 3 cells)
            letters = min(BADGE_MAX, room - text.cell_len - len(more(rest - 1)) - 3)
            if letters >= SHORTEST_BADGE:
                text.append(" ")
                text.append_text(badge(aliases[whole], letters))
                rest -= 1
        if rest:
            text.append(more(rest), style="dim")
        return text
    return Text()


def split_ref(ref: str) -> tuple[str, str, int]:
    """("project", "name", N) from "project/name:vN" (project names hold no '/' or ':')."""
    project, rest = ref.split("/", 1)
    name, version = rest.rsplit(":", 1)
    return project, name, int(version.removeprefix("v"))


class ArtifactTree(Tree[Any]):
    """Projects, types, collections and versions, merged in place as the store changes."""

    filter_text: reactive[str] = reactive("", init=False)

    class CollectionOpened(Message):
        """A collection was expanded for the first time: its newest page of versions is wanted."""

        def __init__(self, project: str, name: str) -> None:
            super().__init__()
            self.project = project
            self.name = name

    class PageRequested(Message):
        """The next older page of a collection is wanted: versions below index `below`."""

        def __init__(self, project: str, name: str, below: int) -> None:
            super().__init__()
            self.project = project
            self.name = name
            self.below = below

    class NewerPageRequested(Message):
        """The next newer page of a collection is wanted: versions from index `above` up."""

        def __init__(self, project: str, name: str, above: int) -> None:
            super().__init__()
            self.project = project
            self.name = name
            self.above = above

    class VersionHighlighted(Message):
        def __init__(self, item: VersionItem, version: Any) -> None:
            super().__init__()
            self.item = item
            self.version = version

    class OtherHighlighted(Message):
        """The cursor is on a project, type or collection row (or nowhere)."""

        def __init__(self, item: Any) -> None:
            super().__init__()
            self.item = item

    def __init__(self, *, id: str | None = None) -> None:
        self._batch = 0  # > 0 while rows are added in bulk: one invalidation after (Tree's own init invalidates)
        self._widths: dict[int, tuple[Any, Any, Any, int, int]] = {}  # node id -> (label, version, now, room, width)
        self._collections: dict[tuple[str, str], _Collection] = {}
        self._now = None  # the time the version rows' ages were computed for
        super().__init__(Text("store"), id=id)
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = False  # enter expands at once instead (action_select_cursor)
        self._catalog: dict[str, list[Any]] = {}
        self._alias_hits: set[tuple[str, str]] = set()  # collections holding the filter text as an alias
        self._before_filter: Any = None                 # the row (its data) the cursor was on when filtering began
        self._filter_left: Any = None                   # the row the filter itself last put the cursor on
        self._parked: dict[tuple[str, str], tuple[_Collection, bool]] = {}  # hidden by the filter: (state, open)

    def on_mount(self) -> None:
        self.set_interval(AGE_REFRESH_S, self.refresh_ages)

    # ----- what the screen calls -------------------------------------------------------------------------------

    def set_catalog(self, catalog: dict[str, list[Any]]) -> None:
        """All projects with their collections (`core.Collection`: .name, .type, .project, .version_count)."""
        self._catalog = catalog
        self._sync_catalog()

    @property
    def is_empty(self) -> bool:
        return not any(self._catalog.values())

    def show_versions(self, project: str, name: str, versions: Iterable[Any], total: int, *,
                      replace: bool = True) -> None:
        """Merge a page of versions (any order, contiguous indices) into the collection's window; `total` is its
        version count. A page that neither overlaps nor touches the window replaces it (`replace=False`, what a
        refresh of an older window passes: is left out instead)."""
        state = self._collections.get((project, name))
        if state is None:
            return
        state.total = total
        state.loading = False
        cursor = self.cursor_node
        on_placeholder = cursor is not None and cursor.parent is state.node and isinstance(cursor.data,
                                                                                            PlaceholderItem)
        if not state.loaded:
            for placeholder in [c for c in state.node.children if isinstance(c.data, PlaceholderItem)]:
                placeholder.remove()
            state.low = state.high = total
        page = sorted(versions, key=lambda v: v.index, reverse=True)
        on_older = cursor is not None and cursor.data == MoreItem(project, name)
        on_newer = cursor is not None and cursor.data == NewerItem(project, name)
        if page and state.versions and (page[-1].index > state.high or page[0].index + 1 < state.low):
            if not replace:
                page = []
            else:
                self._drop_window(state)
                on_older = on_newer = False
        if not state.versions and page:
            state.low = state.high = page[0].index + 1
        now = self._now = self.app.clock()
        first = 1 if state.newer is not None else 0  # the child position of the window's top row
        above = [v for v in page if v.index >= state.high]
        below = [v for v in page if v.index < state.low]
        for version in page:
            state.objects[version.index] = version
        with self._bulk():
            for offset, version in enumerate(above):  # newest first, each under the one before
                self._add_version(state, version, first + offset, now)
            shown = len(state.versions)
            for offset, version in enumerate(below):
                self._add_version(state, version, first + shown + offset, now)
        for version in page:
            if state.low <= version.index < state.high:
                node = state.versions.get(version.index)
                label = version_label(version, now)
                if node is not None and node.label != label:
                    node.set_label(label)
        if above:
            state.high = above[0].index + 1
        if below:
            state.low = below[-1].index
        state.loaded = True
        self._sync_edge_rows(state)
        self._set_collection_label(state)
        if on_older and below:
            # The user walked onto "older versions": leave the cursor on the first row of the page it loaded
            # (staying on the row, now further down, would load the next page too, and the next).
            self._put_cursor(state.versions[below[0].index])
        elif on_newer and above:
            self._put_cursor(state.versions[above[-1].index])  # the newer row next to where the user was
        elif on_placeholder and state.node.children:
            # The cursor waited on "loading…" (the first version's row): the keys pressed meanwhile apply now.
            rows = state.node.children
            target = rows[min(state.pending_down, len(rows) - 1)]
            select, state.pending_down, state.pending_select = state.pending_select, 0, False
            self._put_cursor(target)
            if select:
                self.post_message(Tree.NodeSelected(target))
        else:
            self._rebuild_keep_cursor()

    def _add_version(self, state: _Collection, version: Any, position: int, now) -> None:
        data = state.node.data
        item = VersionItem(data.project, data.name, version.index)
        state.versions[version.index] = state.node.add_leaf(version_label(version, now), item, before=position)

    def _drop_window(self, state: _Collection) -> None:
        """Remove every row of the collection at once (Tree removes a child by searching its parent's list)."""
        for child in state.node._children:
            child._remove_children()
            self._tree_nodes.pop(child.id, None)
        state.node._children.clear()
        self._invalidate()
        state.versions.clear()
        state.objects.clear()
        state.newer = state.older = None
        state.low = state.high = state.total

    def loaded_collections(self) -> list[tuple[str, str, int, int | None]]:
        """(project, name, low, high) of every collection's window of versions on screen, for a refresh; high is
        None when the window reaches the newest version (a refresh then takes in versions logged since)."""
        return [(p, n, s.low, None if s.high >= s.total else s.high)
                for (p, n), s in self._collections.items() if s.loaded]

    def refresh_ages(self) -> None:
        """Redraw the version rows' ages for the clock's time now, from the versions already loaded."""
        now = self._now = self.app.clock()
        for state in self._collections.values():
            for index, node in state.versions.items():
                label = version_label(state.objects[index], now)
                if node.label != label:
                    node.set_label(label)

    @contextmanager
    def _bulk(self):
        """Rows added inside invalidate the tree once at the end, not once each (200 redraw requests a page)."""
        self._batch += 1
        try:
            yield
        finally:
            self._batch -= 1
            if not self._batch:
                self._invalidate()

    def _invalidate(self) -> None:
        if not self._batch:
            super()._invalidate()

    def get_label_width(self, node: TreeNode) -> int:
        """Tree measures every row's label each time its lines are rebuilt (any row added or removed): a row's
        width is kept until its label, its version, the time its age is told for, or the room changes."""
        data = node.data
        version = self.version(data) if isinstance(data, VersionItem) else None
        room = self.scrollable_content_region.width
        hit = self._widths.get(node._id)
        if hit is not None and hit[0] is node._label and hit[1] is version and hit[2] == self._now and hit[3] == room:
            return hit[4]
        width = super().get_label_width(node)
        if len(self._widths) > 4 * len(self._tree_nodes) + 1000:
            self._widths.clear()  # rows of windows dropped since
        self._widths[node._id] = (node._label, version, self._now, room, width)
        return width

    def render_label(self, node: TreeNode, base_style, style) -> Text:
        data = node.data
        if isinstance(data, VersionItem) and self._now is not None:
            version = self.version(data)
            if version is not None and version.aliases:
                depth, parent = 0, node.parent
                while parent is not None and not parent.is_root:
                    depth, parent = depth + 1, parent.parent
                room = self.scrollable_content_region.width - depth * self.guide_depth
                label = version_label(version, self._now, room)
                label.stylize(style)
                return label
        return super().render_label(node, base_style, style)

    def version(self, item: VersionItem) -> Any | None:
        state = self._collections.get((item.project, item.name))
        return None if state is None else state.objects.get(item.index)

    def collection_state(self, project: str, name: str) -> tuple[int, int, int] | None:
        """(low, high, total) of a loaded collection's window [low, high), else None."""
        state = self._collections.get((project, name))
        return (state.low, state.high, state.total) if state is not None and state.loaded else None

    def expand_collection(self, project: str, name: str, *, page_coming: bool = False) -> bool:
        """Expand the path to a collection (clearing a filter that hides it); False when it is not in the store.
        `page_coming`: the caller is loading a page of it, so opening it asks for no newest page."""
        if (project, name) not in self._collections and self.filter_text:
            self.filter_text = ""
            self._sync_catalog()
        state = self._collections.get((project, name))
        if state is None:
            return False
        if page_coming:
            state.loading = True
        node: TreeNode | None = state.node
        while node is not None and not node.is_root:
            node.expand()
            node = node.parent
        return True

    def select_ref(self, ref: str) -> bool:
        """Put the cursor on version "project/name:vN" when its row is loaded."""
        project, name, index = split_ref(ref)
        state = self._collections.get((project, name))
        if state is None or index not in state.versions:
            return False
        self.expand_collection(project, name)
        self._put_cursor(state.versions[index])
        return True

    # ----- catalog merge -------------------------------------------------------------------------------------

    def collection_keys(self) -> list[tuple[str, str]]:
        """(project, name) of every collection in the catalog."""
        return [(project, c.name) for project, collections in self._catalog.items() for c in collections]

    def set_alias_hits(self, text: str, hits: set[tuple[str, str]]) -> None:
        """The collections in which some version holds alias `text` (found by the screen in the store)."""
        if text == self.filter_text and hits != self._alias_hits:
            moved = self._user_moved()
            self._alias_hits = hits
            self._sync_catalog()
            if not moved:
                self._note_filter_cursor()

    def _matches(self, project: str, collection: Any) -> bool:
        needle = self.filter_text.casefold()
        if not needle:
            return True
        if any(needle in s.casefold() for s in (project, collection.type, collection.name)):
            return True
        if (project, collection.name) in self._alias_hits:
            return True
        state = self._collections.get((project, collection.name))
        if state is None and (project, collection.name) in self._parked:
            state = self._parked[(project, collection.name)][0]
        return state is not None and any(
            needle in alias.casefold() for version in state.objects.values() for alias in version.aliases
        )

    def _sync_catalog(self) -> None:
        visible: dict[str, dict[str, list[Any]]] = {}
        for project in sorted(self._catalog):
            by_type: dict[str, list[Any]] = {}
            for collection in self._catalog[project]:
                if self._matches(project, collection):
                    by_type.setdefault(collection.type, []).append(collection)
            if by_type or not self.filter_text:
                visible[project] = by_type
        expand_all = bool(self.filter_text) or sum(len(c) for c in self._catalog.values()) <= 60
        wanted_projects = [(ProjectItem(p), safe_text(p, "bold")) for p in visible]
        for project_node in self._sync_children(self.root, wanted_projects, expand=expand_all):
            project = project_node.data.project
            by_type = visible[project]
            wanted_types = [
                (TypeItem(project, t), join_text(safe_text(t), (f" {len(by_type[t])}", "dim")))
                for t in sorted(by_type)
            ]
            for type_node in self._sync_children(project_node, wanted_types, expand=expand_all):
                collections = sorted(by_type[type_node.data.type], key=lambda c: c.name)
                wanted = [(CollectionItem(project, c.name, c.type), None) for c in collections]
                counts = {c.name: c.version_count for c in collections}
                for node in self._sync_children(type_node, wanted, expand=False):
                    key = (project, node.data.name)
                    state = self._collections.get(key)
                    if state is None or state.node is not node:
                        state = self._collections[key] = _Collection(node)
                        if not self._unpark(key, state):
                            node.add_leaf(Text("loading…", style="dim italic"), PlaceholderItem())
                    if not state.loaded:
                        state.total = counts[node.data.name]
                    self._set_collection_label(state)
        if self.filter_text and not visible:
            label = join_text(("no matches for ", "dim italic"), safe_text(self.filter_text, "italic"))
            self.root.add_leaf(label, NoMatchItem())
        live = {id(c) for p in self.root.children for t in p.children for c in t.children}
        for key in [k for k, s in self._collections.items() if id(s.node) not in live]:
            state = self._collections.pop(key)
            if self.filter_text and state.loaded:
                self._parked[key] = (state, state.node.is_expanded)
        if not self.filter_text:
            self._parked.clear()
        self._rebuild_keep_cursor()

    def _note_filter_cursor(self) -> None:
        """Remember where the filter put the cursor: a different row at clearing time is one the user chose."""
        self._filter_left = self.cursor_node.data if self.cursor_node is not None else None

    def _unpark(self, key: tuple[str, str], state: _Collection) -> bool:
        """Give a collection the filter had hidden back its loaded versions and its open state, with no store
        read (a live refresh brings any change since)."""
        parked = self._parked.pop(key, None)
        if parked is None:
            return False
        old, was_open = parked
        project, name = key
        now = self._now or self.app.clock()
        state.total, state.loaded, state.objects = old.total, True, dict(old.objects)
        state.low, state.high = old.low, old.high  # the same window of versions
        for index in sorted(state.objects, reverse=True):
            state.versions[index] = state.node.add_leaf(version_label(state.objects[index], now),
                                                        VersionItem(project, name, index))
        self._sync_edge_rows(state)
        if was_open:
            node: TreeNode | None = state.node
            while node is not None and not node.is_root:
                node.expand()
                node = node.parent
        return True

    def _node_for(self, data: Any) -> TreeNode | None:
        """The row showing `data` now (rows are re-created when a filter hides and shows them again)."""
        if isinstance(data, (VersionItem, CollectionItem)):
            state = self._collections.get((data.project, data.name))
            if state is None:
                return None
            return state.versions.get(data.index) if isinstance(data, VersionItem) else state.node
        for project in self.root.children:
            if project.data == data:
                return project
            for type_node in project.children:
                if type_node.data == data:
                    return type_node
        return None

    def _sync_children(self, parent: TreeNode, wanted: list[tuple[Any, Text | None]], *, expand: bool) -> list[TreeNode]:
        """Make `parent`'s children be `wanted` (data, label) in order, keeping the nodes that stay."""
        keys = {data for data, _ in wanted}
        for child in list(parent.children):
            if child.data not in keys:
                child.remove()
        existing = {child.data: child for child in parent.children}
        nodes = []
        for position, (data, label) in enumerate(wanted):
            node = existing.get(data)
            if node is None:
                node = parent.add(label or Text(""), data, before=position, expand=expand)
            elif label is not None and node.label != label:
                node.set_label(label)
            nodes.append(node)
        return nodes

    def _set_collection_label(self, state: _Collection) -> None:
        label = safe_text(state.node.data.name)
        label.append(f" {state.total:,}", style="dim")
        if state.node.label != label:
            state.node.set_label(label)

    # ----- versions ------------------------------------------------------------------------------------------

    def _sync_edge_rows(self, state: _Collection) -> None:
        """The "newer versions" row above the window and the "older versions" row below it, as the window needs."""
        data = state.node.data
        newer = state.total - state.high
        if newer > 0:
            label = Text(f"… {newer:,} newer version{'s' if newer != 1 else ''} (enter to load)", style="dim italic")
            if state.newer is None:
                state.newer = state.node.add_leaf(label, NewerItem(data.project, data.name), before=0)
            elif state.newer.label != label:
                state.newer.set_label(label)
        elif state.newer is not None:
            state.newer.remove()
            state.newer = None
        older = state.low
        if older > 0:
            label = Text(f"… {older:,} older version{'s' if older != 1 else ''} (enter to load)", style="dim italic")
            if state.older is None:
                state.older = state.node.add_leaf(label, MoreItem(data.project, data.name))
            elif state.older.label != label:
                state.older.set_label(label)
        elif state.older is not None:
            state.older.remove()
            state.older = None

    def request_more(self, item: MoreItem) -> None:
        state = self._collections.get((item.project, item.name))
        if state is None or state.loading or state.low <= 0:
            return
        state.loading = True
        self.post_message(self.PageRequested(item.project, item.name, state.low))

    def request_newer(self, item: NewerItem) -> None:
        state = self._collections.get((item.project, item.name))
        if state is None or state.loading or state.high >= state.total:
            return
        state.loading = True
        self.post_message(self.NewerPageRequested(item.project, item.name, state.high))

    # ----- cursor --------------------------------------------------------------------------------------------

    def _put_cursor(self, node: TreeNode) -> None:
        """Move the cursor to `node`, also when rows were inserted above so that its line did not change
        (Tree only notices a change of line, and its line rebuild would otherwise follow the old node)."""
        previous, line_before = self.cursor_node, self.cursor_line
        if previous is not None:
            previous._selected = False
        self._cursor_node = node
        self._invalidate()
        self._rebuild_lines()  # Tree puts cursor_line on the cursor node's new line
        if self.cursor_line != node.line:
            self.move_cursor(node)
        elif self.cursor_line == line_before and previous is not node:
            node._selected = True
            self.post_message(Tree.NodeHighlighted(node))
        self.scroll_to_node(node, animate=False)

    def _rebuild_lines(self) -> None:
        self.get_node_at_line(0)  # rebuilds the line table now, so node lines are current

    def _rebuild_keep_cursor(self) -> None:
        node = self.cursor_node
        self._rebuild_lines()
        if node is None:
            return
        if node.id in self._tree_nodes and not self._hidden(node):
            if self.cursor_line != node.line:
                self.move_cursor(node)
            return
        # The row went away (filtered out, collapsed): fall back to its nearest visible ancestor.
        parent = node.parent
        while parent is not None and not parent.is_root and (parent.id not in self._tree_nodes or self._hidden(parent)):
            parent = parent.parent
        target = parent if parent is not None and not parent.is_root else None
        self.move_cursor(target)
        if target is None:
            self.post_message(self.OtherHighlighted(None))  # nothing selected: the details must not say otherwise

    @staticmethod
    def _hidden(node: TreeNode) -> bool:
        parent = node.parent
        while parent is not None and not parent.is_root:
            if not parent.is_expanded:
                return True
            parent = parent.parent
        return False

    # ----- events --------------------------------------------------------------------------------------------

    def watch_filter_text(self, old: str, new: str) -> None:
        if not old and new:
            self._before_filter = self.cursor_node.data if self.cursor_node is not None else None
        cursor = self.cursor_node.data if self.cursor_node is not None else None
        moved = bool(old) and self._user_moved()
        if not new:
            self._alias_hits = set()
        self._sync_catalog()
        if new and not moved:
            self._note_filter_cursor()
        if not new:
            # Back from a filter: the cursor stays on a row the user went to while filtering, else returns to
            # the row it was on before (or the first row), never nowhere.
            before, self._before_filter, self._filter_left = self._before_filter, None, None
            node = self._node_for(cursor if moved else before)
            if node is None or self._hidden(node):
                node = self.cursor_node or (self.get_node_at_line(0) if self.last_line >= 0 else None)
            if node is not None:
                self._put_cursor(node)
                self.post_message(Tree.NodeHighlighted(node))  # the details follow even if the line is unchanged

    def _user_moved(self) -> bool:
        """Whether, while filtering, the cursor went to a row other than the one the filter left it on."""
        cursor = self.cursor_node.data if self.cursor_node is not None else None
        return (cursor is not None and cursor != self._filter_left
                and not isinstance(cursor, (NoMatchItem, PlaceholderItem)))

    def _loading_row(self) -> _Collection | None:
        """The collection whose "loading…" row the cursor is on, while its versions are on their way."""
        node = self.cursor_node
        if node is None or not isinstance(node.data, PlaceholderItem) or node.parent is None:
            return None
        data = node.parent.data
        # Not `state.loading`: keys run as bindings straight from the app's queue, possibly before the tree has
        # handled the expansion that sets it. The placeholder row lasts exactly until the versions arrive.
        return self._collections.get((data.project, data.name))

    def action_cursor_down(self) -> None:
        state = self._loading_row()
        if state is not None:
            state.pending_down += 1
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        state = self._loading_row()
        if state is not None and state.pending_down:
            state.pending_down -= 1
            return
        super().action_cursor_up()

    def action_select_cursor(self) -> None:
        state = self._loading_row()
        if state is not None:
            state.pending_select = True
            return
        node = self.cursor_node
        if node is not None and node.allow_expand:
            # Now, not when the tree handles its NodeSelected (Textual's auto_expand): keys typed right after
            # enter run first, and would walk over the rows it is about to open.
            node.toggle()
        super().action_select_cursor()

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        data = event.node.data
        if isinstance(data, CollectionItem):
            state = self._collections.get((data.project, data.name))
            if state is not None and not state.loaded and not state.loading:
                state.loading = True
                self.post_message(self.CollectionOpened(data.project, data.name))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        data = event.node.data
        if isinstance(data, VersionItem):
            self.post_message(self.VersionHighlighted(data, self.version(data)))
            return
        if isinstance(data, MoreItem):
            self.request_more(data)
        self.post_message(self.OtherHighlighted(data))

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        if isinstance(event.node.data, MoreItem):
            event.stop()
            self.request_more(event.node.data)
        elif isinstance(event.node.data, NewerItem):
            event.stop()
            self.request_newer(event.node.data)

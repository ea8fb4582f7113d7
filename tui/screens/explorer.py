"""The explorer: the tree of projects, types, collections and versions beside the selected version's details.

This screen mediates: it reads the store in workers (through `StoreScreen.fetch`), hands the results down to
the tree and the details, makes alias changes (with undo), and opens the runs and lineage views. It refreshes
live when the store changes, keeping the cursor where it was.
"""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static, Tree

from core import default_home
from core.errors import ArtifactsError
from tui.alias_undo import AliasChange, AliasEditor, UndoConflict
from tui.messages import FirstScreenShown, JumpToRun, JumpToVersion
from tui.safe import join_text, safe_str, safe_text
from tui.screens.base import Prefetch, StoreScreen
from tui.widgets.artifact_tree import (
    ArtifactTree,
    CollectionItem,
    ProjectItem,
    TypeItem,
    VersionItem,
    split_ref,
)
from tui.widgets.key_footer import KeyFooter
from tui.widgets.version_details import VersionDetails, VersionOverview
from tui.widgets.title_bar import TitleBar

PAGE = 200  # versions per page of a collection
START_ARGS = "run pipeline --dataset digits"


def program() -> str:
    """How to call `artifacts-tui` from the user's shell: its name when it is on PATH, else the path of the
    script that is running (after `make run` it lives in .venv/bin, which is not on PATH)."""
    found = shutil.which("artifacts-tui")
    script = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "artifacts-tui" and script.is_file():
        if found is not None and Path(found).resolve() == script:
            return "artifacts-tui"
        here = Path.cwd().resolve()
        return shlex.quote(str(script.relative_to(here)) if script.is_relative_to(here) else str(script))
    return "artifacts-tui" if found else f"{shlex.quote(sys.executable)} -m tui.cli"


def start_command(store: Any) -> str:
    """The command that fills this store: with `--store PATH` unless it is the default one (which the bare
    command writes to)."""
    root = store.local_root
    if root is None or Path(root).expanduser().resolve() == default_home().expanduser().resolve():
        return f"{program()} {START_ARGS}"
    return f"{program()} --store {shlex.quote(str(Path(root).expanduser().resolve()))} {START_ARGS}"


def load_catalog(store: Any) -> dict[str, list[Any]]:
    return {project: store.collections(project) for project in store.projects()}


def load_page(store: Any, project: str, name: str, below: int | None = None, *, above: int | None = None,
              around: int | None = None, window: tuple[int, int] | None = None):
    """(versions, total): a page of versions, at most PAGE of them (1.5 PAGE for a jump next to `window`).

    The page just below index `below` (None: the newest page), or from index `above` up, or the page a jump to
    version `around` needs: the versions between it and the window [low, high) shown when it is close to it (so
    the rows shown stay contiguous), else PAGE versions with it in the middle."""
    total = store.version_count(project, name)
    if above is not None:
        low, high = above, above + PAGE
    elif around is not None:
        low, high = around - PAGE // 2, around + PAGE // 2
        if window is not None and window[0] < window[1]:
            if window[0] - PAGE <= around < window[0]:
                high = window[0]
            elif window[1] <= around < window[1] + PAGE:
                low = window[1]
    else:
        high = total if below is None else below
        low = high - PAGE
    low, high = max(0, low), min(high, total)
    return store.versions(project, name, offset=low, limit=max(high - low, 0)), total


def alias_hits(store: Any, keys: list[tuple[str, str]], alias: str) -> set[tuple[str, str]]:
    """The collections among `keys` where some version holds `alias` (an exact alias name; the store lists
    no aliases, so loaded versions are what the tree matches by part of a name)."""
    if re.fullmatch(r"v\d+", alias):  # "name:v3" is a version number, not an alias
        return set()
    hits = set()
    for project, name in keys:
        try:
            store.artifact(f"{project}/{name}:{alias}")
        except (ArtifactsError, ValueError):
            continue
        hits.add((project, name))
    return hits


class ExplorerScreen(StoreScreen):
    """Projects -> types -> collections -> versions, and the selected version in tabs."""

    TITLE = "Artifacts"
    AUTO_FOCUS = "#artifact-tree"
    BINDINGS = [
        Binding("a", "add_alias", "Alias+", tooltip="Add an alias to the selected version (moves it if held)"),
        Binding("d", "remove_alias", "Alias-", tooltip="Remove an alias from the selected version"),
        Binding("u", "undo", "Undo", tooltip="Undo the last alias change"),
        Binding("slash", "filter", "Filter", tooltip="Filter the tree by project, type or name"),
        Binding("l", "lineage", "Lineage", tooltip="The lineage graph of the selected project or version"),
        Binding("R", "runs", "Runs", key_display="R", tooltip="The runs of the selected project"),
        # shown in the footer while the details pane has focus (VersionDetails), to leave room for ? at 80 columns
        Binding("y", "copy('usage')", "Copy use", show=False,
                tooltip='Copy run.use_artifact("project/name:vN") of the version'),
        Binding("Y", "copy('ref')", "Copy ref", key_display="Y", show=False,
                tooltip="Copy the version's reference, project/name:vN"),
        Binding("1", "tab('overview')", "Overview tab", show=False),
        Binding("2", "tab('metadata')", "Metadata tab", show=False),
        Binding("3", "tab('files')", "Files tab", show=False),
        Binding("4", "tab('diff')", "Diff tab", show=False),
        Binding("escape", "back", "Back to the tree / clear the filter", show=False),
        Binding("t", "tutorial", "Tutorial", tooltip="Run the tutorial pipeline on the digits dataset now"),
        # Where a key above is unavailable (`check_action` False or None), the same key lands here and says why
        # instead of doing nothing.
        *[Binding(key, f"explain('{key}')", show=False) for key in ("a", "d", "u", "slash", "l", "R", "t")],
    ]

    def __init__(self, store: Any) -> None:
        super().__init__(store, id="explorer")
        self.aliases = AliasEditor(store)
        self._current: VersionItem | None = None
        self._current_version: Any = None
        self._pending_jump: str | None = None
        self._shown_once = False
        self._catalog_ahead: Prefetch | None = Prefetch(lambda: load_catalog(store))

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal(id="explorer-body"):
            with Vertical(id="tree-pane"):
                yield Static(Text("Artifacts"), id="tree-title", classes="pane-title")
                yield ArtifactTree(id="artifact-tree")
            yield VersionDetails(id="version-details")
        yield KeyFooter()  # (the empty store's page, #empty-store, is mounted when the store turns out empty)

    @property
    def tree(self) -> ArtifactTree:
        return self.query_one(ArtifactTree)

    @property
    def details(self) -> VersionDetails:
        return self.query_one(VersionDetails)

    def on_mount(self) -> None:
        self.tree.focus()
        ahead, self._catalog_ahead = self._catalog_ahead, None
        if ahead is not None and ahead.ready():
            self._catalog_loaded(ahead.result())  # read in a thread meanwhile: the first frame shows the tree
        else:
            self.fetch("catalog", ahead.result if ahead is not None else lambda: load_catalog(self.store),
                       self._catalog_loaded, loading=self.tree)

    # ----- loading -------------------------------------------------------------------------------------------

    def _catalog_loaded(self, catalog: dict[str, list[Any]]) -> None:
        tree = self.tree
        tree.set_catalog(catalog)
        self.set_class(tree.is_empty, "-empty-store")
        self.refresh_bindings()  # t (Tutorial) is offered only while the store is empty
        if tree.is_empty:
            page = self.query_one_optional("#empty-store", Static)
            if page is None:
                page = Static(id="empty-store")
                self.mount(page, before=self.query_one(KeyFooter))
            page.update(self._empty_text())
        elif tree.cursor_line < 0:
            tree.cursor_line = 0
        if self._pending_jump:
            self._jump(self._pending_jump)
        if not self._shown_once:
            self._shown_once = True
            self.call_after_refresh(self.app.post_message, FirstScreenShown())

    def _empty_text(self) -> Text:
        text = Text("No artifacts in this store yet.\n\n", style="bold")
        text.append("Log the tutorial pipeline on the digits dataset (no download needed):\n\n", style="")
        text.append("  ")
        text.append_text(safe_text(start_command(self.store), "bold"))
        text.append("\n")
        text.append("\nor press ", style="")
        text.append("t", style="bold")
        text.append(" to run it now from here (", style="")
        text.append("r", style="bold")
        text.append(" to pick a stage and its settings first).\n", style="")
        text.append("\nThis screen updates by itself as soon as something is logged.", style="dim")
        text.append("\nStore: ", style="dim")
        text.append_text(safe_text(self.app.sub_title, "dim"))
        return text

    def _load_versions(self, project: str, name: str, then=None, **where) -> None:
        """Load a page of a collection (`load_page`'s `below`, `above`, `around`, `window`). One group per
        collection: a newer request (a jump) supersedes a page still on its way."""
        def shown(result) -> None:
            versions, total = result
            self.tree.show_versions(project, name, versions, total)
            if then is not None:
                then()

        self.fetch(f"versions:{project}/{name}", lambda: load_page(self.store, project, name, **where), shown,
                   loading=None)

    def refresh_data(self) -> None:
        self.fetch("catalog", lambda: load_catalog(self.store), self._catalog_loaded)
        for project, name, low, high in self.tree.loaded_collections():
            self._reload_range(project, name, low, high)
        if self._current is not None:
            self._load_details(self._current)

    def _reload_range(self, project: str, name: str, low: int, high: int | None) -> None:
        """Read the window [low, high) shown again (high None: up to the newest, new versions included)."""
        def read():
            total = self.store.version_count(project, name)
            top = total if high is None else min(high, total)
            return self.store.versions(project, name, offset=low, limit=max(top - low, 0)), total

        self.fetch(f"refresh:{project}/{name}", read,
                   lambda r: self.tree.show_versions(project, name, *r, replace=False))

    # ----- tree events ---------------------------------------------------------------------------------------

    def on_artifact_tree_collection_opened(self, event: ArtifactTree.CollectionOpened) -> None:
        self._load_versions(event.project, event.name)

    def on_artifact_tree_page_requested(self, event: ArtifactTree.PageRequested) -> None:
        self._load_versions(event.project, event.name, below=event.below)

    def on_artifact_tree_newer_page_requested(self, event: ArtifactTree.NewerPageRequested) -> None:
        self._load_versions(event.project, event.name, above=event.above)

    def on_artifact_tree_version_highlighted(self, event: ArtifactTree.VersionHighlighted) -> None:
        if event.item == self._current:
            return
        had_version = self._current_version is not None
        self._current = event.item
        self._current_version = event.version
        self._load_details(event.item)
        if not had_version:
            self.refresh_bindings()

    def on_artifact_tree_other_highlighted(self, event: ArtifactTree.OtherHighlighted) -> None:
        had_version = self._current_version is not None
        self._current = None
        self._current_version = None
        item = event.item
        if isinstance(item, CollectionItem):
            node = self.tree.cursor_node
            hint = ("pick one of its versions below to see its details" if node is not None and node.is_expanded
                    else "press enter to list its versions")
            message = join_text(safe_text(f"{item.project}/{item.name}"), " (", safe_text(item.type), f"): {hint}.")
        elif isinstance(item, TypeItem):
            message = join_text("Artifacts of type ", safe_text(item.type), " in ", safe_text(item.project), ".")
        elif isinstance(item, ProjectItem):
            message = join_text("Project ", safe_text(item.project), ": R shows its runs, l its lineage.")
        else:
            message = Text("Select a version to see its details.")
        self.details.clear(message)
        if had_version:
            self.refresh_bindings()

    @on(Tree.NodeExpanded)
    @on(Tree.NodeCollapsed)
    def _collection_toggled(self, event: Tree.NodeExpanded | Tree.NodeCollapsed) -> None:
        if event.node is self.tree.cursor_node and isinstance(event.node.data, CollectionItem):
            self.on_artifact_tree_other_highlighted(ArtifactTree.OtherHighlighted(event.node.data))

    def _load_details(self, item: VersionItem) -> None:
        ref = item.ref

        def overview() -> VersionOverview:
            version = self.store.artifact(ref)
            return VersionOverview(version, self.store.version_count(item.project, item.name),
                                   version.logged_by(), version.used_by())

        def shown(data: VersionOverview) -> None:
            if self._current == item:
                self._current_version = data.version
                self.details.show_overview(data)

        self.fetch("details", overview, shown, loading=self.details)

    def on_version_details_files_requested(self, event: VersionDetails.FilesRequested) -> None:
        def shown(states) -> None:
            if self._current is not None and self._current.ref == event.ref:
                self.details.show_files(states)

        from tui.widgets.file_table import VERIFY_BYTES  # with the Files tab that asks (start-up time)

        self.fetch("files", lambda: self.store.artifact(event.ref).file_states(verify_bytes=VERIFY_BYTES), shown,
                   loading=self.details.query_one("#file-table"))

    def _file_path(self) -> str | None:
        from tui.widgets.file_table import FileTable  # with the details' tabs (start-up time)

        tables = self.query(FileTable)
        return tables.first().cursor_path if tables else None

    def action_preview_file(self, path: str | None = None) -> None:
        """Enter on a file of the Files tab: its preview, pushed at once (an escape typed next closes it)."""
        from tui.screens.file_preview import FilePreviewScreen  # opened on demand (start-up time)

        path = path or self._file_path()
        if self._current_version is not None and path is not None:
            self.app.push_screen(FilePreviewScreen(self._current_version, path))

    def on_file_table_preview_requested(self, event) -> None:  # FileTable.PreviewRequested: a click on a row
        self.action_preview_file(event.path)

    def action_save_file(self) -> None:
        from tui.screens.save_dialog import SaveFileDialog, saved_message

        version, path = self._current_version, self._file_path()
        if version is not None and path is not None:
            self.app.push_screen(SaveFileDialog(version, path), lambda where: where is not None and self.notify(
                saved_message(path, where), title="Saved", markup=False, timeout=4))

    def on_version_diff_compare_requested(self, event) -> None:  # VersionDiff.CompareRequested
        item = self._current
        if item is None:
            return
        project, name = item.project, item.name

        def compare():
            from tui.widgets.version_diff import diff_versions  # loaded with the details' tabs (start-up time)

            this = self.store.artifact(f"{project}/{name}:v{event.index}")
            other = self.store.artifact(f"{project}/{name}:v{event.other}")
            return diff_versions(other, this)

        self.fetch("diff", compare, lambda rows: self.details.show_diff(event.index, event.other, rows))

    # ----- aliases -------------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        empty = self.has_class("-empty-store")
        if action == "tutorial":  # the empty store's one-key start; hidden once there is something to explore
            return empty
        if action in ("add_alias", "remove_alias", "filter", "lineage", "runs"):
            return not empty  # nothing to act on: the footer keeps the room for `t` and `r`
        if action == "undo":  # shown dimmed while there is nothing to undo; pressed, it says so
            return False if empty else (True if self.aliases.can_undo else None)
        return True

    def action_explain(self, key: str) -> None:
        """What a key the footer does not offer now would need."""
        if self.has_class("-empty-store") and key != "t":
            self.notify("The store is empty: t runs the tutorial pipeline, r picks a stage to run.", markup=False)
        elif key == "t":
            self.notify("t starts the tutorial only on an empty store; r launches any stage (or the whole "
                        "pipeline) here.", markup=False)
        elif key == "u":
            self.notify("Nothing to undo: u takes back the alias changes made in this window, newest first.",
                        markup=False)

    def action_tutorial(self) -> None:
        self.app.action_tutorial()

    def action_add_alias(self) -> None:
        version = self._current_version
        if version is None:
            self.notify("Select a version first (a adds an alias to a version).", markup=False)
            return

        def chosen(alias: str | None) -> None:
            if alias:
                self.fetch("alias", lambda: self.aliases.add(version, alias), self._alias_changed, exclusive=False)

        from tui.screens.dialogs import AddAliasDialog  # on the first `a` (start-up time)

        self.app.push_screen(AddAliasDialog(self.store, version), chosen)

    def action_remove_alias(self) -> None:
        version = self._current_version
        if version is None:
            self.notify("Select a version first (d removes an alias from a version).", markup=False)
            return
        if not [a for a in version.aliases if a != "latest"]:
            self.notify(f"v{version.index} has no alias to remove ('latest' is managed by the store).", markup=False)
            return

        def chosen(alias: str | None) -> None:
            if alias:
                self.fetch("alias", lambda: self.aliases.remove(version, alias), self._alias_changed, exclusive=False)

        from tui.screens.dialogs import RemoveAliasDialog  # on the first `d` (start-up time)

        self.app.push_screen(RemoveAliasDialog(version), chosen)

    def action_undo(self) -> None:
        def undone(change: AliasChange | None) -> None:
            if change is None:
                self.notify("Nothing to undo.", markup=False)
                return
            self._alias_changed(change, prefix="undone: ")

        def refused(error: BaseException) -> None:
            if isinstance(error, UndoConflict):
                self.notify(safe_str(str(error)), title="Alias", severity="warning", markup=False)
                self.refresh_bindings()
                self.refresh_data()
            else:
                self.show_error(error)

        self.fetch("alias", self.aliases.undo, undone, exclusive=False, on_error=refused)

    def _alias_changed(self, change: AliasChange, prefix: str = "") -> None:
        self.notify(prefix + change.describe(), title="Alias", markup=False, timeout=3)
        self.refresh_bindings()
        self.refresh_data()

    # ----- filter, tabs, other screens -------------------------------------------------------------------------

    async def action_filter(self) -> None:
        # The filter box is made on the first `/`, not with the first screen (an Input: four component styles and a
        # cursor). Keys typed right after `/` wait for it (tui/key_gate.py): `/deep` typed fast lands in the box.
        box = self.query_one_optional("#tree-filter")
        if box is None:
            from textual.widgets import Input

            box = Input(placeholder="filter: project, type or name (esc clears)", id="tree-filter")
            await self.query_one("#tree-pane").mount(box, before=self.tree)
        box.display = True  # shown while filtering; at once, as a box that is still hidden cannot take the focus
        box.focus()

    def on_input_changed(self, event: Any) -> None:
        if event.input.id != "tree-filter":
            return
        text = event.value
        self.tree.filter_text = text
        if text.strip():
            keys = self.tree.collection_keys()
            self.fetch("alias-filter", lambda: alias_hits(self.store, keys, text.strip()),
                       lambda hits: self.tree.set_alias_hits(text, hits), on_error=lambda _error: None)

    def on_input_submitted(self, event: Any) -> None:
        if event.input.id == "tree-filter":
            self.tree.focus()

    def action_back(self) -> None:
        """Escape: from the details back to the tree; in the tree, clear the filter."""
        if not self.tree.has_focus and self.details.has_focus_within:
            self.tree.focus()
        else:
            self.action_clear_filter()

    def action_clear_filter(self) -> None:
        box = self.query_one_optional("#tree-filter")
        if box is not None and box.display:
            box.value = ""
            box.display = False
            self.tree.focus()

    def action_copy(self, what: str) -> None:
        from tui.clipboard import copied_message, tmux_clipboard_off
        from tui.widgets.version_details import reference, usage_snippet

        version = self._current_version
        if version is None:
            self.notify("Select a version first (y copies the line that uses it).", markup=False)
            return
        text = usage_snippet(version) if what == "usage" else reference(version)
        self.app.copy_to_clipboard(text)

        def tell(tmux_off: bool) -> None:
            message, severity = copied_message(text, tmux_off)
            self.notify(safe_str(message), title="Clipboard", severity=severity, markup=False, timeout=5)

        self.fetch("clipboard", tmux_clipboard_off, tell, on_error=lambda _error: tell(False))

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        """Enter on a version: into its details (the Overview's runs, the Metadata tree, the Files table...)."""
        if isinstance(event.node.data, VersionItem):
            self.details.focus_content()

    def action_tab(self, tab: str) -> None:
        self.details.show_tab(tab)

    def _selected_project(self) -> str | None:
        node = self.tree.cursor_node
        data = node.data if node is not None else None
        return getattr(data, "project", None)

    def action_runs(self) -> None:
        project = self._selected_project()
        if project is None:
            self.notify("Select a project (or anything in it) first.", markup=False)
            return
        self.open_runs(project)

    def open_runs(self, project: str, run_id: str | None = None) -> None:
        from tui.screens.runs import RunsScreen  # not on the first screen: loaded when first opened (start-up time)

        self.app.push_screen(RunsScreen(self.store, project, run_id), self._jump_result)

    def on_jump_to_run(self, event: JumpToRun) -> None:
        self.open_runs(event.project, event.run_id)

    def action_lineage(self) -> None:
        project = self._selected_project()
        if project is None:
            self.notify("Select a project (or anything in it) first.", markup=False)
            return
        from tui.screens.lineage import LineageScreen  # not on the first screen: loaded when first opened (start-up)

        focus = self._current.ref if self._current is not None else None
        self.app.push_screen(LineageScreen(self.store, project, focus=focus), self._jump_result)

    def _jump_result(self, ref: str | None) -> None:
        if ref:
            self._jump(ref)

    def on_jump_to_version(self, event: JumpToVersion) -> None:
        self._jump(event.ref)

    def _jump(self, ref: str) -> None:
        """Select version `ref` ("project/name:vN"), loading a page around it when it is not shown."""
        self._pending_jump = None
        tree = self.tree
        try:
            project, name, index = split_ref(ref)
        except ValueError:
            self.notify(f"Not a version reference: {ref}", markup=False)
            return
        if tree.select_ref(ref):
            tree.focus()
            return
        if not tree.expand_collection(project, name, page_coming=True):
            self._pending_jump = ref  # the catalog may not list it yet: try again when it is loaded
            return
        state = tree.collection_state(project, name)
        window = None if state is None else state[:2]
        self._load_versions(project, name, around=index, window=window,
                            then=lambda: tree.select_ref(ref) and tree.focus())

"""Details of the selected version, in tabs: Overview, Metadata, Files and Diff.

The screen loads the data in workers and hands it down (`show_overview`, `show_files`, `show_diff`); the widget
only renders it and says what the user picked (`JumpToRun` when a run is chosen in the overview). The Overview also
shows the producing run's summary metrics and config, and the version's reference with the line that uses it in a
script (`run.use_artifact("project/name:v3")`), which the explorer's `y` copies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.visual import RenderOptions, Visual
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.messages import JumpToRun
from tui.safe import safe_json, safe_text
from tui import format as formatting
from tui.widgets.alias_badges import alias_badges

if TYPE_CHECKING:
    from textual.css.styles import RulesMap
    from textual.strip import Strip
    from textual.style import Style
    from textual.widgets import TabbedContent

    from tui.widgets.version_diff import DiffRow

@dataclass
class VersionOverview:
    """What the Overview tab shows, read in one worker."""

    version: Any                      # core.ArtifactVersion
    total: int                        # versions in its collection
    logged_by: Any | None = None      # core.RunInfo
    used_by: list[Any] = field(default_factory=list)

DESCRIPTION_SHOWN = 4_000  # characters of a description the Overview draws (a 1 MB one must not freeze it)
SNIPPET_ONE_LINE = 32     # a longer use_artifact line is drawn on two (the Overview is ~34 columns at 80)
RUN_VALUES_SHOWN = 12      # summary metrics and config keys of the producing run shown, each
VALUE_CHARS = 60


def _as_content(value: Text | Content | str) -> Content:
    """A cell of a FieldGrid: `Text` from `tui.safe` (or our own labels as `str`), never markup."""
    if isinstance(value, Content):
        return value
    if isinstance(value, Text):
        return Content.from_rich_text(value)
    return Content(value)


class FieldGrid(Visual):
    """Keys beside their values, each value wrapped in its own column (long ones fold under themselves, not under
    the key); a value may be a grid of its own. What a Rich `Table.grid` drew, without its cost: a grid measures and
    renders every nested table again on each layout and paint (the longest part of moving to the next version, ~30 ms
    at 80x24), where this wraps `Content` once per width.

    `key_max` cuts longer keys with "…"; keys also give way (cut the same way) where the values would get less than a
    quarter of the width (a Rich grid squeezed them to a column or two). A row whose key is None spans both columns
    (a title)."""

    GAP = 1  # cells between the key and the value column

    def __init__(self, rows: Sequence[tuple[Text | str | None, FieldGrid | Text | str]], *, key_style: str = "",
                 key_max: int | None = None) -> None:
        self.rows: list[tuple[Content | None, FieldGrid | Content]] = []
        for key, value in rows:
            if key is not None:
                key = _as_content(key)
                if key_style:
                    key = key.stylize_before(key_style)
            self.rows.append((key, value if isinstance(value, FieldGrid) else _as_content(value)))
        self.key_max = key_max
        self._lines: tuple[int, list[Content]] = (-1, [])
        self._joined: tuple[int, Content] = (-1, Content())

    @property
    def signature(self) -> tuple:
        """What the grid draws (text and styles): an equal signature draws the same cells."""
        def cell(c: FieldGrid | Content | None):
            if c is None or isinstance(c, FieldGrid):
                return c and c.signature
            return c.plain, tuple(c.spans)

        return self.key_max, tuple((cell(key), cell(value)) for key, value in self.rows)

    def _key_width(self, width: int) -> int:
        widest = max((key.cell_length for key, _ in self.rows if key is not None), default=0)
        if self.key_max is not None:
            widest = min(widest, self.key_max)
        return max(min(widest, width - self.GAP - max(width // 4, 1)), 1) if widest else 0

    @staticmethod
    def _wrap(value: FieldGrid | Content, width: int) -> list[Content]:
        lines = value.lines(width) if isinstance(value, FieldGrid) else value.wrap(width)
        return lines or [Content()]

    def lines(self, width: int) -> list[Content]:
        """The grid's lines at `width` cells (none longer)."""
        if self._lines[0] == width:
            return self._lines[1]
        key_width = self._key_width(width)
        value_width = max(width - key_width - self.GAP, 1) if key_width else width
        indent = Content(" " * (key_width + self.GAP)) if key_width else Content()
        lines: list[Content] = []
        for key, value in self.rows:
            if key is None:
                lines += self._wrap(value, width)
                continue
            if key.cell_length > key_width:
                key = key.truncate(key_width, ellipsis=True)
            head = key.pad_right(key_width - key.cell_length + self.GAP)
            for i, line in enumerate(self._wrap(value, value_width)):
                lines.append((indent if i else head) + line)
        self._lines = (width, lines)
        return lines

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        if not width:
            return []
        if self._joined[0] != width:
            self._joined = (width, Content("\n").join(self.lines(width)))
        return self._joined[1].render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        keys = self._key_width(container_width)
        return max((
            (0 if key is None else keys + self.GAP) + value.get_optimal_width(rules, container_width)
            for key, value in self.rows), default=0)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self.lines(width))


def reference(version: Any) -> str:
    """"project/name:vN": what `use_artifact`, `artifacts-tui show` and `get` take."""
    return f"{version.project}/{version.name}:v{version.index}"


def usage_snippet(version: Any) -> str:
    """The line of a script that uses this version (wandb and `core.wandb_compat` alike)."""
    return f"run.use_artifact({json.dumps(reference(version))})"


def flat_items(values: Mapping[str, Any], prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of a run's summary or config, nested dicts opened (W&B's `_`-keys left out)."""
    for key, value in values.items():
        key = str(key)
        if not prefix and key.startswith("_"):
            continue
        if isinstance(value, dict) and value and depth < 3 and "_type" not in value:
            yield from flat_items(value, f"{prefix}{key}.", depth + 1)
        else:
            yield f"{prefix}{key}", value


def value_text(value: Any) -> Text:
    if isinstance(value, bool) or value is None:
        return Text(json.dumps(value), style="dim" if value is None else "")
    if isinstance(value, float):
        return Text(f"{value:.6g}")
    if isinstance(value, str):
        return safe_text(value, limit=VALUE_CHARS)
    if isinstance(value, dict) and isinstance(value.get("_type"), str):
        return safe_text(value["_type"], "italic", limit=VALUE_CHARS)
    text = safe_json(value)
    return Text(text[:VALUE_CHARS] + ("…" if len(text) > VALUE_CHARS else ""))


def values_grid(values: Mapping[str, Any] | None) -> FieldGrid | Text:
    """Key and value of each summary metric or config entry, the first RUN_VALUES_SHOWN of them."""
    items = list(flat_items(values or {}))
    if not items:
        return Text("none", style="dim")
    rows: list[tuple[Text, Text | str]] = [(safe_text(key, "italic"), value_text(value))
                                           for key, value in items[:RUN_VALUES_SHOWN]]
    if len(items) > RUN_VALUES_SHOWN:
        rows.append((Text(f"… {len(items) - RUN_VALUES_SHOWN} more", style="dim"), ""))
    return FieldGrid(rows, key_max=24)


def run_option(role: str, run: Any) -> Option:
    """One run, on one line (the list cuts it with "…", never wraps it): role, name, state, then job type."""
    text = Text(f"{role:<9} ", style="dim", no_wrap=True, overflow="ellipsis", end="")
    text.append_text(safe_text(run.name or run.id, "bold"))
    text.append(f" {run.state}", style="dim")
    if run.job_type:
        text.append(" · ", style="dim")
        text.append_text(safe_text(run.job_type, "italic"))
    return Option(text)


def overview_fields(data: VersionOverview, now) -> FieldGrid:
    v = data.version
    files = getattr(v, "file_count", None)
    size = formatting.human_size(v.size) + (f" in {files:,} file{'s' if files != 1 else ''}" if files is not None else "")
    description = (safe_text(v.description, multiline=True, limit=DESCRIPTION_SHOWN) if v.description
                   else Text("none", style="dim"))
    snippet = usage_snippet(v)
    if len(snippet) > SNIPPET_ONE_LINE:  # break where Python allows it, not in the middle of the name
        head, _, rest = snippet.partition("(")
        snippet = f"{head}(\n    {rest}"
    use = safe_text(snippet, multiline=True)
    use.append("\ny copies it, Y the ref", style="dim")
    return FieldGrid([
        ("name", safe_text(f"{v.project}/{v.name}")),
        ("type", safe_text(v.type)),
        ("version", f"v{v.index} of {data.total:,}"),
        ("aliases", alias_badges(v.aliases) if v.aliases else Text("none", style="dim")),
        ("digest", safe_text(v.digest)),
        ("size", size),
        ("created", f"{formatting.timestamp(v.created_at)} ({formatting.ago(v.created_at, now)})"),
        ("about", description),
        ("ref", safe_text(reference(v))),
        ("use", use),
    ], key_style="bold")


def run_values(run: Any) -> FieldGrid:
    """The producing run's summary metrics and config (what W&B's artifact page shows of its run)."""
    title = Text("Producing run: ", style="bold")
    title.append_text(safe_text(run.name or run.id, "bold"))
    return FieldGrid([(None, title), ("summary", values_grid(run.summary)), ("config", values_grid(run.config))],
                     key_style="bold")


class VersionDetails(Vertical):
    """The tabs for one version; an empty-state line until a version is selected."""

    BINDINGS = [Binding("y", "screen.copy('usage')", "Copy use", tooltip="Copy the line that uses this version")]

    def compose(self) -> ComposeResult:
        yield Static(Text("Select a version to see its details.", style="dim"), id="details-empty")

    @staticmethod
    def _make_tabs(initial: str) -> TabbedContent:
        # Imported here: the first screen of the app does not need them.
        from textual.widgets import TabbedContent, TabPane

        from tui.widgets.file_table import FileTable
        from tui.widgets.metadata_tree import MetadataTree
        from tui.widgets.version_diff import VersionDiff

        # TabbedContent's positional arguments are tab *titles*; panes are added as composed children.
        tabs = TabbedContent(id="details-tabs", initial=initial)
        for pane in (
            TabPane("Overview", VerticalScroll(
                Static(id="overview-fields"),
                Vertical(
                    Static(Text("Runs (enter opens one)", style="bold"), id="overview-runs-title"),
                    OptionList(id="overview-runs"),
                    id="overview-runs-box",
                ),
                Static(id="overview-run"),
                id="overview-scroll",
            ), id="overview"),
            TabPane("Metadata", MetadataTree(id="metadata-tree"), id="metadata"),
            TabPane("Files", Static(id="files-summary"), FileTable(id="file-table"), id="files"),
            TabPane("Diff", VersionDiff(id="version-diff"), id="diff"),
        ):
            tabs.compose_add_child(pane)
        return tabs

    class FilesRequested(Message):
        """The Files tab is showing version `ref`: its file states are wanted."""

        def __init__(self, ref: str) -> None:
            super().__init__()
            self.ref = ref

    def on_mount(self) -> None:
        self._run_targets: list[tuple[str, str]] = []
        self._runs_shown: list[tuple] | None = None  # the runs the Overview lists (an unchanged list is kept)
        self._grids_shown: dict[str | None, tuple] = {}  # FieldGrid signatures the Overview's Statics draw
        self._data: VersionOverview | None = None
        self._shown: dict[str, VersionOverview] = {}  # tab -> the data it shows (tabs render when opened)
        # The tabs are built when the first version is shown: the first screen of the app appears sooner.
        self._tabs: TabbedContent | None = None
        self._tabs_ready = False  # mounted with their panes: a tab can be opened
        self._tab = "overview"
        self._focus_wanted = False  # enter was pressed before the tabs existed: focus them once they do
        self._set_empty(True)

    @property
    def active_tab(self) -> str:
        return self._tabs.active if self._tabs_ready else self._tab

    def show_tab(self, tab: str) -> None:
        self._tab = tab
        if self._tabs_ready:
            self._tabs.active = tab  # else `_tabs_mounted` opens it (a key pressed while the tabs are being built)

    def clear(self, message: Text | None = None) -> None:
        """Show `message` (built with `tui.safe`) instead of the tabs."""
        message = message or Text("Select a version to see its details.")
        message.stylize("dim")
        self.query_one("#details-empty", Static).update(message)
        self._set_empty(True)
        self._data = None

    def _set_empty(self, empty: bool) -> None:
        """The message instead of the tabs, or the tabs. Each child's `display`, not a class on this widget: a
        class change restyles every widget under it (about 90 ms with the tabs built, on every move between a
        version and another row), where `display` only lays the two children out again."""
        self.query_one("#details-empty", Static).display = empty
        if self._tabs is not None:
            self._tabs.display = not empty

    def show_overview(self, data: VersionOverview) -> None:
        """Show version `data`; only the open tab renders now, the others when they are opened."""
        self._set_empty(False)
        self._data = data
        if self._tabs is None:
            self._tabs = self._make_tabs(self._tab)
            self.mount(self._tabs)
            self.call_after_refresh(self._tabs_mounted)
            return
        self._render_tab(self.active_tab)

    def _tabs_mounted(self) -> None:
        from textual.widgets import Tabs

        # Tab from the tree goes straight into the open tab's content (1-4 switch tabs; the mouse still can).
        for tabs in self.query(Tabs):
            tabs.can_focus = False
        self._tabs_ready = True
        if self._tabs.active != self._tab:
            self._tabs.active = self._tab  # a tab key pressed meanwhile
        self._render_tab(self.active_tab)
        if self._focus_wanted:
            self.focus_content()

    def focus_content(self) -> None:
        """Focus what the open tab holds: the Overview's runs (the first highlighted), the Metadata tree, the
        Files table, the Diff's version field. Before the first version is shown, once it is."""
        if self._tabs is None or self._data is None or not self._tabs_ready:
            self._focus_wanted = True
            return
        self._focus_wanted = False
        pane = self._tabs.get_pane(self.active_tab)
        runs = pane.query("#overview-runs")
        if runs and runs.first(OptionList).option_count and not runs.first(OptionList).get_option_at_index(0).disabled:
            target = runs.first(OptionList)
            if target.highlighted is None:
                target.highlighted = 0
        else:
            target = next((w for w in pane.query("*") if w.focusable), None)
        if target is not None:
            target.focus()

    def on_tabbed_content_tab_activated(self, event) -> None:
        event.stop()
        self._render_tab(self.active_tab)

    def _render_tab(self, tab: str) -> None:
        data = self._data
        if data is None or self._shown.get(tab) is data:
            return
        self._shown[tab] = data
        if tab == "overview":
            self._render_overview(data)
        elif tab == "metadata":
            self.query_one("#metadata-tree").set_value(data.version.metadata)
        elif tab == "files":
            self.post_message(self.FilesRequested(data.version.full_name))
        elif tab == "diff":
            self.query_one("#version-diff").set_version(data.version.index, data.total)

    def _render_overview(self, data: VersionOverview) -> None:
        """Draw only what differs from the version shown before: the next version of a collection usually has the
        same runs and the same height, and then nothing is laid out again."""
        self._show_grid(self.query_one("#overview-fields", Static), overview_fields(data, self.app.clock()))
        runs = [("logged by", data.logged_by)] * (data.logged_by is not None)
        runs += [("used by", run) for run in data.used_by]
        shown = [(role, run.project, run.id, run.name, run.state, run.job_type) for role, run in runs]
        if shown != self._runs_shown:
            self._runs_shown = shown
            self._show_runs(runs)
        run_box = self.query_one("#overview-run", Static)
        run_box.display = data.logged_by is not None
        if data.logged_by is not None:
            self._show_grid(run_box, run_values(data.logged_by))

    def _show_grid(self, static: Static, grid: FieldGrid) -> None:
        """`static` shows `grid`; nothing is done when it already draws the same, and no layout when the height
        stays."""
        signature = grid.signature
        if self._grids_shown.get(static.id) == signature:
            return
        self._grids_shown[static.id] = signature
        width = static.size.width
        static.update(grid, layout=not (width and static.size.height == grid.get_height(static.styles, width)))

    def _show_runs(self, runs: list[tuple[str, Any]]) -> None:
        options = self.query_one("#overview-runs", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        self._run_targets = [(run.project, run.id) for _, run in runs]
        if runs:
            options.add_options([run_option(role, run) for role, run in runs])
            # a row is always highlighted, so enter opens one without a move first
            options.highlighted = highlighted if highlighted is not None and highlighted < len(runs) else 0
        else:
            options.add_option(Option(Text("no runs recorded", style="dim"), disabled=True))

    def show_files(self, states: Sequence[Any]) -> None:
        bad = sum(1 for s in states if s.blob in ("missing", "corrupt"))
        local = sum(1 for s in states if s.downloaded)
        summary = Text(f"{len(states):,} file{'s' if len(states) != 1 else ''}, {local:,} downloaded")
        if bad:
            summary.append(f", {bad:,} missing or corrupt", style="bold red")
        self.query_one("#files-summary", Static).update(summary)
        self.query_one("#file-table").set_files(states)

    def show_diff(self, index: int, other: int, rows: Sequence[DiffRow]) -> None:
        self.query_one("#version-diff").show_diff(index, other, rows)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index < len(self._run_targets):
            self.post_message(JumpToRun(*self._run_targets[event.option_index]))

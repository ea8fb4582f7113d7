"""`ArtifactsApp`: the Textual app on a store, what `artifacts-tui` opens.

Small on purpose: styling lives in `styles/`, each screen in `screens/`. To add a feature, add a screen and a
binding here or on a screen; the command palette lists every binding of the current screen by itself
(`BindingCommands`), so nothing else needs registering.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

import core
from tui.format import utc_now
from tui.runner.actions import install_runner, open_launch, open_runner, quit_or_confirm, start_tutorial
from tui.safe import safe_str, typed_text
from tui.screens.explorer import ExplorerScreen
from tui.screens.help import HelpScreen


class BindingCommands(Provider):
    """Every binding of the screen the palette was opened on, by its description (and key)."""

    def _commands(self):
        seen = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.description in seen or not active.enabled:
                continue
            seen.add(binding.description)
            key = self.app.get_key_display(binding)
            yield binding.description, binding.tooltip or f"key: {key}", partial(
                self.app.run_action, binding.action, active.node
            )

    async def discover(self) -> Hits:
        for name, help_text, command in self._commands():
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, command in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, text=name, help=help_text)


class ArtifactsApp(App[None]):
    """Explore a store's projects, artifacts, versions, aliases and runs from the keyboard."""

    TITLE = "artifacts-tui"
    CSS_PATH = ["styles/app.tcss", "styles/explorer.tcss", "styles/runs.tcss", "styles/dialogs.tcss",
                "styles/runner.tcss"]
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("r", "launch", "Run…", tooltip="Launch a pipeline stage or the whole pipeline"),
        Binding("w", "runner", "Runner", tooltip="Live progress, loss charts and logs of runs"),
        Binding("question_mark", "help", "Keys", key_display="?"),
        Binding("ctrl+r", "refresh_store", "Refresh", tooltip="Fetch everything again (a W&B server's caches too)"),
    ]
    COMMANDS = App.COMMANDS | {BindingCommands}

    def __init__(
        self,
        store: Any = None,
        *,
        clock: Callable[[], datetime] | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        """`store`: a `core.Store` (or anything with the same interface); None opens the default one.
        `clock`: what "now" is when ages are shown (tests freeze it). `poll_interval`: seconds between checks
        for changes made by other processes."""
        super().__init__()
        if store is None:
            store = core.open_store()
        self.store = store
        self.clock = clock or utc_now
        self.poll_interval = poll_interval
        self.sub_title = safe_str(store.location)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Paste) and not event.is_forwarded:
            # Bracketed paste reaches every input (the filter, the alias dialog, the palette, the launch form):
            # Textual's Input would keep ESC, C1 and bidi characters as they are and draw them raw.
            kept, dropped = typed_text(event.text)
            event.text = kept
            if dropped:
                self.notify(f"Pasted text: {dropped} control, escape or bidi character(s) left out", timeout=4)
        await super().on_event(event)

    def on_mount(self) -> None:
        install_runner(self)  # self.jobs: the queue of launched stages
        self.push_screen(ExplorerScreen(self.store))

    def action_launch(self) -> None:
        open_launch(self)

    def action_runner(self) -> None:
        open_runner(self)

    def action_tutorial(self) -> None:
        start_tutorial(self)  # the whole tutorial pipeline on the bundled digits dataset

    async def action_quit(self) -> None:
        quit_or_confirm(self)  # asks first while a run is active

    def action_refresh_store(self) -> None:
        self.store.refresh()  # drops session caches only: no I/O, so it may run on the UI thread
        for screen in self.screen_stack:
            if callable(getattr(screen, "refresh_data", None)):
                screen.refresh_data()
        self.notify("Refreshing…", timeout=2)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

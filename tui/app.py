"""`ArtifactsApp`: the Textual app on a store, what `artifacts-tui` opens.

Small on purpose: styling lives in `styles/`, each screen in `screens/`. To add a feature, add a screen and a
binding here or on a screen; the command palette lists every binding of the current screen by itself
(`BindingCommands`: the screen's and the app's actions first, then Textual's own, then the cursor keys of the
focused widget), so nothing else needs registering.

What the footer shows at 80 columns (every screen and dialog yields `tui.widgets.key_footer.KeyFooter`):
`?` first, always, then as many of the screen's keys as fit whole, in order of importance (the focused widget's,
the screen's, then the app's `q r w ^r`), then `^p palette` if there is room. A key that does not fit is left
out, never cut; `?` lists every key and `ctrl+p` runs any action by name. Where a text field has focus `?` is a
character, so the footer pins `f1 Keys` instead (`f1` opens the keys list on any screen or dialog).

Notifications stay short and few: a new one replaces those shown of the same or a lower severity (an error is not
hidden by a later "Refreshing…"), and a title is folded into the message's one line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape
from textual.notifications import Notify
from textual.screen import Screen
from textual.worker import Worker, WorkerState

import core
from tui.format import utc_now
from tui.key_gate import KeyGate, keys_read
from tui.messages import FirstScreenShown
from tui.safe import safe_str, typed_text
from tui.screens.base import TURN_PAUSE_S
from tui.screens.explorer import ExplorerScreen
from tui.screens.help import HelpScreen


def declared_here(node: Any) -> set[str]:
    """The actions bound by this project's own classes of `node` (not Textual's focus, copy and cursor keys)."""
    return {binding.action for cls in type(node).__mro__ if cls.__module__.startswith("tui.")
            for binding in cls.__dict__.get("BINDINGS", ()) if isinstance(binding, Binding)}


class BindingCommands(Provider):
    """The palette's commands, in the order a person wants them: the actions of the screen the palette was
    opened on and of the app (by description, with their key), then Textual's own (theme, screenshot, ...), then
    the focused widget's cursor and scroll keys."""

    def _commands(self):
        seen = set()
        own, widgets = [], []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.description in seen or not active.enabled:
                continue
            seen.add(binding.description)
            key = self.app.get_key_display(binding)
            command = (binding.description, binding.tooltip or f"key: {key}",
                       partial(self.app.run_action, binding.action, active.node))
            mine = binding.show or binding.action in declared_here(active.node)
            (own if mine else widgets).append(command)
        system = [(name, help_text, callback) for name, help_text, callback, discover
                  in self.app.get_system_commands(self.screen) if discover and name not in seen]
        return own + sorted(system, key=lambda command: command[0]) + widgets

    async def discover(self) -> Hits:
        for name, help_text, command in self._commands():
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, command in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, text=name, help=help_text)


SEVERITY = {"information": 0, "warning": 1, "error": 2}
RUNNER_IMPORT = "runner-import"
RUNNER_AT_LATEST_S = 2.0


def _import_runner() -> None:
    import tui.runner.actions  # noqa: F401 - what install_runner needs, loaded off the UI thread


class ArtifactsApp(App[None]):
    """Explore a store's projects, artifacts, versions, aliases and runs from the keyboard."""

    TITLE = "artifacts-tui"
    # The first screen's and the dialogs'; the runs view, the runner and the launch form bring theirs (CSS_PATH)
    CSS_PATH = ["styles/app.tcss", "styles/explorer.tcss", "styles/dialogs.tcss"]
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("r", "launch", "Run…", tooltip="Launch a pipeline stage or the whole pipeline"),
        Binding("w", "runner", "Runner", tooltip="Live progress, loss charts and logs of runs"),
        # Priority, so that `?` lists the keys in dialogs too; `check_action` lets it through to a text field.
        Binding("question_mark", "help", "Keys", key_display="?", priority=True),
        Binding("f1", "help_anywhere", "Keys", show=False, priority=True),
        Binding("ctrl+r", "refresh_store", "Refresh", tooltip="Fetch everything again (a W&B server's caches too)"),
    ]
    COMMANDS = {BindingCommands}  # Textual's system commands come through it too, after the app's own

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
        self._runner_loading = False
        self._keys = KeyGate(self)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):  # one key at a time, however fast they come (tui/key_gate.py)
            if event.is_forwarded:  # back from the widgets: the app's bindings run now
                await super().on_event(event)
                self._keys.returned(event)
                return
            for key in keys_read(event):  # ctrl+j is enter, alt+x is esc then x (see there)
                if not self._keys.hold(key):
                    await super().on_event(key)
                    self._keys.sent(key)
            return
        if isinstance(event, (events.Paste, events.MouseDown, events.MouseUp)) and not event.is_forwarded:
            # A paste or a click among keys typed fast comes in its turn: `/` then a paste puts the paste in the box
            if self._keys.hold(event):
                return
            if isinstance(event, events.Paste):
                # Bracketed paste reaches every input (the filter, the alias dialog, the palette, the launch form):
                # Textual's Input would keep ESC, C1 and bidi characters as they are and draw them raw.
                kept, dropped = typed_text(event.text)
                event.text = kept
                if dropped:
                    self.notify(f"Pasted text: {dropped} control, escape or bidi character(s) left out", timeout=4)
            await super().on_event(event)
            self._keys.passed(event)
            return
        await super().on_event(event)

    async def on_mount(self) -> None:
        # One loop turn between the app's start (parsing every stylesheet, ~15 ms) and the explorer's (~15 ms):
        # the first screen's timers and keys are not kept waiting for both.
        await asyncio.sleep(TURN_PAUSE_S)
        self.push_screen(ExplorerScreen(self.store))
        self.set_timer(RUNNER_AT_LATEST_S, self._load_runner)  # if the first screen never comes (a store error)

    def on_first_screen_shown(self, event: FirstScreenShown) -> None:
        self._load_runner()

    def _load_runner(self) -> None:
        """The runner (`self.jobs`, the queue of launched stages, which takes up this store's running launches) is
        not part of the first screen: once that is drawn, its modules (the pipeline's events and registry among
        them, ~35 ms) are imported in a thread and the queue is installed when they are. Asked for sooner (a key
        pressed at once, `app.jobs` from a script), it is installed then (`__getattr__`)."""
        if self._runner_loading or "jobs" in vars(self):
            return
        self._runner_loading = True
        self.run_worker(_import_runner, name=RUNNER_IMPORT, group=RUNNER_IMPORT, thread=True, exit_on_error=False)

    def __getattr__(self, name: str) -> Any:
        if name == "jobs":  # asked for before the runner was installed (a key pressed at once, a script): now
            from tui.runner.actions import install_runner

            return install_runner(self)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name == RUNNER_IMPORT and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            from tui.runner.actions import install_runner  # an import error raises here, where it is seen

            install_runner(self)

    def action_launch(self) -> None:
        from tui.runner.actions import open_launch

        open_launch(self)

    def action_runner(self) -> None:
        from tui.runner.actions import open_runner

        open_runner(self)

    def action_tutorial(self) -> None:
        from tui.runner.actions import start_tutorial

        start_tutorial(self)  # the whole tutorial pipeline on the bundled digits dataset

    async def action_quit(self) -> None:
        from tui.runner.actions import quit_or_confirm

        quit_or_confirm(self)  # asks first while a run is active

    def action_refresh_store(self) -> None:
        self.store.refresh()  # drops session caches only: no I/O, so it may run on the UI thread
        for screen in self.screen_stack:
            if callable(getattr(screen, "refresh_data", None)):
                screen.refresh_data()
        self.notify("Refreshing…", timeout=2)

    def get_system_commands(self, screen: Screen):
        # Textual's "Keys" (a help panel) and "Quit" (without asking) stand beside ours: only ours are offered.
        for command in super().get_system_commands(screen):
            if command.title not in ("Keys", "Quit"):
                yield command

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "help":
            # `?` is a character where a text field has focus, and closes the keys list itself
            focused = self.screen.focused
            typed = focused is not None and focused.check_consume_key("question_mark", "?")
            return not typed and not isinstance(self.screen, HelpScreen)
        return True

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_help_anywhere(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.action_help()

    def _on_notify(self, event: Notify) -> None:
        """One line per notification, and no stack of them: the new one replaces those of its severity or lower."""
        new = event.notification
        if new.title:
            new.message = f"{escape(new.title) if new.markup else new.title}: {new.message}"
            new.title = ""
        for old in list(self._notifications):
            if SEVERITY.get(old.severity, 0) <= SEVERITY.get(new.severity, 0):
                self._unnotify(old, refresh=False)
        super()._on_notify(event)

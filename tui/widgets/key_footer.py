"""The footer every screen and dialog shows: the key that lists all keys first, then as many whole keys as fit.

Textual's `Footer` lays every shown binding out in one row and lets the row run off the right edge, so at 80
columns the last ones (`? Keys` among them) never show, and its docked `^p palette` key overdraws a cut label. This
footer decides what one row holds instead:

1. pinned first, the `?` key whatever it does on this screen (`? Keys`, `? Close` on the keys list); where `?` is
   a typed character (a text field has focus) the `f1` key, which works everywhere;
2. then the screen's shown bindings (the focused widget's, the screen's, the app's, in that order), each whole or
   not at all: what does not fit is left out, never cut (`?` lists it, and the palette runs it);
3. `^p palette` last, when there is room for it.

It is one widget that draws the row as one line of text (Textual's footer mounts a widget per key: ten keys cost
ten widgets and twenty component styles on every screen, a tenth of the first screen's time), and draws it again
when the keys it shows change (focus moved, an action became available) or the width does. A click on a key
presses it, as on Textual's footer; the key under the mouse is highlighted and its tooltip shown.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget

HELP_KEYS = ("question_mark", "f1")  # the pinned key: `?`, else f1 where `?` is typed into a text field


class Item(NamedTuple):
    key: str
    key_display: str
    description: str
    action: str
    enabled: bool
    tooltip: str

    @property
    def width(self) -> int:
        """Cells taken in a compact footer: key, a space, description, and the gap after it."""
        return cell_len(self.key_display) + 1 + cell_len(self.description) + 1


def fit(pinned: Item | None, items: list[Item], width: int) -> list[Item]:
    """`pinned` first, then every item of `items` that still fits in `width` cells, in order."""
    chosen = [pinned] if pinned is not None else []
    used = pinned.width if pinned is not None else 0
    for item in items:
        if used + item.width - 1 <= width:  # the last item's gap may fall off the edge
            chosen.append(item)
            used += item.width
    return chosen


class KeyFooter(Widget, can_focus=False):
    """A one-row, compact footer that always shows how to list every key (`?`) and never cuts a key."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description", "key-footer--hover"}
    # Textual's compact footer, as one widget: the same theme variables, a key then a space and its description,
    # one cell between items.
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        overflow: hidden hidden;
        .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-footer--hover {
            background: $block-hover-background;
        }
    }
    """

    show_command_palette = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._laid_out_for = 0
        self._shown: list[Item] | None = None  # kept while a dialog covers the screen: its keys are not ours
        self._spans: list[tuple[int, int, Item]] = []  # (first cell, end cell, item) of each key drawn
        self._hover: Item | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _item(self, binding: Binding, enabled: bool, tooltip: str = "") -> Item:
        return Item(binding.key, self.app.get_key_display(binding), binding.description, binding.action, enabled,
                    tooltip or binding.tooltip or binding.description)

    def _app_priority(self, key: str) -> Item | None:
        """The app's priority binding of `key` when it would run here (dialogs leave the app's other keys out)."""
        app = self.app
        for binding in app._bindings.key_to_bindings.get(key, ()):
            if binding.priority and app.check_action(binding.action.removeprefix("app."), ()):
                return self._item(binding, True)
        return None

    def items(self) -> tuple[Item | None, list[Item]]:
        """(pinned, the rest in order of importance) for the screen as it is now."""
        active = self.screen.active_bindings
        pinned = None
        for key in HELP_KEYS:
            if key in active and active[key].enabled:
                pinned = self._item(active[key].binding, True, active[key].tooltip)
            else:
                pinned = self._app_priority(key)
            if pinned is not None:
                break
        seen = {pinned.action} if pinned is not None else set()
        rest: list[Item] = []
        for node, binding, enabled, tooltip in active.values():
            if binding.show and binding.description and binding.action not in seen:
                seen.add(binding.action)
                rest.append(self._item(binding, enabled, tooltip))
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE and palette is not None:
            rest.append(self._item(palette.binding, palette.enabled, palette.tooltip))
        return pinned, rest

    def _lay_out(self) -> None:
        width = self.size.width or self.app.size.width
        shown = fit(*self.items(), width)
        self._laid_out_for = width
        if shown != self._shown:
            self._shown = shown
            self.refresh()

    def bindings_changed(self, screen) -> None:
        # A screen under a dialog or the palette keeps its row: the keys there are the dialog's, not its own.
        if self.app.screen is self.screen and self.is_attached:
            self._lay_out()

    def on_resize(self) -> None:
        if self._shown is not None and self.size.width != self._laid_out_for:
            self._lay_out()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-footer--key", partial=True)
        description_style = self.get_component_rich_style("key-footer--description", partial=True)
        hover_style = self.get_component_rich_style("key-footer--hover", partial=True)
        text = Text(no_wrap=True, end="")
        self._spans = []
        cell = 0
        for item in self._shown or ():
            if cell:
                text.append(" ")
            start = len(text)
            text.append(item.key_display, key_style)
            if item.description:
                text.append(" " + item.description, description_style)
            if not item.enabled:
                text.stylize("dim", start)
            if item == self._hover:
                text.stylize(hover_style, start)
            width = cell_len(text.plain[start:])
            self._spans.append((cell, cell + width, item))
            cell += width + 1
        return text

    def _item_at(self, x: int) -> Item | None:
        return next((item for first, end, item in self._spans if first <= x < end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        item = self._item_at(event.x)
        if item != self._hover:
            self._hover = item
            self.tooltip = item.tooltip if item is not None and item.tooltip else None
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        item = self._item_at(event.x)
        if item is None:
            return
        event.stop()
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()

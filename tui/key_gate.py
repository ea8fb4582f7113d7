"""Keys typed fast are handled one after the other, as if typed slowly.

Textual hands each key to the focused widget as soon as the app reads it, and a key that no widget takes comes back
to the app, whose bindings run then. Typed in one burst, `/deep` went wrong: `/` (open the filter, focus its box)
was still on its way when `d`, `e`, `e`, `p` had already gone to the tree, where `d` is "remove an alias". The same
with `a` then an alias name, or `r` then a stage's name.

`KeyGate` keeps the app from handing out a key while the one before it is still travelling: until a widget has
taken it (stopped it) or it has come back to the app and the app's bindings have run, and what it set off on the
screen (an Input's Submitted message that moves the focus, say) has been handled. A screen just opened (a dialog,
the launch form) gets its keys once it is mounted and has put the focus in its field, and a screen that draws its view
from a store read (the lineage graph) once that is drawn: it says so with `holds_keys()`. Keys that arrive meanwhile
wait in order and go out one at a time. A key whose journey ends some other way (its widget was removed), or a screen that
never takes the focus, holds the others up for at most `KEY_WAIT_S`. A paste or a mouse button pressed or released
among such keys waits its turn too (`/` then a paste: the paste lands in the box), and goes out as a key taken at once.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from textual import events

KEY_WAIT_S = 1.0      # the longest a key waits for the one before it, or for a screen to take the focus
_POLL_S = 0.004       # how often a waiting key looks again whether the one before it was taken
# Moving keys: they move a cursor, never the focus. One after another (a held-down arrow) they go out at once, in
# order, to the same widget; any other key after one waits only for it, not for what it set off (the details of the
# row it moved to). Held one at a time, 40 downs took 0.8 s instead of 40 ms.
_MOVES = frozenset({"up", "down", "left", "right", "pageup", "pagedown", "home", "end"})


def keys_read(event: events.Key) -> list[events.Key]:
    """The keys a key Textual read stands for, as the user typed them:
    - `ctrl+j` is enter: until the app has put the terminal in raw mode (keys typed while it starts) the terminal
      turns enter's \\r into \\n, which reads as ctrl+j; the app binds nothing to ctrl+j.
    - `alt+character` is `esc` then the character: a terminal without the kitty keyboard protocol (tmux's, by
      default) sends `esc` as one ESC byte, and ESC followed by a character within Textual's escape delay reads as
      alt+character. `esc R` typed fast in the filter put R in the box instead of clearing it and opening the
      runs. The app binds no alt+character key. (`esc` then punctuation Textual reads as the punctuation alone.)
    Any other key is itself."""
    if event.key == "ctrl+j":
        return [events.Key("enter", "\r")]
    char = event.character
    if not event.key.startswith("alt+") or not char or len(char) != 1 or not char.isprintable():
        return [event]
    from textual.keys import KEY_NAME_REPLACEMENTS, _character_to_key

    name = char if char.isalnum() else KEY_NAME_REPLACEMENTS.get(_character_to_key(char), _character_to_key(char))
    return [events.Key("escape", "\x1b"), events.Key(name, char)]


class KeyGate:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.waiting: deque[events.Event] = deque()  # keys, and pastes and mouse buttons among them
        self.in_flight: events.Key | None = None
        self._sent_at = 0.0
        self._moved = False                 # whether the last key handed out was one of _MOVES
        self._released: set[int] = set()   # ids of waiting keys sent back to the app to be handled now
        self._polling = False
        self._screen: Any = None            # the screen on top when a key last looked, and since when
        self._screen_since = 0.0

    def hold(self, event: events.Event) -> bool:
        """A key (paste, mouse button) the app has just read: True when it must wait (it was queued), False to handle
        it now."""
        released = id(event) in self._released
        self._released.discard(id(event))
        if (self._moved and not self.waiting and isinstance(event, events.Key) and event.key in _MOVES
                and not self._screen_opening(time.monotonic())):
            return False
        if self._busy() or (self.waiting and not released):
            if released:
                self.waiting.appendleft(event)  # still first in line
            else:
                self.waiting.append(event)
            self._poll_soon()
            return True
        return False

    def sent(self, event: events.Key) -> None:
        """The app has handled a key it read: given to a widget (now travelling) or taken by a priority binding."""
        self._moved = event.key in _MOVES
        if event.is_forwarded and not event._stop_propagation:
            self.in_flight, self._sent_at = event, time.monotonic()
        elif self.in_flight is None:
            self._release()

    def passed(self, event: events.Event) -> None:
        """The app has handled a paste or a mouse button: the next key waits for what it set off on the screen."""
        self._sent_at, self._moved = time.monotonic(), False
        if self.in_flight is None:
            self._release()

    def returned(self, event: events.Key) -> None:
        """A key came back to the app from the widgets and the app's bindings have run for it."""
        if event is self.in_flight:
            self.in_flight = None
            self._release()

    def _busy(self) -> bool:
        now = time.monotonic()
        recent = now - self._sent_at <= KEY_WAIT_S
        key = self.in_flight
        if key is not None:
            if not key._stop_propagation and recent:
                return True
            self.in_flight = None  # a widget took it (or it was lost on the way)
        settling = recent and not self._moved and self._screen_working()
        return self._screen_opening(now) or settling or (recent and self._screen_drawing())

    def _screen_working(self) -> bool:
        """Whether a widget of the screen on top has messages left to handle (what the last key set off)."""
        screen = self.app.screen
        return any(not node._message_queue.empty() for node in (screen, *screen.walk_children()))

    def _screen_drawing(self) -> bool:
        """Whether the screen on top is still drawing the view that the keys act on (`holds_keys()`, where it has it)."""
        holds = getattr(self.app.screen, "holds_keys", None)
        return callable(holds) and bool(holds())

    def _screen_opening(self, now: float) -> bool:
        """Whether the screen on top was just opened and is not yet ready for keys: mounted, its field focused."""
        screen = self.app.screen
        if screen is not self._screen:
            self._screen, self._screen_since = screen, now
        if now - self._screen_since > KEY_WAIT_S:
            return False
        # The app's own blank screen is on top only until the first real one is pushed over it
        if screen.id == "_default" or not screen.is_mounted:
            return True
        return (screen.focused is None and bool(screen.focus_chain)) or self._screen_drawing()

    def _release(self) -> None:
        if self.waiting and not self._busy():
            key = self.waiting.popleft()
            self._released.add(id(key))
            self.app.post_message(key)

    def _poll_soon(self) -> None:
        if not self._polling:
            self._polling = True
            self.app.set_timer(_POLL_S, self._poll)

    def _poll(self) -> None:
        self._polling = False
        if not self.waiting:
            return
        if self._busy():
            self._poll_soon()
        elif not self._released:  # the next one is not already on its way back to the app
            self._release()
            if self.waiting:
                self._poll_soon()

"""Messages that cross widgets and screens (a widget's own messages are nested classes of that widget).

Requests are in the imperative (`JumpToVersion`), events in the past tense.
"""

from __future__ import annotations

from textual.message import Message


class JumpToVersion(Message):
    """Show this version ("project/name:vN") in the explorer: selected in the tree, details open."""

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref


class JumpToRun(Message):
    """Show this run in its project's runs view."""

    def __init__(self, project: str, run_id: str) -> None:
        super().__init__()
        self.project = project
        self.run_id = run_id


class FirstScreenShown(Message):
    """The explorer drew its first tree (or the empty store's page): what start-up defers can load now."""

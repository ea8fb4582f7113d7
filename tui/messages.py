"""Messages that cross widgets and screens (a widget's own messages are nested classes of that widget).

Requests are in the imperative (`JumpToVersion`), events in the past tense (`StoreChanged`).
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


class StoreChanged(Message, bubble=False):
    """The store's change token moved: something was written, by this process or another one."""

    def __init__(self, token: int) -> None:
        super().__init__()
        self.token = token

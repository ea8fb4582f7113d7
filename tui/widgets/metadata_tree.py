"""A JSON value (an artifact's metadata, a run's config or summary) as a navigable tree.

Textual's own `Tree.add_json` builds labels from markup strings; here every key and value goes through
`tui.safe`, because metadata comes from whoever logged the artifact.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui.safe import safe_text

MAX_CHILDREN = 500  # a list of 100,000 numbers is shown as its first items and a count


def _scalar(value: Any) -> Text:
    if isinstance(value, str):
        text = Text('"', style="green")
        text.append_text(safe_text(value, "green"))
        text.append('"', style="green")
        return text
    if value is None:
        return Text("null", style="italic")
    if isinstance(value, bool):
        return Text("true" if value else "false", style="italic")
    if isinstance(value, (int, float)):
        return Text(json.dumps(value) if isinstance(value, float) else str(value), style="cyan")
    return safe_text(repr(value))


def _summary(value: Any) -> str:
    if isinstance(value, dict):
        return f"{{{len(value)}}}"
    return f"[{len(value)}]"


class MetadataTree(Tree[Any]):
    """Keys and values of a JSON object; objects and lists are expandable nodes."""

    def __init__(self, *, empty_text: str = "no metadata", id: str | None = None, classes: str | None = None) -> None:
        super().__init__(Text("metadata"), id=id, classes=classes)
        self.show_root = False
        self.guide_depth = 2
        self._empty_text = empty_text
        self._value: Any = object()

    def set_value(self, value: Any) -> None:
        """Show `value`; the same value again keeps the tree as the user left it (expansions, cursor)."""
        if value == self._value:
            return
        self._value = value
        self.clear()
        if not value:
            self.root.add_leaf(Text(self._empty_text, style="dim italic"))
            return
        self._add(self.root, value, top=True)
        self.root.expand()
        self.cursor_line = 0

    def _add(self, parent: TreeNode, value: Any, *, top: bool = False) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for count, (key, child) in enumerate(items):
            if count >= MAX_CHILDREN:
                parent.add_leaf(Text(f"… {len(value) - MAX_CHILDREN:,} more", style="dim italic"))
                break
            label = safe_text(key, "bold") if isinstance(key, str) else Text(str(key), style="bold")
            if isinstance(child, (dict, list)) and child:
                label.append(f" {_summary(child)}", style="dim")
                node = parent.add(label, child, expand=top and len(value) <= 20)
                self._add(node, child)
            else:
                label.append(": ")
                label.append_text(_scalar(child) if not isinstance(child, (dict, list)) else Text(_summary(child)))
                parent.add_leaf(label, child)

"""What each row of the explorer's tree stands for: its `data` (a project, a type, a collection, a version, the
"older" / "newer versions" rows, the no-match and "loading…" rows). Read-only values, equal to (and hashed as)
another of the same class with the same fields, so a row found again after a refresh is the same row.
"""

from __future__ import annotations

from typing import Any


class _Item:
    """A row's data: read-only, equal to (and hashed as) another of the same class with the same fields. Plain
    slotted classes rather than frozen dataclasses: making the eight of them took 6 ms of the app's start."""

    __slots__ = ()

    def __init__(self, *values: Any) -> None:
        if len(values) != len(self.__slots__):
            raise TypeError(f"{type(self).__name__} takes {len(self.__slots__)} values, got {len(values)}")
        for name, value in zip(self.__slots__, values):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._values() == self._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, *self._values()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(repr(v) for v in self._values())})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    __delattr__ = __setattr__


class ProjectItem(_Item):
    __slots__ = ("project",)


class TypeItem(_Item):
    __slots__ = ("project", "type")


class CollectionItem(_Item):
    __slots__ = ("project", "name", "type")


class VersionItem(_Item):
    __slots__ = ("project", "name", "index")

    @property
    def ref(self) -> str:
        return f"{self.project}/{self.name}:v{self.index}"


class MoreItem(_Item):
    """The row under the last loaded version: selecting (or reaching) it loads the next, older page."""

    __slots__ = ("project", "name")


class NewerItem(_Item):
    """The row above a window that does not reach the newest version: selecting it loads the next, newer page."""

    __slots__ = ("project", "name")


class NoMatchItem(_Item):
    """The one row shown when the filter matches nothing."""


class PlaceholderItem(_Item):
    """The "loading…" row under a collection until its first page arrives."""

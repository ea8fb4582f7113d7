"""A pause of Python's cyclic garbage collector while a drawing is built.

The layout and the renderer allocate hundreds of thousands of small objects (boxes, edge paths, point tuples,
adjacency lists) that hold no reference cycles, all alive until the drawing is done. The collector's full passes,
triggered by that growing count, walk every one of them again, so their cost grows faster than the graph: at 20,000
nodes four full passes took a fifth of the drawing, at 2,000 none ran. Reference counting still frees everything as
usual meanwhile; the collector resumes afterwards (core/store.py pauses it the same way around a big listing).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector is enabled again after it only if it was before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

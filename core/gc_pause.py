"""A pause of Python's cyclic garbage collector around loops over thousands of files (`Artifact.add_dir`,
logging an artifact): each file leaves a few small objects alive until the loop ends (paths, stat keys, staged
blobs, manifest rows), none in a reference cycle, and the collector's passes, triggered by their growing count,
walk them all again (about 6% of logging 10,000 small files). Reference counting frees everything as usual
meanwhile. The lineage drawing (layout and render: hundreds of thousands of boxes, paths and points at 20k nodes,
where four full passes took a fifth of the drawing) and `Store._versions` (a 500k-version listing) pause it the same
way.
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

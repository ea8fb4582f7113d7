"""Where `Artifact.new_file` writes a file before the artifact is logged: a directory inside a store's `tmp/`, so a
writer killed before logging leaves nothing in `$TMPDIR` and `gc` reclaims what it left.

The artifact does not know its store until it is logged, so the directory goes into the `tmp/` of the store this
process opened last (the one a run logs to, in practice), else the default store's (when it exists). Its name
carries the writer's pid and process start time, `staging-<pid>-<start>-<random>`: gc removes it only once that
process is gone, since a live writer may still be filling it outside any store lock. With no store at all it falls
back to `$TMPDIR`, as before.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from core.processes import process_alive, process_start

_PREFIX = "staging-"
_NAME = re.compile(r"staging-(\d+)-(\d+|x)-[0-9a-f]+")
_tmp_dirs: list[Path] = []   # the tmp/ of each store opened by this process, newest last


def note_store(tmp: Path) -> None:
    """A store was opened: its tmp/ becomes where new files are staged."""
    if tmp in _tmp_dirs:
        _tmp_dirs.remove(tmp)
    _tmp_dirs.append(tmp)


def _parent() -> Path | None:
    from core.store import default_home  # lazy: core.store imports this module

    for tmp in reversed(_tmp_dirs):
        if tmp.is_dir():
            return tmp
    default_tmp = default_home() / "tmp"
    return default_tmp if default_tmp.is_dir() else None


def new_dir() -> Path:
    """Create a private staging directory (mode 0700) and return it."""
    parent = _parent()
    if parent is not None:
        pid = os.getpid()
        start = process_start(pid)
        path = parent / f"{_PREFIX}{pid}-{start if start is not None else 'x'}-{os.urandom(6).hex()}"
        try:
            path.mkdir(mode=0o700)
            return path
        except OSError:
            pass  # a read-only or full store: stage where the system keeps temporary files
    return Path(tempfile.mkdtemp(prefix="artifacts-tui-staging-"))


def is_staging(path: Path) -> bool:
    return _NAME.fullmatch(path.name) is not None


def reclaim(path: Path) -> int:
    """Remove the staging directory `path` when the process that made it is gone -> bytes freed (0 while it lives).
    Never follows a symlink out of it (`shutil.rmtree` unlinks symlinks, it does not descend into them)."""
    match = _NAME.fullmatch(path.name)
    if match is None or path.is_symlink() or not path.is_dir():
        return 0
    pid, start = int(match.group(1)), None if match.group(2) == "x" else int(match.group(2))
    if process_alive(pid, start):
        return 0
    size = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                size += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    shutil.rmtree(path, ignore_errors=True)
    return size

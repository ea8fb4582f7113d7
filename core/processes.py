"""Which process wrote something, and whether it is still alive: a pid with its start time (in clock ticks since
boot, from /proc), so a pid reused by another process is not mistaken for the writer."""

from __future__ import annotations

import os
import socket

HOST = socket.gethostname()


def process_start(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return int(handle.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def process_alive(pid: int, start: int | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if start is not None:
        now = process_start(pid)
        return now is None or now == start
    return True

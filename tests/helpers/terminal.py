"""The real program in a real 80x24 pseudo-terminal: what a user's tmux or SSH session gives it. Keys are written
as a terminal sends them; what the program draws is read back as raw output (escape sequences included), which is
enough to check that a text was drawn."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time

# Escape as the kitty keyboard protocol sends it (Textual asks for that protocol): a lone ESC byte would wait out the
# escape delay, and a key typed within it would arrive as alt+key.
KEYS = {"down": "\x1b[B", "up": "\x1b[A", "enter": "\r", "tab": "\t", "escape": "\x1b[27u"}
_ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def _plain(raw: bytes) -> str:
    """Raw output as words: escape sequences out, every run of spaces one space (lines kept)."""
    text = _ESCAPES.sub(b" ", raw).decode("utf-8", "replace")
    return "\n".join(" ".join(line.split()) for line in text.replace("\r", "\n").split("\n"))


class Terminal:
    def __init__(self, args: list[str], *, cwd: str, env: dict, size: tuple[int, int] = (80, 24)) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.proc = subprocess.Popen([sys.executable, "-m", "tui.cli", *args], stdin=slave, stdout=slave,
                                     stderr=slave, cwd=cwd, env=env, start_new_session=True)
        os.close(slave)
        self.output = b""

    def text(self) -> str:
        """Everything drawn so far with the escape sequences taken out (cursor moves separate words)."""
        return _plain(self.output)

    def wait_for(self, needle: str, timeout: float = 30) -> bool:
        """Read until `needle` was drawn since the last call (True), or `timeout` seconds passed (False)."""
        start = len(self.output)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ".join(needle.split()) in _plain(self.output[start:]):
                return True
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the program exited
                    return " ".join(needle.split()) in self.text()
                if not chunk:
                    return False
                self.output += chunk
        return False

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, KEYS.get(key, key).encode())

    def close(self, timeout: float = 10) -> int | None:
        """Wait for the program to exit (it was told to quit); kill it past `timeout`. -> its exit code."""
        try:
            deadline = time.monotonic() + timeout
            while self.proc.poll() is None and time.monotonic() < deadline:
                self.wait_for("\x00", timeout=0.2)  # keep draining, or the program blocks writing
            if self.proc.poll() is None:
                self.proc.kill()
            return self.proc.wait(timeout=10)
        finally:
            os.close(self.master)

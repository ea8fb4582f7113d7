"""A launched stage as a child process: started exactly as `artifacts-tui run` is, in a process group of its own,
so that it outlives the TUI (quitting, a crash, a dropped SSH link all leave it running) and can be cancelled as a
whole (SIGINT to its group: the stage raises its cancellation and logs nothing; SIGKILL after a grace period).

The TUI never imports torch: the child does. What the child prints goes to a log file beside the store
(`launches/<group>.log`), read only when the child died before it could write to the store (an import error, a
kill): the runs, their progress, log lines and metrics reach the TUI through the store, as runs of another shell do.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, replace
from pathlib import Path
from collections.abc import Callable
from typing import Any

GRACE_S = 5.0        # SIGINT, then this long before SIGKILL
WAIT_STEP_S = 0.1    # how often a supervising thread looks at its cancel flag
CANCELLED_EXIT = 130
UNKNOWN_EXIT = -1000  # an adopted process ended: its exit status went to the TUI that started it


def request_to_dict(request: Any) -> dict[str, Any]:
    data = asdict(request)
    data["inputs"] = list(data.get("inputs", ()))
    data["train_config"] = dict(data.get("train_config", {}))
    data["config"] = dict(data.get("config", {}))
    return data


def request_from_dict(data: dict[str, Any]) -> Any:
    from tui.runner.launch_request import LaunchRequest

    known = {k: v for k, v in data.items() if k in LaunchRequest.__dataclass_fields__}
    if "inputs" in known:
        known["inputs"] = tuple(known["inputs"])
    return LaunchRequest(**known)


def child_argv(request: Any, *, store_args: list[str], group: str, device: str | None,
               download_root: str | os.PathLike[str] | None) -> list[str]:
    """`python -m tui.cli <store> run STAGE ... --group G`: the command line `artifacts-tui run` would get."""
    train_config = dict(request.train_config)
    if device is not None:
        train_config["device"] = device
    request = replace(request, group=group, train_config=train_config)
    argv = [sys.executable, "-m", "tui.cli", *store_args, *request.cli_args()]
    if download_root is not None:
        argv += ["--download-root", os.fspath(download_root)]
    return argv


class Child:
    """One started child process and its supervision (`wait` runs in a worker thread)."""

    def __init__(self, argv: list[str], *, log_path: Path, env: dict[str, str] | None = None) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, close_fds=True,
            )
        self.pid = self.proc.pid
        self.cancel_requested = threading.Event()
        # A thread blocked in waitpid() costs nothing; Popen.wait(timeout) polls it with sleeps (about 80 wake-ups
        # a second, 0.5 % of a core per child, taken from the training and the UI).
        self._exited = threading.Event()
        threading.Thread(target=self._reap, name=f"runner-reap-{self.pid}", daemon=True).start()

    def _reap(self) -> None:
        self.proc.wait()
        self._exited.set()

    def wait(self, stop: threading.Event | None = None) -> int | None:
        """Wait for the child; on a cancel request SIGINT its group, and SIGKILL it after GRACE_S. -> exit code
        (negative: killed by that signal), or None when `stop` was set first (the TUI leaves; the child runs on)."""

        def ended() -> int | None:
            return self.proc.returncode if self._exited.wait(WAIT_STEP_S) else None

        return supervise(self.pid, ended, self.cancel_requested, stop)


def supervise(pid: int, ended: Callable[[], int | None], cancel: threading.Event,
              stop: threading.Event | None = None) -> int | None:
    """Wait until `ended()` (which waits a moment itself) returns the process's exit code; once `cancel` is set,
    SIGINT the process group and SIGKILL it GRACE_S later. -> the code, or None when `stop` was set first. One loop
    for a child of ours and for one an earlier TUI started (adopted: no handle, only its pid)."""
    signalled_at: float | None = None
    while stop is None or not stop.is_set():
        code = ended()
        if code is not None:
            return code
        if cancel.is_set():
            now = time.monotonic()
            if signalled_at is None:
                signalled_at = now
                signal_group(pid, signal.SIGINT)
            elif now - signalled_at > GRACE_S:
                signal_group(pid, signal.SIGKILL)
    return None


def signal_group(pid: int, sig: int) -> None:
    """Signal the child's process group (it leads its own session); a group already gone is no error."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def log_tail(path: Path, lines: int = 12, limit: int = 64 * 1024) -> list[str]:
    """The last lines a child printed (bounded: a log of hours is read from its end only)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            data = handle.read()
    except OSError:
        return []
    text = data.decode("utf-8", errors="replace").replace("\r", "\n")
    return [line for line in text.splitlines() if line.strip()][-lines:]


def visible_gpus() -> list[str]:
    """The CUDA devices this machine shows (their CUDA_VISIBLE_DEVICES names), without importing torch: from
    CUDA_VISIBLE_DEVICES when set, else NVIDIA's management library; [] on a machine without one."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [d.strip() for d in env.split(",") if d.strip() and d.strip() != "-1"]
    try:
        import pynvml  # nvidia-ml-py: a few ms, and only when the runner starts its first launch

        pynvml.nvmlInit()
        try:
            return [str(i) for i in range(pynvml.nvmlDeviceGetCount())]
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # noqa: BLE001 - no library, no driver: a CPU machine
        return []

"""The real wandb SDK in a test, torn down within a bound.

wandb keeps process-wide state: the `wandb_setup` singleton (settings read from the environment), the session's
credentials, a wandb-core child process and WANDB_SERVICE in `os.environ`. `wandb_setup.teardown()` clears it, but
waits with no bound for wandb-core to exit (it once hung `make test` for 26 minutes), and raises `SystemExit` with
wandb-core's exit status when wandb-core died under it. `bounded_teardown` runs it in a daemon thread for at most
`timeout` seconds, then kills any wandb-core child of this process that is left, clears the session credentials
itself, and never raises: it returns what went wrong, for the caller to report.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

TEARDOWN_S = 10.0  # a healthy wandb-core exits within a second or two; a stuck one (it happens) is killed


def sdk_in_use() -> bool:
    """Whether wandb's process-wide singleton exists (only then is there anything to tear down)."""
    setup = sys.modules.get("wandb.sdk.wandb_setup")
    return setup is not None and getattr(setup, "_singleton", None) is not None


def wandb_core_children() -> list[int]:
    """The pids of this process's children whose program is wandb-core (read from /proc; none elsewhere)."""
    proc, me, found = Path("/proc"), os.getpid(), []
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            program = (entry / "cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to read
        if ppid == me and os.path.basename(program).startswith("wandb-core"):
            found.append(int(entry.name))
    return found


def bounded_teardown(timeout: float = TEARDOWN_S) -> list[str]:
    """Tear the SDK down in at most about `timeout` seconds; -> the problems met (empty when it went cleanly)."""
    problems: list[str] = []

    def teardown() -> None:
        try:
            from wandb.sdk import wandb_setup

            wandb_setup.teardown()
        except BaseException as exc:  # SystemExit(status) when wandb-core died; nothing may escape a thread
            problems.append(f"wandb_setup.teardown() raised {exc!r}")

    thread = threading.Thread(target=teardown, name="wandb-teardown", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        problems.append(f"wandb_setup.teardown() was still waiting after {timeout:g} s")
    for pid in wandb_core_children():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        problems.append(f"killed a wandb-core left running (pid {pid})")
    thread.join(5)  # its wait on wandb-core returns once wandb-core is gone
    try:  # what teardown() does last, in case it never got there
        from wandb.sdk.lib import wbauth

        wbauth.unauthenticate_session(update_settings=False)
    except BaseException as exc:
        problems.append(f"clearing the session credentials raised {exc!r}")
    return problems


def restore_environ(saved: dict[str, str]) -> None:
    """Make `os.environ` equal to `saved` again (wandb writes WANDB_SERVICE and others into it directly)."""
    for name in set(os.environ) - set(saved):
        del os.environ[name]
    for name, value in saved.items():
        if os.environ.get(name) != value:
            os.environ[name] = value

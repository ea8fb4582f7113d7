"""Copying text to the user's clipboard from a terminal app: OSC 52 (Textual's `App.copy_to_clipboard`), which the
terminal carries out, so it works over SSH too. Inside tmux it reaches the outer terminal only with tmux's
`set-clipboard` on: `tmux_clipboard_off()` asks tmux (off the UI thread: it starts a process), and the notification
says what to do when it is off."""

from __future__ import annotations

import os
import subprocess

HOW = "sent with OSC 52: works over SSH, and in tmux with `set -g set-clipboard on`"


def tmux_clipboard_off() -> bool:
    """True when running inside tmux whose `set-clipboard` option is off (the copy stops at tmux)."""
    if not os.environ.get("TMUX"):
        return False
    try:
        out = subprocess.run(["tmux", "show-options", "-gv", "set-clipboard"], capture_output=True, text=True,
                             timeout=2, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.stdout.strip() == "off"


def copied_message(what: str, tmux_off: bool) -> tuple[str, str]:
    """(the notification's text, its severity) once `what` was handed to the terminal."""
    if tmux_off:
        return (f"Copied {what}, but tmux's set-clipboard is off, so it stops at tmux: run "
                "`tmux set -g set-clipboard on` and copy again", "warning")
    return f"Copied {what} ({HOW})", "information"

"""Calling `artifacts-tui` in-process the way a shell would: its exit status, usage errors included."""

from __future__ import annotations

from tui.cli import main


def cli(*args: str) -> int:
    try:
        return main(list(args))
    except SystemExit as exc:  # argparse's usage errors
        return exc.code

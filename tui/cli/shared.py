"""What the subcommands share: the store a command works on and printing user-supplied strings safely."""

from __future__ import annotations

import argparse
import os

import core
from core.errors import NotFoundError
from tui.safe import safe_str


def printable(value: object, multiline: bool = False) -> str:
    """Control characters (ESC, C1, bidi overrides) made visible, as the TUI shows them (`tui.safe`)."""
    return safe_str(value, multiline=multiline)


def open_cli_store(args: argparse.Namespace):
    """The store the command works on: a W&B server's with `--wandb` (files cached in the local store), else the
    embedded store at `--store`, else at the default home of `core.open_store`."""
    if args.store is not None and args.command not in (None, "run") and not os.path.exists(args.store):
        raise NotFoundError(f"no store at {args.store} (a typo? `run` creates one; the app opens an empty one)")
    local = core.open_store(args.store)
    if getattr(args, "wandb", None) is not None:
        from tui.cli.wandb_open import open_wandb_store  # the W&B backend and, on first use, the SDK: only for --wandb

        return open_wandb_store(args.wandb, local=local)
    return local

"""Subcommands of `artifacts-tui`, one module per group; each has `register(subparsers)`.

A handler is set with `parser.set_defaults(handler=fn)`; `fn(args) -> int` returns the exit status and raises
`core.ArtifactsError` subclasses for user errors (the CLI prints them as one line and exits 1).
"""

from tui.cli import store_cmds, lineage_cmd, run_cmd

COMMAND_MODULES = (store_cmds, lineage_cmd, run_cmd)

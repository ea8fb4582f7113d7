"""The `artifacts-tui` command: `main` is the entry point; one module per group of subcommands."""

from tui.cli.main import main

__all__ = ["main"]

"""The `artifacts-tui` command: no subcommand opens the app; subcommands call `core` and print.

It lives in `tui` (not `core`) because it opens the app, and `core` never imports `tui`. Each group of subcommands
lives in its own module of `tui/cli/` with a `register(subparsers)` function (listed in `commands.py`; what they
share is in `shared.py`); this module only builds the parser, turns user errors into one line on stderr with exit status 1, and opens the app.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence

from core.errors import ArtifactsError
from tui.cli.shared import open_cli_store, printable


def _options_parser(add_help: bool = True) -> argparse.ArgumentParser:
    """The options every command takes (and the app alone)."""
    parser = argparse.ArgumentParser(
        prog="artifacts-tui",
        description="Explore, tag and run W&B-style ML artifacts from the terminal (embedded store, works offline).",
        add_help=add_help,
        exit_on_error=add_help,
    )
    parser.add_argument(
        "--store",
        metavar="PATH",
        default=None,
        help="store directory (default: $ARTIFACTS_TUI_HOME, else $XDG_DATA_HOME/artifacts-tui, "
        "else ~/.local/share/artifacts-tui)",
    )
    parser.add_argument(
        "--wandb",
        metavar="ENTITY[/PROJECT]",
        default=None,
        help="open a W&B server's artifacts instead of the embedded store",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = _options_parser()
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    from tui.cli.commands import COMMAND_MODULES  # not for the app alone (see main)

    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # The app alone (no command, no -h) needs only the options: building every command's parser costs 30-40 ms
    # (`run` lists the pipeline's stages and datasets), which the first screen would otherwise wait for.
    try:
        args, rest = _options_parser(add_help=False).parse_known_args(argv)
    except argparse.ArgumentError:
        rest = ["(the whole parser says what is wrong)"]
    if rest:
        args = build_parser().parse_args(argv)
    else:
        args.command = None
    try:
        if args.command is None:
            return _open_app(args)
        return int(args.handler(args) or 0)
    except ArtifactsError as exc:  # names inside the message (U+202E, ESC from a file name) are shown, never obeyed
        print(f"artifacts-tui: error: {printable(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("artifacts-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `artifacts-tui ls | head`: the reader went away; that is not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:  # a download root that cannot be made, a full disk, ...: one line, not a traceback
        where = f": {exc.filename}" if exc.filename else ""
        print(printable(f"artifacts-tui: error: {exc.strerror or exc}{where}"), file=sys.stderr)
        return 1


def _open_app(args: argparse.Namespace) -> int:
    store = open_cli_store(args)
    from tui.app import ArtifactsApp  # Textual: only when the app opens, so subcommands start fast

    app = ArtifactsApp(store=store)
    # Everything imported so far (Textual, Rich, core: some 60k objects) lives as long as the process: set aside
    # from the collector, so its full collections during the first screen no longer walk them (a 30-100 ms stall).
    gc.freeze()
    app.run()
    return app.return_code or 0  # a crash inside the app must not look like a clean exit


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

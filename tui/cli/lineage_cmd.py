"""`artifacts-tui lineage PROJECT[/NAME:ALIAS]`: the lineage graph the TUI shows, printed as text.

A project alone gives the type level (one node per artifact type and run job type; `--explode` for one node per
version and run); a version gives the runs and versions within `--hops` steps up and down of it. The drawing fits
the terminal's width (or `--width N`): left to right when it can, top to bottom when it must. Every name is printed
through `tui.safe`, as the TUI shows it.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from core import names
from core.errors import NotFoundError
from tui.cli.shared import open_cli_store
from tui.safe import safe_str

MIN_WIDTH = 20


def _width(value: str) -> int:
    try:
        width = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of columns") from None
    if width < MIN_WIDTH:
        raise argparse.ArgumentTypeError(f"the width must be at least {MIN_WIDTH} columns")
    return width


def _hops(value: str) -> int:
    try:
        hops = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of steps") from None
    if hops < 0:
        raise argparse.ArgumentTypeError("hops cannot be negative")
    return hops


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "lineage",
        help="print the lineage graph of a project, or around one version",
        description="Print the graph of runs and artifacts: PROJECT for the whole project (type level unless "
        "--explode), PROJECT/NAME:ALIAS for the runs and versions around one version.",
    )
    parser.add_argument("target", metavar="PROJECT[/NAME:ALIAS]")
    parser.add_argument("--explode", action="store_true", help="one node per version and run instead of per type")
    parser.add_argument("--ascii", action="store_true", help="plain ASCII instead of box-drawing characters")
    parser.add_argument("--width", type=_width, metavar="N", help="fit in N columns (default: the terminal's width)")
    parser.add_argument("--hops", type=_hops, default=2, metavar="N",
                        help="around a version: how many steps up and down to show (default 2)")
    parser.set_defaults(handler=cmd_lineage)


def lineage_text(store, target: str, *, explode: bool = False, ascii: bool = False, width: int = 80,
                 hops: int = 2) -> str:
    """The drawing `artifacts-tui lineage` prints (also what tests compare)."""
    # Here, not at the top: every subcommand imports this module, and only this one needs the graph code.
    from core.lineage import draw, focus, view
    from core.lineage.build import build_graph, build_type_graph
    from core.lineage.graph import version_id

    project, _, ref = target.partition("/")
    names.check_project(project)
    if project not in store.projects():
        raise NotFoundError(f"no project {project!r} in {store.location} (see `artifacts-tui ls`)")
    if ref:
        version = store.artifact(target)
        graph = focus(view(build_graph(store, project), "version"),
                      version_id(version.project, version.name, version.index), up=hops, down=hops)
    elif explode:
        graph = view(build_graph(store, project), "version")
    else:  # counted by the store: no version is read
        graph = build_type_graph(store, project)
    if not graph.nodes:
        return f"No runs or artifacts in project {safe_str(project)} yet.\n"
    return draw(graph.map_labels(safe_str), width, ascii=ascii)


def cmd_lineage(args) -> int:
    store = open_cli_store(args)
    width = args.width or shutil.get_terminal_size((80, 24)).columns
    ascii = args.ascii or not _can_encode(sys.stdout, "─▶")
    sys.stdout.write(lineage_text(store, args.target, explode=args.explode, ascii=ascii, width=width,
                                  hops=args.hops))
    return 0


def _can_encode(stream, sample: str) -> bool:
    """Whether `stream` can take box-drawing characters (an ASCII-only locale cannot: fall back to --ascii)."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        sample.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True

"""`ls`, `show`, `alias add|rm`, `get`, `verify`, `gc`: the store from the shell, printed as plain text.

User-supplied strings are printed through `printable()` so a name holding escape sequences cannot drive the
terminal from `artifacts-tui ls` either.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from core import names
from core.errors import IntegrityError, NotFoundError, ValidationError
from tui.cli.shared import open_cli_store, printable
from tui.format import ago, human_size, utc_now  # one size and age format for the CLI and the TUI


def age(when: datetime, now: datetime | None = None) -> str:
    return ago(when, now or utc_now())


def _split_project_ref(ref: str):
    if "/" not in ref:
        raise ValidationError(f"{ref!r} should be PROJECT/NAME:ALIAS (for example artifacts-example/mnist-raw:latest)")
    return ref


def _store(args):
    return open_cli_store(args)


def cmd_ls(args) -> int:
    store = _store(args)
    out = sys.stdout
    if args.project is None:
        projects = store.projects()
        if not projects:
            print(f"no projects in {store.location}; start with: artifacts-tui run pipeline --dataset digits", file=out)
        for project in projects:
            count = len(store.collections(project))
            print(f"{printable(project)}  ({count} artifact{'s' if count != 1 else ''}, "
                  f"{(n := len(store.runs(project)))} run{'s' if n != 1 else ''})", file=out)
        return 0
    names.check_project(args.project)
    if args.project not in store.projects():
        raise NotFoundError(f"no project {args.project!r} in {store.location} (see `artifacts-tui ls`)")
    for col in store.collections(args.project):
        print(f"{printable(col.type)}/{printable(col.name)}  {col.version_count} version"
              f"{'s' if col.version_count != 1 else ''}", file=out)
        shown = col.version_count if args.all else min(col.version_count, max(0, args.newest))
        older = col.version_count - shown
        if older:  # as `git log` pages: the newest few, oldest of them first; one page read, however big
            print(f"  … {older} older version{'s' if older != 1 else ''} (--all lists every one)", file=out)
        for v in store.versions(args.project, col.name, offset=older, limit=shown):
            aliases = ", ".join(printable(a) for a in v.aliases)
            print(f"  {v.version:<6} {human_size(v.size):>10}  {age(v.created_at):>9}  {aliases}", file=out)
    return 0


def cmd_show(args) -> int:
    store = _store(args)
    v = store.artifact(_split_project_ref(args.ref))
    if args.json:
        print(json.dumps({
            "project": v.project, "name": v.name, "type": v.type, "version": v.version, "aliases": v.aliases,
            "digest": v.digest, "size": v.size, "created_at": v.created_at.isoformat(), "metadata": v.metadata,
            "description": v.description, "files": [f.__dict__ for f in v.files()],
            "logged_by": (r.id if (r := v.logged_by()) else None), "used_by": [r.id for r in v.used_by()],
        }, indent=2))
        return 0
    producer = v.logged_by()
    lines = [
        f"{printable(v.project)}/{printable(v.qualified_name)}  ({printable(v.type)})",
        f"  aliases:     {', '.join(printable(a) for a in v.aliases) or '-'}",
        f"  digest:      {v.digest}",
        f"  size:        {human_size(v.size)} in {v.file_count} file{'s' if v.file_count != 1 else ''}",
        f"  created:     {v.created_at:%Y-%m-%d %H:%M:%S} UTC ({age(v.created_at)})",
        f"  description: {printable(v.description or '-')}",
        f"  logged by:   {printable(f'{producer.job_type}:{producer.name} ({producer.id})') if producer else '-'}",
        f"  used by:     {', '.join(printable(f'{r.job_type}:{r.name}') for r in v.used_by()) or '-'}",
        "  metadata:    " + (printable(json.dumps(v.metadata, indent=2), multiline=True).replace("\n", "\n               ")
                             if v.metadata else "-"),
        "  files:",
    ]
    lines += [f"    {printable(f.path)}  {human_size(f.size)}  {f.digest}" for f in v.files()]
    print("\n".join(lines))
    return 0


def cmd_alias(args) -> int:
    store = _store(args)
    v = store.artifact(_split_project_ref(args.ref))
    if args.action == "add":
        names.check_alias(args.alias)
        before = store.alias_holder(v.project, v.name, args.alias) if not names.is_version_alias(args.alias) else None
        store.add_alias(v, args.alias)
        moved = f" (moved from {before.version})" if before is not None and before.id != v.id else ""
        print(f"{printable(args.alias)} -> {printable(v.full_name)}{moved}")
    else:
        store.remove_alias(v, args.alias)
        print(f"removed {printable(args.alias)} from {printable(v.full_name)}")
    return 0


def cmd_get(args) -> int:
    store = _store(args)
    v = store.artifact(_split_project_ref(args.ref))
    path = v.download(args.root)
    print(path)
    return 0


def cmd_verify(args) -> int:
    store = _store(args)
    problems = store.verify(args.project)
    for p in problems:
        print(printable(str(p)))
    if problems:
        print(f"artifacts-tui: {len(problems)} problem{'s' if len(problems) != 1 else ''} found", file=sys.stderr)
        return 1
    print("every blob re-hashes to its digest")
    return 0


def cmd_gc(args) -> int:
    store = _store(args)
    freed = store.gc()
    for path in getattr(freed, "skipped", ()):
        print(f"artifacts-tui: skipped {printable(path)} (not a blob or a temp file; remove it by hand if unwanted)",
              file=sys.stderr)
    print(f"freed {human_size(freed)}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ls", help="list projects, or a project's artifacts with versions and aliases")
    p.add_argument("project", nargs="?", help="project to list (default: all projects)")
    p.add_argument("--all", action="store_true", help="every version of each artifact (default: the newest few)")
    p.add_argument("-n", "--newest", type=int, default=10, metavar="N",
                   help="how many of the newest versions to list per artifact (default 10)")
    p.set_defaults(handler=cmd_ls)

    p = subparsers.add_parser("show", help="one version: aliases, digest, size, metadata, files, lineage")
    p.add_argument("ref", metavar="PROJECT/NAME:ALIAS")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=cmd_show)

    p = subparsers.add_parser("alias", help="add or remove an alias (adding moves it within the collection)")
    p.add_argument("action", choices=["add", "rm"])
    p.add_argument("ref", metavar="PROJECT/NAME:VERSION")
    p.add_argument("alias")
    p.set_defaults(handler=cmd_alias)

    p = subparsers.add_parser("get", help="download a version's files (default ./artifacts/NAME:vN)")
    p.add_argument("ref", metavar="PROJECT/NAME:ALIAS")
    p.add_argument("--root", metavar="DIR", default=None, help="directory to download into")
    p.set_defaults(handler=cmd_get)

    p = subparsers.add_parser("verify", help="re-hash every blob; report missing or corrupt files by version")
    p.add_argument("project", nargs="?")
    p.set_defaults(handler=cmd_verify)

    p = subparsers.add_parser("gc", help="delete blobs no version references and dead writers' temp files")
    p.set_defaults(handler=cmd_gc)


__all__ = ["register", "human_size", "age", "printable", "IntegrityError"]

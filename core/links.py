"""Links: a committed version linked into another collection, as W&B's `run.link_artifact(art, "project/name")`,
`artifact.link(...)` and registries (`wandb-registry-model/name`) have them, kept offline in the store.

A link collection numbers its links v0, v1, ... in link order; "latest" names the newest link and the other aliases
are the link's own (an alias names one link per collection, as in a logged collection). A link holds no files of
its own: its files, digest and lineage are the linked version's. Linking a version again adds the aliases to its
link. The functions here are what `Store.link_version`, `Store.links`, ... call; each write is one transaction.
"""

from __future__ import annotations

import json
import time

from core import names
from core.errors import NotFoundError, ValidationError
from core.values import Collection, Link, utc

_LINK_SELECT = """
SELECT l.id, l.version_id, l.collection, l.idx, l.aliases, l.created_at, p.name AS pname,
       (SELECT max(m.idx) FROM links m WHERE m.project_id = l.project_id AND m.collection = l.collection) AS newest
FROM links l JOIN projects p ON p.id = l.project_id
"""


def _link(store, row) -> Link:
    aliases = sorted(json.loads(row["aliases"]))
    if row["idx"] == row["newest"]:
        aliases = ["latest", *aliases]
    return Link(project=row["pname"], collection=row["collection"], index=row["idx"], aliases=aliases,
                version=store.version_by_id(row["version_id"]), created_at=utc(row["created_at"]), id=row["id"])


def _wanted_aliases(aliases) -> list[str]:
    if isinstance(aliases, str):
        aliases = [aliases]
    return [names.check_alias(a) for a in dict.fromkeys(aliases or ()) if a != "latest"]


def link_version(store, version, project: str, collection: str, aliases=(), run_pk: int | None = None) -> Link:
    from core.writes import ensure_project  # core.writes imports core.store, which imports this lazily

    names.check_project(project)
    names.check_artifact_name(collection)
    wanted = _wanted_aliases(aliases)
    with store.db.write() as conn:
        pid = ensure_project(conn, project)
        if conn.execute("SELECT 1 FROM collections WHERE project_id = ? AND name = ?", (pid, collection)).fetchone():
            raise ValidationError(f"{project}/{collection} holds logged versions of its own; link into another "
                                  "collection name")
        held = conn.execute(
            "SELECT c.type FROM links l JOIN versions v ON v.id = l.version_id JOIN collections c "
            "ON c.id = v.collection_id WHERE l.project_id = ? AND l.collection = ? LIMIT 1",
            (pid, collection)).fetchone()
        if held is not None and held["type"] != version.type:
            raise ValidationError(f"{project}/{collection} links versions of type {held['type']!r}; "
                                  f"{version.full_name} is a {version.type!r}")
        row = conn.execute("SELECT id, aliases FROM links WHERE project_id = ? AND collection = ? AND version_id = ?",
                           (pid, collection, version.id)).fetchone()
        if row is None:
            idx = conn.execute("SELECT coalesce(max(idx) + 1, 0) FROM links WHERE project_id = ? AND collection = ?",
                               (pid, collection)).fetchone()[0]
            lid = conn.execute(
                "INSERT INTO links (version_id, project_id, collection, idx, aliases, run_pk, created_at) "
                "VALUES (?, ?, ?, ?, '[]', ?, ?)", (version.id, pid, collection, idx, run_pk, time.time())).lastrowid
            own: list[str] = []
        else:
            lid, own = row["id"], json.loads(row["aliases"])
        if wanted:
            for other in conn.execute("SELECT id, aliases FROM links WHERE project_id = ? AND collection = ? AND "
                                      "id != ?", (pid, collection, lid)).fetchall():
                kept = [a for a in json.loads(other["aliases"]) if a not in wanted]
                if len(kept) != len(json.loads(other["aliases"])):
                    conn.execute("UPDATE links SET aliases = ? WHERE id = ?", (json.dumps(kept), other["id"]))
            own = list(dict.fromkeys([*own, *wanted]))
            conn.execute("UPDATE links SET aliases = ? WHERE id = ?", (json.dumps(own), lid))
    return _by_id(store, lid)


def _by_id(store, lid: int) -> Link:
    row = store.db.read_one(_LINK_SELECT + " WHERE l.id = ?", (lid,))
    if row is None:
        raise NotFoundError(f"link {lid} no longer exists")
    return _link(store, row)


def unlink(store, link: Link) -> None:
    with store.db.write() as conn:
        if conn.execute("DELETE FROM links WHERE id = ?", (link.id,)).rowcount == 0:
            raise NotFoundError(f"{link.full_name} is not linked (any more)")


def set_link_aliases(store, link: Link, aliases) -> Link:
    """Make `aliases` (less "latest") the link's own, moving each off the collection's other links."""
    wanted = _wanted_aliases(aliases)
    with store.db.write() as conn:
        row = conn.execute("SELECT project_id, collection FROM links WHERE id = ?", (link.id,)).fetchone()
        if row is None:
            raise NotFoundError(f"{link.full_name} is not linked (any more)")
        for other in conn.execute("SELECT id, aliases FROM links WHERE project_id = ? AND collection = ? AND id != ?",
                                  (row["project_id"], row["collection"], link.id)).fetchall():
            kept = [a for a in json.loads(other["aliases"]) if a not in wanted]
            conn.execute("UPDATE links SET aliases = ? WHERE id = ?", (json.dumps(kept), other["id"]))
        conn.execute("UPDATE links SET aliases = ? WHERE id = ?", (json.dumps(wanted), link.id))
    return _by_id(store, link.id)


def version_links(store, version) -> list[Link]:
    rows = store.db.read(_LINK_SELECT + " WHERE l.version_id = ? ORDER BY l.created_at, l.id", (version.id,))
    return [_link(store, r) for r in rows]


def collection_links(store, project: str, collection: str) -> list[Link]:
    names.check_project(project)
    rows = store.db.read(_LINK_SELECT + " WHERE p.name = ? AND l.collection = ? ORDER BY l.idx",
                         (project, collection))
    return [_link(store, r) for r in rows]


def resolve(store, ref: str, project: str | None = None) -> Link:
    project, collection, alias = names.parse_ref(ref, project)
    links = collection_links(store, project, collection)
    if not links:
        raise NotFoundError(f"nothing is linked at {project}/{collection}")
    for link in links:
        if (names.is_version_alias(alias) and link.index == int(alias[1:])) or alias in link.aliases:
            return link
    raise NotFoundError(f"no link of {project}/{collection} is {alias!r}")


def link_collections(store, project: str) -> list[Collection]:
    names.check_project(project)
    rows = store.db.read(
        "SELECT l.collection, min(c.type) AS type, count(*) AS n FROM links l JOIN projects p ON p.id = l.project_id "
        "JOIN versions v ON v.id = l.version_id JOIN collections c ON c.id = v.collection_id WHERE p.name = ? "
        "GROUP BY l.collection ORDER BY l.collection", (project,))
    return [Collection(project, r["collection"], r["type"], r["n"]) for r in rows]

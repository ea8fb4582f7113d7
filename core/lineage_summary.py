"""The local store's lineage in aggregate (`Store.lineage_summary`): version classes and edge groups counted in SQL.

The type-level lineage draws about ten nodes whatever the store holds; reading every version to collapse them (a
million `ArtifactVersion`s, 1.5 GB) is what made it take minutes. Here each version's edges (to runs of the
project) are folded into a signature inside SQLite, versions are grouped by (collection, signature), and only the
groups come back: one pass over the project's edges and versions through their indexes, no row per version.
"""

from __future__ import annotations

from core.values import LineageSummary, VersionClass, utc

# Per version, its edges to this project's runs as "i<run pk>" / "o<run pk>", in the order of edges_by_version.
_SIGNATURE = """(SELECT group_concat(substr(e.direction, 1, 1) || e.run_pk, ' ') FROM edges e INDEXED BY edges_by_version
    WHERE e.version_id = v.id AND e.run_pk IN (SELECT id FROM runs WHERE project_id = :pid))"""
# One pass over the project's versions (covering index) with one index lookup each; only the groups come back.
_OWN_CLASSES = f"""
SELECT cid, s, count(*) AS n, min(idx) AS lo, max(idx) AS hi
FROM (SELECT v.collection_id AS cid, v.idx AS idx, {_SIGNATURE} AS s
      FROM versions v INDEXED BY sqlite_autoindex_versions_1
      WHERE v.collection_id IN (SELECT id FROM collections WHERE project_id = :pid))
GROUP BY cid, s
"""
_EDGE_COUNT = "SELECT count(*) AS n FROM edges WHERE run_pk IN (SELECT id FROM runs WHERE project_id = :pid)"
# Versions of other projects this project's runs used (or re-logged): asked only when the own classes do not
# account for every edge of the project's runs.
_FOREIGN_CLASSES = f"""
SELECT cid, s, count(*) AS n, min(idx) AS lo, max(idx) AS hi FROM (
    SELECT v.collection_id AS cid, v.idx AS idx, {_SIGNATURE} AS s FROM versions v
    WHERE v.id IN (SELECT version_id FROM edges WHERE run_pk IN (SELECT id FROM runs WHERE project_id = :pid))
      AND v.collection_id NOT IN (SELECT id FROM collections WHERE project_id = :pid))
GROUP BY cid, s
"""
# The first edge between a run and a collection in one direction (edges_by_run walks them oldest first).
_FIRST_EDGE = """
SELECT e.created_at AS at, v.idx AS idx FROM edges e INDEXED BY edges_by_run JOIN versions v ON v.id = e.version_id
WHERE e.run_pk = ? AND e.direction = ? AND v.collection_id = ? ORDER BY e.created_at, v.idx LIMIT 1
"""
_STAMP = "SELECT created_at FROM versions WHERE collection_id = ? AND idx = ?"


def lineage_summary(db, pid: int | None) -> LineageSummary:
    """The summary of project `pid` (None: a project the store does not hold, whose summary is empty)."""
    if pid is None:
        return LineageSummary((), ())
    args = {"pid": pid}
    runs = {r["id"]: r["run_id"] for r in db.read("SELECT id, run_id FROM runs WHERE project_id = ?", (pid,))}
    rows = [(r, False) for r in db.read(_OWN_CLASSES, args)]
    if sum(r["n"] * len((r["s"] or "").split()) for r, _ in rows) != db.read_one(_EDGE_COUNT, args)["n"]:
        rows += [(r, True) for r in db.read(_FOREIGN_CLASSES, args)]
    collections = _collections(db, {r["cid"] for r, _ in rows})

    merged: dict[tuple, list[int]] = {}  # one edge set spelled two ways comes back as two groups: merge them
    for r, foreign in rows:
        marks = (r["s"] or "").split()
        logged = tuple(sorted({runs[int(m[1:])] for m in marks if m[0] == "o"}))
        used = tuple(sorted({runs[int(m[1:])] for m in marks if m[0] == "i"}))
        key = (r["cid"], logged, used, foreign)
        old = merged.get(key)
        merged[key] = ([r["n"], r["lo"], r["hi"]] if old is None else
                       [old[0] + r["n"], min(old[1], r["lo"]), max(old[2], r["hi"])])
    classes = []
    for (cid, logged, used, foreign), (n, lo, hi) in merged.items():
        project, name, type_ = collections[cid]
        first = last = None
        if not foreign:
            first = utc(db.read_one(_STAMP, (cid, lo))["created_at"])
            last = utc(db.read_one(_STAMP, (cid, hi))["created_at"])
        classes.append(VersionClass(project, name, type_, n, lo, hi, first, last, logged, used, foreign))
    classes.sort(key=class_order)

    pks = {run_id: pk for pk, run_id in runs.items()}
    groups = {(run, cid, "output") for (cid, logged, _, _) in merged for run in logged}
    groups |= {(run, cid, "input") for (cid, _, used, _) in merged for run in used}
    ordered = []
    for run, cid, direction in groups:
        first_edge = db.read_one(_FIRST_EDGE, (pks[run], direction, cid))
        ordered.append(((first_edge["at"], pks[run], direction, collections[cid][1], first_edge["idx"]),
                        (run, *collections[cid][:2], direction)))
    ordered.sort()
    return LineageSummary(tuple(classes), tuple(group for _, group in ordered))


def _collections(db, cids: set[int]) -> dict[int, tuple[str, str, str]]:
    """(project, name, type) of each collection id."""
    found = {}
    ids = sorted(cids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = db.read("SELECT c.id, c.name, c.type, p.name AS pname FROM collections c JOIN projects p ON "
                       f"p.id = c.project_id WHERE c.id IN ({','.join('?' * len(chunk))})", tuple(chunk))
        found.update({r["id"]: (r["pname"], r["name"], r["type"]) for r in rows})
    return found


def class_order(c: VersionClass) -> tuple:
    """How a summary lists its classes (every store the same way)."""
    return (c.foreign, c.project, c.name, c.oldest)

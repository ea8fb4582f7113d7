"""A damaged store database is never mistaken for an empty store: gc refuses and deletes nothing, verify fails
loudly, and every CLI command says what is wrong in one line (exit 1) instead of a traceback."""

from __future__ import annotations

import os
import sqlite3

import pytest

import core
from tests.helpers.store import write_tree
from tui.cli import main as cli

PAGE = 4096


@pytest.fixture
def logged(tmp_path):
    store = core.open_store(tmp_path / "store")
    files = write_tree(tmp_path / "files", {f"f{i}.txt": f"content {i}" * 50 for i in range(8)})
    with core.init(project="p", store=store) as run:
        art = core.Artifact("data", type="dataset", description="x" * 20000)  # a few pages of rows
        art.add_dir(files)
        run.log_artifact(art)
    store.db.close()
    return store.root


def blobs(root) -> int:
    return sum(len(files) for _dir, _subdirs, files in os.walk(root / "objects"))


def checkpoint(root) -> None:
    """Fold the WAL into store.db, so that damage done to the file is what SQLite reads."""
    conn = sqlite3.connect(root / "store.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        if os.path.exists(f"{root}/store.db{suffix}"):
            os.unlink(f"{root}/store.db{suffix}")


def empty(db):
    db.write_bytes(b"")


def missing(db):
    db.unlink()


def garbage(db):
    db.write_bytes(os.urandom(db.stat().st_size))


def zeroed_header(db):
    data = bytearray(db.read_bytes())
    data[:100] = bytes(100)
    db.write_bytes(bytes(data))


def truncated(db):
    with open(db, "r+b") as handle:
        handle.truncate(PAGE * 2)


def flipped_pages(db):
    data = bytearray(db.read_bytes())
    for page in range(1, len(data) // PAGE):
        for offset in range(0, 64):  # the b-tree page headers and first cell pointers of every page but the first
            data[page * PAGE + offset] ^= 0xA5
    db.write_bytes(bytes(data))


def foreign_schema(db):
    db.unlink()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.commit()
    conn.close()


DAMAGE = [empty, missing, garbage, zeroed_header, truncated, flipped_pages, foreign_schema]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__)
def test_gc_refuses_and_keeps_every_blob(logged, damage, capsys):
    checkpoint(logged)
    before = blobs(logged)
    assert before == 8
    damage(logged / "store.db")
    assert cli(["--store", str(logged), "gc"]) == 1
    err = capsys.readouterr().err
    assert "store.db" in err and "backup" in err and "Traceback" not in err and err.count("\n") == 1
    assert blobs(logged) == before
    with pytest.raises(core.StoreDamagedError, match="store.db"):
        core.open_store(logged).gc()
    assert blobs(logged) == before


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("command", [[], ["ls"], ["ls", "p"], ["show", "p/data:latest"], ["verify"], ["lineage", "p"],
                                     ["alias", "add", "p/data:v0", "best"], ["get", "p/data:v0", "--root", "out"]],
                         ids=lambda c: c[0] if c else "tui")
def test_every_command_says_what_is_wrong_in_one_line(logged, damage, command, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    checkpoint(logged)
    damage(logged / "store.db")
    assert cli(["--store", str(logged), *command]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("artifacts-tui: error: ") and captured.err.count("\n") == 1
    assert "store.db" in captured.err
    assert not (tmp_path / "out").exists()  # nothing handed out from a store that cannot be read


def test_gc_refuses_when_the_database_is_emptied_under_an_open_store(logged):
    store = core.open_store(logged)
    assert store.projects() == ["p"]
    checkpoint(logged)
    (logged / "store.db").write_bytes(b"")
    with pytest.raises(core.StoreDamagedError):
        store.gc()
    assert blobs(logged) == 8


def test_verify_checks_the_database_itself(logged):
    store = core.open_store(logged)
    assert store.verify() == []
    store.db.close()
    checkpoint(logged)
    flipped_pages(logged / "store.db")
    with pytest.raises(core.StoreDamagedError, match="store.db"):
        core.open_store(logged).verify()


def test_a_new_store_still_opens_where_nothing_was(tmp_path):
    store = core.open_store(tmp_path / "fresh")
    assert store.projects() == [] and store.gc() == 0


def test_stray_files_are_skipped_and_named_never_fatal(logged, capsys):
    (logged / "objects" / ".DS_Store").write_bytes(b"junk")
    alg_dir = next(p for p in (logged / "objects").iterdir() if p.is_dir())
    (alg_dir / ".DS_Store").write_bytes(b"junk")
    fan_out = next(p for p in alg_dir.iterdir() if p.is_dir())
    (fan_out / ("0" * 30)).mkdir()  # a directory where a blob would be
    (logged / "tmp" / "a-directory").mkdir()
    assert cli(["--store", str(logged), "gc"]) == 0
    err = capsys.readouterr().err
    assert err.count("artifacts-tui: skipped ") == 4 and ".DS_Store" in err and "a-directory" in err
    assert blobs(logged) == 8 + 2  # the committed blobs and the two stray files, all kept
    assert core.open_store(logged).verify() == []


def test_a_blob_replaced_by_a_directory_is_reported_not_raised(logged):
    store = core.open_store(logged)
    version = store.artifact("p/data:v0")
    entry = version.files()[0]
    blob = store.blobs.path(version.alg, entry.digest)
    blob.unlink()
    blob.mkdir()
    (problem,) = store.verify()
    assert problem.kind == "corrupt" and problem.path == entry.path
    with pytest.raises(core.IntegrityError, match=entry.path):
        version.verify()


def test_the_wal_removed_under_an_open_reader_is_one_line_and_gc_keeps_every_blob(tmp_path, capsys):
    """Commits that live only in the WAL are gone with it: an open store, a fresh process's commands and gc all
    say so in one line (or keep reading what they had); no blob is deleted."""
    store = core.open_store(tmp_path / "store")
    files = write_tree(tmp_path / "files", {f"f{i}.txt": f"content {i}" for i in range(4)})
    with core.init(project="p", store=store) as run:
        art = core.Artifact("data", type="dataset")
        art.add_dir(files)
        run.log_artifact(art)
    assert store.projects() == ["p"]   # a reader stays open
    for suffix in ("-wal", "-shm"):
        (store.root / f"store.db{suffix}").unlink()
    for command in (["ls", "p"], ["verify"], ["gc"]):
        assert cli(["--store", str(store.root), *command]) == 1, command
        err = capsys.readouterr().err
        assert err.startswith("artifacts-tui: error: ") and err.count("\n") == 1 and "store.db" in err, err
    with pytest.raises(core.StoreDamagedError):
        core.open_store(store.root).gc()
    assert blobs(store.root) == 4

"""A full disk at the database: every write path raises StoreFullError (one line from the CLI), the store stays
intact and readable, and it works again once space is freed. Run on a small tmpfs (needs root to mount one)."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

import core
from tests.helpers.store import write_tree
from tui.cli import main as cli


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    mount = tmp_path / f"tmpfs-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True,
                          timeout=30)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=30)


def fill(directory) -> str:
    """Fill the file system to its last byte; -> the filler's path (delete it to free the space)."""
    path = os.path.join(directory, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (65536, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return path


def test_every_database_write_on_a_full_disk_is_store_full_and_the_store_survives(small_disk, capsys):
    store = core.open_store(small_disk / "store")
    src = write_tree(small_disk / "src", {"f.txt": "content"})
    with core.init(project="p", store=store) as run:
        art = core.Artifact("data", type="dataset")
        art.add_file(src / "f.txt")
        version = run.log_artifact(art)
    assert store.projects() == ["p"]  # the connection (and its shared memory) is open before the disk fills
    filler = fill(small_disk)
    writes = {
        "init": lambda: core.init(project="p", store=store, config={"pad": "x" * 200_000}),
        "add_alias": lambda: [store.add_alias(version, f"a{i}-" + "x" * 100) for i in range(5000)],
    }
    for what, write in writes.items():
        with pytest.raises(core.StoreFullError, match="full"):
            write()
    assert cli(["--store", str(store.root), "alias", "add", "p/data:v0", "x" * 120]) == 1  # a fresh process
    err = capsys.readouterr().err
    assert "full" in err and "Traceback" not in err and err.count("\n") == 1
    os.unlink(filler)
    assert store.verify() == [] and [v.version for v in store.versions("p", "data")] == ["v0"]
    store.add_alias(version, "after")
    assert "after" in store.artifact("p/data:v0").aliases

"""Crashes and full disks while logging: a writer killed at random points, or refused by the disk, never leaves a
version pointing at a missing blob, never harms earlier versions, and leaves only temp files `gc` reclaims."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import core
import core.blobs
from tests.helpers.store import finish_worker, start_worker, store_snapshot, write_tree

KILLS = 20
BIG = 12 * 1024 * 1024        # one file through the two-thread copy
MEDIUM = 1024 * 1024          # eight files through the one-go copy
COMMITTED_TABLES = ("collections", "versions", "files", "aliases", "edges", "checksum_cache")


def committed_state(store) -> dict:
    snap = store_snapshot(store)
    return {key: snap[key] for key in (*COMMITTED_TABLES, "files")}


def make_data(root):
    rng = random.Random(7)
    files = {"big.bin": rng.randbytes(BIG)}
    files |= {f"medium/{i}.bin": rng.randbytes(MEDIUM) for i in range(8)}
    files |= {f"small/{i:02d}.txt": f"small file {i}" for i in range(40)}
    return write_tree(root, files)


def touch_content(data, iteration: int) -> None:
    """Change the first bytes of every large file, so each writer has ~20 MB of new blobs to copy."""
    for path in [data / "big.bin", *sorted((data / "medium").iterdir())]:
        with open(path, "r+b") as handle:
            handle.write(f"iteration {iteration:04d} ".encode())


@pytest.mark.slow
def test_sigkill_at_random_points_never_corrupts_the_store(store, tmp_path):
    data = make_data(tmp_path / "data")
    with core.init(project="p", store=store) as run:
        first = core.Artifact("big", type="dataset")
        first.add_dir(data)
        v0 = run.log_artifact(first)
    v0_files = {f.path: f.digest for f in v0.files()}
    rng = random.Random(2024)

    # calibrate: one writer left to finish shows how long logging takes after it says "ready"
    touch_content(data, 0)
    proc = start_worker("log-dir", store.root, "p", data, "calibration")
    assert proc.stdout.readline().strip() == "ready"
    started = time.monotonic()
    assert finish_worker(proc).startswith("logged")
    log_time = time.monotonic() - started

    killed = 0
    for i in range(1, KILLS + 1):
        touch_content(data, i)
        proc = start_worker("log-dir", store.root, "p", data, f"attempt {i}")
        assert proc.stdout.readline().strip() == "ready"
        started = time.monotonic()
        try:
            proc.wait(timeout=rng.uniform(0, log_time * 1.2))  # the kill lands anywhere in the logging
            # it finished first: the machine got faster than at calibration (a busy CI box), so aim earlier
            log_time = min(log_time, time.monotonic() - started)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed += 1
        proc.stdout.close()
        proc.stdin.close()
        proc.stderr.close()
    assert killed >= KILLS // 4

    versions = store.versions("p", "big")
    assert [v.index for v in versions] == list(range(len(versions)))  # no gap, whatever was killed where
    assert store.verify() == []  # every committed version re-hashes, no blob missing
    assert all(state.blob == "ok" for v in versions for state in v.file_states())
    assert {f.path: f.digest for f in store.artifact("p/big:v0").files()} == v0_files
    out = store.artifact("p/big:v0").download(tmp_path / "v0")
    assert hashlib.md5((out / "small/03.txt").read_bytes()).hexdigest() == hashlib.md5(b"small file 3").hexdigest()
    assert (out / "big.bin").stat().st_size == BIG
    states = [r.state for r in store.runs("p")]  # a kill can land after finish(), so some killed runs finished
    assert set(states) == {"crashed", "finished"} and states.count("crashed") <= killed

    assert store.gc() > 0  # kills mid-copy left temp files (or blobs no version got to reference)
    assert list(store.blobs.tmp.iterdir()) == []  # the dead writers' temp files are reclaimed
    referenced = {(v.alg, f.digest) for v in store.versions("p", "big") for f in v.files()}
    assert {(alg, digest) for alg, digest, _ in store.blobs.iter_blobs()} == referenced
    assert store.verify() == []


def failing_write(after_bytes: int, err: int):
    """A stand-in for os.write that fails like a full disk once `after_bytes` have been written."""
    written = 0
    real = os.write

    def write(fd, data):
        nonlocal written
        if written + len(data) > after_bytes:
            raise OSError(err, os.strerror(err))
        written += len(data)
        return real(fd, data)

    return write


@pytest.mark.parametrize("size", [300_000, 5 * 1024 * 1024 + 123], ids=["small-file", "big-file"])
@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_leaves_nothing_behind(store, tmp_path, monkeypatch, size, err):
    files = write_tree(tmp_path / "files", {"first.txt": "fits", "large.bin": os.urandom(size)})
    with core.init(project="p", store=store) as run:
        art = core.Artifact("data", type="dataset")
        art.add_file(files / "first.txt")
        run.log_artifact(art)
        run.flush()
        before = store_snapshot(store)

        monkeypatch.setattr(core.blobs, "_write", failing_write(size // 2, err))
        art = core.Artifact("data", type="dataset")
        art.add_dir(files)
        with pytest.raises(core.StoreFullError, match=os.strerror(err)) as caught:
            run.log_artifact(art)
        assert isinstance(caught.value, core.ArtifactsError)
        assert "large.bin" in str(caught.value) and "nothing was logged" in str(caught.value)
        assert store_snapshot(store) == before
        assert list(store.blobs.tmp.iterdir()) == []

        monkeypatch.undo()  # space again: the same artifact logs fine
        art = core.Artifact("data", type="dataset")
        art.add_dir(files)
        assert run.log_artifact(art).version == "v1"
    assert store.verify() == []


@pytest.mark.parametrize("size, limit", [(600_000, 300_000), (3 * 1024 * 1024, 1024 * 1024)],
                         ids=["small-file", "big-file"])
def test_a_real_file_size_limit_gives_a_clear_error(store, tmp_path, size, limit):
    source = tmp_path / "large.bin"
    source.write_bytes(os.urandom(size))
    with core.init(project="p", store=store):
        pass  # the project exists; the worker adds a run of its own
    before = committed_state(store)

    proc = start_worker("file-too-big", store.root, source, limit)
    result = json.loads(finish_worker(proc))

    assert result["error"] == "StoreFullError"
    assert os.strerror(errno.EFBIG) in result["message"] and "large.bin" in result["message"]
    assert committed_state(store) == before
    assert list(store.blobs.tmp.iterdir()) == []


def test_new_file_of_a_killed_writer_is_staged_in_the_store_and_reclaimed_by_gc(store, tmp_path):
    """A writer killed between `new_file` and logging leaves nothing in $TMPDIR: its staging directory is in the
    store's tmp/, gc leaves it alone while the writer lives and removes it once it is gone."""
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    code = (
        "import os, sys, core\n"
        "store = core.open_store(sys.argv[1])\n"
        "art = core.Artifact('notes', 'text')\n"
        "with art.new_file('a.txt', mode='w') as f:\n"
        "    f.write('x' * 5000)\n"
        "print(art.sources()['a.txt'].parent, flush=True)\n"
        "sys.stdin.readline()\n"   # the test kills it here, before it logs
    )
    env = dict(os.environ, TMPDIR=str(system_tmp))
    child = subprocess.Popen([sys.executable, "-c", code, str(store.root)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env)
    try:
        staged = Path(child.stdout.readline().strip())
        assert staged.parent == store.root / "tmp" and (staged / "a.txt").stat().st_size == 5000
        assert store.gc() == 0 and staged.exists()     # its writer is alive: not a leftover yet
    finally:
        child.kill()
        child.wait(timeout=10)
    assert store.gc() == 5000
    assert not staged.exists()
    assert list(system_tmp.iterdir()) == []

"""Work not done twice: re-logging unchanged files reads none of them (the checksum cache), a second download
copies nothing, and `gc` reclaims only what no version and no live writer holds."""

from __future__ import annotations

import os

import pytest

import core
import core.blobs
import core.download
import core.hashing
from tests.helpers.store import finish_worker, start_worker, write_tree


@pytest.fixture
def reads(monkeypatch):
    """Counts of file reads: blob copies (hash while copying), plain hashes, and download copies."""
    counts = {"copy_in": 0, "hash_file": 0, "download_copy": 0}

    def counting(key, real):
        def wrapper(*args, **kwargs):
            counts[key] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(core.blobs.BlobStore, "copy_in", counting("copy_in", core.blobs.BlobStore.copy_in))
    monkeypatch.setattr(core.hashing, "hash_file", counting("hash_file", core.hashing.hash_file))
    monkeypatch.setattr(core.download, "_copy_verified", counting("download_copy", core.download._copy_verified))
    monkeypatch.setattr(core.download, "_reflink", lambda src, fd: False)  # the same on every filesystem
    return counts


@pytest.fixture
def files(tmp_path):
    return write_tree(tmp_path / "files", {f"part-{i}.bin": os.urandom(2048) for i in range(5)})


def log_dir(store, files, name="data"):
    with core.init(project="p", store=store) as run:
        art = core.Artifact(name, type="dataset")
        art.add_dir(files)
        return run.log_artifact(art)


def test_relogging_unchanged_files_reads_none_of_them(store, files, reads):
    first = log_dir(store, files)
    assert reads["copy_in"] == 5
    again = log_dir(store, files)
    assert again == first and reads == {"copy_in": 5, "hash_file": 0, "download_copy": 0}


def test_the_cache_outlives_the_process(store, files, reads):
    log_dir(store, files)
    core.hashing.PROCESS_CACHE._entries.clear()  # what a new process starts with: only the store's copy
    log_dir(store, files)
    assert reads["copy_in"] == 5 and reads["hash_file"] == 0


def test_a_changed_file_is_the_only_one_read_again(store, files, reads):
    first = log_dir(store, files)
    (files / "part-2.bin").write_bytes(os.urandom(2048))
    second = log_dir(store, files)
    assert second.version == "v1" and reads["copy_in"] == 6
    assert [f.path for f in second.files() if f not in first.files()] == ["part-2.bin"]


def test_a_second_download_copies_nothing(store, files, reads, tmp_path):
    version = log_dir(store, files)
    root = version.download(tmp_path / "out")
    assert reads["download_copy"] == 5
    version.download(root)
    assert reads["download_copy"] == 5 and reads["hash_file"] == 0

    (root / "part-1.bin").write_bytes(b"\x00" * 2048)  # same size, other bytes
    (root / "part-3.bin").unlink()
    version.download(root)
    assert reads["download_copy"] == 7
    for entry in version.files():
        assert core.hashing.hash_file(root / entry.path) == entry.digest


def orphan_blob(store, tmp_path) -> tuple[str, int]:
    """Publish a blob without committing a version (what a writer killed after its renames leaves)."""
    path = tmp_path / "orphan.bin"
    path.write_bytes(os.urandom(3000))
    batch = core.blobs.BlobBatch(store.blobs)
    blob = batch.add_file(path, "md5")
    batch.publish()
    batch.close()
    return blob.digest, blob.size


def test_gc_removes_only_unreferenced_blobs(store, files, tmp_path):
    version = log_dir(store, files)
    with core.init(project="p", store=store) as run:
        kept = tmp_path / "kept-with-run.txt"
        kept.write_text("run file")
        run.save(kept)
    digest, size = orphan_blob(store, tmp_path)
    assert store.blobs.exists("md5", digest, size)

    assert store.gc() == size
    assert not store.blobs.exists("md5", digest, size)
    assert store.verify() == [] and version.verify() is None
    assert len(list(store.blobs.iter_blobs())) == 6  # five version files and the run's file
    assert store.gc() == 0


def test_gc_never_touches_a_live_writer_and_reclaims_a_dead_ones(store, files, tmp_path):
    published, staged = tmp_path / "published.bin", tmp_path / "in-flight.bin"
    published.write_bytes(os.urandom(3000))
    staged.write_bytes(os.urandom(5000))
    writer = start_worker("hold-batch", store.root, published, staged)
    blob_file, tmp_file = writer.stdout.readline().strip(), writer.stdout.readline().strip()
    assert os.path.exists(blob_file) and os.path.exists(tmp_file)

    impatient = core.open_store(store.root, timeout=0.2)
    with pytest.raises(core.StoreBusyError):
        impatient.gc()
    assert os.path.exists(blob_file) and os.path.exists(tmp_file)

    writer.stdin.write("go\n")
    writer.stdin.flush()
    finish_worker(writer)  # it exits without cleaning up or committing
    assert store.gc() == 3000 + 5000
    assert not os.path.exists(blob_file) and not os.path.exists(tmp_file)

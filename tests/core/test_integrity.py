"""Integrity: a flipped byte, a same-size replacement or a missing blob is caught by `version.verify()`,
`store.verify()`, `download()` and `artifacts-tui verify`, each naming the version and the path."""

from __future__ import annotations

import os

import pytest

import core
from tests.helpers.store import tree_listing, write_tree
from tui.cli import main as cli


@pytest.fixture
def logged(store, tmp_path):
    files = write_tree(tmp_path / "files", {"model/weights.pth": os.urandom(4096), "readme.txt": "hello"})
    with core.init(project="p", store=store) as run:
        art = core.Artifact("convnet", type="model")
        art.add_dir(files)
        version = run.log_artifact(art)
        other = core.Artifact("untouched", type="dataset")
        other.add_file(files / "readme.txt", name="copy.txt")
        run.log_artifact(other)
    return version


def blob_of(store, version, path):
    (entry,) = [f for f in version.files() if f.path == path]
    return store.blobs.path(version.alg, entry.digest)


def flip_byte(path):
    os.chmod(path, 0o644)  # blobs are read-only
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def replace_same_size(path):
    os.chmod(path, 0o644)
    path.write_bytes(b"\x00" * path.stat().st_size)


def remove(path):
    path.unlink()


TAMPER = {"flipped byte": flip_byte, "same-size replacement": replace_same_size, "missing blob": remove}


def test_blobs_are_read_only(store, logged):
    blob = blob_of(store, logged, "model/weights.pth")
    assert blob.stat().st_mode & 0o777 == 0o444


def test_a_clean_store_verifies(store, logged, capsys):
    assert logged.verify() is None
    assert store.verify() == [] and store.verify("p") == []
    assert cli(["--store", str(store.root), "verify"]) == 0
    assert "every blob re-hashes" in capsys.readouterr().out


@pytest.mark.parametrize("tamper", list(TAMPER))
def test_tampering_is_reported_by_version_and_path(store, logged, tamper, capsys):
    blob = blob_of(store, logged, "model/weights.pth")
    TAMPER[tamper](blob)
    kind = "missing" if tamper == "missing blob" else "corrupt"

    with pytest.raises(core.IntegrityError) as caught:
        logged.verify()
    assert "p/convnet:v0" in str(caught.value) and "model/weights.pth" in str(caught.value)

    (problem,) = store.verify()
    assert (problem.version, problem.path, problem.kind) == ("p/convnet:v0", "model/weights.pth", kind)
    assert problem.expected == [f.digest for f in logged.files() if f.path == "model/weights.pth"][0]
    assert (problem.actual is None) == (kind == "missing") and problem.actual != problem.expected
    assert "p/convnet:v0" in str(problem) and "model/weights.pth" in str(problem) and kind in str(problem)
    assert store.verify("p") == [problem]
    store.artifact("p/untouched:v0").verify()  # other versions are fine

    assert cli(["--store", str(store.root), "verify"]) == 1
    out, err = capsys.readouterr()
    assert "p/convnet:v0: model/weights.pth" in out and "1 problem" in err


@pytest.mark.parametrize("tamper", list(TAMPER))
def test_download_refuses_a_bad_blob_and_leaves_no_partial_file(store, logged, tamper, tmp_path):
    TAMPER[tamper](blob_of(store, logged, "model/weights.pth"))
    with pytest.raises(core.IntegrityError, match="model/weights.pth"):
        logged.download(tmp_path / "out")
    assert "model/weights.pth" not in tree_listing(tmp_path / "out")
    assert not any(name.endswith(".part") for name in tree_listing(tmp_path / "out"))


def test_verify_rereads_even_when_the_checksum_cache_knows_the_file(store, logged, tmp_path):
    logged.download(tmp_path / "out")  # every file hashed and cached once
    flip_byte(blob_of(store, logged, "readme.txt"))
    # the blob is shared with untouched:v0 (same bytes): both versions are reported
    assert [(p.version, p.path) for p in store.verify()] == [("p/convnet:v0", "readme.txt"),
                                                             ("p/untouched:v0", "copy.txt")]


def test_file_states_show_the_cheap_check(store, logged, tmp_path):
    blob = blob_of(store, logged, "model/weights.pth")
    os.chmod(blob, 0o644)
    with open(blob, "ab") as handle:
        handle.write(b"grown")
    remove(blob_of(store, logged, "readme.txt"))
    states = {s.path: s.blob for s in logged.file_states(tmp_path / "nowhere")}
    assert states == {"model/weights.pth": "corrupt", "readme.txt": "missing"}

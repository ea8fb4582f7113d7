"""Reading one file of a version (bounded, checked when whole) and saving it to a chosen path (the preview's `s`):
nothing written outside the chosen root, no planted symlink followed, an existing file kept unless replacing it
was asked for."""

from __future__ import annotations

import os

import pytest

import core
from core.errors import IntegrityError, NotFoundError, TargetExistsError, ValidationError


@pytest.fixture
def version(tmp_path):
    store = core.open_store(tmp_path / "store")
    with core.init(project="p", job_type="t", store=store) as run:
        art = core.Artifact("data", type="dataset")
        for path, data in {"a.txt": b"hello world", "sub/b.bin": bytes(range(256)) * 4}.items():
            with art.new_file(path, mode="wb") as f:
                f.write(data)
        return run.log_artifact(art)


def _blob(version, path):
    entry = next(e for e in version.files() if e.path == path)
    return version._store.blobs.path(version.alg, entry.digest)


def test_reading_is_bounded_and_checked_when_whole(version):
    whole = version.read_file("a.txt")
    assert (whole.data, whole.whole, whole.verified) == (b"hello world", True, True)
    head = version.read_file("sub/b.bin", limit=10)
    assert head.data == bytes(range(10)) and head.size == 1024 and not head.whole and not head.verified
    assert version.read_file("a.txt", limit=100).verified  # a limit past the end reads it whole
    with pytest.raises(NotFoundError, match="no file 'nope.txt'"):
        version.read_file("nope.txt")
    with pytest.raises(ValidationError):
        version.read_file("../a.txt")
    blob = _blob(version, "a.txt")
    blob.chmod(0o644)
    blob.write_bytes(b"hellO world")  # same size, one byte flipped
    with pytest.raises(IntegrityError, match="corrupt"):
        version.read_file("a.txt")
    assert version.read_file("a.txt", limit=4).data == b"hell"  # a cut read is not checked, and says so
    blob.unlink()
    with pytest.raises(IntegrityError, match="missing"):
        version.read_file("a.txt")


def test_saving_lands_where_asked_and_keeps_an_existing_file(version, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    saved = version.save_file("sub/b.bin", "artifacts/data:v0/sub/b.bin")
    assert saved == tmp_path.joinpath("artifacts/data:v0/sub/b.bin").relative_to(tmp_path)
    assert (tmp_path / saved).read_bytes() == bytes(range(256)) * 4
    far = version.save_file("a.txt", tmp_path / "new" / "deeper" / "x.txt")  # absolute: its directories made
    assert far.read_bytes() == b"hello world"
    with pytest.raises(TargetExistsError, match="already exists"):
        version.save_file("sub/b.bin", far)
    assert far.read_bytes() == b"hello world"
    assert version.save_file("sub/b.bin", far, overwrite=True).read_bytes() == bytes(range(256)) * 4
    with pytest.raises(ValidationError, match="is a directory"):
        version.save_file("a.txt", tmp_path / "new", overwrite=True)
    with pytest.raises(ValidationError, match=r"'\.\.'"):
        version.save_file("a.txt", "../escape.txt")
    assert not [p for p in tmp_path.rglob("*.part")]  # no temporary file left behind


def test_a_planted_symlink_is_never_followed(version, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"keep me")
    (tmp_path / "out").mkdir()
    link = tmp_path / "out" / "a.txt"
    link.symlink_to(secret)
    with pytest.raises(TargetExistsError, match="a symlink"):
        version.save_file("a.txt", "out/a.txt")
    version.save_file("a.txt", "out/a.txt", overwrite=True)  # replaces the link by the file
    assert secret.read_bytes() == b"keep me"
    assert not link.is_symlink() and link.read_bytes() == b"hello world"
    # a symlinked directory on the way is refused, not written through
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, tmp_path / "artifacts")
    with pytest.raises(ValidationError, match="symlink"):
        version.save_file("a.txt", "artifacts/data:v0/a.txt")
    assert list(elsewhere.iterdir()) == []

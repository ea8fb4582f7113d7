"""Digest parity with the wandb SDK: the same files give the same per-file and artifact digests (md5 and xxh128),
and a `wandb.Artifact` handed to `run.log_artifact` is taken over with its digest."""

from __future__ import annotations

import unicodedata

import pytest

import core
from tests.helpers.store import write_tree

wandb = pytest.importorskip("wandb")
# wandb.Artifact sets up the SDK's process-wide state (a reference reads the settings): torn down after each test.
pytestmark = pytest.mark.usefixtures("real_sdk")

FILE_SETS = {
    "empty file": {"empty.bin": b""},
    "nested dirs": {"a/b/c/d.txt": "deep", "a/b/e.txt": "e", "top.txt": "top", "a/z/empty": b""},
    "unicode names": {
        "données/été.txt": "nfc",
        unicodedata.normalize("NFD", "café/naïve.txt"): "nfd",
        "中文/数据.bin": b"\x00\xff" * 100,
        "emoji 😀 with spaces.txt": "x",
    },
    "binary and duplicates": {"x/1.bin": bytes(range(256)) * 64, "x/2.bin": bytes(range(256)) * 64, "y.bin": b"\n"},
}


def build_both(root, alg):
    ours = core.Artifact("parity", type="dataset", digest_algorithm=alg)
    theirs = wandb.Artifact("parity", type="dataset", **({} if alg == "MD5" else {"digest_algorithm": alg}))
    ours.add_dir(root)
    theirs.add_dir(str(root))
    extra = sorted(p for p in root.rglob("*") if p.is_file())[0]
    ours.add_file(extra, name="extra/copy.bin")
    theirs.add_file(str(extra), name="extra/copy.bin")
    return ours, theirs


@pytest.mark.parametrize("alg", ["MD5", "XXH128"])
@pytest.mark.parametrize("file_set", list(FILE_SETS))
def test_digests_equal_the_wandb_sdk(tmp_path, file_set, alg):
    root = write_tree(tmp_path / "files", FILE_SETS[file_set])
    ours, theirs = build_both(root, alg)

    assert ours.file_digests() == {path: entry.digest for path, entry in theirs.manifest.entries.items()}
    assert ours.digest == theirs.digest


@pytest.mark.parametrize("alg", ["MD5", "XXH128"])
def test_logged_version_keeps_the_wandb_digest(store, tmp_path, alg):
    root = write_tree(tmp_path / "files", FILE_SETS["unicode names"] | FILE_SETS["nested dirs"])
    ours, theirs = build_both(root, alg)
    with core.init(project="p", store=store) as run:
        version = run.log_artifact(ours)
    assert version.digest == theirs.digest
    assert {f.path: f.digest for f in version.files()} == {p: e.digest for p, e in theirs.manifest.entries.items()}
    assert version.alg == ("md5" if alg == "MD5" else "xxh128")
    assert store.verify() == []


# wandb digests a file:// reference with md5 even in an XXH128 artifact; one version here has one algorithm, so
# the reference case is checked with md5 only.
@pytest.mark.parametrize("alg, with_reference", [("MD5", True), ("MD5", False), ("XXH128", False)])
def test_log_artifact_takes_over_a_wandb_artifact(store, tmp_path, alg, with_reference):
    root = write_tree(tmp_path / "files", FILE_SETS["nested dirs"])
    theirs = wandb.Artifact("from-wandb", type="model", description="built with the SDK",
                            metadata={"epochs": 3}, **({} if alg == "MD5" else {"digest_algorithm": alg}))
    theirs.add_dir(str(root), name="weights")
    if with_reference:
        theirs.add_reference(f"file://{root / 'top.txt'}", name="ref/top.txt")
    with core.init(project="p", store=store) as run:
        version = run.log_artifact(theirs, aliases=["best"])

    assert (version.name, version.type, version.aliases) == ("from-wandb", "model", ["latest", "best"])
    assert version.description == "built with the SDK" and version.metadata == {"epochs": 3}
    assert version.digest == theirs.digest
    assert sorted(f.path for f in version.files()) == sorted(theirs.manifest.entries)
    out = version.download(tmp_path / "out")
    assert (out / "weights/a/b/c/d.txt").read_text() == "deep"
    if with_reference:
        assert (out / "ref/top.txt").read_text() == "top"  # a file:// reference is copied in


def test_a_non_file_reference_is_refused_naming_the_entry(store, tmp_path):
    theirs = wandb.Artifact("remote", type="dataset")
    theirs.add_reference("https://example.com/key.bin", name="remote/key.bin", checksum=False)
    with core.init(project="p", store=store) as run:
        with pytest.raises(core.ValidationError, match="remote/key.bin"):
            run.log_artifact(theirs)
    assert store.collections("p") == []

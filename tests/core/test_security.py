"""The attacks of the security issue: writes outside the download root, corrupt bytes handed out through a
reflink, a checksum cache fooled by a restored mtime, a file swapped for a symlink between add_dir and logging."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid

import pytest

import core
from core import download as download_module
from tests.helpers.store import tree_listing, write_tree


def log(store, files: dict, name="data", **kwargs):
    with core.init(project="p", store=store) as run:
        art = core.Artifact(name, type="dataset")
        for path, src in files.items():
            art.add_file(src, name=path)
        return run.log_artifact(art, **kwargs)


@pytest.fixture
def version(store, tmp_path):
    src = write_tree(tmp_path / "src", {"f.txt": "artifact bytes", "sub/g.txt": "inner"})
    return log(store, {"f.txt": src / "f.txt", "sub/g.txt": src / "sub/g.txt"})


@pytest.fixture
def victim(tmp_path):
    return write_tree(tmp_path / "victim", {"important.txt": "keep me"}) / "important.txt"


def test_a_symlink_planted_at_the_old_predictable_temp_name_is_never_written_through(version, victim, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(victim, root / f".f.txt.{os.getpid()}.part")
    version.download(root)
    assert victim.read_text() == "keep me"
    assert not (root / "f.txt").is_symlink() and (root / "f.txt").read_text() == "artifact bytes"


def test_a_symlink_planted_at_the_temp_name_itself_is_skipped_not_followed(version, victim, tmp_path, monkeypatch):
    root = tmp_path / "root"
    root.mkdir()
    names = iter([".planted.part", ".planted.part"])
    real = download_module._temp_name
    monkeypatch.setattr(download_module, "_temp_name", lambda: next(names, None) or real())
    os.symlink(victim, root / ".planted.part")  # the attacker guessed the name: O_EXCL refuses it
    version.download(root)
    assert victim.read_text() == "keep me"
    assert (root / "f.txt").read_text() == "artifact bytes" and (root / ".planted.part").is_symlink()


def test_no_temporary_file_is_left_in_the_root(version, tmp_path):
    root = tmp_path / "root"
    version.download(root)
    assert tree_listing(root) == ["f.txt", "sub", "sub/g.txt"]


def test_a_symlinked_directory_inside_the_root_is_refused_even_when_it_leads_inside(version, tmp_path):
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    os.symlink(root / "real", root / "sub")
    with pytest.raises(core.ValidationError, match="symlink"):
        version.download(root)
    assert tree_listing(root / "real") == []


def test_downloading_over_a_directory_says_what_is_in_the_way(version, tmp_path):
    root = tmp_path / "root"
    (root / "f.txt" / "mine").mkdir(parents=True)
    with pytest.raises(core.ValidationError, match="f.txt is a directory"):
        version.download(root)
    assert tree_listing(root / "f.txt") == ["mine"]


def test_a_file_where_a_directory_is_needed_is_refused_and_kept(version, tmp_path):
    root = tmp_path / "root"
    write_tree(root, {"sub": "a file of mine"})
    with pytest.raises(core.ValidationError, match="in the way"):
        version.download(root)
    assert (root / "sub").read_text() == "a file of mine"


def test_a_name_of_250_bytes_downloads(store, tmp_path):
    name = "n" * 250
    src = write_tree(tmp_path / "src", {name: "long"})
    v = log(store, {name: src / name})
    assert (v.download(tmp_path / "root") / name).read_text() == "long"


def test_a_corrupt_blob_is_never_handed_out_by_a_plain_copy(store, version, tmp_path):
    entry = next(e for e in version.files() if e.path == "f.txt")
    blob = store.blobs.path(version.alg, entry.digest)
    os.chmod(blob, 0o644)
    blob.write_bytes(b"ARTIFACT BYTES")
    with pytest.raises(core.IntegrityError, match="f.txt"):
        version.download(tmp_path / "root")
    assert not (tmp_path / "root" / "f.txt").exists()
    assert [p for p in tree_listing(tmp_path / "root") if p.endswith(".part")] == []


def _xfs_mount(tmp_path):
    """A loop-mounted XFS with reflink, or the reason there is none."""
    if sys.platform != "linux" or os.geteuid() != 0:
        return None, "needs root on Linux to loop-mount an XFS image"
    if shutil.which("mkfs.xfs") is None:
        return None, "needs mkfs.xfs (apt-get install xfsprogs)"
    image, mount = tmp_path / "xfs.img", tmp_path / f"xfs-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    with open(image, "wb") as handle:
        handle.truncate(320 << 20)
    made = subprocess.run(["mkfs.xfs", "-q", "-m", "reflink=1", str(image)], capture_output=True, timeout=60)
    if made.returncode != 0:
        return None, f"mkfs.xfs failed: {made.stderr.decode(errors='replace').strip()}"
    mounted = subprocess.run(["mount", "-o", "loop", str(image), str(mount)], capture_output=True, timeout=60)
    if mounted.returncode != 0:
        return None, f"cannot loop-mount here: {mounted.stderr.decode(errors='replace').strip()}"
    return mount, ""


@pytest.fixture
def xfs(tmp_path):
    mount, why = _xfs_mount(tmp_path)
    if mount is None:
        pytest.skip(why)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=60)


def test_a_reflinked_download_of_a_corrupt_blob_raises(xfs):
    store = core.open_store(xfs / "store")
    src = write_tree(xfs / "src", {"f.bin": os.urandom(1 << 16)})
    v = log(store, {"f.bin": src / "f.bin"})
    good = v.download(xfs / "good") / "f.bin"
    assert good.read_bytes() == (src / "f.bin").read_bytes()
    probe = os.open(good, os.O_RDONLY)  # the reflink path was really taken: FICLONE works on this mount
    out = os.open(xfs / "probe", os.O_WRONLY | os.O_CREAT)
    assert download_module._reflink(probe, out)
    os.close(probe), os.close(out)
    blob = store.blobs.path(v.alg, v.files()[0].digest)
    os.chmod(blob, 0o644)
    with open(blob, "r+b") as handle:
        handle.write(b"\x00")
    with pytest.raises(core.IntegrityError, match="corrupt"):
        v.download(xfs / "bad")
    assert not (xfs / "bad" / "f.bin").exists()


def _restore_mtime_rewrite(path, content: bytes) -> None:
    st = os.stat(path)
    path.write_bytes(content)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # what cp -p, rsync -t and tar -x do


def test_a_same_size_rewrite_with_the_mtime_restored_is_re_hashed(store, tmp_path):
    src = write_tree(tmp_path / "src", {"w.bin": b"A" * 4096})
    first = log(store, {"w.bin": src / "w.bin"})
    _restore_mtime_rewrite(src / "w.bin", b"B" * 4096)
    second = log(store, {"w.bin": src / "w.bin"})
    assert second.index == 1 and second.digest != first.digest
    assert (second.download(tmp_path / "out") / "w.bin").read_bytes() == b"B" * 4096


def test_a_fresh_process_is_not_fooled_either(store, tmp_path):
    src = write_tree(tmp_path / "src", {"w.bin": b"A" * 4096})
    log(store, {"w.bin": src / "w.bin"})
    _restore_mtime_rewrite(src / "w.bin", b"B" * 4096)
    code = ("import core, sys; s = core.open_store(sys.argv[1]);\n"
            "with core.init(project='p', store=s) as r:\n"
            "    a = core.Artifact('data', type='dataset'); a.add_file(sys.argv[2], name='w.bin')\n"
            "    print(r.log_artifact(a).version)")
    out = subprocess.run([sys.executable, "-c", code, str(store.root), str(src / "w.bin")], capture_output=True,
                         text=True, timeout=120, cwd=os.getcwd())
    assert out.stdout.strip() == "v1", out.stderr


def test_an_in_process_download_does_not_keep_a_tampered_file(store, version, tmp_path):
    root = version.download(tmp_path / "root")
    _restore_mtime_rewrite(root / "f.txt", b"TAMPERED BYTES")  # same size as "artifact bytes"
    version.download(root)
    assert (root / "f.txt").read_text() == "artifact bytes"


def test_a_file_swapped_for_a_symlink_after_add_dir_is_refused(store, tmp_path):
    tree = write_tree(tmp_path / "tree", {"ok.txt": "ok", "swap.txt": "innocent"})
    secret = write_tree(tmp_path / "secret", {"key.pem": "PRIVATE KEY"}) / "key.pem"
    run = core.init(project="p", store=store)
    art = core.Artifact("swapped", type="dataset")
    art.add_dir(tree)
    (tree / "swap.txt").unlink()
    os.symlink(secret, tree / "swap.txt")
    with pytest.raises(core.ValidationError, match="outside"):
        run.log_artifact(art)
    run.finish()
    assert store.collections("p") == []
    for _alg, digest, path in store.blobs.iter_blobs():
        assert path.read_bytes() != b"PRIVATE KEY"


def test_a_directory_swapped_for_a_symlink_after_add_dir_is_refused(store, tmp_path):
    """Files are opened in their directory once it is found inside the root (no symlink followed there): a
    directory turned into a symlink leading out is refused, symlinks that stay inside still log their target, and
    a file gone since add_dir is named; a refused batch leaves no version and no temp file."""
    tree = write_tree(tmp_path / "tree", {**{f"sub/f{i:02d}.txt": f"file {i}" for i in range(40)}, "top.txt": "top"})
    os.symlink(tree / "top.txt", tree / "sub" / "z-abs.txt")
    os.symlink("../top.txt", tree / "sub" / "z-rel.txt")
    secret = write_tree(tmp_path / "secret", {f"f{i:02d}.txt": "PRIVATE KEY" for i in range(40)})
    run = core.init(project="p", store=store)
    art = core.Artifact("inside", type="dataset")
    art.add_dir(tree)
    out = run.log_artifact(art).download(tmp_path / "out")
    assert [(out / "sub" / n).read_text() for n in ("f07.txt", "z-abs.txt", "z-rel.txt")] == ["file 7", "top", "top"]

    swapped = core.Artifact("swapped", type="dataset")
    swapped.add_dir(tree)
    gone = core.Artifact("gone", type="dataset")
    gone.add_dir(secret)
    shutil.rmtree(tree / "sub")
    os.symlink(secret, tree / "sub")
    with pytest.raises(core.ValidationError, match="outside"):
        run.log_artifact(swapped)
    (secret / "f20.txt").unlink()
    with pytest.raises(core.ValidationError, match="f20.txt.*disappeared"):
        run.log_artifact(gone)
    run.finish()
    assert [c.name for c in store.collections("p")] == ["inside"]
    assert [n for n in os.listdir(store.blobs.tmp) if n.endswith(".tmp")] == []
    for _alg, _digest, path in store.blobs.iter_blobs():
        assert path.read_bytes() != b"PRIVATE KEY"


def test_a_store_of_schema_1_is_migrated_and_keeps_its_versions(store, version, tmp_path):
    import sqlite3

    store.db.close()
    conn = sqlite3.connect(store.root / "store.db")
    conn.execute("ALTER TABLE checksum_cache DROP COLUMN ctime_ns")  # what schema 1 had, and no more
    conn.execute("ALTER TABLE runs DROP COLUMN progress")
    conn.execute("ALTER TABLE versions DROP COLUMN tags")
    for table in ("pinned_blobs", "run_logs", "system_metrics", "launches", "links"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    reopened = core.open_store(store.root)
    assert [v.qualified_name for v in reopened.versions("p", "data")] == ["data:v0"]
    columns = [r["name"] for r in reopened.db.read("PRAGMA table_info(checksum_cache)")]
    assert "ctime_ns" in columns and {"pinned_blobs", "run_logs", "launches", "links"} <= reopened.db.tables()
    assert reopened.versions("p", "data")[0].tags == []
    assert reopened.verify() == []

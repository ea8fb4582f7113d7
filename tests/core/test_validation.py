"""Bad input: every rejected name, alias, type, project, path and metadata case of API.md gives a
`ValidationError` and leaves the store exactly as it was; nothing is written outside the store or download root."""

from __future__ import annotations

import os
import re

import pytest

import core
from tests.helpers.store import store_snapshot, tree_listing, write_tree

BAD_NAMES = ["", "a/b", "a:b", "with space", "ünïcode", "x" * 129, "nul\x00", "tab\tname", "semi;colon", None, 5]
BAD_TYPES = ["", "a/b", "a:b", "job", "wandb-history", "wandb-", None]
BAD_ALIASES = ["", "a/b", "a:b", "two words", "tab\t", "line\n", "esc\x1b[31m", "nbsp\u00a0", "latest", "v0", "v12",
               "x" * 129, None, 3]
BAD_PROJECTS = ["", "a/b", "a\\b", "a#b", "a?b", "a%b", "a:b", "nul\x00", "line\nbreak", "bell\x07", "x" * 129, None]
BAD_PATHS = ["", ".", "..", "../x", "a/../../x", "a/..", "/abs", "/etc/passwd", "//host/x", "a\\b", "..\\x", "C:x",
             "c:/x", "nul\x00", "line\nbreak", "esc\x1b", "%2e%2e/x", "%2E%2E%2Fx", "%252e%252e/x", "a/%2e%2e/%2e%2e/x",
             "%2fetc/passwd", "a/", "dir/"]
INF = float("inf")
BAD_METADATA = [{"x": INF}, {"x": -INF}, {"a": {"b": [1, INF]}}, {"x": object()}, {"x": {1, 2}}, {1: "int key"},
                {f"k{i}": i for i in range(101)}, ["not", "a", "dict"], "text"]


@pytest.fixture
def live(store, tmp_path):
    """A store holding one version, an open run on it, a file to add, and the snapshot to compare against."""
    data = write_tree(tmp_path / "data", {"f.txt": "content", "dir/g.txt": "g"})
    run = core.init(project="p", store=store)
    art = core.Artifact("good", type="dataset")
    art.add_file(data / "f.txt")
    version = run.log_artifact(art, aliases=["best"])
    run.flush()
    yield run, version, data, store_snapshot(store)
    run.finish()


def assert_unchanged(store, before):
    assert store_snapshot(store) == before


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_artifact_names(live, store, name):
    run, _, data, before = live
    with pytest.raises(core.ValidationError):
        core.Artifact(name, type="dataset")
    if name:  # log_artifact(path, name=None or "") names the artifact after the path, as W&B does
        with pytest.raises(core.ValidationError):
            run.log_artifact(data / "f.txt", name=name, type="dataset")
    with pytest.raises(core.ValidationError):
        store.versions("p", name)
    assert_unchanged(store, before)


def test_good_artifact_names_are_accepted():
    for name in ["a", "mnist-raw", "A_b.c-1", "x" * 128, "..dots"]:
        assert core.Artifact(name, type="dataset").name == name


@pytest.mark.parametrize("type_", BAD_TYPES)
def test_bad_types(live, store, type_):
    run, _, data, before = live
    with pytest.raises(core.ValidationError):
        core.Artifact("fine", type=type_)
    if type_:  # no type means "unspecified", as W&B's log_artifact(path)
        with pytest.raises(core.ValidationError):
            run.log_artifact(data / "f.txt", name="fine", type=type_)
    assert_unchanged(store, before)


@pytest.mark.parametrize("alias", BAD_ALIASES)
def test_bad_aliases(live, store, alias):
    run, version, data, before = live
    art = core.Artifact("other", type="dataset")
    art.add_file(data / "dir" / "g.txt")
    if alias != "latest":  # log_artifact(aliases=["latest"]) is accepted as a no-op, as scripts for W&B pass it
        with pytest.raises(core.ValidationError):
            run.log_artifact(art, aliases=["fine", alias])
    with pytest.raises(core.ValidationError):
        store.add_alias(version, alias)
    with pytest.raises((core.ValidationError, core.NotFoundError)):
        store.remove_alias(version, alias)
    assert_unchanged(store, before)


def test_aliases_that_only_look_reserved_are_accepted(live, store):
    _, version, _, _ = live
    for alias in ["v1a", "version-2", "v\u0661", "V1", "best", "x" * 128, "latest-good"]:
        store.add_alias(version, alias)
    assert set(store.artifact("p/good:v0").aliases) >= {"v1a", "version-2", "v\u0661", "V1", "latest-good"}


@pytest.mark.parametrize("project", BAD_PROJECTS)
def test_bad_projects(live, store, project):
    _, _, _, before = live
    if project:  # init(project=None or "") uses "uncategorized", as wandb.init
        with pytest.raises(core.ValidationError):
            core.init(project=project, store=store)
    for query in (store.versions, store.version_count):
        with pytest.raises(core.ValidationError):
            query(project, "good")
    with pytest.raises(core.ValidationError):
        store.artifact("good", project=project)
    assert_unchanged(store, before)


@pytest.mark.parametrize("path", BAD_PATHS)
def test_bad_paths_inside_an_artifact(live, store, path):
    run, _, data, before = live
    art = core.Artifact("paths", type="dataset")
    with pytest.raises(core.ValidationError):
        art.add_file(data / "f.txt", name=path)
    with pytest.raises(core.ValidationError):
        with art.new_file(path) as handle:
            handle.write("never")
    if path not in ("", "."):  # add_dir(name="") / "." / None put files at the top, as W&B does
        with pytest.raises(core.ValidationError):
            art.add_dir(data / "dir", name=path)
    assert art.sources() == {}
    assert_unchanged(store, before)


def test_paths_are_normalized_when_harmless(live, store):
    run, _, data, _ = live
    art = core.Artifact("normal", type="dataset")
    for name in ["a//b.txt", "./c.txt", "d/./e.txt", "..f", "g..", "%41.txt"]:
        art.add_file(data / "f.txt", name=name)
    version = run.log_artifact(art)
    assert sorted(f.path for f in version.files()) == ["%41.txt", "..f", "a/b.txt", "c.txt", "d/e.txt", "g.."]


def _metadata_id(metadata) -> str:
    """The case's repr, short and without object addresses: every pytest-xdist worker must collect the same ids."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(metadata))[:30]


@pytest.mark.parametrize("metadata", BAD_METADATA, ids=_metadata_id)
def test_bad_metadata(live, store, metadata):
    run, _, data, before = live
    with pytest.raises(core.ValidationError):
        core.Artifact("meta", type="dataset", metadata=metadata)
    art = core.Artifact("meta", type="dataset")
    with pytest.raises(core.ValidationError):
        art.metadata = metadata
    art.add_file(data / "f.txt")
    if isinstance(metadata, dict):  # changed in place after construction: caught when logging, before any write
        art.metadata.update(metadata)
        with pytest.raises(core.ValidationError):
            run.log_artifact(art)
    assert_unchanged(store, before)


def test_nan_metadata_becomes_null(live, store):
    run, _, data, _ = live
    art = core.Artifact("meta", type="dataset", metadata={"loss": float("nan"), "keys": list(range(3))})
    art.add_file(data / "f.txt")
    art.metadata["late"] = float("nan")  # set after construction, as scripts do
    art.metadata.update({f"k{i}": i for i in range(97)})
    version = run.log_artifact(art)
    assert version.metadata["loss"] is None and version.metadata["late"] is None
    assert len(version.metadata) == 100


def test_a_description_must_be_text(live, store):
    _, _, _, before = live
    with pytest.raises(core.ValidationError):
        core.Artifact("d", type="dataset", description={"not": "text"})
    assert_unchanged(store, before)


@pytest.mark.parametrize("ref", ["good", "p/good:", "a/b/c/good:x", "p/good:two words", ":latest", "p/:v0"])
def test_bad_references(live, store, ref):
    with pytest.raises(core.ValidationError):
        store.artifact(ref)


def test_bad_run_ids_are_refused(live, store):
    _, _, _, before = live
    with pytest.raises(core.ValidationError):
        core.init(project="p", store=store, id="has space")
    assert_unchanged(store, before)


def test_symlinks_pointing_outside_a_logged_dir_are_refused(live, store, tmp_path):
    run, _, _, before = live
    outside = write_tree(tmp_path / "secret", {"key.pem": "private"})
    for kind, target in [("file", outside / "key.pem"), ("dir", outside)]:
        tree = write_tree(tmp_path / f"tree-{kind}", {"ok.txt": "ok"})
        os.symlink(target, tree / "link")
        art = core.Artifact("links", type="dataset")
        with pytest.raises(core.ValidationError, match="outside"):
            art.add_dir(tree)
        assert art.sources() == {}
    assert_unchanged(store, before)


def test_symlinks_inside_a_logged_dir_are_followed(live, store, tmp_path):
    run, _, _, _ = live
    tree = write_tree(tmp_path / "tree", {"real.txt": "real"})
    os.symlink(tree / "real.txt", tree / "alias.txt")
    art = core.Artifact("links", type="dataset")
    art.add_dir(tree)
    version = run.log_artifact(art)
    assert {f.path: f.size for f in version.files()} == {"alias.txt": 4, "real.txt": 4}


def test_download_refuses_a_symlinked_dir_leading_outside_the_root(live, store, tmp_path):
    run, _, data, _ = live
    art = core.Artifact("nested", type="dataset")
    art.add_file(data / "f.txt", name="sub/inner/f.txt")
    version = run.log_artifact(art)
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "sub")
    with pytest.raises(core.ValidationError, match="outside"):
        version.download(root)
    assert tree_listing(outside) == []  # not even the directory "inner" was created there


def test_download_replaces_a_planted_file_symlink_instead_of_writing_through_it(live, store, tmp_path):
    run, version, _, _ = live
    root = tmp_path / "root"
    root.mkdir()
    victim = write_tree(tmp_path / "victim", {"important.txt": "keep me"}) / "important.txt"
    os.symlink(victim, root / "f.txt")
    version.download(root)
    assert victim.read_text() == "keep me"
    assert not (root / "f.txt").is_symlink() and (root / "f.txt").read_text() == "content"

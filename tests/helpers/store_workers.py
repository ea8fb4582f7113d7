"""Worker processes for the concurrency and crash tests, started with `sys.executable store_workers.py CMD ...`.

Each waits for a line on stdin where the test needs them to start together (a start barrier without sleeps),
and reports on stdout, one line per fact.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def _go() -> None:
    sys.stdin.readline()


def log_versions(store_path: str, project: str, name: str, count: str, tag: str) -> None:
    import core

    store = core.open_store(store_path)
    _go()
    with core.init(project=project, job_type="writer", store=store) as run:
        for i in range(int(count)):
            art = core.Artifact(name, type="dataset")
            with art.new_file("data.txt", mode="w") as handle:
                handle.write(f"{tag}-{i}")
            print(run.log_artifact(art).index, flush=True)


def move_alias(store_path: str, project: str, name: str, alias: str, index: str, repeats: str) -> None:
    import core

    store = core.open_store(store_path)
    version = store.artifact(f"{project}/{name}:v{index}")
    _go()
    for _ in range(int(repeats)):
        store.add_alias(version, alias)
    print("done", flush=True)


def first_open(store_path: str, tag: str) -> None:
    _go()
    import core

    store = core.open_store(store_path)
    with core.init(project="p", store=store) as run:
        art = core.Artifact("shared", type="dataset")
        with art.new_file("who.txt", mode="w") as handle:
            handle.write(tag)
        print(run.log_artifact(art).index, flush=True)


def log_dir(store_path: str, project: str, data_dir: str, unique: str) -> None:
    """Log `data_dir` plus one unique file; says "ready" before logging so the parent can aim its kill."""
    import core

    store = core.open_store(store_path)
    run = core.init(project=project, job_type="big", store=store)
    art = core.Artifact("big", type="dataset")
    art.add_dir(data_dir)
    with art.new_file("unique.txt", mode="w") as handle:
        handle.write(unique)
    print("ready", flush=True)
    version = run.log_artifact(art)
    run.finish()
    print(f"logged {version.index}", flush=True)


def hold_run(store_path: str, project: str) -> None:
    """Start a run and block until killed (the parent SIGKILLs it)."""
    import core

    run = core.init(project=project, job_type="doomed", store=core.open_store(store_path))
    print(run.id, flush=True)
    _go()


def hold_batch(store_path: str, published: str, staged: str) -> None:
    """Be a writer in the middle of logging: one blob published into objects/ (its version not yet committed),
    one still a temp file. Then die without cleaning up."""
    from core.blobs import BlobBatch, BlobStore

    blobs = BlobStore(Path(store_path))
    batch = BlobBatch(blobs)
    done = batch.add_file(published, "md5")
    batch.publish()
    print(blobs.path(done.alg, done.digest), flush=True)
    print(batch.add_file(staged, "md5").tmp, flush=True)
    _go()
    os._exit(0)  # no cleanup: the blob and the temp file stay behind, their writer gone


def file_too_big(store_path: str, source: str, limit: str) -> None:
    """Log `source` with RLIMIT_FSIZE below its size (SIGXFSZ ignored, so writes fail with EFBIG)."""
    import resource
    import signal

    import core

    store = core.open_store(store_path)
    run = core.init(project="p", store=store)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(limit), resource.RLIM_INFINITY))
    art = core.Artifact("too-big", type="dataset")
    art.add_file(source)
    try:
        run.log_artifact(art)
    except core.ArtifactsError as exc:
        print(json.dumps({"error": type(exc).__name__, "message": str(exc)}), flush=True)
    else:
        print(json.dumps({"error": None}), flush=True)
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    run.finish()


COMMANDS = {
    "log-versions": log_versions, "move-alias": move_alias, "first-open": first_open, "log-dir": log_dir,
    "hold-run": hold_run, "hold-batch": hold_batch, "file-too-big": file_too_big,
}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])

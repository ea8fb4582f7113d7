"""Import hygiene: `import core` (and every store module) loads no textual, rich, torch or wandb, so scripts and
the CLI start fast and `core` never depends on the TUI."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("textual", "rich", "torch", "wandb", "tui")
STORE_MODULES = ("core", "core.store", "core.writes", "core.run", "core.blobs", "core.db", "core.artifact",
                 "core.download", "core.names", "core.hashing", "core.values", "core.atomic", "core.media",
                 "core.links")


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    modules = set(json.loads(out.stdout.splitlines()[-1]))
    return {name for name in modules if name.split(".")[0] in HEAVY}


def test_import_core_loads_no_heavy_module():
    assert loaded_after("import core") == set()


def test_every_store_module_stays_light():
    assert loaded_after("\n".join(f"import {m}" for m in STORE_MODULES)) == set()


def test_opening_a_store_and_logging_stays_light(tmp_path):
    code = f"""
import core
store = core.open_store({str(tmp_path / 'store')!r})
with core.init(project="p", store=store) as run:
    art = core.Artifact("a", type="dataset")
    with art.new_file("x.txt", mode="w") as f:
        f.write("x")
    run.log_artifact(art).download({str(tmp_path / 'out')!r})
    run.log({{"loss": 0.1}})
store.verify(); store.gc()
"""
    assert loaded_after(code) == set()

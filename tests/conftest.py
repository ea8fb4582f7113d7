"""Fixtures shared by every test: a fresh store in a temp directory, no test touching the user's home, and the real
wandb SDK torn down within a bound after any test that used it."""

from __future__ import annotations

import os
import warnings

import pytest

# One torch (OpenMP/MKL) thread per process, set before anything imports torch, and inherited by the stages' child
# processes: `make test` runs 3 workers on 2 cores, and torch's idle threads spin, burning the CPU the other workers
# need (the whole digits pipeline cost 36 s of CPU for 9 s of work). The runner keeps a value set by the user.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from tests.helpers.wandb_sdk import bounded_teardown, restore_environ, sdk_in_use


# Fixtures each pytest-xdist worker builds once and many tests read (seconds each: a whole pipeline, the tutorial
# script, a trained store): `make test` runs with --dist loadgroup, and the tests that use one share a worker.
SHARED_FIXTURES = ("digits_pipeline", "tutorial", "prepared_template", "big_store")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        shared = next((name for name in SHARED_FIXTURES if name in getattr(item, "fixturenames", ())), None)
        if shared is not None:
            item.add_marker(pytest.mark.xdist_group(shared))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ARTIFACTS_TUI_HOME", str(home / "store"))
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(home / "wandb"))
    for var, sub in (("WANDB_DATA_DIR", "data"), ("WANDB_CACHE_DIR", "cache"), ("WANDB_CONFIG_DIR", "config")):
        monkeypatch.setenv(var, str(home / "wandb" / sub))  # the SDK stages copies there
    monkeypatch.setenv("NO_COLOR", "")
    monkeypatch.delenv("NO_COLOR")


@pytest.fixture
def real_sdk():
    """For a test that uses the real wandb SDK: its process-wide setup (settings read from the environment, the
    session's credentials, the wandb-core service) is torn down afterwards within a bound, and the environment is
    put back as it was, so that what the test faked leaks into no other test and a stuck wandb-core hangs nothing."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        problems = bounded_teardown()
        restore_environ(saved)
        if problems:
            warnings.warn("real wandb SDK teardown: " + "; ".join(problems), stacklevel=1)


@pytest.fixture(autouse=True)
def _no_wandb_sdk_left_behind(request):
    """A test that set the real SDK up without `real_sdk` still gets it torn down within a bound."""
    saved = dict(os.environ)
    yield
    if "real_sdk" not in request.fixturenames and sdk_in_use():
        problems = bounded_teardown()
        restore_environ(saved)
        warnings.warn(f"{request.node.nodeid} used the real wandb SDK without the real_sdk fixture"
                      + (": " + "; ".join(problems) if problems else ""), stacklevel=1)


@pytest.fixture
def store(tmp_path):
    import core

    return core.open_store(tmp_path / "store")

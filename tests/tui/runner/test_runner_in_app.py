"""The runner as the real app wires it: r, w and, on an empty store, t (the tutorial pipeline on digits)."""

from __future__ import annotations

import pytest

from tests.helpers.runner import wait_until
from tui.app import ArtifactsApp


@pytest.mark.slow
async def test_t_on_an_empty_store_starts_the_tutorial_and_c_cancels_it(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # downloads land in ./artifacts: keep them in tmp
    from tui.screens.explorer import ExplorerScreen
    from tui.screens.runner import RunnerScreen

    app = ArtifactsApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ExplorerScreen) and app.screen.has_class("-empty-store"),
                         what="the empty explorer")
        enabled = {key for key, active in app.screen.active_bindings.items() if active.enabled}
        assert {"t", "r", "w"} <= enabled
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, RunnerScreen), what="the runner")
        (job,) = app.jobs.jobs
        assert job.request.stage == "pipeline" and job.request.dataset == "digits"
        await pilot.press("c")
        await wait_until(pilot, lambda: not job.active, timeout=60, what="the cancelled job to end")
        assert job.state == "cancelled"
        assert not any(c.name == "trained-model" for c in store.collections("artifacts-example"))


async def test_t_is_not_offered_once_the_store_has_artifacts(store, tmp_path):
    import core

    with core.init(project="p", job_type="load-data", store=store) as run:
        art = core.Artifact("m", type="dataset")
        with art.new_file("x.txt") as f:
            f.write("x")
        run.log_artifact(art)
    from tui.screens.explorer import ExplorerScreen

    app = ArtifactsApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ExplorerScreen) and not app.screen.has_class(
            "-empty-store") and app.screen.query_one("#artifact-tree").root.children, what="the tree")
        offered = {key for key, active in app.screen.active_bindings.items() if active.enabled
                   and active.binding.action in ("tutorial", "launch")}  # `t` there only says why it is not
        assert "t" not in offered and "r" in offered

"""What watching a training costs the TUI: the screens under the runner do not re-read the store at every change the
training writes (the explorer under it used to reload its whole catalog and rebuild its footer twice a second,
a quarter of a core taken from the training), and they catch up as soon as they are shown again."""

from __future__ import annotations

import core
from tests.helpers.runner import wait_until
from tui.app import ArtifactsApp
from tui.screens.explorer import ExplorerScreen
from tui.screens.runner import RunnerScreen


async def test_the_explorer_under_the_runner_reads_nothing_until_it_is_shown_again(store, monkeypatch):
    with core.init(project="p", job_type="load-data", store=store) as run:
        data = core.Artifact("data", type="dataset")
        with data.new_file("a.txt", mode="w") as f:
            f.write("a")
        run.log_artifact(data)
    app = ArtifactsApp(store=store, poll_interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ExplorerScreen) and app.screen._token is not None,
                         what="the explorer and its first poll")
        explorer = app.screen
        reads: list[str] = []
        real = explorer.refresh_data
        monkeypatch.setattr(explorer, "refresh_data", lambda: (reads.append("refresh"), real())[1])
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, RunnerScreen), what="the runner")

        training = core.init(project="p", job_type="train", store=store)  # what a training writes, a row at a time
        for step in range(1, 6):
            training.log({"train/loss": 1 / step}, step=step)
            training.flush()
            await pilot.pause(0.15)  # more than the explorer's poll interval between two writes
        await wait_until(pilot, lambda: app.jobs._token == store.change_token(), what="the runner to see them")
        await pilot.pause(0.3)
        assert reads == []  # hidden under the runner: not one catalog read

        await pilot.press("escape")
        await wait_until(pilot, lambda: reads, timeout=10, what="the explorer to catch up once shown")
        training.finish()

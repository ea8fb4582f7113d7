"""Keys as fast as a person types on the runner: the selection always follows the cursor, the run shown is the
one `c` acts on, and once the keys stop nothing keeps re-selecting (the old feedback loop between stale highlight
events kept the screen redrawing at 64-97 % CPU for good)."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.helpers.runner import RunnerApp
from tui.runner.job_view import ELSEWHERE, Job
from tui.screens.runner import RunnerScreen


def _jobs(app) -> list[Job]:
    jobs = []
    for key, (title, state, origin) in enumerate([("train", "finished", "here"), ("report", "failed", "here"),
                                                  ("train", "running", ELSEWHERE), ("load-data", "cancelled", "here")],
                                                 start=1):
        job = Job(key=key, title=title, project="artifacts-example", state=state, origin=origin, detail="pid 4242")
        app.jobs.jobs.append(job)
        app.jobs._publish(job)
        jobs.append(job)
    return jobs


async def test_fast_keys_leave_the_selection_on_the_cursor_and_the_screen_idle(store, tmp_path):
    app = RunnerApp(store, tmp_path / "downloads", follow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        _jobs(app)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunnerScreen)
        table = screen.query_one(DataTable)
        table.focus()
        await pilot.press("up", "down", "up", "down", "up", "up", "down", "up")  # no pause between them
        await pilot.pause(0.3)
        selects = []
        real = screen._select
        screen._select = lambda job: (selects.append(job), real(job))[1]
        for _ in range(10):  # a second of idle: nothing may select anything any more
            await pilot.pause(0.1)
        assert selects == []
        row_job = app.jobs.job(int(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value))
        assert screen.selected is row_job


async def test_c_acts_on_the_run_shown_and_says_why_it_cannot(store, tmp_path):
    app = RunnerApp(store, tmp_path / "downloads", follow=False)
    notes: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        jobs = _jobs(app)
        await pilot.pause()
        app.notify = lambda message, **kw: notes.append(str(message))
        screen = app.screen
        table = screen.query_one(DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("3"))
        await pilot.pause(0.2)
        assert screen.selected is jobs[2]
        await pilot.press("c")
        await pilot.pause()
        assert "runs in another process (pid 4242); cancel it there" in notes[-1]
        table.move_cursor(row=table.get_row_index("1"))
        await pilot.pause(0.2)
        await pilot.press("c")
        await pilot.pause()
        assert "has already ended (finished)" in notes[-1]

"""The file preview (enter on a file in the Files tab) and the save dialog (s), at 80x24 and from the keyboard:
each kind drawn as what it is, through the escaping helper, bounded; escape back to the file list, also pressed
at once; saving where asked, keeping an existing file until told, never writing through a planted symlink."""

from __future__ import annotations

import io
import json

import pytest
from textual import events
from textual.widgets import DataTable, Input

import core
from tests.helpers.app import foreign_controls, log_version, open_version, screen_text, settle, wait_until
from tui.screens.file_preview import FilePreviewScreen
from tui.screens.save_dialog import SaveFileDialog
from tui.widgets.file_preview import FilePreview, ImageView, half_blocks

# W&B's own layout of a Table file (what wandb.Table and core.wandb_compat's Table write), with an image cell.
TABLE = {
    "_type": "table", "columns": ["id", "label", "score", "img"],
    "data": [[1, "cat", 0.5, {"_type": "image-file", "format": "png", "height": 4, "width": 4,
                               "path": "media/images/3acca26d4f9d111694d7.png", "sha256": "d632"}],
             [2, "dog\x1b[31m", None, None]],
    "log_mode": "IMMUTABLE", "ncols": 4, "nrows": 2,
}


def _png() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (8, 8), (0, 0, 0))
    for i in range(8):
        image.putpixel((i, i), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


FILES = {
    "blob.bin": bytes(range(256)) * 4,
    "config.json": b'{"lr": 0.001, "layers": [1, 2]}',
    "data.csv": b"x,y\n1,2\n3,4\n",
    "digit.png": _png(),
    "notes.txt": b"hello\r\nworld [bold]x[/] \x1b]0;owned\x07\n",
    "preds.table.json": json.dumps(TABLE).encode(),
    "zbig.csv": b"n,sq\n" + b"".join(f"{i},{i * i}\n".encode() for i in range(600)),
    "zbig.txt": b"line of text\n" * 25_000,
}


@pytest.fixture
def files_store(store):
    with core.init(project="demo", job_type="t", store=store) as run:
        log_version(run, "files", "dataset", FILES)
    return store


async def _files_tab(pilot) -> DataTable:
    await open_version(pilot, "demo/files:v0")
    await pilot.press("3")
    table = pilot.app.screen.query_one("#file-table", DataTable)
    assert await wait_until(pilot, lambda: table.row_count == len(FILES))
    table.focus()
    await settle(pilot)
    return table


async def _preview(pilot, table: DataTable, path: str) -> str:
    """Put the cursor on `path`, press enter, wait for the preview: -> the screen's text."""
    row = sorted(FILES).index(path)
    while table.cursor_row < row:
        await pilot.press("down")
    while table.cursor_row > row:
        await pilot.press("up")
    await pilot.press("enter")
    app = pilot.app
    assert await wait_until(pilot, lambda: isinstance(app.screen, FilePreviewScreen)
                            and any(w.kind is not None for w in app.screen.query(FilePreview)))
    await settle(pilot)
    return screen_text(app)


@pytest.mark.slow
async def test_each_kind_is_shown_as_what_it_is(files_store, make_app):
    app = make_app(files_store)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _files_tab(pilot)
        assert "⏎ Preview" in screen_text(app) and "s Save…" in screen_text(app)  # the footer names both keys

        text = await _preview(pilot, table, "notes.txt")
        assert "notes.txt  35 B · text" in text and "world [bold]x[/] ␛]0;owned␇" in text  # literal, escaped
        assert "␍" not in text and foreign_controls(app) == []
        assert "esc Back" in text and "s Save…" in text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.focused is table and table.cursor_row == sorted(FILES).index("notes.txt")

        text = await _preview(pilot, table, "config.json")
        assert "JSON" in text and '  "lr": 0.001,' in text and '    1,' in text  # pretty: one value a line
        await pilot.press("escape")

        text = await _preview(pilot, table, "data.csv")
        grid = app.screen.query_one("#preview-table", DataTable)
        assert "CSV: 2 rows x 2 columns" in text
        assert [c.label.plain for c in grid.columns.values()] == ["x", "y"]
        assert [[cell.plain for cell in grid.get_row_at(i)] for i in range(grid.row_count)] == [["1", "2"], ["3", "4"]]
        await pilot.press("escape")

        text = await _preview(pilot, table, "preds.table.json")
        grid = app.screen.query_one("#preview-table", DataTable)
        assert "W&B Table: 2 rows x 4 columns" in text
        assert [c.label.plain for c in grid.columns.values()] == ["id", "label", "score", "img"]
        assert [cell.plain for cell in grid.get_row_at(0)] == [
            "1", "cat", "0.5", "image 4x4 media/images/3acca26d4f9d111694d7.png"]
        assert grid.get_row_at(1)[1].plain == "dog␛[31m" and foreign_controls(app) == []
        await pilot.press("escape")

        text = await _preview(pilot, table, "digit.png")
        assert "PNG image: 8x8 pixels, RGB" in text and "▀" in text
        view = app.screen.query_one(ImageView)
        drawn = half_blocks(view.image, 8, 4)  # 8x8 pixels in 8 cells x 4 rows: one pixel each
        styles = {str(span.style) for span in drawn.spans}
        assert {"rgb(255,255,255) on rgb(0,0,0)", "rgb(0,0,0) on rgb(255,255,255)"} <= styles  # the diagonal
        await pilot.press("escape")

        text = await _preview(pilot, table, "blob.bin")
        digest = next(f.digest for f in files_store.artifact("demo/files:v0").files() if f.path == "blob.bin")
        assert "binary, 1,024 bytes" in text and digest in text
        assert "00000000 00010203 04050607 08090a0b 0c0d0e0f |................|" in text
        assert "first 512 bytes of 1,024 shown in hex" in text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "explorer"


@pytest.mark.slow
async def test_big_files_are_cut_and_say_so_and_escape_at_once_is_safe(files_store, make_app):
    app = make_app(files_store)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _files_tab(pilot)
        text = await _preview(pilot, table, "zbig.csv")
        assert "first 500 of 600 rows shown" in text
        assert app.screen.query_one("#preview-table", DataTable).row_count == 500
        await pilot.press("escape")
        text = await _preview(pilot, table, "zbig.txt")
        assert "first 256.0 KiB of 317.4 KiB shown" in text
        await pilot.press("escape")
        await settle(pilot)
        # enter and escape typed at once arrive in one read of the terminal: both keys are queued before either is
        # handled (pilot.press would wait between them). Twice: back on the list, nothing left open or failed.
        for _ in range(2):
            app.post_message(events.Key("enter", "\r"))
            app.post_message(events.Key("escape", "\x1b"))
        await settle(pilot)
        assert app.screen.id == "explorer" and app.screen.focused is table
        assert not [n for n in app._notifications if n.severity == "error"]
        # a corrupt blob is never shown as the file: the preview says what is wrong
        version = files_store.artifact("demo/files:v0")
        entry = next(f for f in version.files() if f.path == "notes.txt")
        blob = files_store.blobs.path(version.alg, entry.digest)
        blob.chmod(0o644)
        blob.write_bytes(b"HELLO" + blob.read_bytes()[5:])
        text = await _preview(pilot, table, "notes.txt")
        assert "blob corrupt" in text and "hello" not in text


@pytest.mark.slow
async def test_save_lands_where_asked_keeps_files_and_never_follows_a_planted_link(files_store, make_app, tmp_path):
    # make_app runs the app in tmp_path: ./artifacts/... is below it
    secret = tmp_path / "secret.txt"
    secret.write_text("keep me")
    planted = tmp_path / "artifacts" / "files:v0" / "config.json"
    planted.parent.mkdir(parents=True)
    planted.symlink_to(secret)
    app = make_app(files_store)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _files_tab(pilot)
        await _preview(pilot, table, "data.csv")
        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SaveFileDialog)
        assert dialog.query_one(Input).value == "./artifacts/files:v0/data.csv"
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, FilePreviewScreen))
        assert (tmp_path / "artifacts/files:v0/data.csv").read_bytes() == FILES["data.csv"]
        assert any("data.csv saved to artifacts/files:v0/data.csv" in n.message for n in app._notifications)
        # again: the file is there now, so the dialog asks; enter on the same path replaces it
        (tmp_path / "artifacts/files:v0/data.csv").write_bytes(b"edited")
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "already exists (a file)" in screen_text(app) and "enter again replaces it" in screen_text(app)
        assert (tmp_path / "artifacts/files:v0/data.csv").read_bytes() == b"edited"
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, FilePreviewScreen))
        assert (tmp_path / "artifacts/files:v0/data.csv").read_bytes() == FILES["data.csv"]
        await pilot.press("escape")
        await settle(pilot)

        # s straight from the list, on a file where someone planted a symlink
        await pilot.press("up")  # config.json, the row above data.csv
        await pilot.press("s")
        await settle(pilot)
        assert app.screen.query_one(Input).value == "./artifacts/files:v0/config.json"
        await pilot.press("enter")
        await settle(pilot)
        assert "already exists (a symlink)" in screen_text(app)
        await pilot.press("enter")  # replace: the link is replaced by the file, its target untouched
        assert await wait_until(pilot, lambda: app.screen.id == "explorer")
        assert secret.read_text() == "keep me"
        assert not planted.is_symlink() and planted.read_bytes() == FILES["config.json"]

        # a path of one's own, typed; a symlinked directory on the way is refused with a clear line
        (tmp_path / "elsewhere").mkdir()
        (tmp_path / "linked").symlink_to(tmp_path / "elsewhere")
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("ctrl+u", *"linked/c.json", "enter")
        await settle(pilot)
        assert "is a symlink" in screen_text(app).replace("\n", " ")
        assert list((tmp_path / "elsewhere").iterdir()) == []
        await pilot.press("ctrl+u", *"mine/c.json", "enter")
        assert await wait_until(pilot, lambda: app.screen.id == "explorer")
        assert (tmp_path / "mine" / "c.json").read_bytes() == FILES["config.json"]

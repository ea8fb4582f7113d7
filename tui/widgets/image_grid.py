"""Small images drawn in the terminal with half-block pixels, each with its caption: the report stage's 32 hardest
test examples, captioned "pred,label".

Each cell shows two pixels: "▀" with the upper pixel as foreground colour and the lower as background. With
NO_COLOR Textual turns colours to greys, which suits the grey digits. `load_tiles` reads the PNGs (in a worker: it
opens files) through `store.media_path`, which refuses paths that climb out of the run's media directory; captions
come from whoever logged the run, so they pass through `tui.safe`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from tui.safe import safe_str

__all__ = ["ImageGrid", "Tile", "load_tiles", "render_tiles"]

TILE_PX = 12  # 28x28 digits drawn small: 12 cells wide, 6 rows tall (the digits dataset is 8x8 upsampled)
GAP = 2

Pixel = tuple[int, int, int]


@dataclass(frozen=True)
class Tile:
    caption: str
    pixels: tuple[tuple[Pixel, ...], ...]  # rows of RGB, an even number of them; empty when unreadable
    problem: str = ""


def load_tiles(store: Any, run_id: str, rows: Iterable[Mapping[str, Any]], size: int = TILE_PX) -> list[Tile]:
    """Decode each image row's PNG, scaled to fit `size` x `size` pixels."""
    from PIL import Image as PILImage  # Pillow only once a report's examples are shown (start-up time)

    tiles = []
    for row in rows:
        caption = str(row.get("caption") or "")
        try:
            path = store.media_path(run_id, str(row.get("path")))
            with PILImage.open(path) as image:
                image = image.convert("RGB")
                scale = min(size / image.width, size / image.height, 1.0)
                width, height = max(1, round(image.width * scale)), max(1, round(image.height * scale))
                # BOX averages the pixels each cell covers: no ringing around the digits' strokes.
                image = image.resize((width, height), PILImage.Resampling.BOX)
                data = list(image.get_flattened_data() if hasattr(image, "get_flattened_data") else image.getdata())
        except Exception as exc:  # noqa: BLE001 - one unreadable image must not hide the others
            tiles.append(Tile(caption, (), problem="missing" if isinstance(exc, FileNotFoundError) else "unreadable"))
            continue
        pixel_rows = [tuple(data[y * width:(y + 1) * width]) for y in range(height)]
        if len(pixel_rows) % 2:
            pixel_rows.append(tuple((0, 0, 0) for _ in range(width)))
        tiles.append(Tile(caption, tuple(pixel_rows)))
    return tiles


def _tile_lines(tile: Tile, width: int, height: int) -> list[Text]:
    lines = []
    for y in range(0, height * 2, 2):
        line = Text(no_wrap=True)
        if y + 1 < len(tile.pixels):
            top, bottom = tile.pixels[y], tile.pixels[y + 1]
            for x in range(width):
                if x < len(top):
                    line.append("▀", Style(color=f"rgb{top[x]}", bgcolor=f"rgb{bottom[x]}"))
                else:
                    line.append(" ")
        else:
            line.append((tile.problem or "").center(width)[:width] if y == 0 else " " * width, "dim")
        lines.append(line)
    caption = safe_str(tile.caption)
    lines.append(Text(caption[:width].center(width), style="bold", no_wrap=True))
    return lines


def render_tiles(tiles: list[Tile], width: int, size: int = TILE_PX) -> list[Text]:
    """The tiles in rows that fit `width` cells, each tile `size` cells wide with its caption below."""
    if not tiles:
        return []
    tile_w = max(max((len(t.pixels[0]) for t in tiles if t.pixels), default=size), 1)
    tile_h = max(max((len(t.pixels) // 2 for t in tiles if t.pixels), default=size // 2), 1)
    per_row = max(1, (width + GAP) // (tile_w + GAP))
    lines: list[Text] = []
    for start in range(0, len(tiles), per_row):
        blocks = [_tile_lines(t, tile_w, tile_h) for t in tiles[start:start + per_row]]
        for i in range(tile_h + 1):
            line = Text(no_wrap=True)
            for j, block in enumerate(blocks):
                if j:
                    line.append(" " * GAP)
                line.append_text(block[i])
            lines.append(line)
        lines.append(Text(""))
    return lines


class ImageGrid(Widget):
    """A grid of captioned images; `set_tiles` replaces them. Put it in a scrolling container."""

    DEFAULT_CSS = "ImageGrid { height: auto; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.tiles: list[Tile] = []
        self.note = "No images."

    def set_tiles(self, tiles: list[Tile], note: str = "") -> None:
        self.tiles, self.note = list(tiles), note
        self.refresh(layout=True)

    def _lines(self, width: int) -> list[Text]:
        return [Text(safe_str(self.note), style="dim")] + render_tiles(self.tiles, width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        return Text("\n").join(self._lines(self.content_size.width or 80))

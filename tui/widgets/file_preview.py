"""The preview of one file: a header (path, size, kind, digest), what was cut, and the body the kind calls for
(text, a table of rows, an image in half-block pixels, or a hex head).

The screen reads and decodes the file in a worker (`tui.preview.build_preview`) and hands the `Preview` to `show`;
this widget only lays it out. Images are scaled to the space they get each time they are drawn, so a resize
redraws them to fit.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Static

from tui import format as formatting
from tui.safe import safe_text

__all__ = ["FilePreview", "ImageView", "half_blocks"]


def half_blocks(image: Any, width: int, rows: int) -> Text:
    """`image` (PIL, RGB) scaled to fit `width` cells by `rows` rows, two pixels a cell: "▀" in the upper pixel's
    colour over the lower one's. Small images grow by whole factors (crisp pixels), big ones shrink averaged."""
    from PIL import Image as PILImage

    width, height = max(1, width), max(2, rows * 2)
    scale = min(width / image.width, height / image.height)
    if scale >= 1:
        scale = int(scale)
        method = PILImage.Resampling.NEAREST
    else:
        method = PILImage.Resampling.BOX
    size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
    scaled = image.resize(size, method) if size != image.size else image
    w, h = scaled.size
    pixels = scaled.load()
    text = Text(no_wrap=True, end="")
    for y in range(0, h, 2):
        if y:
            text.append("\n")
        for x in range(w):
            top = pixels[x, y]
            bottom = pixels[x, y + 1] if y + 1 < h else (0, 0, 0)
            text.append("▀", Style(color=f"rgb({top[0]},{top[1]},{top[2]})",
                                   bgcolor=f"rgb({bottom[0]},{bottom[1]},{bottom[2]})"))
    return text


class ImageView(Widget):
    """An image drawn to fit the widget's size."""

    DEFAULT_CSS = "ImageView { width: 1fr; height: 1fr; }"

    def __init__(self, image: Any, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.image = image

    def render(self) -> Text:
        return half_blocks(self.image, self.content_size.width, self.content_size.height)


class FilePreview(Vertical):
    """Header, notes and body of one file's preview; "loading" until `show` or `show_error`."""

    def __init__(self, path: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.path = path
        self.kind: str | None = None  # what is shown, once shown

    def compose(self) -> ComposeResult:
        header = safe_text(self.path, "bold")
        header.append(" (reading…)", style="dim")
        yield Static(header, id="preview-header")
        yield Static("", id="preview-notes")

    def show(self, head: Any, preview: Any) -> None:
        """`head`: the `core.FileBytes` read; `preview`: its `tui.preview.Preview`."""
        header = safe_text(self.path, "bold")
        header.append(f"  {formatting.human_size(head.size)} · {preview.summary}")
        header.append("\ndigest ", style="dim")
        header.append_text(safe_text(head.digest, "dim"))
        if head.verified:
            header.append(" (checked)", style="dim")
        self.query_one("#preview-header", Static).update(header)
        notes = self.query_one("#preview-notes", Static)
        if preview.notes:
            notes.update(Text("cut: " + "; ".join(preview.notes), style="italic"))
        else:
            notes.display = False
        if preview.kind in ("csv", "table"):
            table = DataTable(id="preview-table", cursor_type="row", zebra_stripes=True)
            self.mount(table)
            table.add_columns(*preview.columns)
            table.add_rows(preview.rows)
            if not preview.rows:
                self.mount(Static(Text("no rows", style="dim"), id="preview-empty"))
        elif preview.kind == "image":
            self.mount(VerticalScroll(ImageView(preview.image, id="preview-image"), id="preview-body"))
        else:
            self.mount(VerticalScroll(Static(preview.text or Text(""), id="preview-text"), id="preview-body"))
        self.kind = preview.kind
        self.call_after_refresh(self.focus_body)

    def show_error(self, message: str) -> None:
        header = safe_text(self.path, "bold")
        header.append("\n")
        header.append_text(safe_text(message, "bold red"))
        self.query_one("#preview-header", Static).update(header)
        self.query_one("#preview-notes", Static).display = False
        self.kind = "error"

    def focus_body(self) -> None:
        """Arrows and page keys scroll what is shown."""
        for selector in ("#preview-table", "#preview-body"):
            found = self.query(selector)
            if found:
                found.first().focus()
                return

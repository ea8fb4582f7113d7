"""What a file of a version looks like in the preview: its kind, guessed from its name and first bytes, and what of
it is drawn, bounded.

Runs in a worker (it parses and decodes): `read_limit(path)` says how many bytes to ask the store for, and
`build_preview(head)` turns the `core.FileBytes` read into a `Preview` the widget only lays out. Text, pretty JSON,
CSV and W&B Table JSON (`*.table.json`, with "columns" and "data", as W&B and `core.wandb_compat` write it) as rows,
images as a small RGB picture (drawn with half-block characters), anything else as size, digest and a hex head.
Every string of the file goes through `tui.safe`; what was left out is said in `Preview.notes`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text

from tui import format as formatting
from tui.safe import safe_json, safe_str, safe_text

READ_LIMIT = 256 * 1024            # text, CSV and binary files: the first 256 KiB
PARSE_LIMIT = 4 * 1024 * 1024      # JSON is parsed whole, so a bigger read (then bounded rows and lines)
IMAGE_LIMIT = 16 * 1024 * 1024     # an image is decoded whole
MAX_ROWS = 500
MAX_COLUMNS = 40
MAX_LINES = 2_000
CELL_CHARS = 60
HEX_BYTES = 512
IMAGE_BOX = (256, 256)             # decoded images are kept at most this big; the widget scales them to fit
MAX_PIXELS = 50_000_000            # never decode a picture bigger than this (decompression bombs)

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


@dataclass
class Preview:
    kind: str                                  # "text" | "json" | "csv" | "table" | "image" | "binary"
    summary: str                               # e.g. "W&B Table: 2 rows x 4 columns" (our own words)
    text: Text | None = None                   # text, json and binary: what is drawn
    columns: list[Text] = field(default_factory=list)   # csv and table
    rows: list[list[Text]] = field(default_factory=list)
    image: Any = None                          # a PIL RGB image, at most IMAGE_BOX
    notes: list[str] = field(default_factory=list)      # what was cut or could not be read


def is_table_json(path: str) -> bool:
    return path.lower().endswith(".table.json")


def _is_image(path: str, data: bytes) -> bool:
    return path.lower().endswith(_IMAGE_SUFFIXES) or data.startswith(_IMAGE_MAGIC)


def read_limit(path: str) -> int:
    """How many bytes of the file at `path` a preview reads."""
    lower = path.lower()
    if lower.endswith(".json"):
        return PARSE_LIMIT
    if lower.endswith(_IMAGE_SUFFIXES):
        return IMAGE_LIMIT
    return READ_LIMIT


def _cut_note(head: Any, shown: int) -> str:
    return f"first {formatting.human_size(shown)} of {formatting.human_size(head.size)} shown"


def _decode(data: bytes, whole: bool) -> str | None:
    """UTF-8 text, or None when the bytes are not text (a NUL, invalid UTF-8, mostly control characters)."""
    if b"\x00" in data[:8192]:
        return None
    for trim in range(1 if whole else 4):  # a cut read may end inside a character
        try:
            text = data[:len(data) - trim].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 0x20 and ch not in "\n\r\t\f\b")
    return None if sample and controls > len(sample) // 10 else text


def _lines(text: str, notes: list[str]) -> Text:
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        notes.append(f"first {MAX_LINES:,} of {len(lines):,} lines shown")
        text = "\n".join(lines[:MAX_LINES])
    return safe_text(text, multiline=True, limit=None)


def _cell(value: Any) -> Text:
    """One cell of a CSV or W&B table: scalars as they read, W&B media by kind, the rest as compact JSON."""
    if value is None:
        return Text("null", style="dim")
    if isinstance(value, dict) and isinstance(value.get("_type"), str):
        kind = value["_type"]
        if kind.endswith("-file"):
            text = Text(kind[:-5], style="italic")
            if "width" in value and "height" in value:
                text.append(f" {safe_str(value['width'])}x{safe_str(value['height'])}")
            if value.get("path"):
                text.append(" ")
                text.append_text(safe_text(value["path"], "dim", limit=CELL_CHARS))
            return text
    if isinstance(value, float):
        return Text(f"{value:.6g}")
    if isinstance(value, str):
        return safe_text(value, limit=CELL_CHARS)
    text = safe_json(value)
    return Text(text[:CELL_CHARS] + ("…" if len(text) > CELL_CHARS else ""))


def _table(columns: list[Any], rows: list[list[Any]], preview: Preview, total_rows: int) -> Preview:
    if len(columns) > MAX_COLUMNS:
        preview.notes.append(f"first {MAX_COLUMNS} of {len(columns)} columns shown")
    preview.columns = [safe_text(c if isinstance(c, str) else safe_json(c), "bold", limit=CELL_CHARS)
                       for c in columns[:MAX_COLUMNS]]
    width = len(preview.columns)
    for row in rows[:MAX_ROWS]:
        cells = [_cell(v) for v in list(row)[:width]]
        preview.rows.append(cells + [Text("")] * (width - len(cells)))
    if total_rows > MAX_ROWS:
        preview.notes.append(f"first {MAX_ROWS:,} of {total_rows:,} rows shown")
    return preview


def _csv(text: str, path: str, whole: bool, preview: Preview) -> Preview:
    dialect: Any = "excel-tab" if path.lower().endswith(".tsv") else "excel"
    if dialect == "excel":
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
        except csv.Error:
            dialect = "excel"
    rows = list(csv.reader(io.StringIO(text.replace("\x00", "")), dialect))
    if not whole and len(rows) > 1:
        rows = rows[:-1]  # the last row may be cut in the middle
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    preview.summary = f"CSV: {len(body):,}{'+' if not whole else ''} rows x {len(header)} columns"
    return _table(header, body, preview, len(body))


def _wandb_table(obj: dict, preview: Preview) -> Preview:
    columns, data = obj["columns"], obj["data"]
    preview.kind = "table"
    preview.summary = f"W&B Table: {len(data):,} rows x {len(columns)} columns"
    return _table(list(columns), [r if isinstance(r, list) else [r] for r in data], preview, len(data))


def _image(head: Any, preview: Preview) -> Preview | None:
    from PIL import Image as PILImage  # only when an image is previewed (start-up time)

    try:
        with PILImage.open(io.BytesIO(head.data)) as image:
            if image.width * image.height > MAX_PIXELS:
                preview.notes.append(f"{image.width}x{image.height} pixels: too big to draw")
                return None
            fmt, mode, size = image.format or "image", image.mode, image.size
            image.draft("RGB", IMAGE_BOX)  # JPEG: decode at a reduced scale
            if mode in ("RGBA", "LA", "P", "PA"):
                rgba = image.convert("RGBA")
                image = PILImage.new("RGBA", rgba.size, (32, 32, 32, 255))
                image.alpha_composite(rgba)  # transparency over a dark grey, as terminals mostly are
            image = image.convert("RGB")
            image.thumbnail(IMAGE_BOX, PILImage.Resampling.BOX)
    except (OSError, ValueError, PILImage.DecompressionBombError) as exc:
        preview.notes.append(f"not a readable image ({safe_str(exc)[:80]})")
        return None
    preview.kind = "image"
    preview.summary = f"{fmt} image: {size[0]}x{size[1]} pixels, {mode}"
    preview.image = image
    return preview


def hex_head(data: bytes) -> Text:
    """The first HEX_BYTES bytes as offset, hex in groups of four and printable ASCII: 63 columns a line."""
    text = Text(no_wrap=True)
    for offset in range(0, min(len(data), HEX_BYTES), 16):
        chunk = data[offset:offset + 16]
        groups = " ".join(chunk[i:i + 4].hex() for i in range(0, len(chunk), 4))
        ascii_ = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        text.append(f"{offset:08x} ", style="dim")
        text.append(f"{groups:<35} ")
        text.append(f"|{ascii_}|\n", style="dim")
    return text


def _binary(head: Any, preview: Preview) -> Preview:
    preview.kind = "binary"
    preview.summary = f"binary, {head.size:,} bytes"  # the header says its size and digest
    if head.size > HEX_BYTES:
        preview.notes.append(f"first {HEX_BYTES} bytes of {head.size:,} shown in hex")
    preview.text = hex_head(head.data)
    return preview


def build_preview(head: Any) -> Preview:
    """The preview of `head`, a `core.FileBytes` read with at most `read_limit(head.path)` bytes."""
    path, data, whole = head.path, head.data, head.whole
    preview = Preview("text", "text")
    if _is_image(path, data):
        if whole and _image(head, preview) is not None:
            return preview
        if not whole:
            preview.notes.append(f"image larger than {formatting.human_size(len(data))}: not decoded")
        return _binary(head, preview)
    shown = data[:READ_LIMIT]
    text = _decode(data if path.lower().endswith(".json") else shown, whole and len(shown) == len(data))
    if text is None:
        return _binary(head, preview)
    if path.lower().endswith(".json"):
        if whole:
            try:
                obj = json.loads(text)
            except ValueError as exc:
                preview.notes.append(f"not valid JSON ({safe_str(exc)[:80]}): shown as text")
            else:
                if is_table_json(path) and isinstance(obj, dict) and isinstance(obj.get("columns"), list) \
                        and isinstance(obj.get("data"), list):
                    return _wandb_table(obj, preview)
                preview.kind, preview.summary = "json", "JSON"
                preview.text = _lines(json.dumps(obj, indent=2, ensure_ascii=False, default=str), preview.notes)
                return preview
        else:
            preview.notes.append(f"larger than {formatting.human_size(len(data))}: not parsed, shown as text")
        text = _decode(shown, whole and len(shown) == len(data)) or ""
    if len(shown) < head.size:
        preview.notes.append(_cut_note(head, len(shown)))
    if path.lower().endswith((".csv", ".tsv")):
        preview.kind = "csv"
        return _csv(text, path, len(shown) == head.size, preview)
    preview.text = _lines(text, preview.notes)
    return preview

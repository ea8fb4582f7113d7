"""Short human forms of sizes, ages and times, shared by every widget so the same thing reads the same everywhere.

Ages are computed against a clock the app owns (`ArtifactsApp.clock`), so tests and snapshots can freeze them.
"""

from __future__ import annotations

from datetime import datetime, timezone

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


def human_size(size: int | None) -> str:
    """Decimal units as W&B's UI shows them: 999 B, 1.2 kB, 34 MB."""
    if size is None:
        return "?"
    value = float(size)
    for unit in _UNITS:
        if abs(value) < 1000 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover - the loop always returns


def age(then: datetime | None, now: datetime) -> str:
    """How long ago, in the largest whole unit: "now", "45s", "12m", "3h", "5d", "2mo", "1y"."""
    if then is None:
        return "?"
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    seconds = int((now - then).total_seconds())
    if seconds < 5:
        return "now"
    for unit, span in (("y", 365 * 86400), ("mo", 30 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= span:
            return f"{seconds // span}{unit}"
    return f"{seconds}s"


def timestamp(then: datetime | None) -> str:
    """An absolute time in the viewer's local zone, to the second."""
    if then is None:
        return "?"
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    return then.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(timezone.utc)


def short_digest(digest: str | None, length: int = 12) -> str:
    return (digest or "")[:length]

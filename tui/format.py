"""Short human forms of sizes, ages, times, run states and errors, shared by the CLI and every widget so the same
thing reads the same everywhere.

Ages are computed against a clock the app owns (`ArtifactsApp.clock`), so tests and snapshots can freeze them.
Nothing here makes a renderable: callers pass user-controlled text through `tui.safe` when they show it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from core.errors import ArtifactsError

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_size(size: int | None) -> str:
    """Binary units, the same as the CLI prints (`artifacts-tui ls`, `show`, `gc`): 999 B, 1.2 KiB, 34.0 MiB."""
    if size is None:
        return "?"
    value = float(size)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
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


def ago(then: datetime | None, now: datetime) -> str:
    """`age` as a phrase: "just now", "12m ago"."""
    text = age(then, now)
    return "just now" if text == "now" else f"{text} ago"


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


# A run's state as a glyph and a word, and the style both are drawn in. The glyphs differ in shape, so the states
# read the same with NO_COLOR. "queued" is the runner's own state of a launch that has not started yet.
RUN_STATES = {
    "queued": ("…", "dim"),
    "running": ("●", "bold cyan"),
    "finished": ("✓", "green"),
    "failed": ("✗", "bold red"),
    "crashed": ("✗", "bold red"),
    "cancelled": ("■", "yellow"),
}


def run_state(state: str) -> str:
    """"✓ finished", "● running", ...; an unknown state as it is."""
    glyph = RUN_STATES.get(state, ("", ""))[0]
    return f"{glyph} {state}" if glyph else state


def run_state_style(state: str) -> str:
    return RUN_STATES.get(state, ("", ""))[1]


def describe_error(error: BaseException) -> str:
    """One line for a failed call: the message of our own errors, prefixed by the class name for others."""
    message = str(error) or type(error).__name__
    return message if isinstance(error, ArtifactsError) else f"{type(error).__name__}: {message}"

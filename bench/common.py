"""What every benchmark module shares: the result row, a timer, and the BENCHMARKS.md writer.

A benchmark module is `bench/bench_<topic>.py` with `TITLE` and `run(workdir: Path) -> list[Result]`.
`python -m bench` (what `make bench` runs) calls each and writes BENCHMARKS.md at the repository root.
"""

from __future__ import annotations

import gc
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Result:
    name: str                 # what was measured, e.g. "log 1 GiB file"
    ours: float               # our figure
    unit: str                 # "s", "MB", "ms", ...
    peer: str = ""            # the peer measured in the same run, e.g. "hashlib.md5 single pass"
    peer_value: float | None = None
    goal: str = ""            # e.g. "<= 1.2x peer", "< 0.5 s"
    met: bool | None = None   # whether the goal was met in this run

    @property
    def ratio(self) -> float | None:
        if self.peer_value in (None, 0):
            return None
        return self.ours / self.peer_value


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of `repeat` calls, in seconds (the least disturbed by the rest of the machine)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def render_markdown(sections: list[tuple[str, list[Result]]]) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M')} ({platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}). Ratios are ours / peer, both measured "
        "in the same run; below 1 means we are faster.",
        "",
    ]
    for title, results in sections:
        lines += [f"## {title}", "", "| measure | ours | peer | peer figure | ratio | goal | met |",
                  "|---|---|---|---|---|---|---|"]
        for r in results:
            peer_fig = "" if r.peer_value is None else f"{r.peer_value:.4g} {r.unit}"
            ratio = "" if r.ratio is None else f"{r.ratio:.3g}x"
            met = "" if r.met is None else ("yes" if r.met else "**no**")
            lines.append(f"| {r.name} | {r.ours:.4g} {r.unit} | {r.peer} | {peer_fig} | {ratio} | {r.goal} | {met} |")
        lines.append("")
    return "\n".join(lines)

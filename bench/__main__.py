"""`python -m bench [NAME ...]`: run the benchmark modules (all, or those named) and write BENCHMARKS.md."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from bench.common import Result, render_markdown

ROOT = Path(__file__).resolve().parent.parent


def _split(text: str) -> tuple[str, dict[str, str]]:
    head, *chunks = text.split("\n## ")
    return head, {chunk.split("\n", 1)[0]: "## " + chunk for chunk in chunks}


def merge_sections(old: str, new: str) -> str:
    """`new`'s header and sections, plus the sections of `old` that `new` does not replace."""
    _, old_sections = _split(old)
    head, new_sections = _split(new)
    merged = {**old_sections, **new_sections}
    return head.rstrip("\n") + "\n\n" + "\n".join(s.rstrip("\n") + "\n" for s in merged.values())


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    if not argv:
        # Each benchmark in a process of its own: peak RSS and "torch not imported" are per process, and one
        # benchmark's 1 GiB buffers must not show up in another's memory figure.
        (ROOT / "BENCHMARKS.md").unlink(missing_ok=True)
        failed = 0
        for name in names:
            failed |= subprocess.run([sys.executable, "-m", "bench", name], cwd=ROOT).returncode != 0
        return 1 if failed else 0
    names = [n for n in names if n in argv or n.removeprefix("bench_") in argv]
    sections: list[tuple[str, list[Result]]] = []
    failed = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        title = getattr(module, "TITLE", name)
        print(f"== {title}", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
            try:
                results = module.run(Path(tmp))
            except Exception:  # one broken benchmark must not hide the others' figures
                traceback.print_exc()
                failed += 1
                continue
        for r in results:
            ratio = "" if r.ratio is None else f" ({r.ratio:.3g}x {r.peer})"
            print(f"   {r.name}: {r.ours:.4g} {r.unit}{ratio}  goal {r.goal}", flush=True)
        sections.append((title, results))
    out = ROOT / "BENCHMARKS.md"
    fresh = render_markdown(sections)
    if argv and out.exists():  # a subset: keep the other benchmarks' figures, replace these
        fresh = merge_sections(out.read_text(encoding="utf-8"), fresh)
    out.write_text(fresh, encoding="utf-8")
    print(f"wrote {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

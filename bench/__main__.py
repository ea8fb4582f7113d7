"""`python -m bench [NAME ...]`: run the benchmark modules (all, or those named) and write BENCHMARKS.md."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import tempfile
import traceback
from pathlib import Path

from bench.common import Result, render_markdown

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    if argv:
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
    out.write_text(render_markdown(sections), encoding="utf-8")
    print(f"wrote {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

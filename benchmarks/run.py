"""Run every ``benchmarks/bench_*.py`` script in turn and collect their tables.

Each benchmark is a standalone script that measures transom side by side with
other projects in the same run and prints a markdown table of ratios. This
runner passes its arguments through (``--quick`` for a short run), echoes each
table, and writes them all to ``benchmarks/results/latest.md``.

Usage: ``nox -s bench`` or ``python benchmarks/run.py [--quick] [-k NAME]``.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke check")
    parser.add_argument("-k", dest="only", default="", help="run benchmarks whose name has this")
    args = parser.parse_args()

    scripts = [p for p in sorted(HERE.glob("bench_*.py")) if args.only in p.stem]
    if not scripts:
        print("no benchmark matched", file=sys.stderr)
        return 1
    header = f"# transom benchmarks\n\n{platform.platform()}, Python {platform.python_version()}\n"
    sections = [header]
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        started = time.perf_counter()
        command = [sys.executable, str(script), *(["--quick"] if args.quick else [])]
        result = subprocess.run(command, capture_output=True, text=True)
        print(result.stdout, end="")
        if result.returncode:
            print(result.stderr, file=sys.stderr)
            failed.append(script.name)
            continue
        elapsed = time.perf_counter() - started
        sections.append(f"## {script.stem}\n\n{result.stdout.strip()}\n\n({elapsed:.0f} s)\n")
    out = HERE / "results" / "latest.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(sections), encoding="utf-8")
    print(f"tables written to {out.relative_to(HERE.parent)}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

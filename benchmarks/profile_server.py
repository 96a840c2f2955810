"""Profile transom.web's request hot path while wrk loads the benchmark app.

The app of ``benchmarks/servers/transom_app.py`` is served in this process on
127.0.0.1 (pinned to core 0 when there are two), the profiler is switched on,
and ``wrk`` (pinned to core 1) loads each path in turn. Only the serving thread
is profiled: wrk waits in a worker thread. Then the profile is printed:

- with cProfile (the default, or ``--profiler cprofile``): the top functions
  by cumulative time and by total (own) time;
- with pyinstrument (``--profiler pyinstrument``, when installed): its call
  tree, sampled, which weighs less on the server than cProfile's tracing.

Profiling slows the server down, so the request rates printed here are not
benchmark figures: use ``bench_server.py`` for those.

Usage: ``python benchmarks/profile_server.py [--loop asyncio|uvloop]
[--seconds 5] [--paths /,/json,/user/42] [--top 30] [--output FILE.prof]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import importlib.util
import io
import os
import pstats
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from transom import web

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
CONNECTIONS = 64
SERVER_CORE = 0
WRK_CORE = 1
DEFAULT_PATHS = "/,/json,/user/42"
# wrk is given this much time beyond its own duration before it is killed.
WRK_GRACE_SECONDS = 30


def load_app_factory() -> Callable[[], web.Application]:
    """``make_app`` from ``servers/transom_app.py``, so the profile sees the benchmarked app."""
    path = HERE / "servers" / "transom_app.py"
    spec = importlib.util.spec_from_file_location("transom_bench_app", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return cast("Callable[[], web.Application]", module.make_app)


class Profiler:
    """cProfile or pyinstrument behind one start/stop/report interface."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._cprofile = cProfile.Profile()
        self._sampler: Any = None
        if kind == "pyinstrument":
            pyinstrument = importlib.import_module("pyinstrument")
            # "disabled": sample the whole serving thread, not only the awaiting task.
            self._sampler = pyinstrument.Profiler(async_mode="disabled")

    def start(self) -> None:
        if self._sampler is not None:
            self._sampler.start()
        else:
            self._cprofile.enable()

    def stop(self) -> None:
        if self._sampler is not None:
            self._sampler.stop()
        else:
            self._cprofile.disable()

    def report(self, top: int, output: Path | None) -> str:
        """The profile as text; with ``output``, also saved there (pstats or pyinstrument HTML)."""
        if self._sampler is not None:
            if output is not None:
                output.write_text(self._sampler.output_html(), encoding="utf-8")
            return str(self._sampler.output_text(unicode=True, color=False))
        if output is not None:
            self._cprofile.dump_stats(output)
        parts = []
        for order, title in (("cumulative", "cumulative time"), ("tottime", "total (own) time")):
            stream = io.StringIO()
            stats = pstats.Stats(self._cprofile, stream=stream).strip_dirs()
            stats.sort_stats(order).print_stats(top)
            parts.append(f"== top {top} functions by {title}\n{stream.getvalue()}")
        return "\n".join(parts)


def wrk_command(wrk: str, url: str, seconds: int, pin: bool) -> list[str]:
    command = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    return ["taskset", "-c", str(WRK_CORE), *command] if pin else command


def summary(output: str) -> str:
    """wrk's request count, rate and error lines, the rest left out."""
    keep = ("requests in", "Requests/sec", "Non-2xx", "Socket errors")
    return "\n".join(line.strip() for line in output.splitlines() if any(k in line for k in keep))


async def profile(
    profiler: Profiler, wrk: str, paths: list[str], seconds: int, pin: bool
) -> list[str]:
    """Serve the app, profile it under wrk load on each path, and return wrk's summaries."""
    runner = web.AppRunner(load_app_factory()(), access_log=None)
    await runner.setup()
    summaries = []
    try:
        site = web.TCPSite(runner, HOST, 0)
        await site.start()
        port = runner.addresses[0][1]
        profiler.start()
        try:
            for path in paths:
                command = wrk_command(wrk, f"http://{HOST}:{port}{path}", seconds, pin)
                result = await asyncio.to_thread(
                    subprocess.run,
                    command,
                    capture_output=True,
                    text=True,
                    timeout=seconds + WRK_GRACE_SECONDS,
                    check=False,
                )
                summaries.append(f"GET {path}: {summary(result.stdout) or result.stderr.strip()}")
        finally:
            profiler.stop()
    finally:
        await runner.cleanup()
    return summaries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--seconds", type=int, default=5, help="wrk run per path (default 5)")
    parser.add_argument("--paths", default=DEFAULT_PATHS, help=f"default {DEFAULT_PATHS}")
    parser.add_argument("--top", type=int, default=30, help="functions listed (default 30)")
    parser.add_argument("--profiler", choices=("cprofile", "pyinstrument"), default="cprofile")
    parser.add_argument("--output", type=Path, help="also save the profile to this file")
    args = parser.parse_args()

    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed: run bench_server.py once, or install 'wrk'", file=sys.stderr)
        return 2
    if args.profiler == "pyinstrument" and importlib.util.find_spec("pyinstrument") is None:
        print("pyinstrument is not installed; use --profiler cprofile", file=sys.stderr)
        return 2
    pin = shutil.which("taskset") is not None and (os.cpu_count() or 1) > 1
    if pin:
        os.sched_setaffinity(0, {SERVER_CORE})
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if args.loop == "uvloop":
        loop_factory = importlib.import_module("uvloop").new_event_loop
    paths = [path.strip() for path in args.paths.split(",") if path.strip()]

    profiler = Profiler(args.profiler)
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        summaries = runner.run(profile(profiler, wrk, paths, args.seconds, pin))
    print(f"transom.web under {profiler.kind}, {args.loop} loop, {args.seconds} s per path")
    print("\n".join(summaries), end="\n\n")
    print(profiler.report(args.top, args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Server CPU per request with no network: transom.web against aiohttp.web.

Each framework serves the benchmark app of ``servers/transom_app.py`` or
``servers/aiohttp_app.py`` through its own ``AppRunner``, but to a stub
transport instead of a socket: requests are handed to the connection's
``data_received`` from a loop callback, as a socket read would be, and the
response counts as sent when the stub's ``write`` receives it. No kernel, no
load generator: the figure is the framework's own CPU time per request
(process time, so other load on the machine moves it little), with one
request in flight.

Each framework runs in a child process of its own, per event loop; the table
gives, per path, the lowest of several repeats in microseconds and the ratio
of aiohttp's figure to transom's (above 1: transom spends less). Timings are
reported, never asserted.

Usage: ``python benchmarks/bench_server_cpu.py [--quick] [--loops asyncio,uvloop]
[--requests N] [--repeats N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PATHS = ("/", "/json", "/user/42")
FRAMEWORKS = ("transom", "aiohttp")
FULL_REQUESTS = 20_000
QUICK_REQUESTS = 3_000
FULL_REPEATS = 5
QUICK_REPEATS = 2
WARM_UP_REQUESTS = 1_000


class StubTransport(asyncio.Transport):
    """Takes the server's output and tells the driver when a response went out."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: asyncio.Future[None] | None = None
        self._closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8080)}.get(
            name, default
        )

    def write(self, data: bytes | bytearray | memoryview) -> None:
        sent = self.sent
        if sent is not None and not sent.done():
            sent.set_result(None)

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._closing = True

    def pause_reading(self) -> None:
        """Nothing to pause: input comes from the driver."""

    def resume_reading(self) -> None:
        """Nothing to resume."""

    def can_write_eof(self) -> bool:
        return True

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """Writes never queue here."""

    def get_write_buffer_size(self) -> int:
        return 0


def _make_app(framework: str) -> Any:
    path = HERE / "servers" / f"{framework}_app.py"
    spec = importlib.util.spec_from_file_location(f"{framework}_cpu_app", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_app()


async def _serve(protocol: Any, transport: StubTransport, request: bytes, count: int) -> None:
    """Hand ``request`` to ``protocol`` ``count`` times, each once the last was answered."""
    loop = asyncio.get_running_loop()
    for _ in range(count):
        sent = transport.sent = loop.create_future()
        # From a loop callback, as a socket read would arrive.
        loop.call_soon(protocol.data_received, request)
        await sent


async def _measure(framework: str, requests: int, repeats: int) -> dict[str, float]:
    """Microseconds of process time per request, per path (lowest of ``repeats``)."""
    if framework == "transom":
        from transom import web
    else:
        from aiohttp import web  # type: ignore[no-redef]
    runner = web.AppRunner(_make_app(framework), access_log=None)
    await runner.setup()
    assert runner.server is not None
    results: dict[str, float] = {}
    try:
        for path in PATHS:
            protocol: Any = runner.server()
            transport = StubTransport()
            protocol.connection_made(transport)
            request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n".encode()
            await _serve(protocol, transport, request, WARM_UP_REQUESTS)
            best = float("inf")
            for _ in range(repeats):
                started = time.process_time()
                await _serve(protocol, transport, request, requests)
                best = min(best, (time.process_time() - started) / requests * 1e6)
            results[path] = best
            protocol.connection_lost(None)
    finally:
        await runner.cleanup()
    return results


def _child(framework: str, loop_name: str, requests: int, repeats: int) -> None:
    if loop_name == "uvloop":
        import uvloop

        uvloop.install()
    print(json.dumps(asyncio.run(_measure(framework, requests, repeats))))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--loops", default="asyncio,uvloop", help="comma-separated")
    parser.add_argument("--requests", type=int, help="requests per path and repeat")
    parser.add_argument("--repeats", type=int, help="repeats per path; the lowest counts")
    parser.add_argument("--child", nargs=2, metavar=("FRAMEWORK", "LOOP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    requests = args.requests or (QUICK_REQUESTS if args.quick else FULL_REQUESTS)
    repeats = args.repeats or (QUICK_REPEATS if args.quick else FULL_REPEATS)
    if args.child:
        _child(args.child[0], args.child[1], requests, repeats)
        return
    loops = [name for name in args.loops.split(",") if name]
    if "uvloop" in loops and importlib.util.find_spec("uvloop") is None:
        loops.remove("uvloop")
    print(
        f"Server CPU per request, stub transport, one request in flight; lowest of {repeats} "
        f"repeats of {requests} requests. Python {platform.python_version()}.\n"
    )
    print("| path | loop | transom µs | aiohttp µs | aiohttp/transom |")
    print("|---|---|---|---|---|")
    for loop_name in loops:
        figures: dict[str, dict[str, float]] = {}
        for framework in FRAMEWORKS:
            command = [sys.executable, __file__, "--child", framework, loop_name]
            command += ["--requests", str(requests), "--repeats", str(repeats)]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            figures[framework] = json.loads(output.strip().splitlines()[-1])
        for path in PATHS:
            ours, theirs = figures["transom"][path], figures["aiohttp"][path]
            print(
                f"| `{path}` | {loop_name} | {ours:.1f} | {theirs:.1f} | **{theirs / ours:.2f}x** |"
            )


if __name__ == "__main__":
    main()

"""Client throughput: transom.client against aiohttp and httpx, in one run.

A minimal asyncio server in a separate process answers every request with a
canned response (a short body, or 1 MiB for ``/big``). Each client then makes
the same GETs at the same concurrency, on a loop of its own, pinned to
another core than the server when the machine has two. The table reports
requests per second, the ratio to aiohttp, and the client process's resident
memory at the start, middle and end of each run (a flat line means the pool
does not grow). The ``raw-floor`` row is a bare asyncio protocol that writes a
canned request and counts response bytes without parsing anything: the most
any Python client can reach on this machine and loop.

The server runs on asyncio's default loop. ``--server-loop uvloop`` runs it on
uvloop instead: a faster server, so that the figures say more about the
clients and less about the server (the ``raw-floor`` row shows how close to the
server's limit each client gets). The clients always run on asyncio's loop.

Before each table an uncounted warm-up run loads the fresh server, whose
first connections are slower than later ones; then every client runs
``--rounds`` times, each round in another order, and the table shows the
median rate (memory is that of the first round).

Usage: ``python benchmarks/bench_client.py [--quick] [--requests N]
[--downloads N] [--rounds N] [--clients transom,aiohttp,httpx,raw-floor]
[--server-loop asyncio|uvloop]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

SMALL_BODY = b"Hello, World!"
BIG_BODY = b"x" * (1024 * 1024)
CONCURRENCY = 32
FULL_REQUESTS = 20_000
QUICK_REQUESTS = 3_000
FULL_DOWNLOADS = 300
QUICK_DOWNLOADS = 60
FULL_ROUNDS = 3

_SMALL_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
    + str(len(SMALL_BODY)).encode()
    + b"\r\n\r\n"
    + SMALL_BODY
)
_BIG_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
    + str(len(BIG_BODY)).encode()
    + b"\r\n\r\n"
    + BIG_BODY
)


# -- the server ----------------------------------------------------------------


class CannedServer(asyncio.Protocol):
    """Answers each request head (GET, no body) with a fixed response."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing it.
        self.transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out = []
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = self.buffer[:end]
            self.buffer = self.buffer[end + 4 :]
            out.append(_BIG_RESPONSE if head.startswith(b"GET /big") else _SMALL_RESPONSE)
        if out and self.transport is not None:
            self.transport.write(b"".join(out))


def _pin(core: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {core % (os.cpu_count() or 1)})


def _serve(
    port_pipe: multiprocessing.connection.Connection,
    stop: multiprocessing.synchronize.Event,
    loop_name: str,
) -> None:
    _pin(1)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(CannedServer, "127.0.0.1", 0, backlog=1024)
        port_pipe.send(server.sockets[0].getsockname()[1])
        await loop.run_in_executor(None, stop.wait)
        server.close()
        await server.wait_closed()

    if loop_name == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


# -- the clients -----------------------------------------------------------------


def rss_mib() -> float:
    """Resident memory of this process, in MiB (Linux), else 0."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


Fetch = Callable[[str], Awaitable[int]]


async def _drive(fetch: Fetch, url: str, count: int, samples: list[float]) -> float:
    """One untimed fetch, then ``count`` timed ones; returns their seconds.

    The RSS is sampled after the untimed fetch, halfway through and at the end.
    """
    await fetch(url)
    samples.append(rss_mib())
    remaining = count
    done = 0

    async def worker() -> None:
        nonlocal remaining, done
        while remaining > 0:
            remaining -= 1
            await fetch(url)
            done += 1
            if done == count // 2:
                samples.append(rss_mib())

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - start
    samples.append(rss_mib())
    return elapsed


async def run_transom(url: str, count: int, samples: list[float]) -> float:
    import transom.client

    async with transom.client.ClientSession() as session:

        async def fetch(target: str) -> int:
            async with session.get(target) as response:
                return len(await response.read())

        return await _drive(fetch, url, count, samples)


async def run_aiohttp(url: str, count: int, samples: list[float]) -> float:
    import aiohttp

    async with aiohttp.ClientSession() as session:

        async def fetch(target: str) -> int:
            async with session.get(target) as response:
                return len(await response.read())

        return await _drive(fetch, url, count, samples)


async def run_httpx(url: str, count: int, samples: list[float]) -> float:
    import httpx

    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits) as client:

        async def fetch(target: str) -> int:
            response = await client.get(target)
            return len(response.content)

        return await _drive(fetch, url, count, samples)


class _RawClient(asyncio.Protocol):
    """The floor: a canned request written, the response counted, nothing parsed."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.received = 0
        self.waiter: asyncio.Future[None] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        if self.received >= self.expected and self.waiter is not None:
            self.received -= self.expected
            self.waiter.set_result(None)

    async def fetch(self, request: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        await self.waiter
        return self.expected


async def run_raw(url: str, count: int, samples: list[float]) -> float:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    request = f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
    expected = len(_BIG_RESPONSE if parts.path == "/big" else _SMALL_RESPONSE)
    assert parts.hostname is not None
    assert parts.port is not None
    loop = asyncio.get_running_loop()
    idle: list[_RawClient] = []
    for _ in range(CONCURRENCY):
        _, client = await loop.create_connection(
            lambda: _RawClient(expected), parts.hostname, parts.port
        )
        idle.append(client)

    async def fetch(target: str) -> int:
        client = idle.pop()
        try:
            return await client.fetch(request)
        finally:
            idle.append(client)

    elapsed = await _drive(fetch, url, count, samples)
    for client in idle:
        assert client.transport is not None
        client.transport.close()
    return elapsed


CLIENTS: dict[str, Callable[[str, int, list[float]], Coroutine[Any, Any, float]]] = {
    "transom": run_transom,
    "aiohttp": run_aiohttp,
    "httpx": run_httpx,
    "raw-floor": run_raw,
}


def _measure(
    name: str, url: str, count: int, result: multiprocessing.connection.Connection
) -> None:
    # Each client runs in a fresh process so memory figures are its own.
    _pin(0)
    samples: list[float] = []
    gc.collect()
    elapsed = asyncio.run(CLIENTS[name](url, count, samples))
    result.send((elapsed, samples))


def measure(name: str, url: str, count: int) -> tuple[float, list[float]]:
    """Run one client in a child process; return (seconds, RSS samples)."""
    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.Process(target=_measure, args=(name, url, count, send))
    process.start()
    elapsed, samples = receive.recv()
    process.join()
    return elapsed, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (about 30 s)")
    parser.add_argument("--requests", type=int, help="small GETs per client")
    parser.add_argument("--downloads", type=int, help="1 MiB GETs per client")
    parser.add_argument("--clients", default=",".join(CLIENTS), help="comma-separated")
    parser.add_argument(
        "--server-loop",
        choices=("asyncio", "uvloop"),
        default="asyncio",
        help="the canned server's event loop (default asyncio)",
    )
    parser.add_argument(
        "--rounds", type=int, help=f"timed rounds per client (default {FULL_ROUNDS}, quick 1)"
    )
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else FULL_ROUNDS)
    requests = args.requests or (QUICK_REQUESTS if args.quick else FULL_REQUESTS)
    downloads = args.downloads or (QUICK_DOWNLOADS if args.quick else FULL_DOWNLOADS)
    names = [name for name in args.clients.split(",") if name]

    multiprocessing.set_start_method("spawn")
    port_receive, port_send = multiprocessing.Pipe(duplex=False)
    stop = multiprocessing.Event()
    server = multiprocessing.Process(
        target=_serve, args=(port_send, stop, args.server_loop), daemon=True
    )
    server.start()
    port = port_receive.recv()
    base = f"http://127.0.0.1:{port}"
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, concurrency {CONCURRENCY}, "
        f"{requests} small GETs and {downloads} x 1 MiB GETs per client, "
        f"server on {args.server_loop}"
    )
    try:
        for label, path, count in (("small", "/", requests), ("1 MiB", "/big", downloads)):
            # The server's first connections cost more than later ones: a
            # warm-up run, not counted, keeps that off whichever client is first.
            measure("raw-floor", base + path, max(count // 10, 1))
            rates: dict[str, list[float]] = {name: [] for name in names}
            memory_samples: dict[str, list[float]] = {}
            for round_index in range(rounds):
                # Each round starts with another client, so drift in the
                # machine's speed is spread over all of them.
                shift = round_index % len(names)
                for name in names[shift:] + names[:shift]:
                    elapsed, samples = measure(name, base + path, count)
                    rates[name].append(count / elapsed)
                    memory_samples.setdefault(name, samples)
            rows = [(name, statistics.median(rates[name]), memory_samples[name]) for name in names]
            baseline = next((rate for name, rate, _ in rows if name == "aiohttp"), None)
            print(f"\n{label} responses (median of {rounds} round{'s' if rounds > 1 else ''})")
            print(f"{'client':<10}{'req/s':>10}{'vs aiohttp':>12}{'RSS MiB start/mid/end':>26}")
            for name, rate, samples in rows:
                ratio = f"{rate / baseline:.2f}x" if baseline else "-"
                memory = "/".join(f"{sample:.1f}" for sample in samples)
                print(f"{name:<10}{rate:>10.0f}{ratio:>12}{memory:>26}")
    finally:
        stop.set()
        server.join(timeout=5)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    socket.setdefaulttimeout(30)
    main()

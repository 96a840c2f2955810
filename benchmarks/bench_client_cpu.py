"""Client CPU per request with no network: transom.client on a stub transport.

Each request goes through a real ``ClientSession``, its pool and its
``PooledConnection``, but the connection's transport is a stub: a written
request is answered by handing a canned response to ``data_received`` from a
loop callback, as a socket read would. No kernel, no server process: the
figure is the client's own work per request, with ``--concurrency`` requests
in flight. The ``raw`` row is the floor: a bare protocol that writes a canned
request and counts the answer's bytes, on the same stub.

Process time per request is printed; it moves with the machine. For a figure
that does not, run it twice under valgrind and divide the difference of the
instruction counts by the difference of the request counts::

    valgrind --tool=cachegrind --cache-sim=no python benchmarks/bench_client_cpu.py \
        --clients transom --requests 1000 --repeats 1
    valgrind --tool=cachegrind --cache-sim=no python benchmarks/bench_client_cpu.py \
        --clients transom --requests 3000 --repeats 1

Usage: ``python benchmarks/bench_client_cpu.py [--requests N] [--repeats N]
[--concurrency N] [--clients transom,raw]``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"
URL = "http://127.0.0.1:8080/"


class StubTransport(asyncio.Transport):
    """Answers each request head written to it with ``RESPONSE``, from a loop callback."""

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol: asyncio.Protocol) -> None:
        super().__init__()
        self._loop = loop
        self._protocol = protocol
        self._closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        heads = bytes(data).count(b"\r\n\r\n")
        self._loop.call_soon(self._protocol.data_received, RESPONSE * heads)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        """Nothing to pause: input comes from the stub."""

    def resume_reading(self) -> None:
        """Nothing to resume."""


async def run_transom(requests: int, concurrency: int) -> float:
    """Process-time microseconds per request through a transom ``ClientSession``."""
    from transom.client import ClientSession, TCPConnector
    from transom.client._pooled_connection import PooledConnection

    class StubConnector(TCPConnector):
        async def _create_connection(self, key: Any, *args: Any) -> PooledConnection:
            loop = asyncio.get_running_loop()
            connection = PooledConnection(loop, self, key, key.host)
            connection.connection_made(StubTransport(loop, connection))
            return connection

    async with ClientSession(connector=StubConnector()) as session:

        async def fetch() -> int:
            async with session.get(URL) as response:
                return len(await response.read())

        await fetch()
        return await _drive(fetch, requests, concurrency)


class _RawClient(asyncio.Protocol):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport = StubTransport(loop, self)
        self.received = 0
        self.waiter: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        if self.received >= len(RESPONSE) and self.waiter is not None:
            self.received -= len(RESPONSE)
            self.waiter.set_result(None)

    async def fetch(self, request: bytes) -> int:
        self.waiter = self.loop.create_future()
        self.transport.write(request)
        await self.waiter
        return len(RESPONSE)


async def run_raw(requests: int, concurrency: int) -> float:
    """The floor: process-time microseconds per request of a bare protocol."""
    loop = asyncio.get_running_loop()
    idle = [_RawClient(loop) for _ in range(concurrency)]
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"

    async def fetch() -> int:
        client = idle.pop()
        try:
            return await client.fetch(request)
        finally:
            idle.append(client)

    return await _drive(fetch, requests, concurrency)


async def _drive(fetch: Any, requests: int, concurrency: int) -> float:
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await fetch()

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - started) / requests * 1e6


CLIENTS = {"transom": run_transom, "raw": run_raw}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000, help="requests per repeat")
    parser.add_argument("--repeats", type=int, default=5, help="the lowest counts")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--clients", default="transom,raw", help="comma-separated")
    args = parser.parse_args()
    for name in args.clients.split(","):
        best = min(
            asyncio.run(CLIENTS[name](args.requests, args.concurrency)) for _ in range(args.repeats)
        )
        print(f"{name:<10}{best:8.2f} µs per request")


if __name__ == "__main__":
    main()

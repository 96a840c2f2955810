"""A ceiling reference: canned responses from a bare ``asyncio.Protocol``.

No framework, no routing table, no request object: the request head is split
on its blank line and the target picks one of three prebuilt responses (the
``/user/{id}`` one is assembled per request). The bodies and content types are
those of the framework apps, so the harness checks it the same way. Pipelined
requests are answered in order, in one write.

Usage: ``python raw_app.py --port PORT [--loop asyncio|uvloop]``. Serves on
127.0.0.1, one process, until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable
from typing import cast

HOST = "127.0.0.1"
# A request head longer than this without its blank line closes the connection:
# the benchmark's requests are a few hundred bytes.
MAX_HEAD_SIZE = 8192


def _response(body: bytes, content_type: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: "
        + content_type
        + b"\r\nContent-Length: "
        + str(len(body)).encode("ascii")
        + b"\r\n\r\n"
        + body
    )


TEXT = b"text/plain; charset=utf-8"
CANNED = {
    b"/": _response(b"Hello, World!", TEXT),
    b"/json": _response(b'{"message": "Hello, World!"}', b"application/json; charset=utf-8"),
}
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


class CannedResponder(asyncio.Protocol):
    """Answers each GET request head with its canned response."""

    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, though uvloop's is no subclass of asyncio.Transport.
        self._transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        out = []
        start = 0
        # Bounded: each pass consumes one complete head from the buffer.
        while (end := buffer.find(b"\r\n\r\n", start)) >= 0:
            line_end = buffer.find(b"\r\n", start)
            parts = buffer[start:line_end].split(b" ", 2)
            target = parts[1] if len(parts) == 3 else b""
            canned = CANNED.get(target)
            if canned is None and target.startswith(b"/user/"):
                canned = _response(b"user " + target[6:], TEXT)
            out.append(canned or NOT_FOUND)
            start = end + 4
        self._buffer = buffer[start:]
        if self._transport is None:
            return
        if out:
            self._transport.write(b"".join(out))
        if len(self._buffer) > MAX_HEAD_SIZE:
            self._transport.close()


async def serve(port: int) -> None:
    """Serve on ``HOST:port`` until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(CannedResponder, HOST, port, backlog=1024)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        server.close()


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory for ``"uvloop"``, else ``None`` (asyncio's default loop)."""
    if name != "uvloop":
        return None
    import uvloop

    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    args = parser.parse_args()
    with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
        runner.run(serve(args.port))


if __name__ == "__main__":
    main()

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

import asyncio
import os
import sys
from typing import cast

# Run by path, only this folder is on sys.path: the repository root makes the
# shared scaffolding importable by its package name.
sys.path.append(os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from benchmarks.servers._serving import protocol_serving, run

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


if __name__ == "__main__":
    run(__doc__, protocol_serving(CannedResponder))

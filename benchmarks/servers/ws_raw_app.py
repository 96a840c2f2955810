"""A floor reference for the WebSocket echo benchmark: a bare ``asyncio.Protocol``.

No framework and no message objects: the opening handshake is answered by hand
(``Sec-WebSocket-Accept`` computed from the request's key), then each masked
client frame is unmasked and written back unmasked with its first byte (FIN
and opcode) unchanged, so text comes back as text and fragments as fragments.
A ping is answered with a pong and a close with a close. Text is not checked
for valid UTF-8, there are no extensions and no keepalive: the least work a
Python asyncio server can do per message. All frames read in one
``data_received`` call are answered in one write.

Usage: ``python ws_raw_app.py --port PORT [--loop asyncio|uvloop]``. Serves on
127.0.0.1, one process, until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import sys
from typing import cast

# Run by path, only this folder is on sys.path: the repository root makes the
# shared scaffolding importable by its package name.
sys.path.append(os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from benchmarks.servers._serving import protocol_serving, run

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# A request head longer than this without its blank line closes the connection.
MAX_HEAD_SIZE = 8192
# A frame announcing a longer payload closes the connection (1009, message too big).
MAX_PAYLOAD = 16 * 1024 * 1024
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


def accept_key(key: bytes) -> bytes:
    """The ``Sec-WebSocket-Accept`` value for a ``Sec-WebSocket-Key`` (RFC 6455, 4.2.2)."""
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def handshake_response(head: bytes) -> bytes | None:
    """The 101 response to an upgrade request head, or ``None`` when it has no key."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            return (
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
                + accept_key(value.strip())
                + b"\r\n\r\n"
            )
    return None


def frame_header(first: int, length: int) -> bytes:
    """An unmasked frame's header: ``first`` byte (FIN, opcode) and the payload length."""
    if length < 126:
        return bytes((first, length))
    if length < 65536:
        return bytes((first, 126)) + length.to_bytes(2, "big")
    return bytes((first, 127)) + length.to_bytes(8, "big")


def unmask(mask: bytes, payload: bytes) -> bytes:
    """``payload`` XORed with the repeated 4-byte ``mask``."""
    size = len(payload)
    if not size:
        return payload
    key = (mask * (size // 4 + 1))[:size]
    value = int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")
    return value.to_bytes(size, "little")


class Echo(asyncio.Protocol):
    """Answers the opening handshake, then echoes every data frame."""

    def __init__(self) -> None:
        self._buffer = b""
        self._open = False
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, though uvloop's is no subclass of asyncio.Transport.
        self._transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        buffer = self._buffer + data if self._buffer else data
        out: list[bytes] = []
        if not self._open:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self._buffer = buffer
                if len(buffer) > MAX_HEAD_SIZE:
                    transport.close()
                return
            response = handshake_response(buffer[:end])
            if response is None:
                transport.write(BAD_REQUEST)
                transport.close()
                return
            out.append(response)
            self._open = True
            buffer = buffer[end + 4 :]
        closing = False
        start = 0
        size = len(buffer)
        # Bounded: each pass consumes one complete frame from the buffer.
        while size - start >= 2:
            first, second = buffer[start], buffer[start + 1]
            length = second & 0x7F
            offset = start + 2
            if length == 126:
                if size - offset < 2:
                    break
                length = int.from_bytes(buffer[offset : offset + 2], "big")
                offset += 2
            elif length == 127:
                if size - offset < 8:
                    break
                length = int.from_bytes(buffer[offset : offset + 8], "big")
                offset += 8
            if not second & 0x80 or length > MAX_PAYLOAD:
                # Unmasked client frame (1002) or payload too big (1009): fail the connection.
                code = 1002 if not second & 0x80 else 1009
                out.append(frame_header(0x80 | OP_CLOSE, 2) + code.to_bytes(2, "big"))
                closing = True
                break
            end = offset + 4 + length
            if end > size:
                break
            payload = unmask(buffer[offset : offset + 4], buffer[offset + 4 : end])
            start = end
            opcode = first & 0x0F
            if opcode == OP_PING:
                out.append(frame_header(0x80 | OP_PONG, length) + payload)
            elif opcode == OP_CLOSE:
                out.append(frame_header(0x80 | OP_CLOSE, min(length, 2)) + payload[:2])
                closing = True
                break
            elif opcode != OP_PONG:
                out.append(frame_header(first, length) + payload)
        self._buffer = b"" if closing else buffer[start:]
        if out:
            transport.write(b"".join(out))
        if closing:
            transport.close()


if __name__ == "__main__":
    run(__doc__, protocol_serving(Echo))

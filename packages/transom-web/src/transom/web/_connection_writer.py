"""The response writer the server connection gives each request.

The head is held back until the first body bytes (or the end of the
response), so a response with a known body leaves in one ``transport.write``.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import IO, TYPE_CHECKING, Final, Protocol

from transom.protocol import LocalProtocolError
from transom.protocol.http1 import Data, EndOfMessage, InformationalResponse
from transom.protocol.http1 import Response as ResponseHead
from transom.web._date_cache import http_date_now

if TYPE_CHECKING:
    from multidict import CIMultiDict

    from transom.protocol.http1 import Connection
    from transom.web._output_batch import OutputBatch
    from transom.web._server_connection import ServerConnection

__all__ = ["ConnectionWriter", "ProtocolSink", "error_response_bytes"]

# Writer states, in order.
_FRESH: Final = 0  # nothing queued
_HEAD_QUEUED: Final = 1  # start() called, head not yet on the wire
_COMMITTED: Final = 2  # bytes of this response reached the transport
_FINISHED: Final = 3  # write_eof() done
_SWITCHED: Final = 4  # 101 sent: raw bytes of another protocol
_DETACHED: Final = 5  # the handler returned; nothing more may be written


class ProtocolSink(Protocol):
    """Receives the connection's bytes after a switch of protocols (101).

    Subclass it, or write any class with these methods, and pass it to
    :meth:`ConnectionWriter.switch_protocol`.
    """

    def data_received(self, data: bytes) -> None:
        """Bytes of the new protocol."""

    def eof_received(self) -> None:
        """The peer closed its sending side."""

    def connection_lost(self, exc: BaseException | None) -> None:
        """The connection is gone."""

    def shutdown(self) -> None:
        """The server is stopping: wind the connection down (it is closed later)."""

    def pause_writing(self) -> None:
        """The transport's write buffer went over its high-water mark."""

    def resume_writing(self) -> None:
        """The transport's write buffer drained below its low-water mark."""


class ConnectionWriter:
    """Writes one response through the connection's HTTP/1.1 state machine.

    Args:
        connection: The server connection.
        head_only: The request was HEAD: body bytes are counted but not sent
            (RFC 9110 §9.3.2).
    """

    __slots__ = ("_connection", "_head", "_head_only", "_state", "output_size")

    def __init__(self, connection: ServerConnection, head_only: bool) -> None:
        self._connection = connection
        self._head_only = head_only
        # The queued head: status, reason and fields, until it is written.
        self._head: tuple[int, str, CIMultiDict[str]] | None = None
        self._state = _FRESH
        self.output_size = 0

    @property
    def started(self) -> bool:
        """Whether a response head was queued (and perhaps sent) through this writer."""
        return self._state != _FRESH

    @property
    def committed(self) -> bool:
        """Whether bytes of this response have been handed to the transport."""
        return self._state >= _COMMITTED

    @property
    def paused(self) -> bool:
        return self._connection.write_paused

    def start(self, status: int, reason: str, headers: CIMultiDict[str]) -> None:
        if self._state != _FRESH:
            raise RuntimeError("the response head was already started")
        if status == 101:
            data = self._conn().send(
                InformationalResponse(status_code=status, reason=reason, headers=headers)
            )
            self._transport_write(data)
            self._state = _SWITCHED
            return
        if status < 200:
            raise ValueError(f"cannot send a {status} response as the final answer")
        self._head = (status, reason, headers)
        self._state = _HEAD_QUEUED

    def write(self, data: bytes) -> None:
        state = self._state
        if state == _SWITCHED:
            self._transport_write(data)
            return
        if state != _HEAD_QUEUED and state != _COMMITTED:
            raise RuntimeError(_state_error(state))
        conn = self._conn()
        out = b""
        head = self._head
        if head is not None:
            status, reason, headers = head
            out = conn.send(ResponseHead(status_code=status, reason=reason, headers=headers))
            self._head = None
        if data and not self._head_only:
            out = out + conn.send(Data(data=data)) if out else conn.send(Data(data=data))
        if out:
            self._transport_write(out)
        self._state = _COMMITTED

    async def drain(self) -> None:
        await self._connection.drain()

    async def sendfile(self, file: IO[bytes], offset: int, count: int, chunk_size: int) -> None:
        """Send ``count`` bytes of ``file`` from ``offset``, ``chunk_size`` at a time.

        The file is read in a worker thread and each chunk waits for the
        client to take the one before it, so memory stays bounded however
        slowly the client reads.
        """
        self.write(b"")
        if self._head_only:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, file.seek, offset)
        remaining = count
        while remaining > 0:
            data = await loop.run_in_executor(None, file.read, min(chunk_size, remaining))
            if not data:
                raise RuntimeError("the file shrank while it was being sent")
            remaining -= len(data)
            self.write(data)
            if self._connection.write_paused:
                await self._connection.drain()

    async def write_eof(self, data: bytes = b"") -> None:
        if self.finish(data):
            await self._connection.drain()

    def finish(self, data: bytes = b"", *, hold: bool = False) -> bool:
        """:meth:`write_eof` without its wait: send the last bytes and end the response.

        Args:
            data: The last body bytes.
            hold: The handler has returned: a whole small answer may wait for
                the end of the loop pass and leave with the others finished
                in it (see ``_output_batch``). Without it, the bytes reach the
                transport now, as a handler that goes on working after
                ``write_eof()`` expects.

        Returns:
            Whether the caller should await the connection's ``drain()``
            (the client reads slower than we write).
        """
        state = self._state
        if state in (_SWITCHED, _FINISHED):
            return False
        if state != _HEAD_QUEUED and state != _COMMITTED:
            raise RuntimeError(_state_error(state))
        conn = self._conn()
        head = self._head
        if head is not None:
            # The common case: the whole response, head and body, in one write.
            self._head = None
            status, reason, headers = head
            out = conn.send_response(status, reason, headers, b"" if self._head_only else data)
        elif data and not self._head_only:
            out = conn.send(Data(data=data)) + conn.send(EndOfMessage())
        else:
            out = conn.send(EndOfMessage())
        self._state = _FINISHED
        connection = self._connection
        if hold and connection.transport is not None and connection.hold_output(out):
            # A whole small answer leaves with the others of this loop pass.
            self.output_size += len(out)
        else:
            self._transport_write(out)
        return connection.write_paused

    @property
    def output_batch(self) -> OutputBatch:
        """The batch of the loop's small writes (see ``_output_batch``), for a switched protocol."""
        return self._connection.output_batch

    def switch_protocol(self, sink: ProtocolSink) -> None:
        """After a 101 response: give every later byte of the connection to ``sink``.

        Raises:
            RuntimeError: No 101 response was sent.
        """
        if self._state != _SWITCHED:
            raise RuntimeError("switch protocols only after sending a 101 response")
        self._connection.switch_protocol(sink)

    def reset(self) -> None:
        """Forget a queued, unsent head (to answer with another response instead)."""
        if self._state == _HEAD_QUEUED:
            self._head = None
            self._state = _FRESH

    def detach(self) -> None:
        """The handler returned: refuse any later write."""
        if self._state != _SWITCHED:
            self._state = _DETACHED

    def _conn(self) -> Connection:
        return self._connection._conn

    def _transport_write(self, data: bytes) -> None:
        self._connection.write(data)
        self.output_size += len(data)


def _state_error(state: int) -> str:
    if state == _FRESH:
        return "call prepare() before writing the body"
    if state == _FINISHED:
        return "the response is already finished"
    return "the handler has returned; this response can no longer be written"


def error_response_bytes(conn: Connection, status: int, detail: str) -> bytes:
    """A complete ``text/plain`` error response that closes the connection.

    Goes through ``conn`` when its state allows; otherwise (the exchange is
    already broken) the bytes are written out by hand.
    """
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    body = f"{status} {phrase}: {detail}\n".encode() if detail else f"{status} {phrase}\n".encode()
    headers = [
        ("Date", http_date_now()),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
    ]
    try:
        return (
            conn.send(ResponseHead(status_code=status, reason=phrase, headers=headers))
            + conn.send(Data(data=body))
            + conn.send(EndOfMessage())
        )
    except LocalProtocolError:
        lines = [f"HTTP/1.1 {status} {phrase}\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in headers)
        lines.append("\r\n")
        return "".join(lines).encode("latin-1") + body

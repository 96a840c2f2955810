"""The asyncio protocol serving one HTTP/1.1 connection.

It is a thin driver around ``transom.protocol.http1.Connection``: bytes from
the socket go into the parser, parsed events become a :class:`Request` and its
body stream, and the response goes back out through the same parser object.

Per connection, at most one handler runs at a time. A pipelined request waits
in the parser's buffer (and the socket is no longer read) until the handler
of the one before it has finished; answers therefore leave in request order.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final, cast

from multidict import istr

from transom.protocol import RemoteProtocolError
from transom.protocol.http1 import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    InformationalResponse,
    Role,
    State,
)
from transom.protocol.http1 import Connection as HTTP1Connection
from transom.protocol.http1 import Request as RequestHead
from transom.web._access_log import server_logger
from transom.web._connection_writer import ConnectionWriter, ProtocolSink, error_response_bytes
from transom.web._deadline import Deadline
from transom.web._output_batch import HeldOutput, OutputBatch
from transom.web._payload_stream import EMPTY_STREAM, StreamReader
from transom.web._request import Request
from transom.web._responder import respond, start_task, task_maker
from transom.web._stream_response import CONTENT_LENGTH

if TYPE_CHECKING:
    from transom.web._server import Server

__all__ = ["ServerConnection"]

# Why reading from the socket is paused (a bit set: both can hold at once).
_PAUSED_FOR_BODY: Final = 1  # the handler has not consumed the buffered body
_PAUSED_FOR_PIPELINE: Final = 2  # a pipelined request waits for the current answer

# What the connection's single timer is guarding.
_WAIT_FIRST_REQUEST: Final = 1  # fresh connection, nothing received yet
_WAIT_IDLE: Final = 2  # keep-alive connection between requests
_WAIT_HEAD: Final = 3  # a request head has started arriving
_WAIT_LINGER: Final = 4  # discarding an unread body before closing

# As istr, like the response's field names: multidict looks it up without folding its case.
_TRANSFER_ENCODING: Final = istr("Transfer-Encoding")

_DONE: Final = State.DONE
_IDLE: Final = State.IDLE
_SEND_BODY: Final = State.SEND_BODY


class ServerConnection(asyncio.Protocol):
    """Serves the requests of one connection with the server's handler."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._loop = loop = asyncio.get_running_loop()
        self._task_maker = task_maker(loop)
        self._transport: asyncio.Transport | None = None
        self._conn = HTTP1Connection(Role.SERVER, **server.limits)
        self._request: Request | None = None
        # The writer of the current request (middlewares may wrap request._writer).
        self._writer = ConnectionWriter(self, head_only=False)
        # The stream still being fed from the parser (None once EndOfMessage arrived).
        self._payload: StreamReader | None = None
        self._task: asyncio.Task[None] | None = None
        self._parsing = False
        self._reparse = False
        self._read_paused = 0
        self._write_paused = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._deadline = Deadline(self._loop, self._on_deadline)
        self._closing = False
        self._lingering = False
        self._sink: ProtocolSink | None = None
        self._tls = False
        # Whole small answers held for the end of the loop pass (see _output_batch).
        self._output_batch = server.output_batch(self._loop)
        self._held = HeldOutput(self._output_batch, self)

    def __repr__(self) -> str:
        peer = None if self._transport is None else self._transport.get_extra_info("peername")
        state = "busy" if self._request is not None else "idle"
        return f"<ServerConnection {peer} {state}>"

    @property
    def transport(self) -> asyncio.Transport | None:
        """The transport, or ``None`` once the connection is lost."""
        return self._transport

    @property
    def handler_task(self) -> asyncio.Task[None] | None:
        """The task running the current request's handler, if one is running."""
        return self._task

    # -- asyncio.Protocol -----------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing it.
        self._transport = cast("asyncio.Transport", transport)
        self._tls = self._transport.get_extra_info("sslcontext") is not None
        self._server._connections.add(self)
        if self._server._shutting_down:
            self._transport.close()
            return
        self._deadline.set(self._server.request_header_timeout, _WAIT_FIRST_REQUEST)

    def data_received(self, data: bytes) -> None:
        if self._sink is not None:
            self._sink.data_received(data)
            return
        if self._lingering:
            return
        self._conn.receive_data(data)
        if self._request is not None and self._payload is None:
            # The current request is complete: these bytes are a pipelined
            # request, left in the parser until the current answer is sent.
            self._pause_reading(_PAUSED_FOR_PIPELINE)
            return
        self._parse()
        if self._request is None and self._transport is not None and not self._closing:
            self._head_started()

    def _head_started(self) -> None:
        """Start the head deadline if part of a request head is buffered."""
        deadline = self._deadline
        reason = deadline.reason
        if reason == _WAIT_FIRST_REQUEST:
            # A fresh connection's deadline already counts from its opening.
            deadline.reason = _WAIT_HEAD
        elif reason == _WAIT_IDLE and self._conn.trailing_data[0]:
            deadline.set(self._server.request_header_timeout, _WAIT_HEAD)

    def eof_received(self) -> bool:
        if self._sink is not None:
            self._sink.eof_received()
            return False
        if self._lingering:
            return False
        self._conn.receive_eof()
        if self._request is None or self._payload is not None:
            self._parse()
        else:
            self._closing = True
        # Keep our sending side open while an answer is still to be written
        # (TLS cannot half-close, so there the answer is lost anyway).
        return self._request is not None and not self._tls

    def connection_lost(self, exc: BaseException | None) -> None:
        self._transport = None
        self._held.close()
        self._server._forget(self)
        self._deadline.cancel()
        payload = self._payload
        if payload is not None:
            self._payload = None
            payload.set_exception(ConnectionResetError("the client closed the connection"))
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(ConnectionResetError("the client closed the connection"))
        if self._sink is not None:
            self._sink.connection_lost(exc)

    def pause_writing(self) -> None:
        self._write_paused = True
        self._tell_sink("pause_writing")

    def resume_writing(self) -> None:
        self._write_paused = False
        self._tell_sink("resume_writing")
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _tell_sink(self, name: str) -> None:
        # Sinks may be duck-typed: flow-control hooks are optional.
        sink = self._sink
        if sink is not None:
            hook = getattr(sink, name, None)
            if hook is not None:
                hook()

    # -- control from the server and the writer ---------------------------------

    def close(self) -> None:
        """Close the connection now (held and buffered output is still sent)."""
        transport = self._transport
        if transport is not None:
            self.flush_output()
            transport.close()

    def abort_transport(self) -> None:
        """Drop the connection at once, discarding unsent output."""
        self._held.drop()
        transport = self._transport
        if transport is not None:
            transport.abort()

    # -- output -------------------------------------------------------------------

    def hold_output(self, data: bytes) -> bool:
        """Send ``data``, a whole answer, once the current pass of the event loop ends.

        Answers finished in one pass then leave back to back (see
        ``_output_batch``). Anything written to the transport later goes
        through :meth:`write`, which sends what is held first.

        Returns:
            Whether ``data`` is held; False for one too large to hold, which
            the caller writes with :meth:`write`.
        """
        return self._held.add(data)

    def flush_output(self) -> None:
        """Send the held answers now."""
        data = self._held.take()
        transport = self._transport
        if data and transport is not None:
            transport.write(data)

    def write(self, data: bytes) -> None:
        """Send ``data`` now, after the held answers.

        Raises:
            ConnectionResetError: The connection is lost.
        """
        transport = self._transport
        if transport is None:
            raise ConnectionResetError("the client closed the connection")
        if self._held:
            self.flush_output()
        transport.write(data)

    def close_when_idle(self) -> None:
        """Close now if no request is in flight, else right after its answer."""
        self._closing = True
        if self._request is None:
            self.close()
        else:
            self._tell_sink("shutdown")

    @property
    def output_batch(self) -> OutputBatch:
        """The batch of this loop's small writes, for a protocol switched to."""
        return self._output_batch

    @property
    def write_paused(self) -> bool:
        """Whether the transport's write buffer is over its high-water mark."""
        return self._write_paused

    async def drain(self) -> None:
        """Wait until the transport's write buffer drains below its low-water mark.

        Raises:
            ConnectionResetError: The connection is lost.
        """
        if self._transport is None:
            raise ConnectionResetError("the client closed the connection")
        if not self._write_paused:
            return
        waiter = self._loop.create_future()
        self._drain_waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self._drain_waiters:
                self._drain_waiters.remove(waiter)

    def send_continue(self) -> None:
        """Send ``100 Continue`` if the client waits for it (RFC 9110 §10.1.1)."""
        conn = self._conn
        transport = self._transport
        if (
            transport is not None
            and conn.client_is_waiting_for_100_continue
            and conn.our_state is _IDLE
        ):
            self.write(conn.send(InformationalResponse(status_code=100, reason="Continue")))

    def switch_protocol(self, sink: ProtocolSink) -> None:
        """Hand every later byte of the connection to ``sink`` (after a 101).

        Bytes the parser had already buffered past the request are given to
        the sink at once.
        """
        self._sink = sink
        self._deadline.clear()
        self._resume_reading(_PAUSED_FOR_BODY | _PAUSED_FOR_PIPELINE)
        data, eof = self._conn.trailing_data
        if data:
            sink.data_received(data)
        if eof:
            sink.eof_received()

    # -- parsing --------------------------------------------------------------

    def _parse(self) -> None:
        """Turn buffered bytes into events; start the handler of a new request."""
        if self._parsing:
            self._reparse = True
            return
        self._parsing = True
        try:
            while True:
                self._reparse = False
                request = self._parse_events()
                if request is not None:
                    # Started after the events of this read are consumed, so the
                    # body bytes that came with the head are already in its stream.
                    self._start_handler(request)
                if not self._reparse:
                    return
        finally:
            self._parsing = False

    def _parse_events(self) -> Request | None:
        conn = self._conn
        new_request: Request | None = None
        while True:
            try:
                event = conn.next_event()
            except RemoteProtocolError as exc:
                self._on_protocol_error(exc)
                return new_request
            kind = type(event)
            if kind is Data:
                payload = self._payload
                assert payload is not None
                payload.feed_data(event.data)  # type: ignore[union-attr]
            elif kind is RequestHead:
                new_request = self._on_request(event)  # type: ignore[arg-type]
            elif kind is EndOfMessage:
                payload = self._payload
                if payload is not None:
                    self._payload = None
                    payload.feed_eof()
                if not conn.input_pending:
                    # The usual end of a read: the next call says NEED_DATA.
                    return new_request
            elif event is NEED_DATA or event is PAUSED:
                return new_request
            elif kind is ConnectionClosed:
                if self._request is None:
                    self.close()
                else:
                    self._closing = True
                return new_request
            else:  # pragma: no cover - a server connection emits nothing else
                return new_request

    def _on_request(self, head: RequestHead) -> Request:
        self._deadline.clear()
        server = self._server
        server.requests_count += 1
        headers = head.headers
        if _TRANSFER_ENCODING in headers or headers.get(CONTENT_LENGTH, "0") != "0":
            payload = StreamReader(
                high_water=server.read_high_water,
                pause=self._pause_for_body,
                resume=self._resume_for_body,
                on_first_wait=(
                    self.send_continue if self._conn.client_is_waiting_for_100_continue else None
                ),
            )
            self._payload = payload
        else:
            payload = EMPTY_STREAM
        writer = self._writer = ConnectionWriter(self, head.method == "HEAD")
        request = Request(
            head,
            payload,
            writer,
            transport=self._transport,
            client_max_size=server.client_max_size,
        )
        self._request = request
        return request

    def _on_protocol_error(self, exc: RemoteProtocolError) -> None:
        if self._request is not None:
            # The error is in the body of the request being handled: its
            # reads fail with it, and the connection closes after the answer.
            self._closing = True
            payload = self._payload
            if payload is not None:
                self._payload = None
                payload.set_exception(exc)
            return
        if self._transport is not None:
            self.write(error_response_bytes(self._conn, exc.status_code, exc.reason))
            self.close()

    # -- handlers ---------------------------------------------------------------

    def _start_handler(self, request: Request) -> None:
        task = start_task(respond(self, request, self._writer), self._loop, self._task_maker)
        request._task = task
        if not task.done():
            self._task = task

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop serving the connection."""
        return self._loop

    @property
    def server(self) -> Server:
        """The server this connection belongs to."""
        return self._server

    @property
    def lost(self) -> bool:
        """Whether the connection is gone."""
        return self._transport is None

    @property
    def body_pending(self) -> bool:
        """Whether the current request's body is still arriving."""
        return self._payload is not None

    @property
    def closing(self) -> bool:
        """Whether the connection closes after the current answer."""
        return self._closing

    def close_after_answer(self) -> None:
        """Close once the current answer is sent (no keep-alive)."""
        self._closing = True

    def abort(self) -> None:
        """The current answer cannot be completed: drop the connection."""
        self._closing = True
        conn = self._conn
        if conn.our_state is _SEND_BODY:
            conn.send_failed()
        self.close()

    def finish(self, request: Request) -> None:
        """The handler of ``request`` has returned: reuse or close the connection."""
        self._task = None
        self._request = None
        request._writer = writer = self._writer
        writer.detach()
        if self._transport is None:
            return
        if self._sink is not None:
            # A handler that switched protocols owns the connection until it returns.
            self.close()
            return
        conn = self._conn
        if not self._closing and conn.try_next_cycle():
            # Both messages are complete and the connection persists.
            self._deadline.set(self._server.keepalive_timeout, _WAIT_IDLE)
            self._resume_reading(_PAUSED_FOR_PIPELINE)
            if conn.input_pending:
                # A pipelined request, or the client's end of stream.
                self._parse()
        elif conn.our_state is not _DONE:
            if conn.our_state is _SEND_BODY:
                conn.send_failed()
            self.close()
        elif conn.their_state is _SEND_BODY and not self._closing:
            self._linger()
        else:
            self.close()

    def _linger(self) -> None:
        """Discard the rest of an unread body for a while, then close.

        Closing a socket with unread input makes the kernel reset the
        connection, which can destroy the answer before the client reads it.
        """
        transport = self._transport
        assert transport is not None
        self._lingering = True
        payload = self._payload
        self._payload = None
        if payload is not None:
            payload.set_exception(ConnectionResetError("the request body was abandoned"))
        self._resume_reading(_PAUSED_FOR_BODY | _PAUSED_FOR_PIPELINE)
        if self._tls or not transport.can_write_eof():
            self.close()
            return
        self.flush_output()
        transport.write_eof()
        self._deadline.set(self._server.lingering_timeout, _WAIT_LINGER)

    # -- flow control -----------------------------------------------------------

    def _pause_for_body(self) -> None:
        self._pause_reading(_PAUSED_FOR_BODY)

    def _resume_for_body(self) -> None:
        self._resume_reading(_PAUSED_FOR_BODY)

    def _pause_reading(self, reason: int) -> None:
        transport = self._transport
        if not self._read_paused and transport is not None:
            transport.pause_reading()
        self._read_paused |= reason

    def _resume_reading(self, reasons: int) -> None:
        if not self._read_paused & reasons:
            return
        self._read_paused &= ~reasons
        transport = self._transport
        if not self._read_paused and transport is not None and not transport.is_closing():
            transport.resume_reading()

    # -- timeouts -----------------------------------------------------------------

    def _on_deadline(self, waiting_for: int) -> None:
        if self._transport is None:
            return
        if waiting_for == _WAIT_HEAD and self._request is None:
            server_logger.debug("request head not received in time; closing")
            self.write(error_response_bytes(self._conn, 408, "request head timeout"))
        self.close()

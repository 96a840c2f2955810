"""One pooled TCP (or Unix, or TLS) connection: the asyncio driver of ``protocol.http1``.

The protocol object owns the socket's transport and a client-side
``http1.Connection``. A request borrows it from the connector, writes its
head and body, and waits for the response head; body bytes then flow into
the response's :class:`StreamReader` as they arrive. At the end of the
response the connection goes back to the connector: to the idle list when
both sides allow keep-alive and the exchange completed, else closed.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final, cast

from transom.client._deadlines import ReadTimer
from transom.client._errors import (
    ClientConnectionResetError,
    ClientOSError,
    ClientPayloadError,
    ServerDisconnectedError,
)
from transom.client._output_batch import HeldOutput, OutputBatch
from transom.client._response import ConnectionHandle
from transom.client._response_settings import ResponseSettings
from transom.client._stream import DEFAULT_HIGH_WATER, StreamReader
from transom.protocol import ProtocolError, RemoteProtocolError
from transom.protocol.compression import (
    DEFAULT_MAX_DECOMPRESSED_SIZE,
    Decoder,
    DecodingError,
    DecompressionLimitError,
)
from transom.protocol.http1 import (
    NEED_DATA,
    PAUSED,
    Connection,
    ConnectionClosed,
    Data,
    EndOfMessage,
    InformationalResponse,
    Request,
    Response,
    Role,
    State,
)

if TYPE_CHECKING:
    from transom.client._connection_interfaces import ConnectionOwner, ProtocolSink
    from transom.client._connection_key import ConnectionKey
    from transom.client._payload import Payload
    from transom.protocol.http1 import PreparedRequest

__all__ = ["PooledConnection"]

_IDLE: Final = State.IDLE
# An end of message without trailers: the sender only reads it, so one serves
# every request.
_END_OF_MESSAGE: Final = EndOfMessage()
# The names _process compares each event with, Final, as C statics
# (contributing.md: compiled code).
_NEED_DATA: Final = NEED_DATA
_PAUSED: Final = PAUSED
_DATA: Final = Data
_RESPONSE: Final = Response
_END: Final = EndOfMessage
_INFORMATIONAL: Final = InformationalResponse
_CLOSED: Final = ConnectionClosed


class PooledConnection(asyncio.Protocol, ConnectionHandle):
    """An HTTP/1.1 connection that serves one request at a time.

    Args:
        loop: The running loop.
        owner: The connector it returns to.
        key: The pool key it was opened for.
        host: The host name, for error messages.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, owner: ConnectionOwner, key: ConnectionKey, host: str
    ) -> None:
        self._loop = loop
        self._owner = owner
        self.key = key
        self.host = host
        self.transport: asyncio.Transport | None = None
        self._h1 = Connection(Role.CLIENT)
        self.checked_out = False
        self.requests_sent = 0
        self._closed = False
        self._received_bytes = False
        self._settings: ResponseSettings | None = None
        self._head_waiter: (
            asyncio.Future[tuple[Response | InformationalResponse, StreamReader]] | None
        ) = None
        self._continue_waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None
        self._stream: StreamReader | None = None
        self._decoder: Decoder | None = None
        self._write_paused = False
        self._reading_paused = False
        self._sending_body = False
        self._early_response = False
        self._finish_after_send = False
        self._timer = ReadTimer(loop, host)
        self._lost = False
        # After a 101 answer: what receives the connection's bytes instead.
        self._sink: ProtocolSink | None = None
        # Whole small requests held for the end of the loop pass (see _output_batch).
        self._held = HeldOutput(owner.output_batch, self)

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("in use" if self.checked_out else "idle")
        return f"<PooledConnection {self.host} {state} requests={self.requests_sent}>"

    # -- state -------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether the connection is closed or closing."""
        return self._closed or self.transport is None or self.transport.is_closing()

    @property
    def stale_failure(self) -> bool:
        """Whether the last request failed on a reused connection before any response byte.

        Such a request never reached a server that would process it (the
        server closed the idle connection), so an idempotent one may be
        retried on a fresh connection.
        """
        return self.requests_sent > 1 and not self._received_bytes

    # -- asyncio.Protocol ----------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        sink = self._sink
        if sink is not None:
            sink.data_received(data)
            return
        self._received_bytes = True
        self._h1.receive_data(data)
        self._process()

    def eof_received(self) -> bool:
        if self._sink is not None:
            self._sink.eof_received()
            return False
        self._h1.receive_eof()
        self._process()
        # Close our side too: a connection the server stopped sending on is
        # never reused.
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._lost = True
        self._held.close()
        self._timer.cancel()
        sink = self._sink
        if sink is not None:
            sink.connection_lost(exc)
            self._give_back(reusable=False)
            return
        if exc is None and self._h1.their_state is not State.CLOSED:
            self._h1.receive_eof()
            self._process()
        error: Exception
        if isinstance(exc, OSError):
            error = ClientOSError(exc.errno, f"Connection to {self.host} lost: {exc}")
        elif exc is not None:
            error = ServerDisconnectedError(f"Connection to {self.host} lost: {exc}")
        else:
            error = ServerDisconnectedError(f"Server {self.host} disconnected")
        self._fail(error)
        if self.checked_out:
            self._give_back(reusable=False)
        else:
            self._owner._idle_lost(self)

    def pause_writing(self) -> None:
        self._write_paused = True
        if self._sink is not None:
            self._sink.pause_writing()

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._sink is not None:
            self._sink.resume_writing()
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- flow control for the body stream ----------------------------------

    def pause_reading(self) -> None:
        """Stop reading from the socket (the body stream is full)."""
        if not self._reading_paused and not self.closed:
            self._reading_paused = True
            assert self.transport is not None
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        """Read from the socket again."""
        if self._reading_paused:
            self._reading_paused = False
            if not self.closed:
                assert self.transport is not None
                self.transport.resume_reading()

    # -- events --------------------------------------------------------------

    def _process(self) -> None:
        h1 = self._h1
        while True:
            event: Any
            try:
                event = h1.next_event()
            except RemoteProtocolError as exc:
                self._protocol_error(exc)
                return
            if event is _NEED_DATA or event is _PAUSED:
                return
            kind = type(event)
            if kind is _DATA:
                self._on_data(event.data)
            elif kind is _RESPONSE:
                self._on_head(event)
            elif kind is _END:
                self._on_end()
            elif kind is _INFORMATIONAL:
                self._on_informational(event)
            elif kind is _CLOSED:
                self._close()
                return

    def _on_head(self, event: Response) -> None:
        settings = self._settings
        waiter = self._head_waiter
        if settings is None or waiter is None or waiter.done():
            # Nobody asked (or the asker gave up): the exchange is broken.
            self._close()
            return
        stream = self._stream = settings.open_stream(self, self._loop, self.host)
        self._decoder = settings.decoder_for(event)
        if self._sending_body:
            self._early_response = True
            # A sender blocked on a server that stopped reading gives up.
            self._wake_drain()
        continue_waiter = self._continue_waiter
        if continue_waiter is not None and not continue_waiter.done():
            continue_waiter.set_result(None)
        waiter.set_result((event, stream))

    def _on_informational(self, event: InformationalResponse) -> None:
        if event.status_code == 101:
            # The server switched protocols: the exchange ends with this head
            # and the connection waits for switch_protocol().
            head_waiter = self._head_waiter
            if head_waiter is None or head_waiter.done():
                self._close()
                return
            stream = StreamReader(self, self._loop, host=self.host)
            stream.feed_eof()
            head_waiter.set_result((event, stream))
            return
        if event.status_code == 100:
            waiter = self._continue_waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def _on_data(self, data: bytes) -> None:
        stream = self._stream
        if stream is None:
            return
        decoder = self._decoder
        if decoder is not None:
            try:
                data = decoder.decompress(data)
            except (DecodingError, DecompressionLimitError) as exc:
                self._payload_failed(exc)
                return
        stream.feed_data(data)

    def _on_end(self) -> None:
        stream = self._stream
        if stream is None:
            return
        decoder = self._decoder
        if decoder is not None:
            try:
                tail = decoder.flush()
            except (DecodingError, DecompressionLimitError) as exc:
                self._payload_failed(exc)
                return
            stream.feed_data(tail)
            self._decoder = None
        self._stream = None
        if self._sending_body:
            # The request body is still going out (the server answered
            # before reading all of it): decide on reuse once it is sent.
            self._finish_after_send = True
        else:
            self._finish_exchange()
        stream.feed_eof()

    def _finish_exchange(self) -> None:
        # Both messages complete and the connection persists: the next cycle.
        reusable = self._h1.try_next_cycle()
        if self._reading_paused:
            self.resume_reading()
        # Give the connection back before the reader wakes, so the next
        # request can already have it.
        self._give_back(reusable)

    def _payload_failed(self, exc: ProtocolError) -> None:
        stream = self._stream
        self._stream = None
        self._decoder = None
        if stream is not None:
            stream.set_exception(
                ClientPayloadError(
                    f"Cannot decode the response body from {self.host}: {exc.reason}"
                )
            )
        self._close()

    def _protocol_error(self, exc: RemoteProtocolError) -> None:
        stream = self._stream
        if stream is not None:
            self._stream = None
            stream.set_exception(
                ClientPayloadError(
                    f"Response payload from {self.host} is not completed: {exc.reason}"
                )
            )
        waiter = self._head_waiter
        if waiter is not None and not waiter.done():
            if self._h1.their_state is State.CLOSED or not self._received_bytes:
                waiter.set_exception(ServerDisconnectedError(f"Server {self.host} disconnected"))
            else:
                waiter.set_exception(
                    ServerDisconnectedError(f"Invalid response from {self.host}: {exc.reason}")
                )
        self._close()

    def _fail(self, error: Exception) -> None:
        for waiter in (self._head_waiter, self._continue_waiter, self._drain_waiter):
            if waiter is not None and not waiter.done():
                waiter.set_exception(error)
        stream = self._stream
        if stream is not None:
            self._stream = None
            stream.set_exception(
                ClientPayloadError(
                    f"Response payload from {self.host} is not completed: connection closed"
                )
            )

    def _wake_drain(self) -> None:
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- giving the connection back -------------------------------------------

    def _give_back(self, reusable: bool) -> None:
        if not self.checked_out:
            return
        self.checked_out = False
        self._settings = None
        self._head_waiter = None
        if not reusable:
            self._close()
        self._owner._release(self, reusable and not self.closed)

    def _close(self) -> None:
        self._timer.cancel()
        if not self._closed:
            self._closed = True
            if self.transport is not None:
                self.flush_output()
                self.transport.close()

    @property
    def output_batch(self) -> OutputBatch:
        """The batch of the loop's small writes (see ``_output_batch``), for a switched protocol."""
        return self._owner.output_batch

    def switch_protocol(self, sink: ProtocolSink) -> None:
        """After a 101 answer: give every later byte of the connection to ``sink``.

        The connection stays checked out (it counts against the pool's
        limits) until it closes; then it is given back, never to be reused.
        Bytes that arrived with the 101 answer go to ``sink`` at once.

        Raises:
            RuntimeError: The last answer was not a 101.
        """
        if self._h1.our_state is not State.SWITCHED_PROTOCOL:
            raise RuntimeError("switch protocols only after a 101 response")
        self._sink = sink
        self._settings = None
        self._head_waiter = None
        if self._reading_paused:
            self.resume_reading()
        data, eof = self._h1.trailing_data
        if data:
            sink.data_received(data)
        if eof:
            sink.eof_received()

    def close(self) -> None:
        """Close the connection now (it is not given back)."""
        self._close()
        self._fail(ServerDisconnectedError(f"Connection to {self.host} closed"))

    def shut(self) -> None:
        """Close the connection for good, as the whole pool closes.

        A TLS transport is aborted: its ``close()`` would wait (up to 30 s)
        for the peer's close_notify before letting the socket go, and
        nothing is left to wait for it. A plain one is closed as usual.
        """
        transport = self.transport
        if (
            transport is not None
            and not self._lost
            and transport.get_extra_info("ssl_object") is not None
        ):
            self._held.drop()
            transport.abort()
        self.close()

    @property
    def lost(self) -> bool:
        """Whether the transport reported the connection gone (its socket is closed)."""
        return self._lost

    def abandon(self, stream: StreamReader) -> None:
        """Close the connection if ``stream`` is its unfinished current response."""
        if self._stream is stream:
            self._stream = None
            self._close()
            self._give_back(reusable=False)

    def fail_request(self) -> None:
        """The request using this connection gave up: close it and give it back."""
        self._close()
        self._fail(ServerDisconnectedError(f"Request to {self.host} abandoned"))
        self._give_back(reusable=False)

    # -- sending ----------------------------------------------------------------

    def _live_transport(self) -> asyncio.Transport:
        transport = self.transport
        if self._closed or transport is None or transport.is_closing():
            raise ClientConnectionResetError(f"Cannot write to closing connection to {self.host}")
        return transport

    def _write(self, data: bytes) -> None:
        transport = self._live_transport()
        if self._held:
            self.flush_output()
        transport.write(data)

    def _send_whole(self, data: bytes) -> None:
        """Send ``data``, a whole request: a small one once the loop pass ends."""
        self._live_transport()
        if not self._held.add(data):
            self._write(data)

    def flush_output(self) -> None:
        """Send the held requests now (see ``_output_batch``)."""
        data = self._held.take()
        transport = self.transport
        if data and transport is not None and not self._lost:
            transport.write(data)

    async def _drain(self) -> None:
        if self._write_paused:
            if self._closed:
                raise ClientConnectionResetError(f"Connection to {self.host} closed")
            waiter = self._drain_waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._drain_waiter = None

    async def send_request(
        self,
        head: Request | PreparedRequest,
        payload: Payload | None,
        *,
        expect_continue: bool = False,
        read_timeout: float | None = None,
        deadline: float | None = None,
        decompress: bool = True,
        max_decompressed_size: int | None = DEFAULT_MAX_DECOMPRESSED_SIZE,
        high_water: int = DEFAULT_HIGH_WATER,
    ) -> tuple[Response | InformationalResponse, StreamReader]:
        """Send one request and wait for its response head (a 101 ends the exchange too).

        ``head`` is the request, or its head prepared beforehand.

        Returns:
            The response head event and the stream its body flows into.

        Raises:
            LocalProtocolError: The head cannot be sent (nothing was written).
            ServerDisconnectedError: The server closed the connection.
            SocketTimeoutError / ServerTimeoutError: No head in time.
        """
        h1 = self._h1
        data = h1.send(head)
        self.requests_sent += 1
        self._received_bytes = False
        self._early_response = False
        method = head.method if isinstance(head, Request) else head.request.method
        self._settings = ResponseSettings(
            method, read_timeout, deadline, decompress, max_decompressed_size, high_water
        )
        waiter = self._head_waiter = self._loop.create_future()
        body = payload.in_memory() if payload is not None else None
        if payload is None:
            self._send_whole(data + h1.send(_END_OF_MESSAGE))
        elif body is not None and not expect_continue:
            parts = [data]
            if body:
                parts.append(h1.send(Data(data=body)))
            parts.append(h1.send(_END_OF_MESSAGE))
            self._send_whole(b"".join(parts))
        else:
            self._write(data)
            if expect_continue:
                await self._wait_continue(read_timeout, deadline)
            if not waiter.done():
                await self._send_body(payload)
        return await self._timer.wait(waiter, read_timeout, deadline)

    async def _wait_continue(self, read_timeout: float | None, deadline: float | None) -> None:
        waiter = self._continue_waiter = self._loop.create_future()
        try:
            await self._timer.wait(waiter, read_timeout, deadline)
        finally:
            self._continue_waiter = None

    async def _send_body(self, payload: Payload) -> None:
        h1 = self._h1
        self._sending_body = True
        completed = False
        try:
            async for chunk in payload.chunks():
                if self._closed or (self._early_response and self._gave_up_sending()):
                    break
                self._write(h1.send(Data(data=chunk)))
                await self._drain()
            else:
                self._write(h1.send(_END_OF_MESSAGE))
                completed = True
        finally:
            self._sending_body = False
            if not completed:
                # The rest of the body is dropped; the connection cannot be
                # reused (RFC 9112 §9.5).
                h1.send_failed()
            if self._finish_after_send:
                self._finish_after_send = False
                self._finish_exchange()

    def _gave_up_sending(self) -> bool:
        # RFC 9112 §9.5: on an early response, stop sending when the server
        # will close or stopped reading; otherwise finish the body so the
        # connection stays usable.
        return self._write_paused or not self._h1.keep_alive

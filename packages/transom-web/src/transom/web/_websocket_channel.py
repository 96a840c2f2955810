"""The asyncio side of a WebSocket: bytes in from the connection, messages out.

After the 101 response, :class:`WebSocketChannel` receives the connection's
bytes. Received bytes are parsed at once, inside ``data_received``,
by a ``transom.protocol.websocket.WebSocketConnection``; the messages they
hold go to the task waiting in :meth:`WebSocketChannel.receive`, or to a
queue when none waits. No reader task runs, and a data message does not even
wait for a pass of the event loop: its :class:`MessageWaiter` runs the
waiting task's next step inside ``data_received``.

Frames are written whole, so sends from several tasks never interleave.
Small ones are held until the loop pass ends and leave with the other
connections' output (see ``_output_batch``); anything else written flushes
them first, so frames never change order.

Policy decided here: answering pings (``autoping``), answering the peer's
Close frame (``autoclose``), the heartbeat, the closing handshake's timeout,
and pausing the socket while unread messages pile up.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any, Final

from transom.protocol.websocket import (
    NEED_DATA,
    BytesMessage,
    CloseCode,
    CloseReceived,
    ConnectionClosed,
    Ping,
    Pong,
    TextMessage,
    WebSocketProtocolError,
    WSMessage,
    WSMsgType,
)

# Relative: this module ships, identical, in transom-web and transom-client.
from ._message_waiter import MessageWaiter
from ._output_batch import HOLD_LIMIT
from ._websocket_heartbeat import Heartbeat

if TYPE_CHECKING:
    from transom.protocol.websocket import WebSocketConnection

    from ._output_batch import OutputBatch

__all__ = ["READ_HIGH_WATER", "WebSocketChannel"]

#: Bytes of received, unread messages past which the socket is no longer
#: read, so a peer cannot make this side hold more than this (plus one
#: message) for a handler that does not keep up.
READ_HIGH_WATER: Final = 64 * 1024

CLOSING_MESSAGE: Final = WSMessage(WSMsgType.CLOSING, None, None)
CLOSED_MESSAGE: Final = WSMessage(WSMsgType.CLOSED, None, None)
# After the connection closed, receive() keeps answering CLOSED this many
# times, then raises: a loop that ignores CLOSED would otherwise spin.
_CLOSED_RECEIVES_ALLOWED: Final = 50

# Final, as C statics (contributing.md: compiled code).
_TEXT: Final = WSMsgType.TEXT
_BINARY: Final = WSMsgType.BINARY
_TEXT_MESSAGE: Final = TextMessage
_WS_MESSAGE: Final = WSMessage
# What ends ``async for``: a waiter of next_message() raises
# StopAsyncIteration instead of returning one of these.
_ENDS_ITERATION: Final = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED})
# Builds a WSMessage from a (type, data, extra) tuple without the Python-level
# __new__ of NamedTuple: a per-message cost on the hot path.
_new_tuple: Final = tuple.__new__


class WebSocketChannel:
    """One WebSocket connection, driven by its transport's protocol callbacks.

    Args:
        loop: The running loop.
        transport: The connection's transport.
        connection: The sans-I/O WebSocket state.
        autoping: Answer pings with pongs and keep both from the application.
        autoclose: Answer the peer's Close frame at once.
        heartbeat: Seconds of silence after which a ping is sent; no pong
            (or any other frame) within half that fails the connection.
        close_timeout: Seconds :meth:`close` waits for the peer's Close frame,
            and a client waits for the server to close the TCP connection
            after the closing handshake.
        client: Whether this is the client's end. The server closes the TCP
            connection once the closing handshake is over; the client waits
            for it to (RFC 6455 §7.1.1).
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        transport: asyncio.Transport,
        connection: WebSocketConnection,
        *,
        autoping: bool,
        autoclose: bool,
        heartbeat: float | None,
        close_timeout: float,
        client: bool = False,
        batch: OutputBatch | None = None,
    ) -> None:
        self._loop = loop
        # Small frames held for the end of the loop pass (see _output_batch).
        self._batch = batch
        self._held: list[bytes] = []
        self._client = client
        self._linger_handle: asyncio.TimerHandle | None = None
        self._transport: asyncio.Transport | None = transport
        self._conn = connection
        # Flow control of writes, forwarded by the transport's protocol.
        self._write_paused = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._autoping = autoping
        self._autoclose = autoclose
        self._close_timeout = close_timeout
        self._queue: deque[WSMessage] = deque()
        self._processing_deferred = False
        self._queued_size = 0
        self._read_paused = False
        self._waiter: MessageWaiter | None = None
        # Whether _waiter came from next_message(), for ``async for``.
        self._waiter_iterates = False
        # Closing handshake: which Close frames went which way. Nothing is
        # sent once _sending_closed: our Close frame went out, or the
        # connection was given up (a protocol error, a missed heartbeat).
        self._sending_closed = False
        self._close_received = False
        self._closed = False
        self._closed_waiter: asyncio.Future[None] | None = None
        self._close_task: asyncio.Task[bool] | None = None
        self._close_code: int | None = None
        self._exception: BaseException | None = None
        self._closed_receives = 0
        self._heartbeat: Heartbeat | None = None
        if heartbeat is not None:
            self._heartbeat = Heartbeat(loop, heartbeat, self._ping, self._on_pong_deadline)

    # -- state -------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether a Close frame was sent or the connection is gone."""
        return self._closed or self._sending_closed

    @property
    def close_code(self) -> int | None:
        """The close code once the connection is closing or closed."""
        return self._close_code

    @property
    def exception(self) -> BaseException | None:
        """What failed the connection, if anything did."""
        return self._exception

    # -- bytes in, from the protocol callbacks ----------------------------

    def data_received(self, data: bytes) -> None:
        heartbeat = self._heartbeat
        if heartbeat is not None:
            heartbeat.heard = True
        conn = self._conn
        event = conn.receive_message(data)
        if event is not None and not self._sending_closed:
            # The usual bytes: one whole data message.
            kind = _TEXT if type(event) is _TEXT_MESSAGE else _BINARY
            message = _new_tuple(_WS_MESSAGE, (kind, event.data, None))
            waiter = self._waiter
            if waiter is None or waiter.done():
                self._deliver(message)
            else:
                # _wake() for a message that never ends an iteration.
                self._waiter = None
                if conn.buffered_size:
                    self._defer_processing()
                waiter.deliver(message)
                return
        self._process()

    def eof_received(self) -> None:
        self._conn.receive_eof()
        self._process()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._transport = None
        self._cancel_heartbeat()
        waiters, self._drain_waiters = self._drain_waiters, []
        for drain_waiter in waiters:
            if not drain_waiter.done():
                drain_waiter.set_exception(ConnectionResetError("the connection was lost"))
        if self._linger_handle is not None:
            self._linger_handle.cancel()
            self._linger_handle = None
        if not self._closed:
            self._conn.receive_eof()
            self._process()
        self._set_closed(None)

    def pause_writing(self) -> None:
        """The transport's write buffer went over its high-water mark."""
        self._write_paused = True

    def resume_writing(self) -> None:
        """The transport's write buffer drained below its low-water mark."""
        self._write_paused = False
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def shutdown(self) -> None:
        """The server is stopping: close with 1001 (going away)."""
        if not self._sending_closed and not self._closed and self._close_task is None:
            self._close_task = self._loop.create_task(self.close(code=CloseCode.GOING_AWAY))

    def _process(self) -> None:
        conn = self._conn
        while True:
            try:
                event = conn.next_event()
            except WebSocketProtocolError as exc:
                self._fail(exc)
                return
            if event is NEED_DATA:
                return
            kind = type(event)
            if kind is _TEXT_MESSAGE or kind is BytesMessage:
                if self._sending_closed:
                    continue
                message_type = _TEXT if kind is _TEXT_MESSAGE else _BINARY
                message = _new_tuple(_WS_MESSAGE, (message_type, event.data, None))  # type: ignore[union-attr]
                waiter = self._waiter
                if waiter is None or waiter.done():
                    self._deliver(message)
                    continue
                self._waiter = None
                if conn.buffered_size:
                    # Let the woken reader answer this message before the
                    # rest is parsed: a protocol error further on would
                    # otherwise close the connection before the answer left.
                    self._defer_processing()
                # Else nothing is left to parse: the usual end.
                waiter.deliver(message)
                return
            if kind is Ping:
                payload: bytes = event.payload  # type: ignore[union-attr]
                if self._autoping:
                    if not self._sending_closed:
                        self._write(conn.send_pong(payload))
                else:
                    self._deliver(WSMessage(WSMsgType.PING, payload, None))
            elif kind is Pong:
                if self._heartbeat is not None:
                    self._heartbeat.pong()
                if not self._autoping:
                    self._deliver(WSMessage(WSMsgType.PONG, event.payload, None))  # type: ignore[union-attr]
            elif kind is CloseReceived:
                self._on_close_received(event)  # type: ignore[arg-type]
            elif kind is ConnectionClosed:
                if self._close_code is None:
                    self._close_code = event.code  # type: ignore[union-attr]
                self._set_closed(None)
                return

    def _defer_processing(self) -> None:
        if not self._processing_deferred:
            self._processing_deferred = True
            self._loop.call_soon(self._resume_processing)

    def _resume_processing(self) -> None:
        self._processing_deferred = False
        if not self._closed:
            self._process()

    def _on_close_received(self, event: CloseReceived) -> None:
        self._close_received = True
        if self._sending_closed:
            # The answer to our Close frame: the handshake is complete and
            # the TCP connection ends (RFC 6455 §7.1.1).
            self._close_code = event.code
            self._handshake_done()
            self._set_closed(None)
            return
        self._close_code = event.code
        self._deliver(WSMessage(WSMsgType.CLOSE, event.code, event.reason))
        if self._autoclose:
            self._answer_close(event.code)

    def _answer_close(self, code: int) -> None:
        # Echo the peer's code (RFC 6455 §5.5.1); 1005 means it sent none.
        echo = CloseCode.NORMAL_CLOSURE if code == CloseCode.NO_STATUS_RCVD else code
        self._sending_closed = True
        self._write(self._conn.send_close(echo))
        self._handshake_done()
        self._set_closed(None)

    def _fail(self, exc: WebSocketProtocolError) -> None:
        self._exception = exc
        self._close_code = exc.close_code
        self._sending_closed = True
        self._write(self._conn.data_to_send())
        self._close_transport()
        self._deliver(WSMessage(WSMsgType.ERROR, exc, None))
        self._set_closed(None)

    def _set_closed(self, exc: BaseException | None) -> None:
        """The connection is over: wake whoever waits, stop the heartbeat."""
        if self._closed:
            return
        self._closed = True
        self._cancel_heartbeat()
        if self._close_code is None:
            self._close_code = CloseCode.ABNORMAL_CLOSURE
        if exc is not None and self._exception is None:
            self._exception = exc
        closed_waiter = self._closed_waiter
        if closed_waiter is not None and not closed_waiter.done():
            closed_waiter.set_result(None)
        self._wake(CLOSED_MESSAGE)

    def _wake(self, message: WSMessage) -> bool:
        """Hand ``message`` to the task waiting for one, if any waits."""
        waiter = self._waiter
        if waiter is None or waiter.done():
            return False
        self._waiter = None
        kind = message.type
        if (
            self._waiter_iterates
            and kind is not _TEXT
            and kind is not _BINARY
            and kind in _ENDS_ITERATION
        ):
            waiter.set_exception(StopAsyncIteration())
        else:
            waiter.set_result(message)
        return True

    def _deliver(self, message: WSMessage) -> bool:
        """Hand ``message`` to the waiting reader (True) or queue it (False)."""
        if self._wake(message):
            return True
        self._queue.append(message)
        data = message.data
        self._queued_size += len(data) if isinstance(data, str | bytes) else 1
        if self._queued_size > READ_HIGH_WATER and not self._read_paused:
            transport = self._transport
            if transport is not None:
                self._read_paused = True
                transport.pause_reading()
        return False

    # -- messages out to the application -------------------------------------

    async def receive(self, timeout: float | None = None) -> WSMessage:  # noqa: ASYNC109
        """The next message, or CLOSING/CLOSED/ERROR.

        Raises:
            RuntimeError: Another task is already waiting in ``receive()``,
                or the connection closed long ago and CLOSED was ignored.
            TimeoutError: Nothing arrived within ``timeout`` seconds.
        """
        message = self._ready_message()
        if message is not None:
            return message
        # Typed Any: compiled, a local of the waiter's class reads as None
        # after being awaited (mypyc 2.4.1), which the finally below needs.
        waiter: Any = MessageWaiter(self._loop)
        self._waiter = waiter
        self._waiter_iterates = False
        try:
            received: WSMessage
            if timeout is None:
                received = await waiter
            else:
                async with asyncio.timeout(timeout):
                    received = await waiter
        finally:
            if self._waiter is waiter:
                self._waiter = None
        return received

    def next_message(self) -> MessageWaiter:
        """The next message for ``async for``, with no timeout.

        Returns:
            A future of what :meth:`receive` would return, except that
            CLOSE, CLOSING and CLOSED end the iteration: the future raises
            ``StopAsyncIteration`` instead. ``__anext__`` hands it to the
            caller as it is, so a message reaches the iterating task with no
            coroutine in between.

        Raises:
            RuntimeError: As for :meth:`receive`.
        """
        waiter = MessageWaiter(self._loop)
        # The usual case first: no waiter, nothing queued, the socket open;
        # _ready_message() would find nothing.
        usual = self._waiter is None and not (self._queue or self._closed or self._sending_closed)
        message = None if usual else self._ready_message()
        if message is None:
            self._waiter = waiter
            self._waiter_iterates = True
        elif message.type in _ENDS_ITERATION:
            waiter.set_exception(StopAsyncIteration())
        else:
            waiter.set_result(message)
        return waiter

    def _ready_message(self) -> WSMessage | None:
        """What a receive can answer without waiting, or None to wait.

        Raises:
            RuntimeError: As for :meth:`receive`.
        """
        waiter = self._waiter
        if waiter is not None:
            if not waiter.done():
                raise RuntimeError("Concurrent call to receive() is not allowed")
            # Its task was cancelled while it waited.
            self._waiter = None
        queue = self._queue
        if queue:
            message = queue.popleft()
            self._dequeued(message)
            return message
        if self._closed:
            self._closed_receives += 1
            if self._closed_receives > _CLOSED_RECEIVES_ALLOWED:
                raise RuntimeError("WebSocket connection is closed.")
            return CLOSED_MESSAGE
        if self._sending_closed:
            return CLOSING_MESSAGE
        return None

    def _dequeued(self, message: WSMessage) -> None:
        data = message.data
        self._queued_size -= len(data) if isinstance(data, str | bytes) else 1
        if self._read_paused and self._queued_size <= READ_HIGH_WATER // 4:
            self._read_paused = False
            transport = self._transport
            if transport is not None and not transport.is_closing():
                transport.resume_reading()

    # -- frames out ------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        """Write ``data`` now, after the held frames."""
        transport = self._transport
        if transport is not None and data:
            if self._held:
                self.flush_output()
            transport.write(data)

    def _send(self, transport: asyncio.Transport, frame: bytes) -> None:
        """Write one whole frame: held for the loop pass's batch when it is small."""
        batch = self._batch
        if batch is not None and len(frame) <= HOLD_LIMIT and batch.busy:
            held = self._held
            if not held:
                batch.add(self)
            held.append(frame)
            return
        if self._held:
            self.flush_output()
        transport.write(frame)

    def flush_output(self) -> None:
        """Write the held frames (the output batch calls it when the pass ends)."""
        held = self._held
        if not held:
            return
        self._held = []
        transport = self._transport
        if transport is not None:
            transport.write(held[0] if len(held) == 1 else b"".join(held))

    def _live_transport(self) -> asyncio.Transport:
        transport = self._transport
        if transport is None or self._sending_closed or self._closed:
            raise ConnectionResetError("Cannot write to closing transport")
        return transport

    # Each write_* method writes one whole frame and tells whether the caller
    # should await drain() (the peer reads slower than we write). They are
    # plain functions so a send costs no extra coroutine.

    def write_text(self, data: str, compress: bool) -> bool:
        # _live_transport() inlined: the usual send.
        transport = self._transport
        if transport is None or self._sending_closed or self._closed:
            raise ConnectionResetError("Cannot write to closing transport")
        conn = self._conn
        # Positional when it can be: keywords cost more across packages.
        frame = conn.send_text(data) if compress else conn.send_text(data, compress=False)
        self._send(transport, frame)
        return self._write_paused

    def write_bytes(self, data: bytes, compress: bool) -> bool:
        self._send(self._live_transport(), self._conn.send_bytes(data, compress=compress))
        return self._write_paused

    def write_ping(self, payload: bytes) -> bool:
        self._send(self._live_transport(), self._conn.send_ping(payload))
        return self._write_paused

    def write_pong(self, payload: bytes) -> bool:
        self._send(self._live_transport(), self._conn.send_pong(payload))
        return self._write_paused

    async def drain(self) -> None:
        """Wait until the transport's write buffer drained below its low-water mark.

        Raises:
            ConnectionResetError: The connection is lost.
        """
        if not self._write_paused:
            return
        if self._transport is None:
            raise ConnectionResetError("the connection was lost")
        waiter = self._loop.create_future()
        self._drain_waiters.append(waiter)
        await waiter

    async def close(self, *, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> bool:
        """Run the closing handshake; see ``WebSocketResponse.close``."""
        if self._sending_closed or self._closed:
            await self._wait_closed()
            return False
        self._sending_closed = True
        self._close_code = code
        self._write(self._conn.send_close(code, reason))
        # A task blocked in receive() learns that the socket is closing.
        self._wake(CLOSING_MESSAGE)
        if self._close_received:
            # Our frame answers the peer's: the handshake is complete.
            self._handshake_done()
            self._set_closed(None)
            return True
        await self._wait_closed()
        return True

    async def _wait_closed(self) -> None:
        """Wait for the peer's Close frame or the end of the connection, for a while."""
        if self._closed:
            return
        waiter = self._closed_waiter
        if waiter is None:
            waiter = self._closed_waiter = self._loop.create_future()
        try:
            async with asyncio.timeout(self._close_timeout):
                await asyncio.shield(waiter)
        except TimeoutError:
            self._close_code = CloseCode.ABNORMAL_CLOSURE
            self._exception = TimeoutError("no Close frame from the peer in time")
            self._close_transport()
            self._set_closed(None)

    def _handshake_done(self) -> None:
        """Both Close frames went: end the TCP connection (RFC 6455 §7.1.1)."""
        if not self._client:
            self._close_transport()
        elif self._transport is not None and self._linger_handle is None:
            # The server closes first; a server that does not is cut off.
            self._linger_handle = self._loop.call_later(self._close_timeout, self._close_transport)

    def _close_transport(self) -> None:
        transport = self._transport
        if transport is not None:
            if self._held:
                self.flush_output()
            transport.close()

    # -- heartbeat ---------------------------------------------------------------

    def _cancel_heartbeat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()

    def _ping(self) -> bool:
        if self._closed or self._sending_closed:
            return False
        self._write(self._conn.send_ping(b""))
        return True

    def _on_pong_deadline(self) -> None:
        self._close_code = CloseCode.ABNORMAL_CLOSURE
        interval = None if self._heartbeat is None else self._heartbeat.interval
        exc = TimeoutError(f"no PONG received after {interval} seconds")
        self._exception = exc
        self._sending_closed = True
        self._close_transport()
        self._deliver(WSMessage(WSMsgType.ERROR, exc, None))
        self._set_closed(None)

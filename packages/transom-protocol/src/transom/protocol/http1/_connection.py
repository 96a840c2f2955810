"""The sans-I/O HTTP/1.1 connection: bytes in, events out, bytes to send back."""

from __future__ import annotations

from typing import Final

from multidict import CIMultiDict

from transom.protocol._errors import LocalProtocolError, RemoteProtocolError
from transom.protocol.http1._chunked import ChunkedReader
from transom.protocol.http1._events import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    HeadersInput,
    InformationalResponse,
    NoEvent,
    Request,
    Response,
    parsed_data,
    parsed_end_of_message,
)
from transom.protocol.http1._framing import (
    Body,
    connection_options,
    expects_continue,
    keep_alive,
    request_body,
    response_body,
    switch_proposal,
)
from transom.protocol.http1._head import (
    FIELD_CONNECTION,
    FIELD_CONTENT_LENGTH,
    FIELD_EXPECT,
    FIELD_TRANSFER_ENCODING,
    HeadProgress,
    parse_request_head,
    parse_response_head,
    read_request,
    read_response,
)
from transom.protocol.http1._limits import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_CHUNK_LINE_SIZE,
    DEFAULT_MAX_HEADER_BLOCK_SIZE,
    DEFAULT_MAX_HEADER_COUNT,
    DEFAULT_MAX_REQUEST_LINE_SIZE,
)
from transom.protocol.http1._sender import PreparedRequest, Sender
from transom.protocol.http1._state import ConnectionState, Role, State, Switch

__all__ = ["Connection"]

_IDLE: Final = State.IDLE
_SEND_BODY: Final = State.SEND_BODY
_DONE: Final = State.DONE
_MUST_CLOSE: Final = State.MUST_CLOSE
_CLOSED: Final = State.CLOSED
_MIGHT_SWITCH: Final = State.MIGHT_SWITCH_PROTOCOL
_NONE: Final = Body.NONE
_LENGTH: Final = Body.LENGTH
_CHUNKED: Final = Body.CHUNKED
_UNTIL_CLOSE: Final = Body.UNTIL_CLOSE
# A request with either field has a body to frame (RFC 9112 §6.3).
_FRAMED: Final = FIELD_CONTENT_LENGTH | FIELD_TRANSFER_ENCODING


class Connection:
    """One HTTP/1.1 connection, seen from one end.

    A server receives requests and sends responses; a client does the opposite.
    Feed received bytes with :meth:`receive_data` (and :meth:`receive_eof` when
    the peer closes), then call :meth:`next_event` until it returns
    :data:`NEED_DATA` or :data:`PAUSED`. Hand events to :meth:`send` and write
    the bytes it returns. When both messages of a cycle are complete and
    :attr:`keep_alive` holds, :meth:`start_next_cycle` readies the next one.

    Args:
        role: Which end this is.
        max_request_line_size: Longest request or status line (414).
        max_header_count: Most header or trailer fields per section (431).
        max_header_block_size: Most bytes per header or trailer section (431).
        max_body_size: Largest received body, or ``None`` for no limit (413,
            refused before the body is buffered).
        max_chunk_line_size: Longest chunk-size line with extensions (400).
    """

    __slots__ = (
        "_buf",
        "_chunked",
        "_eof",
        "_error",
        "_in_body",
        "_in_remaining",
        "_max_body_size",
        "_max_chunk_line_size",
        "_max_header_block_size",
        "_max_header_count",
        "_max_request_line_size",
        "_progress",
        "_request_method",
        "_role",
        "_sender",
        "_server",
        "_state",
        "_their_role",
        "_their_version",
        "_waiting_100",
    )

    def __init__(
        self,
        role: Role,
        *,
        max_request_line_size: int = DEFAULT_MAX_REQUEST_LINE_SIZE,
        max_header_count: int = DEFAULT_MAX_HEADER_COUNT,
        max_header_block_size: int = DEFAULT_MAX_HEADER_BLOCK_SIZE,
        max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
        max_chunk_line_size: int = DEFAULT_MAX_CHUNK_LINE_SIZE,
    ) -> None:
        if type(role) is not Role:
            raise TypeError("role must be Role.CLIENT or Role.SERVER")
        if min(max_request_line_size, max_header_count, max_header_block_size) < 1:
            raise ValueError("limits must be positive")
        if max_chunk_line_size < 3 or (max_body_size is not None and max_body_size < 0):
            raise ValueError("limits must be positive")
        self._role = role
        self._server = role is Role.SERVER
        self._their_role = Role.CLIENT if self._server else Role.SERVER
        self._state = ConnectionState()
        self._max_request_line_size = max_request_line_size
        self._max_header_count = max_header_count
        self._max_header_block_size = max_header_block_size
        self._max_body_size = max_body_size
        self._max_chunk_line_size = max_chunk_line_size
        self._buf = bytearray()
        self._eof = False
        self._error: RemoteProtocolError | None = None
        self._progress: HeadProgress | None = None
        self._in_body = _NONE
        self._in_remaining = 0
        self._chunked: ChunkedReader | None = None
        self._sender = Sender(self._server, self._state)
        self._request_method: str | None = None
        self._their_version: tuple[int, int] | None = None
        self._waiting_100 = False

    def __repr__(self) -> str:
        return (
            f"<Connection {self._role.value}: our_state={self.our_state.value} "
            f"their_state={self.their_state.value} keep_alive={self.keep_alive}>"
        )

    # -- state ------------------------------------------------------------------

    @property
    def our_role(self) -> Role:
        """This end's role."""
        return self._role

    @property
    def their_role(self) -> Role:
        """The peer's role."""
        return self._their_role

    @property
    def our_state(self) -> State:
        """Where this end's message of the current cycle stands."""
        return self._state.server if self._server else self._state.client

    @property
    def their_state(self) -> State:
        """Where the peer's message of the current cycle stands."""
        return self._state.client if self._server else self._state.server

    @property
    def keep_alive(self) -> bool:
        """Whether both sides still allow the connection to carry another cycle."""
        return self._state.keep_alive

    @property
    def their_http_version(self) -> tuple[int, int] | None:
        """The HTTP version of the peer's latest message head, ``None`` before one."""
        return self._their_version

    @property
    def client_is_waiting_for_100_continue(self) -> bool:
        """Server side: the request said ``Expect: 100-continue`` and no answer or body yet.

        The server should send ``InformationalResponse(status_code=100)`` before
        reading the body, or a final response to refuse it (RFC 9110 §10.1.1).
        """
        return self._waiting_100

    @property
    def input_pending(self) -> bool:
        """Whether received bytes, or the peer's end of stream, await :meth:`next_event`.

        When false, :meth:`next_event` has nothing new to say: the caller can
        wait for :meth:`receive_data` or :meth:`receive_eof` first.
        """
        return bool(self._buf) or self._eof

    @property
    def trailing_data(self) -> tuple[bytes, bool]:
        """Buffered bytes not parsed yet, and whether the peer closed.

        After a protocol switch these bytes belong to the new protocol.
        """
        return bytes(self._buf), self._eof

    # -- receiving ----------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes received from the peer; nothing is parsed until :meth:`next_event`.

        Raises:
            LocalProtocolError: after :meth:`receive_eof`.
        """
        if data:
            if self._eof:
                raise LocalProtocolError("Data received after end of stream")
            self._buf += data

    def receive_eof(self) -> None:
        """Record that the peer closed its sending side."""
        self._eof = True

    def next_event(self) -> Event | NoEvent:
        """Parse the next event from the buffered bytes.

        Returns:
            An event; :data:`NEED_DATA` when more bytes are needed;
            :data:`PAUSED` when the peer's next message must wait for
            :meth:`start_next_cycle`, or after a protocol switch.

        Raises:
            RemoteProtocolError: the peer broke the protocol. Its
                ``status_code`` and ``reason`` are what a server answers with
                before closing; every later call raises the same error.
        """
        if self._error is not None:
            raise RemoteProtocolError(self._error.reason, status_code=self._error.status_code)
        state = self._state
        their = state.client if self._server else state.server
        try:
            if their is _IDLE:
                return self._read_head()
            if their is _SEND_BODY:
                if self._in_body is _NONE:
                    return self._end_of_message(CIMultiDict())
                return self._read_body()
            return self._read_between(their)
        except RemoteProtocolError as exc:
            self._error = exc
            state.failed(self._their_role)
            raise

    def _read_head(self) -> Event | NoEvent:
        buf = self._buf
        progress = self._progress
        if progress is None:
            if buf and self._server and read_request is not None:
                # The compiled fast path takes the common well-formed head
                # off the buffer; it leaves everything else to the code below.
                read = read_request(
                    buf,
                    self._max_request_line_size,
                    self._max_header_count,
                    self._max_header_block_size,
                )
                if read is not None:
                    request, flags = read
                    self._start_request(request, flags)
                    return request
            elif buf and not self._server and read_response is not None:
                response = read_response(
                    buf,
                    self._max_request_line_size,
                    self._max_header_count,
                    self._max_header_block_size,
                )
                if response is not None:
                    self._start_response(response)
                    return response
            if buf.startswith(b"\r\n"):
                # RFC 9112 §2.2: ignore empty lines received before a start line.
                skip = 2
                while buf.startswith(b"\r\n", skip):
                    skip += 2
                del buf[:skip]
            end = buf.find(b"\r\n\r\n")
        else:
            end = buf.find(b"\r\n\r\n", max(progress.checked - 2, 0))
        if end < 0:
            return self._wait_for_head()
        self._progress = None
        try:
            if self._server:
                request, flags = parse_request_head(
                    buf,
                    end + 2,
                    self._max_request_line_size,
                    self._max_header_count,
                    self._max_header_block_size,
                )
                self._start_request(request, flags)
                return request
            response = parse_response_head(
                buf,
                end + 2,
                self._max_request_line_size,
                self._max_header_count,
                self._max_header_block_size,
            )
            self._start_response(response)
            return response
        finally:
            if end + 4 == len(buf):
                # The usual case: the buffer held this head and nothing more.
                buf.clear()
            else:
                del buf[: end + 4]

    def _wait_for_head(self) -> Event | NoEvent:
        buf = self._buf
        if self._eof:
            if buf:
                raise RemoteProtocolError("Connection closed in the middle of a message head")
            self._state.closed(self._their_role)
            return ConnectionClosed()
        if buf and buf != b"\r":
            progress = self._progress
            if progress is None:
                progress = self._progress = HeadProgress()
            progress.check(
                bytes(buf),
                self._server,
                self._max_request_line_size,
                self._max_header_count,
                self._max_header_block_size,
            )
        return NEED_DATA

    def _start_request(self, request: Request, flags: int) -> None:
        version = request.http_version
        headers = request.headers
        self._their_version = version
        self._request_method = request.method
        if flags & _FRAMED:
            body, length = request_body(request, self._max_body_size)
        else:
            body, length = _NONE, 0  # RFC 9112 §6.3 rule 6
        if flags & FIELD_CONNECTION:
            options = connection_options(headers)
            keep = keep_alive(options, version)
            proposal = switch_proposal(request.method, headers, options, version)
        else:
            keep = version == (1, 1)
            proposal = Switch.CONNECT if request.method == "CONNECT" else None
        self._state.request(keep, proposal)
        self._in_body = body
        self._in_remaining = length
        if body is not _NONE:
            if body is _CHUNKED:
                self._chunked = self._new_chunked_reader()
            self._waiting_100 = bool(flags & FIELD_EXPECT) and expects_continue(request)

    def _start_response(self, response: Response | InformationalResponse) -> None:
        state = self._state
        status = response.status_code
        self._their_version = response.http_version
        if type(response) is InformationalResponse:
            if status == 101:
                # RFC 9110 §15.2.2: only an answer to a proposed Upgrade.
                if state.proposal is not Switch.UPGRADE or state.client is not _MIGHT_SWITCH:
                    raise RemoteProtocolError("Unexpected 101 response")
                state.informational(101)
            return
        assert type(response) is Response
        switches = state.proposal is Switch.CONNECT and 200 <= status < 300
        if switches and state.client is not _MIGHT_SWITCH:
            raise RemoteProtocolError("CONNECT accepted before the request was complete")
        body, length = response_body(response, self._request_method, self._max_body_size)
        keep = body is not _UNTIL_CLOSE and keep_alive(
            connection_options(response.headers), response.http_version
        )
        state.response(switches=switches, keep_alive=keep)
        self._in_body = body
        self._in_remaining = length
        if body is _CHUNKED:
            self._chunked = self._new_chunked_reader()

    def _new_chunked_reader(self) -> ChunkedReader:
        return ChunkedReader(
            self._max_chunk_line_size,
            self._max_body_size,
            self._max_header_count,
            self._max_header_block_size,
        )

    def _read_body(self) -> Event | NoEvent:
        body = self._in_body
        buf = self._buf
        if body is _LENGTH:
            if not buf:
                if self._eof:
                    raise RemoteProtocolError("Connection closed before the body was complete")
                return NEED_DATA
            remaining = self._in_remaining
            if len(buf) <= remaining:
                data = bytes(buf)
                buf.clear()
            else:
                with memoryview(buf) as view:
                    data = bytes(view[:remaining])
                del buf[:remaining]
            remaining -= len(data)
            self._in_remaining = remaining
            if not remaining:
                self._in_body = _NONE
            self._waiting_100 = False
            return parsed_data(data)
        if body is _CHUNKED:
            assert self._chunked is not None
            result = self._chunked.read(buf)
            if result is None:
                if self._eof:
                    raise RemoteProtocolError(
                        f"Connection closed inside the {self._chunked.expecting()}"
                    )
                return NEED_DATA
            if type(result) is bytes:
                self._waiting_100 = False
                return parsed_data(result)
            assert type(result) is CIMultiDict
            return self._end_of_message(result)
        # Body.UNTIL_CLOSE (responses only, RFC 9112 §6.3 rule 8).
        if buf:
            size = len(buf)
            if self._max_body_size is not None:
                room = self._max_body_size - self._in_remaining
                if room <= 0:
                    raise RemoteProtocolError("Body too large", status_code=413)
                size = min(size, room)
            self._in_remaining += size
            if size == len(buf):
                data = bytes(buf)
                buf.clear()
            else:
                with memoryview(buf) as view:
                    data = bytes(view[:size])
                del buf[:size]
            return parsed_data(data)
        if self._eof:
            return self._end_of_message(CIMultiDict())
        return NEED_DATA

    def _end_of_message(self, trailers: CIMultiDict[str]) -> EndOfMessage:
        if self._server:
            self._state.client_done()
        else:
            self._state.server_done()
        self._waiting_100 = False
        self._chunked = None
        return parsed_end_of_message(trailers)

    def _read_between(self, their: State) -> Event | NoEvent:
        if their is _DONE or their is _MUST_CLOSE:
            # Bytes after a finished message wait for the next cycle; after a
            # message that ends the connection they are never parsed (RFC 9112
            # §9.6: the server closes once it has answered).
            if self._buf:
                return PAUSED
            if self._eof:
                self._state.closed(self._their_role)
                return ConnectionClosed()
            return NEED_DATA
        if their is _CLOSED:
            return ConnectionClosed()
        return PAUSED

    # -- sending ------------------------------------------------------------------

    def send(self, event: Event | PreparedRequest) -> bytes:
        """Serialize an event this end may send now.

        A :class:`PreparedRequest` is sent as its request, with the bytes
        serialized when it was prepared.

        Framing headers are chosen from what the event carries: a given
        Content-Length or ``Transfer-Encoding: chunked`` is used; otherwise a
        response gets chunked framing (close-delimited for an HTTP/1.0 peer)
        and a request has no body. ``Connection: close`` (or ``keep-alive``
        for an HTTP/1.0 peer) is added when needed.

        Returns:
            The bytes to write, possibly empty.

        Raises:
            LocalProtocolError: the event is not allowed in the current state,
                or holds something that cannot be sent (CR, LF or NUL in a
                field, reason or target; conflicting framing; more or less data
                than declared). Raised before anything is produced and without
                changing state, so a different event can be sent instead.
            TypeError: ``event`` is not an event.
        """
        kind = type(event)
        sender = self._sender
        if kind is Data:
            assert isinstance(event, Data)
            return sender.data(event.data)
        if kind is EndOfMessage:
            assert isinstance(event, EndOfMessage)
            return sender.end(event.trailers)
        if kind is Response:
            assert isinstance(event, Response)
            out = sender.response_head(event, self._request_method, self._their_version)
            self._waiting_100 = False
            return out
        if kind is InformationalResponse:
            assert isinstance(event, InformationalResponse)
            out = sender.informational(event, self._their_version)
            self._waiting_100 = False
            return out
        if kind is Request:
            assert isinstance(event, Request)
            out = sender.request_head(event)
            self._request_method = event.method
            return out
        if kind is ConnectionClosed:
            self._state.closed(self._role)
            return b""
        if kind is PreparedRequest:
            assert isinstance(event, PreparedRequest)
            out = sender.prepared_head(event)
            self._request_method = event._request.method
            return out
        raise TypeError(f"Cannot send {kind.__name__}")

    def send_response(
        self,
        status_code: int,
        reason: str = "",
        headers: HeadersInput = None,
        body: bytes = b"",
    ) -> bytes:
        """Serialize a whole response with a body of known length, in one call.

        Equivalent to sending :class:`Response`, :class:`Data` and
        :class:`EndOfMessage`, with ``Content-Length`` added from ``body``
        unless ``headers`` declares the framing. For a HEAD request pass the
        body a GET would get: its length is declared and the body left out
        (RFC 9110 §9.3.2); an empty body declares no length. 204 and 304
        responses take no body.

        Raises:
            LocalProtocolError: as :meth:`send` would, or on a body for a
                status that has none, or a Content-Length that does not match.
        """
        if type(headers) is not CIMultiDict:
            headers = CIMultiDict(headers or ())
        out = self._sender.whole_response(
            status_code, reason, headers, body, self._request_method, self._their_version
        )
        self._waiting_100 = False
        return out

    def send_failed(self) -> None:
        """Record that this end gave up mid-message; the connection must close."""
        self._state.failed(self._role)

    def start_next_cycle(self) -> None:
        """Reset both sides to IDLE for the next request/response on this connection.

        Raises:
            LocalProtocolError: unless both messages are complete and
                :attr:`keep_alive` holds.
        """
        if not self.try_next_cycle():
            self._state.start_next_cycle()  # Raises, naming the states.

    def try_next_cycle(self) -> bool:
        """:meth:`start_next_cycle` when both messages are complete and the connection persists.

        Returns:
            Whether the next cycle started; when not, nothing changed.
        """
        if not self._state.try_next_cycle():
            return False
        self._request_method = None
        self._in_body = _NONE
        self._waiting_100 = False
        return True

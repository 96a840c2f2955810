"""``WebSocketConnection``: one WebSocket connection after the handshake.

Bytes in, events out, bytes to send; no I/O, no clock. The rules it owns:

- Fragmentation (RFC 6455 §5.4): a message is a TEXT or BINARY frame and
  the CONTINUATION frames after it, the last with FIN set. A CONTINUATION
  without a message, or a new message before the last one ended, is 1002.
  Control frames may come between fragments.
- Message size: a message larger than ``max_message_size`` (counted as it
  arrives, after decompression) fails the connection with 1009.
- Text (RFC 6455 §8.1): invalid UTF-8 is 1007, detected fragment by fragment.
- Closing handshake (RFC 6455 §7): ``state`` goes OPEN -> CLOSING when one
  side's Close frame is sent or received, and CLOSING -> CLOSED when both
  are, when the transport ends, or when the connection fails. After the
  peer's Close frame nothing it sends is read (§5.5.1).
- Failing (§7.1.7): on a protocol violation :meth:`next_event` raises
  :class:`WebSocketProtocolError` and queues a Close frame with its code
  (unless a Close frame was already sent); send :meth:`data_to_send`, then
  close the transport.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Sequence
from typing import Final, Literal

from transom.protocol._errors import LocalProtocolError
from transom.protocol._extensions import speedups
from transom.protocol.http1 import NEED_DATA, NoEvent, Role
from transom.protocol.websocket._close import (
    CloseCode,
    parse_close_payload,
    serialize_close_payload,
)
from transom.protocol.websocket._deflate import (
    MessageCompressor,
    MessageDecompressor,
    PerMessageDeflate,
    deflate_bound,
)
from transom.protocol.websocket._errors import WebSocketProtocolError
from transom.protocol.websocket._events import (
    BytesFragment,
    BytesMessage,
    CloseReceived,
    ConnectionClosed,
    Event,
    Ping,
    Pong,
    TextFragment,
    TextMessage,
)
from transom.protocol.websocket._frames import (
    MAX_CONTROL_PAYLOAD_SIZE,
    Opcode,
    read_frame,
    serialize_frame,
)
from transom.protocol.websocket._utf8 import Utf8Decoder

__all__ = ["DEFAULT_MAX_MESSAGE_SIZE", "ConnectionState", "WebSocketConnection"]

#: Bytes in one received message, after decompression. A message is held
#: whole before it is delivered (twice over while it is joined), so this
#: bounds the memory one peer can make a connection hold. 4 MiB carries any
#: chat, JSON or RPC payload and matches aiohttp's default; pass a larger
#: value (or None for no limit) for bulk transfers, or stream fragments.
DEFAULT_MAX_MESSAGE_SIZE: Final = 4 * 1024 * 1024

# Plain ints for the hot path: comparing to an enum member costs an
# attribute lookup each time.
_CONTINUATION: Final = Opcode.CONTINUATION.value
_TEXT: Final = Opcode.TEXT.value
_BINARY: Final = Opcode.BINARY.value
_CLOSE: Final = Opcode.CLOSE.value
_PING: Final = Opcode.PING.value

# The header of an unmasked, unfragmented TEXT frame of 0 to 125 bytes, by length.
_SHORT_TEXT_HEADS: Final = tuple(bytes((0x80 | _TEXT, n)) for n in range(126))

# The compiled reader of a whole message in one frame, the common case of an
# uncompressed connection that does not stream fragments: it takes such a
# frame off the buffer as its TextMessage or BytesMessage, and returns None,
# consuming nothing, for any other bytes (those of another frame, an
# incomplete frame, one that breaks a rule), which the Python path then reads.
_MessageReader = Callable[[bytearray, bool, int | None], TextMessage | BytesMessage | None]
_read_message: _MessageReader | None = None
if speedups is not None:
    for _cls in (TextMessage, BytesMessage):
        speedups.register_event(_cls, [vars(_cls)["data"]])
    speedups.configure_messages(TextMessage, BytesMessage)
    _read_message = speedups.read_message


class ConnectionState(enum.Enum):
    """Where a connection is in the closing handshake (RFC 6455 §7)."""

    #: Messages flow both ways.
    OPEN = "OPEN"
    #: One Close frame has been sent or received, not both.
    CLOSING = "CLOSING"
    #: Both Close frames were exchanged, the transport ended, or the
    #: connection failed; only ``data_to_send()`` may still hold bytes.
    CLOSED = "CLOSED"


class WebSocketConnection:
    """The sans-I/O state of one WebSocket connection.

    Feed received bytes to :meth:`receive_data` (and :meth:`receive_eof`
    when the transport ends), then call :meth:`next_event` until it returns
    ``NEED_DATA``. The ``send_*`` methods return the bytes of a frame to
    write; nothing is sent behind the caller's back except the Close frame
    that fails the connection, which :meth:`data_to_send` hands over.

    Args:
        role: ``Role.SERVER`` (receives masked frames, sends unmasked ones)
            or ``Role.CLIENT`` (the reverse).
        max_message_size: Largest received message in bytes, after
            decompression, or None for no limit.
        extensions: What the handshake agreed (``HandshakeResult.extensions``):
            empty, or one :class:`PerMessageDeflate`.
        mask_key_factory: Called with 4 to get each client frame's masking
            key; the keys must be unpredictable (RFC 6455 §5.3).
        stream_fragments: Deliver data frames as :class:`TextFragment` and
            :class:`BytesFragment` as they arrive instead of whole messages.
            ``max_message_size`` still applies to each message.

    Raises:
        ValueError: More than one extension, or a negative size limit.
    """

    __slots__ = (
        "_buffer",
        "_bytes_parts",
        "_client",
        "_close_code",
        "_close_reason",
        "_close_received",
        "_close_sent",
        "_closed",
        "_compressor",
        "_decompressor",
        "_eof",
        "_error",
        "_frame_limit",
        "_mask_key_factory",
        "_masked",
        "_max_message_size",
        "_message_compressed",
        "_message_opcode",
        "_message_size",
        "_outgoing",
        "_plain_sends",
        "_rsv1_allowed",
        "_send_compressed",
        "_send_opcode",
        "_stream_fragments",
        "_text_parts",
        "_utf8",
        "_whole_frames",
    )

    def __init__(
        self,
        role: Role,
        *,
        max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
        extensions: Sequence[PerMessageDeflate] = (),
        mask_key_factory: Callable[[int], bytes] = os.urandom,
        stream_fragments: bool = False,
    ) -> None:
        if max_message_size is not None and max_message_size < 0:
            raise ValueError("max_message_size must not be negative")
        if len(extensions) > 1:
            raise ValueError("only one extension, permessage-deflate, is supported")
        client = role is Role.CLIENT
        self._client = client
        self._max_message_size = max_message_size
        self._mask_key_factory = mask_key_factory
        self._stream_fragments = stream_fragments
        self._compressor: MessageCompressor | None = None
        self._decompressor: MessageDecompressor | None = None
        if extensions:
            deflate = extensions[0]
            server = (deflate.server_max_window_bits, deflate.server_no_context_takeover)
            peer = (deflate.client_max_window_bits, deflate.client_no_context_takeover)
            if client:
                server, peer = peer, server
            self._compressor = MessageCompressor(*server)
            self._decompressor = MessageDecompressor(*peer)
        # One-frame messages skip assembly when there is no decompression
        # to do and no fragment to deliver.
        self._whole_frames = self._decompressor is None and not stream_fragments
        self._masked = not client
        # Server frames of an uncompressed connection need no mask and no
        # compressor: short whole messages are built inline (see send_text).
        self._plain_sends = not client and self._compressor is None
        self._rsv1_allowed = self._decompressor is not None
        # The largest data frame payload the next frame may carry: what is
        # left of the message size limit, or, with compression, the most a
        # message of that size can take on the wire (the inflated size is
        # checked after each frame).
        self._frame_limit = max_message_size
        if max_message_size is not None and self._decompressor is not None:
            self._frame_limit = deflate_bound(max_message_size)
        self._buffer = bytearray()
        self._outgoing = b""
        self._eof = False
        # Receiving side: the message being assembled.
        self._message_opcode = 0
        self._message_compressed = False
        self._message_size = 0
        self._text_parts: list[str] = []
        self._bytes_parts: list[bytes] = []
        self._utf8: Utf8Decoder | None = None
        # Sending side: the opcode of a fragmented message being sent.
        self._send_opcode = 0
        self._send_compressed = False
        # Closing handshake.
        self._close_sent = False
        self._close_received = False
        self._closed = False
        self._close_code: int | None = None
        self._close_reason = ""
        self._error: WebSocketProtocolError | None = None

    # -- state -------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        """Where the connection is in the closing handshake."""
        if self._closed or self._error is not None or (self._close_sent and self._close_received):
            return ConnectionState.CLOSED
        if self._close_sent or self._close_received:
            return ConnectionState.CLOSING
        return ConnectionState.OPEN

    @property
    def close_code(self) -> int | None:
        """Why the connection is closing or closed, as far as this side knows.

        The code of the peer's Close frame (1005 when it carried none); the
        code this side failed the connection with; 1006 when the transport
        ended without a Close frame; None before any of these happened.
        """
        return self._close_code

    @property
    def close_reason(self) -> str:
        """The reason that goes with :attr:`close_code` (empty when none)."""
        return self._close_reason

    @property
    def buffered_size(self) -> int:
        """Received bytes not parsed into events yet."""
        return len(self._buffer)

    # -- receiving ---------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes received from the peer; :meth:`next_event` parses them.

        Raises:
            LocalProtocolError: Called after :meth:`receive_eof`.
        """
        if self._eof:
            raise LocalProtocolError("data received after end of stream")
        if not self._close_received:
            self._buffer += data

    def receive_message(self, data: bytes) -> TextMessage | BytesMessage | None:
        """:meth:`receive_data`, then the next event when it is a whole message read at once.

        The usual case in one call: on an uncompressed connection, a whole
        message in one frame at the front of the buffer, which the compiled
        reader takes. Returns None otherwise, and always when the extension
        is not in use: call :meth:`next_event`, as after :meth:`receive_data`.
        After a message, more events may be buffered (:attr:`buffered_size`).

        Raises:
            LocalProtocolError: Called after :meth:`receive_eof`.
        """
        if self._eof:
            raise LocalProtocolError("data received after end of stream")
        if self._close_received:
            return None
        buffer = self._buffer
        buffer += data
        if (
            _read_message is None
            or not self._whole_frames
            or self._message_opcode
            or self._error is not None
        ):
            return None
        return _read_message(buffer, self._masked, self._frame_limit)

    def receive_eof(self) -> None:
        """Record that the peer closed its sending side of the transport."""
        self._eof = True

    def next_event(self) -> Event | Literal[NoEvent.NEED_DATA]:
        """Parse the next event from the buffered bytes.

        Returns:
            The next event, or ``NEED_DATA`` when the buffer holds no complete
            frame. After ``receive_eof()`` and the last buffered event,
            :class:`ConnectionClosed`, again on every call.

        Raises:
            WebSocketProtocolError: The peer broke the protocol; the
                connection is failed (see :meth:`data_to_send`) and every
                later call raises the same error.
        """
        if self._error is not None:
            raise self._error
        if not self._buffer and not self._eof:
            # Nothing buffered: the common answer after each event.
            return NEED_DATA
        if (
            _read_message is not None
            and self._whole_frames
            and not self._message_opcode
            and not self._close_received
        ):
            # What the fast path of _data_frame() returns, without the frame
            # tuple; the limit is the message size limit, no message being
            # assembled.
            message = _read_message(self._buffer, self._masked, self._frame_limit)
            if message is not None:
                return message
        try:
            while not self._close_received:
                frame = read_frame(
                    self._buffer, self._masked, self._rsv1_allowed, self._frame_limit
                )
                if frame is None:
                    break
                opcode, fin, rsv1, payload = frame
                if opcode < _CLOSE:
                    event = self._data_frame(opcode, fin, rsv1, payload)
                    if event is not None:
                        return event
                elif opcode == _PING:
                    return Ping(payload)
                elif opcode == _CLOSE:
                    return self._close_frame(payload)
                else:
                    return Pong(payload)
        except WebSocketProtocolError as error:
            self._fail(error)
            raise
        if not self._eof:
            return NEED_DATA
        if not self._closed:
            self._closed = True
            if not self._close_received:
                self._close_code = CloseCode.ABNORMAL_CLOSURE
                self._close_reason = ""
        assert self._close_code is not None
        return ConnectionClosed(self._close_code, self._close_reason)

    def _data_frame(
        self, opcode: int, fin: bool, rsv1: bool, payload: bytes
    ) -> TextMessage | BytesMessage | TextFragment | BytesFragment | None:
        if opcode == _CONTINUATION:
            opcode = self._message_opcode
            if not opcode:
                raise WebSocketProtocolError(
                    CloseCode.PROTOCOL_ERROR, "continuation frame without a message"
                )
        else:
            if self._message_opcode:
                raise WebSocketProtocolError(
                    CloseCode.PROTOCOL_ERROR, "new message before the previous one ended"
                )
            if fin and self._whole_frames:
                # Fast path: a whole uncompressed message in one frame; its
                # size was checked by read_frame.
                if opcode == _TEXT:
                    try:
                        return TextMessage(payload.decode("utf-8"))
                    except UnicodeDecodeError:
                        raise WebSocketProtocolError(
                            CloseCode.INVALID_FRAME_PAYLOAD_DATA, "invalid UTF-8 in text"
                        ) from None
                return BytesMessage(payload)
            self._message_opcode = opcode
            self._message_compressed = rsv1
            self._message_size = 0
            self._utf8 = Utf8Decoder() if opcode == _TEXT else None
        max_message_size = self._max_message_size
        if self._message_compressed:
            assert self._decompressor is not None
            remaining = None if max_message_size is None else max_message_size - self._message_size
            payload = self._decompressor.decompress(payload, fin, remaining)
        size = self._message_size + len(payload)
        if max_message_size is not None:
            if size > max_message_size:
                raise WebSocketProtocolError(CloseCode.MESSAGE_TOO_BIG, "message too big")
            if self._decompressor is None:
                self._frame_limit = max_message_size - size
        self._message_size = size
        if fin:
            self._message_opcode = 0
            self._message_size = 0
            if self._decompressor is None:
                self._frame_limit = max_message_size
        utf8 = self._utf8
        if utf8 is not None:
            text = utf8.decode(payload, fin)
            if self._stream_fragments:
                return TextFragment(text, fin)
            self._text_parts.append(text)
            if not fin:
                return None
            message = "".join(self._text_parts)
            self._text_parts = []
            return TextMessage(message)
        if self._stream_fragments:
            return BytesFragment(payload, fin)
        self._bytes_parts.append(payload)
        if not fin:
            return None
        data = b"".join(self._bytes_parts)
        self._bytes_parts = []
        return BytesMessage(data)

    def _close_frame(self, payload: bytes) -> CloseReceived:
        code, reason = parse_close_payload(payload)
        self._close_received = True
        self._close_code = code
        self._close_reason = reason
        # RFC 6455 §5.5.1: nothing the peer sends after its Close frame counts.
        self._buffer.clear()
        self._text_parts = []
        self._bytes_parts = []
        return CloseReceived(code, reason)

    def _fail(self, error: WebSocketProtocolError) -> None:
        self._error = error
        self._close_code = error.close_code
        self._close_reason = error.reason
        self._buffer.clear()
        if not self._close_sent:
            self._close_sent = True
            self._outgoing += self._frame(
                _CLOSE, serialize_close_payload(error.close_code, error.reason)
            )

    def data_to_send(self) -> bytes:
        """Take the bytes the connection queued by itself.

        That is the Close frame that fails the connection after
        :meth:`next_event` raised :class:`WebSocketProtocolError`; send it,
        then close the transport. Empty when nothing is queued.
        """
        data = self._outgoing
        self._outgoing = b""
        return data

    # -- sending -----------------------------------------------------------

    def _frame(self, opcode: int, payload: bytes, fin: bool = True, rsv1: bool = False) -> bytes:
        mask_key = self._mask_key_factory(4) if self._client else None
        return serialize_frame(opcode, payload, fin=fin, rsv1=rsv1, mask_key=mask_key)

    def _check_can_send(self) -> None:
        if self._close_sent:
            raise LocalProtocolError("cannot send after a Close frame was sent")
        if self._closed:
            raise LocalProtocolError("cannot send on a closed connection")

    def _send_data(self, opcode: int, payload: bytes, final: bool, compress: bool) -> bytes:
        self._check_can_send()
        send_opcode = self._send_opcode
        rsv1 = False
        if send_opcode:
            if opcode != send_opcode:
                raise LocalProtocolError("a fragmented message of another type is being sent")
            opcode = _CONTINUATION
            compressed = self._send_compressed
        else:
            compressed = self._compressor is not None and compress
            # RFC 7692 §6.1: RSV1 on the first frame of a compressed message.
            rsv1 = compressed
        if compressed:
            assert self._compressor is not None
            payload = self._compressor.compress(payload, final)
        if final:
            self._send_opcode = 0
        else:
            self._send_opcode = send_opcode or opcode
            self._send_compressed = compressed
        return self._frame(opcode, payload, final, rsv1)

    def send_text(self, data: str, *, final: bool = True, compress: bool = True) -> bytes:
        """Build a text message, or the next fragment of one.

        Args:
            data: The text (or this fragment's share of it).
            final: False to send a fragment and continue the message with
                more ``send_text`` calls, the last one with ``final=True``.
            compress: False to send this message uncompressed although
                permessage-deflate was agreed (RFC 7692 §6: compression is
                per message). Read on a message's first fragment only.

        Returns:
            The frame to write.

        Raises:
            LocalProtocolError: A Close frame was already sent, or a binary
                message is being sent in fragments.
        """
        payload = data.encode("utf-8")
        if (
            self._plain_sends
            and final
            and len(payload) < 126
            and not (self._send_opcode or self._close_sent or self._closed)
        ):
            # The most common frame: FIN + TEXT and a one-byte length.
            return _SHORT_TEXT_HEADS[len(payload)] + payload
        return self._send_data(_TEXT, payload, final, compress)

    def send_bytes(
        self, data: bytes | bytearray | memoryview, *, final: bool = True, compress: bool = True
    ) -> bytes:
        """Build a binary message, or the next fragment of one.

        Args:
            data: The payload (or this fragment's share of it).
            final: False to send a fragment and continue the message with
                more ``send_bytes`` calls, the last one with ``final=True``.
            compress: As for :meth:`send_text`.

        Returns:
            The frame to write.

        Raises:
            LocalProtocolError: A Close frame was already sent, or a text
                message is being sent in fragments.
        """
        return self._send_data(_BINARY, bytes(data), final, compress)

    def _send_control(self, opcode: int, payload: bytes) -> bytes:
        self._check_can_send()
        if len(payload) > MAX_CONTROL_PAYLOAD_SIZE:
            raise LocalProtocolError("control frame payload over 125 bytes")
        return self._frame(opcode, payload)

    def send_ping(self, payload: bytes = b"") -> bytes:
        """Build a Ping frame (at most 125 bytes of payload).

        Raises:
            LocalProtocolError: Payload too long, or a Close frame was sent.
        """
        return self._send_control(_PING, bytes(payload))

    def send_pong(self, payload: bytes = b"") -> bytes:
        """Build a Pong frame, usually echoing a :class:`Ping`'s payload.

        Raises:
            LocalProtocolError: Payload too long, or a Close frame was sent.
        """
        return self._send_control(Opcode.PONG.value, bytes(payload))

    def send_close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> bytes:
        """Build the Close frame that starts or completes the closing handshake.

        After the peer's :class:`CloseReceived` this is the answer RFC 6455
        §5.5.1 asks for, usually echoing its code (1000 for 1005, which may
        not be sent), and the state becomes CLOSED: the server then closes
        the transport, the client waits for the server to do so (§7.1.1).
        Otherwise the state becomes CLOSING and the peer's Close frame is
        awaited.

        Args:
            code: A close code that may be sent: 1000-1003, 1007-1014 or
                3000-4999.
            reason: At most 123 bytes once encoded as UTF-8.

        Returns:
            The frame to write.

        Raises:
            LocalProtocolError: Invalid code or reason, or a Close frame was
                already sent.
        """
        self._check_can_send()
        frame = self._frame(_CLOSE, serialize_close_payload(code, reason))
        self._close_sent = True
        return frame

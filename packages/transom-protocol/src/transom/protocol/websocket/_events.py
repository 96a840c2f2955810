"""Events a :class:`WebSocketConnection` gives back, in arrival order.

A message arrives whole as :class:`TextMessage` or :class:`BytesMessage`,
or, when the connection streams fragments, as :class:`TextFragment` or
:class:`BytesFragment` pieces the last of which has ``final`` set. Control
frames arrive between them as :class:`Ping`, :class:`Pong` and
:class:`CloseReceived`; :class:`ConnectionClosed` is always the last event.
When the buffered bytes hold no complete frame, ``next_event()`` returns
``NEED_DATA``, the same sentinel as ``transom.protocol.http1``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BytesFragment",
    "BytesMessage",
    "CloseReceived",
    "ConnectionClosed",
    "Event",
    "Ping",
    "Pong",
    "TextFragment",
    "TextMessage",
]


@dataclass(frozen=True, slots=True)
class TextMessage:
    """A whole text message, decoded from UTF-8."""

    data: str


@dataclass(frozen=True, slots=True)
class BytesMessage:
    """A whole binary message."""

    data: bytes


@dataclass(frozen=True, slots=True)
class TextFragment:
    """The next piece of a text message (only when streaming fragments).

    Pieces never split a character, so a piece may be empty when a frame
    ends inside one. ``final`` marks the message's last piece.
    """

    data: str
    final: bool


@dataclass(frozen=True, slots=True)
class BytesFragment:
    """The next piece of a binary message (only when streaming fragments)."""

    data: bytes
    final: bool


@dataclass(frozen=True, slots=True)
class Ping:
    """A Ping frame: answer it with ``send_pong(payload)`` (RFC 6455 §5.5.2)."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class Pong:
    """A Pong frame, solicited or not (RFC 6455 §5.5.3)."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class CloseReceived:
    """The peer's Close frame (RFC 6455 §5.5.1).

    If this side has not sent a Close frame yet, it should answer with
    ``send_close()``, usually echoing ``code`` (1000 when it is 1005, which
    may not be sent), and then, on the server, close the transport. No
    event but :class:`ConnectionClosed` follows.

    Attributes:
        code: The peer's close code; 1005 when its frame carried none.
        reason: The peer's reason, possibly empty.
    """

    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The transport ended (after ``receive_eof()``); no more events follow.

    Attributes:
        code: The peer's close code, or 1006 when the transport ended
            before its Close frame arrived (RFC 6455 §7.1.5).
        reason: The peer's reason, empty for 1006.
    """

    code: int
    reason: str


Event = (
    TextMessage
    | BytesMessage
    | TextFragment
    | BytesFragment
    | Ping
    | Pong
    | CloseReceived
    | ConnectionClosed
)

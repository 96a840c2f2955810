"""Close codes and the Close frame's payload (RFC 6455 §5.5.1, §7.4).

A Close frame's payload is empty, or a 2-byte big-endian status code
followed by a UTF-8 reason. Which codes may travel on the wire is decided
here, once, for both directions.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from transom.protocol._errors import LocalProtocolError
from transom.protocol.websocket._errors import WebSocketProtocolError

__all__ = [
    "MAX_CLOSE_REASON_SIZE",
    "CloseCode",
    "is_valid_close_code",
    "parse_close_payload",
    "serialize_close_payload",
]


class CloseCode(IntEnum):
    """Close codes registered with IANA (RFC 6455 §7.4.1, §11.7).

    ``NO_STATUS_RCVD``, ``ABNORMAL_CLOSURE`` and ``TLS_HANDSHAKE`` are
    reserved to describe what happened: they never appear in a Close frame.
    ``OK`` and ``INVALID_TEXT`` are aliases under ``aiohttp.WSCloseCode``'s
    names, so code ported from it keeps working.
    """

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_FRAME_PAYLOAD_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015
    OK = 1000
    INVALID_TEXT = 1007


#: A control frame's payload is at most 125 bytes (RFC 6455 §5.5) and the
#: code takes 2 of them.
MAX_CLOSE_REASON_SIZE: Final = 123

# RFC 6455 §7.4.1 defines 1000-1003 and 1007-1011; IANA registered 1012-1014
# since. 1004 is reserved, 1005/1006/1015 must not be sent.
_REGISTERED_WIRE_CODES: Final = frozenset(
    {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
)


def is_valid_close_code(code: int) -> bool:
    """Tell whether ``code`` may appear in a Close frame.

    True for the registered codes that may be sent and for 3000-4999
    (libraries, frameworks and applications, RFC 6455 §7.4.2); false for
    everything else, including 1005, 1006 and 1015.
    """
    return code in _REGISTERED_WIRE_CODES or 3000 <= code <= 4999


def parse_close_payload(payload: bytes) -> tuple[int, str]:
    """Read the code and reason of a received Close frame.

    Args:
        payload: The frame's unmasked payload (at most 125 bytes, already
            checked by the frame reader).

    Returns:
        ``(code, reason)``; ``(1005, "")`` for an empty payload (RFC 6455
        §7.1.5).

    Raises:
        WebSocketProtocolError: 1002 for a 1-byte payload or a code that may
            not be sent; 1007 for a reason that is not UTF-8.
    """
    if not payload:
        return CloseCode.NO_STATUS_RCVD, ""
    if len(payload) == 1:
        raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, "close frame with a 1-byte payload")
    code = int.from_bytes(payload[:2], "big")
    if not is_valid_close_code(code):
        raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, f"invalid close code {code}")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise WebSocketProtocolError(
            CloseCode.INVALID_FRAME_PAYLOAD_DATA, "close reason is not valid UTF-8"
        ) from None
    return code, reason


def serialize_close_payload(code: int, reason: str) -> bytes:
    """Build the payload of a Close frame to send.

    Raises:
        LocalProtocolError: ``code`` may not be sent, or ``reason`` is longer
            than 123 bytes in UTF-8.
    """
    if not is_valid_close_code(code):
        raise LocalProtocolError(f"close code {code} may not be sent")
    encoded = reason.encode("utf-8")
    if len(encoded) > MAX_CLOSE_REASON_SIZE:
        raise LocalProtocolError(f"close reason is longer than {MAX_CLOSE_REASON_SIZE} bytes")
    return code.to_bytes(2, "big") + encoded

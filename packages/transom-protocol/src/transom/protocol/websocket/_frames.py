"""The WebSocket frame: reading one from a buffer, writing one (RFC 6455 §5.2).

Wire layout::

     0               1               2               3
     FIN RSV1-3 opcode | MASK  payload-len(7) | extended length (0, 2 or 8 bytes)
     masking key (0 or 4 bytes) | payload

Every rule that one frame can break on its own is checked here, as soon as
the bytes that decide it have arrived, so a bad header fails the connection
before its payload is buffered. Rules that span frames (fragmentation
order, message size, UTF-8) belong to the connection.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import Final

from transom.protocol.websocket._close import CloseCode
from transom.protocol.websocket._errors import WebSocketProtocolError
from transom.protocol.websocket._mask import apply_mask

__all__ = ["MAX_CONTROL_PAYLOAD_SIZE", "Opcode", "read_frame", "serialize_frame"]


class Opcode(IntEnum):
    """Frame opcodes defined by RFC 6455 §5.2; all others are reserved."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


#: Control frames carry at most 125 bytes (RFC 6455 §5.5).
MAX_CONTROL_PAYLOAD_SIZE: Final = 125

_FIN: Final = 0x80
_RSV: Final = 0x70
_RSV1: Final = 0x40
_RSV2_RSV3: Final = 0x30
_MASK: Final = 0x80
_CLOSE: Final = Opcode.CLOSE.value
_DATA_OPCODES: Final = (Opcode.TEXT.value, Opcode.BINARY.value)

_pack_16: Final = struct.Struct("!BBH").pack
_pack_64: Final = struct.Struct("!BBQ").pack


def _fail(reason: str) -> WebSocketProtocolError:
    return WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, reason)


def read_frame(
    buffer: bytearray, masked: bool, rsv1_allowed: bool, max_data_payload: int | None
) -> tuple[int, bool, bool, bytes] | None:
    """Remove one complete frame from the front of ``buffer``.

    Args:
        buffer: Received bytes; a complete frame is deleted from its front.
        masked: Whether frames must be masked: true on the server, false on
            the client (RFC 6455 §5.1); the other kind fails with 1002.
        rsv1_allowed: Whether RSV1 may be set on a TEXT or BINARY frame
            (permessage-deflate was negotiated, RFC 7692 §6).
        max_data_payload: The largest payload a TEXT, BINARY or
            CONTINUATION frame may carry here, or None for no limit.

    Returns:
        ``(opcode, fin, rsv1, payload)`` with the payload unmasked, or None
        when the buffer does not hold a whole frame yet (nothing consumed).

    Raises:
        WebSocketProtocolError: 1002 for a frame that breaks RFC 6455 §5, 1009
            for a data frame longer than ``max_data_payload``.
    """
    available = len(buffer)
    if available < 2:
        return None
    first = buffer[0]
    second = buffer[1]
    opcode = first & 0x0F
    if first & _RSV:
        if first & _RSV2_RSV3:
            # RFC 6455 §5.2: no extension negotiated here defines RSV2 or RSV3.
            raise _fail("reserved bits set")
        if not rsv1_allowed or opcode not in _DATA_OPCODES:
            # RFC 7692 §6: RSV1 marks a compressed message, on its first
            # frame only.
            raise _fail("reserved bit 1 set")
    # Opcodes 3-7 and 11-15 are reserved: exactly those with (opcode & 7) > 2.
    if opcode & 7 > 2:
        raise _fail(f"reserved opcode {opcode:#x}")
    fin = first >= _FIN
    length = second & 0x7F
    if opcode >= _CLOSE:
        # RFC 6455 §5.5: control frames are never fragmented; 126 and 127 are
        # length markers, so they already mean "more than 125".
        if not fin:
            raise _fail("fragmented control frame")
        if length > MAX_CONTROL_PAYLOAD_SIZE:
            raise _fail("control frame payload over 125 bytes")
    if (second >= _MASK) is not masked:
        raise _fail("frame from the client is not masked" if masked else "masked frame from server")
    start = 2
    if length == 126:
        if available < 4:
            return None
        length = (buffer[2] << 8) | buffer[3]
        start = 4
    elif length == 127:
        if available < 10:
            return None
        length = int.from_bytes(buffer[2:10], "big")
        if length >> 63:
            # RFC 6455 §5.2: the most significant bit of a 64-bit length is 0.
            raise _fail("frame length with the high bit set")
        start = 10
    # Non-minimal length encodings are accepted: RFC 6455 §5.2 asks senders
    # for the minimal form but gives receivers no rule to reject others.
    if max_data_payload is not None and length > max_data_payload and opcode < _CLOSE:
        raise WebSocketProtocolError(CloseCode.MESSAGE_TOO_BIG, "message too big")
    if masked:
        end = start + 4 + length
        if available < end:
            return None
        payload = apply_mask(buffer[start + 4 : end], buffer[start : start + 4])
    else:
        end = start + length
        if available < end:
            return None
        payload = bytes(buffer[start:end])
    del buffer[:end]
    return opcode, fin, first & _RSV1 != 0, payload


def serialize_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    rsv1: bool = False,
    mask_key: bytes | None = None,
) -> bytes:
    """Write one frame with the minimal length encoding.

    Args:
        opcode: The frame's opcode.
        payload: The payload, unmasked.
        fin: Whether this is the last frame of its message.
        rsv1: Whether to set RSV1 (a compressed message's first frame).
        mask_key: The 4-byte masking key for a client frame; None for a
            server frame, which is sent unmasked.

    Returns:
        The frame's bytes.
    """
    first = opcode | (_FIN if fin else 0) | (_RSV1 if rsv1 else 0)
    length = len(payload)
    mask_bit = 0 if mask_key is None else _MASK
    if length < 126:
        header = bytes((first, mask_bit | length))
    elif length < 0x10000:
        header = _pack_16(first, mask_bit | 126, length)
    else:
        header = _pack_64(first, mask_bit | 127, length)
    if mask_key is None:
        return header + payload
    return header + mask_key + apply_mask(payload, mask_key)

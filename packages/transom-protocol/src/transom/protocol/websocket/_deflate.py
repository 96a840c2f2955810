"""The permessage-deflate extension: its parameters and its codec (RFC 7692).

A compressed message is the raw DEFLATE stream of its payload, flushed to a
byte boundary, with the final ``00 00 ff ff`` of the flush removed (RFC 7692
§7.2.1); the receiver appends those 4 bytes back before inflating
(§7.2.2). Only the first frame of a message carries RSV1; control frames are
never compressed (§6.1). With context takeover both sides keep their LZ77
window from one message to the next; without it each message stands alone.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from transom.protocol.websocket._close import CloseCode
from transom.protocol.websocket._errors import WebSocketProtocolError

__all__ = [
    "COMPRESSION_LEVEL",
    "MessageCompressor",
    "MessageDecompressor",
    "PerMessageDeflate",
    "deflate_bound",
]

#: zlib level used for outgoing messages. WebSocket messages are sent one at
#: a time as the application produces them, so the compressor's time adds
#: to every message's latency: level 1 compresses about five times faster
#: than zlib's default of 6, for output about a third larger on text
#: (aiohttp makes the same choice).
COMPRESSION_LEVEL = 1

_FLUSH_TAIL = b"\x00\x00\xff\xff"


@dataclass(frozen=True, slots=True)
class PerMessageDeflate:
    """Parameters of permessage-deflate (RFC 7692 §7.1).

    As an argument to the handshake functions it states what this side
    wants; in a ``HandshakeResult`` it is what both sides agreed, ready to
    pass to ``WebSocketConnection(extensions=...)``.

    Attributes:
        server_no_context_takeover: The server compresses each message on its
            own (§7.1.1.1).
        client_no_context_takeover: The client compresses each message on its
            own (§7.1.1.2).
        server_max_window_bits: Base-2 log of the largest LZ77 window the
            server compresses with, 8 to 15 (§7.1.2.1).
        client_max_window_bits: The same for the client (§7.1.2.2).

    Raises:
        ValueError: A window size outside 8-15.
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = 15
    client_max_window_bits: int = 15

    def __post_init__(self) -> None:
        for bits in (self.server_max_window_bits, self.client_max_window_bits):
            if not 8 <= bits <= 15:
                raise ValueError("max window bits must be between 8 and 15")


def deflate_bound(size: int) -> int:
    """Upper bound on the compressed size of ``size`` bytes of payload.

    Incompressible data goes out in stored blocks, 5 bytes of header per
    block of at most 65,535 bytes (RFC 1951 §3.2.4); the margin covers that
    with room to spare. Used to cap the wire size of a compressed message
    from the cap on its decompressed size.
    """
    return size + (size >> 10) + 64


class MessageCompressor:
    """Compress outgoing messages, one message or fragment per call.

    Args:
        window_bits: The agreed max window bits for this side.
        no_context_takeover: Whether each message must stand alone.
    """

    __slots__ = ("_compressor", "_final_flush")

    def __init__(self, window_bits: int, no_context_takeover: bool) -> None:
        if window_bits == 8:
            # zlib cannot compress with a 256-byte window. Huffman-only output
            # has no back-references at all, so any window can inflate it.
            self._compressor = zlib.compressobj(
                COMPRESSION_LEVEL, zlib.DEFLATED, -9, 8, zlib.Z_HUFFMAN_ONLY
            )
        else:
            self._compressor = zlib.compressobj(COMPRESSION_LEVEL, zlib.DEFLATED, -window_bits)
        # A full flush ends the message like a sync flush and also forgets
        # the window, which is what no context takeover asks for, without
        # allocating a new compressor for every message.
        self._final_flush = zlib.Z_FULL_FLUSH if no_context_takeover else zlib.Z_SYNC_FLUSH

    def compress(self, data: bytes, final: bool) -> bytes:
        """Compress the next piece of a message.

        Args:
            data: The piece's payload.
            final: Whether it ends the message.

        Returns:
            The payload to put in the piece's frame.
        """
        compressor = self._compressor
        if final:
            out = compressor.compress(data) + compressor.flush(self._final_flush)
            # Both flushes end with an empty stored block, 00 00 ff ff.
            return out[:-4]
        return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


class MessageDecompressor:
    """Inflate incoming compressed messages, one frame at a time.

    Args:
        window_bits: The agreed max window bits of the peer.
        no_context_takeover: Whether the peer compresses each message alone.
    """

    __slots__ = ("_decompressor", "_no_context_takeover", "_window_bits")

    def __init__(self, window_bits: int, no_context_takeover: bool) -> None:
        self._window_bits = window_bits
        self._no_context_takeover = no_context_takeover
        self._decompressor = zlib.decompressobj(-window_bits)

    def decompress(self, data: bytes, final: bool, max_size: int | None) -> bytes:
        """Inflate the payload of the next frame of a compressed message.

        Args:
            data: The frame's payload.
            final: Whether the frame ends the message.
            max_size: How many more bytes the message may inflate to, or None
                for no limit. Inflating stops one byte past it, so a small
                frame that expands enormously costs no more than the limit.

        Returns:
            The inflated bytes.

        Raises:
            WebSocketProtocolError: 1009 past ``max_size``, 1007 for data that
                is not a valid DEFLATE stream.
        """
        if final:
            data += _FLUSH_TAIL
        decompressor = self._decompressor
        try:
            if max_size is None:
                out = decompressor.decompress(data)
            else:
                out = decompressor.decompress(data, max_size + 1)
        except zlib.error:
            raise WebSocketProtocolError(
                CloseCode.INVALID_FRAME_PAYLOAD_DATA, "invalid compressed data"
            ) from None
        if max_size is not None and len(out) > max_size:
            raise WebSocketProtocolError(CloseCode.MESSAGE_TOO_BIG, "message too big")
        if final and (self._no_context_takeover or decompressor.eof):
            # A stream that ended with a final block cannot be continued.
            self._decompressor = zlib.decompressobj(-self._window_bits)
        return out

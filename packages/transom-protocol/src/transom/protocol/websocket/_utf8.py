"""UTF-8 validation of text messages, incremental and fail-fast.

RFC 6455 §8.1: a text message whose payload is not valid UTF-8 fails the
connection with 1007. A fragmented message is checked fragment by fragment
so that garbage is caught as soon as it arrives, not after the peer has sent
(and we have buffered) the rest of the message (Autobahn section 6).
"""

from __future__ import annotations

import codecs
from typing import Final

from transom.protocol.websocket._close import CloseCode
from transom.protocol.websocket._errors import WebSocketProtocolError

__all__ = ["Utf8Decoder"]

_new_decoder: Final = codecs.getincrementaldecoder("utf-8")


def _invalid() -> WebSocketProtocolError:
    return WebSocketProtocolError(CloseCode.INVALID_FRAME_PAYLOAD_DATA, "invalid UTF-8 in text")


class Utf8Decoder:
    """Decode one text message a fragment at a time.

    Python's incremental decoder raises on a byte that cannot continue a
    sequence, with one exception: it holds ``ED A0``-``ED BF`` as an
    incomplete sequence although every completion is a UTF-16 surrogate,
    which UTF-8 forbids (RFC 3629 §3). :meth:`decode` closes that gap, so a
    fragment is rejected as soon as no continuation could make it valid.
    """

    __slots__ = ("_decoder",)

    def __init__(self) -> None:
        self._decoder = _new_decoder()

    def decode(self, data: bytes, final: bool) -> str:
        """Decode the next fragment's payload.

        Args:
            data: The fragment's bytes.
            final: Whether this fragment ends the message; an incomplete
                sequence at its end is then an error.

        Returns:
            The text decoded so far that the previous calls did not return.

        Raises:
            WebSocketProtocolError: 1007 when the bytes seen so far cannot be
                the start of valid UTF-8.
        """
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError:
            raise _invalid() from None
        if not final:
            pending = self._decoder.getstate()[0]
            if len(pending) > 1 and pending[0] == 0xED and pending[1] >= 0xA0:
                raise _invalid()
        return text

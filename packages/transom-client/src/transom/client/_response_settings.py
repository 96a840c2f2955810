"""What a request asks of its response: the limits of the body's stream, and its decoding.

A pooled connection keeps the settings of the request in flight and applies
them when that request's response head arrives.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

from transom.client._stream import StreamReader
from transom.protocol.compression import UnsupportedEncodingError, make_decoder

if TYPE_CHECKING:
    from transom.client._stream import FlowControl
    from transom.protocol.compression import Decoder
    from transom.protocol.http1 import Response

__all__ = ["ResponseSettings"]

# RFC 9110 §15.3.5 and §15.4.5: these responses never have a body.
_NO_BODY_STATUSES: Final = frozenset({204, 304})


class ResponseSettings:
    """How the response to one request is delivered.

    Args:
        method: The request method; a response to HEAD has no body to decode.
        read_timeout: The longest wait for the next body bytes, in seconds.
        deadline: The request's total deadline (loop time).
        decompress: Decode the body's content-coding.
        max_decompressed_size: Cap on the decoded body; ``None`` for none.
        high_water: Buffered body bytes above which reading pauses.
    """

    __slots__ = (
        "deadline",
        "decompress",
        "high_water",
        "max_decompressed_size",
        "method",
        "read_timeout",
    )

    def __init__(
        self,
        method: str,
        read_timeout: float | None,
        deadline: float | None,
        decompress: bool,
        max_decompressed_size: int | None,
        high_water: int,
    ) -> None:
        self.method = method
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.decompress = decompress
        self.max_decompressed_size = max_decompressed_size
        self.high_water = high_water

    def open_stream(
        self, flow: FlowControl, loop: asyncio.AbstractEventLoop, host: str
    ) -> StreamReader:
        """A stream for the body, read within these limits; ``flow`` is paused when it fills."""
        return StreamReader(
            flow,
            loop,
            high_water=self.high_water,
            read_timeout=self.read_timeout,
            deadline=self.deadline,
            host=host,
        )

    def decoder_for(self, head: Response) -> Decoder | None:
        """The decoder of ``head``'s body, or ``None`` to hand the body over as received.

        A body in a coding this client cannot decode is handed over as
        received too; its Content-Encoding tells the caller what it is.
        """
        if not self.decompress or self.method == "HEAD" or head.status_code in _NO_BODY_STATUSES:
            return None
        coding = head.headers.get("Content-Encoding")
        if not coding:
            return None
        try:
            return make_decoder(coding, max_size=self.max_decompressed_size)
        except UnsupportedEncodingError:
            return None

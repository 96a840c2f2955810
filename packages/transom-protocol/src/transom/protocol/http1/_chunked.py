"""Decode a chunked body (RFC 9112 §7.1) from a connection's receive buffer.

Every chunk that is already buffered is decoded in one call and handed on as a
single :class:`Data` event; chunk boundaries and extensions carry no meaning
for the application and are dropped once checked.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Final

from multidict import CIMultiDict

from transom.protocol._errors import RemoteProtocolError
from transom.protocol._extensions import speedups
from transom.protocol.http1._abnf import CHUNK_LINE
from transom.protocol.http1._head import HeadProgress, parse_fields
from transom.protocol.http1._limits import LARGEST_LENGTH

__all__ = ["ChunkedReader"]

_CHUNK_LINE_fullmatch: Final = CHUNK_LINE.fullmatch


class _Phase(enum.Enum):
    SIZE = "chunk-size line"
    DATA = "chunk-data"
    DATA_END = "CRLF after chunk-data"
    TRAILERS = "trailer section"


_SIZE: Final = _Phase.SIZE
_DATA: Final = _Phase.DATA
_DATA_END: Final = _Phase.DATA_END
_TRAILERS: Final = _Phase.TRAILERS

# The phases as the compiled decoder numbers them.
_PHASES: Final = (_SIZE, _DATA, _DATA_END, _TRAILERS)
_CODES: Final = {phase: code for code, phase in enumerate(_PHASES)}

# The compiled decoder, when built and allowed: it takes the chunks of the
# common case (see csrc/chunked.c) and stops, saying so, before any other
# chunk-size line or missing CRLF, which the Python loop below then reads.
_ChunkDecoder = Callable[
    [bytearray, int, int, int, int, int], tuple[bytes | None, int, int, int, int, bool]
]
_decode_chunks: _ChunkDecoder | None = None if speedups is None else speedups.decode_chunks


class ChunkedReader:
    """Incremental decoder for one chunked message body.

    Args:
        max_chunk_line_size: Longest chunk-size line, extensions and CRLF
            included (400 past it).
        max_body_size: Largest decoded body, or ``None`` (413 past it, raised
            on the chunk-size line, before that chunk is buffered).
        max_count: Most trailer fields (431).
        max_block_size: Most bytes of trailer fields (431).
    """

    __slots__ = (
        "_error",
        "_max_block_size",
        "_max_body_size",
        "_max_chunk_line_size",
        "_max_count",
        "_phase",
        "_progress",
        "_remaining",
        "_total",
    )

    def __init__(
        self,
        max_chunk_line_size: int,
        max_body_size: int | None,
        max_count: int,
        max_block_size: int,
    ) -> None:
        self._max_chunk_line_size = max_chunk_line_size
        self._max_body_size = max_body_size
        self._max_count = max_count
        self._max_block_size = max_block_size
        self._phase = _SIZE
        self._remaining = 0
        self._total = 0
        self._progress: HeadProgress | None = None
        self._error: RemoteProtocolError | None = None

    def read(self, buf: bytearray) -> bytes | CIMultiDict[str] | None:
        """Consume what can be decoded from the front of ``buf``.

        Returns:
            Body bytes (never empty) when some were decoded; the trailer fields
            (possibly empty) once the body is complete; ``None`` when more
            bytes are needed.

        Raises:
            RemoteProtocolError: on a malformed chunk, or past a limit.
        """
        if self._error is not None:
            raise self._error
        phase = self._phase
        if phase is _TRAILERS:
            return self._trailers(buf)
        remaining = self._remaining
        pos = 0
        # Chunk data is sliced through a view and copied once, by the join.
        pieces: list[memoryview] = []
        if _decode_chunks is not None:
            max_body_size = self._max_body_size
            decoded, pos, code, remaining, self._total, unusual = _decode_chunks(
                buf,
                _CODES[phase],
                remaining,
                self._total,
                self._max_chunk_line_size,
                -1 if max_body_size is None else max_body_size,
            )
            phase = _PHASES[code]
            if not unusual:
                self._settle(buf, pos, phase, remaining)
                return self._result(buf, decoded)
            # It stopped at bytes the loop below reads, after what it decoded.
            if decoded is not None:
                pieces.append(memoryview(decoded))
        error: RemoteProtocolError | None = None
        view = memoryview(buf)
        end = len(buf)
        try:
            while True:
                if phase is _DATA:
                    size = end - pos
                    if size > remaining:
                        size = remaining
                    if not size:
                        break
                    pieces.append(view[pos : pos + size])
                    pos += size
                    remaining -= size
                    if remaining:
                        break
                    phase = _DATA_END
                if phase is _DATA_END:
                    if end - pos < 2:
                        if pos < end and buf[pos] != 13:
                            raise RemoteProtocolError("Chunk data not followed by CRLF")
                        break
                    if buf[pos] != 13 or buf[pos + 1] != 10:
                        raise RemoteProtocolError("Chunk data not followed by CRLF")
                    pos += 2
                    phase = _SIZE
                newline = self._size_line_end(buf, pos, end)
                if newline < 0:
                    break
                size = self._chunk_size(buf, pos, newline)
                pos = newline + 1
                if not size:
                    phase = _TRAILERS
                    break
                self._total += size
                if self._max_body_size is not None and self._total > self._max_body_size:
                    raise RemoteProtocolError("Body too large", status_code=413)
                remaining = size
                phase = _DATA
        except RemoteProtocolError as exc:
            if pieces:
                # Hand on the body decoded before the error; raise on the next call.
                self._error = exc
            else:
                error = exc
        data = b"".join(pieces) if pieces else None
        for piece in pieces:
            piece.release()
        view.release()
        self._settle(buf, pos, phase, remaining)
        if error is not None:
            raise error
        return self._result(buf, data)

    def _settle(self, buf: bytearray, pos: int, phase: _Phase, remaining: int) -> None:
        """Drop the ``pos`` bytes read from ``buf`` and keep the state reached."""
        if pos:
            del buf[:pos]
        self._phase = phase
        self._remaining = remaining

    def _result(self, buf: bytearray, data: bytes | None) -> bytes | CIMultiDict[str] | None:
        """What :meth:`read` returns once its state is settled."""
        if data is not None:
            return data
        if self._phase is _TRAILERS:
            return self._trailers(buf)
        return None

    def _size_line_end(self, buf: bytearray, pos: int, end: int) -> int:
        """Where the chunk-size line at ``pos`` ends (its LF), or -1 if unfinished."""
        limit = pos + self._max_chunk_line_size
        newline = buf.find(b"\n", pos, limit)
        if newline < 0:
            if end >= limit:
                raise RemoteProtocolError("Chunk-size line too long")
            return -1
        if newline == pos or buf[newline - 1] != 13:
            raise RemoteProtocolError("Bare LF in chunk-size line")
        return newline

    @staticmethod
    def _chunk_size(buf: bytearray, pos: int, newline: int) -> int:
        """The size on the complete chunk-size line ``buf[pos:newline + 1]``."""
        match = _CHUNK_LINE_fullmatch(buf, pos, newline - 1)
        if match is None:
            raise RemoteProtocolError("Invalid chunk-size line")
        digits = match[1]
        if len(digits) > 16:
            digits = digits.lstrip(b"0") or b"0"
            # Sixteen hex digits already pass any length a peer can mean.
            if len(digits) > 16:
                raise RemoteProtocolError("Chunk size too large")
        size = int(digits, 16)
        if size > LARGEST_LENGTH:
            raise RemoteProtocolError("Chunk size too large")
        return size

    def _trailers(self, buf: bytearray) -> CIMultiDict[str] | None:
        # trailer-section = *( field-line CRLF ), then the final CRLF.
        if buf.startswith(b"\r\n"):
            del buf[:2]
            return CIMultiDict()
        progress = self._progress
        end = buf.find(b"\r\n\r\n", progress.checked - 2 if progress and progress.checked else 0)
        if end < 0:
            if buf and buf != b"\r":
                if progress is None:
                    progress = self._progress = HeadProgress()
                progress.check(bytes(buf), None, 0, self._max_count, self._max_block_size)
            return None
        # parse_fields wants the LF that ended the line before the section.
        text = "\n" + buf[: end + 2].decode("latin-1")
        del buf[: end + 4]
        return parse_fields(text, 1, end + 3, self._max_count, self._max_block_size)

    def expecting(self) -> str:
        """What the decoder waits for, to name it when the connection closes early."""
        return self._phase.value

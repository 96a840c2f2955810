"""Incremental content-coding decoders with a cap on the decoded size.

A decoder is fed the body in whatever chunks the framing layer produces and
returns decoded bytes as soon as it has them. Every decoder counts its output
against ``max_size`` and never asks its library for more than one byte past
what is left, nor for more than one step at a time (zlib's and zstd's
``max_length``, brotli's ``output_buffer_limit``). A compression bomb is thus
stopped with :class:`DecompressionLimitError` the moment it passes the cap,
having cost at most the cap and a step in memory.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any, Protocol

from transom.protocol.compression._errors import (
    DecodingError,
    DecompressionLimitError,
    UnsupportedEncodingError,
)
from transom.protocol.compression._libraries import (
    load_brotli,
    load_zstd,
    missing_library_reason,
    normalize_coding,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "DEFAULT_MAX_CODINGS",
    "DEFAULT_MAX_DECOMPRESSED_SIZE",
    "Decoder",
    "make_decoder",
]

# A security limit. The cap is on what the application receives (and usually
# buffers: request.read(), .json()), not on the wire size: deflate expands up
# to ~1000:1 and brotli and zstd far more, so 64 KiB on the wire could become
# gigabytes. 64 MiB is more than any JSON, form or HTML body an application
# holds in memory, and small enough that a few concurrent bombs cannot exhaust
# a modest container. Downloads of large compressed files raise it per message.
DEFAULT_MAX_DECOMPRESSED_SIZE = 64 * 1024 * 1024
# A security limit on stacked codings (Content-Encoding: gzip, gzip, ...):
# each layer costs a decoder and a buffer. curl stops at 5 (CVE-2022-32206).
DEFAULT_MAX_CODINGS = 5
# The most output asked of a library in one call. Small enough that passing
# the cap costs little more than the cap; large enough that a typical body
# takes one call. brotli may overshoot a requested limit by a buffer block,
# so its overshoot stays below twice this.
_OUTPUT_STEP = 1024 * 1024
# RFC 9659: a "zstd" content-coding uses a window of at most 8 MiB, and a
# decoder may refuse a larger one; refusing bounds the decoder's own memory.
_ZSTD_WINDOW_LOG_MAX = 23
# RFC 1950 §2.2: CM (low nibble of CMF) is 8 for deflate.
_ZLIB_DEFLATE_METHOD = 8
# 16 + 15 selects zlib's gzip wrapper (RFC 1952) with a 32 KiB window.
_GZIP_WBITS = 16 + zlib.MAX_WBITS


class Decoder(Protocol):
    """Decodes one message body. Make a new one for each message.

    Call :meth:`decompress` with each chunk as it arrives, then :meth:`flush`
    once at the end of the body. After an error the decoder is unusable.
    """

    def decompress(self, data: bytes) -> bytes:
        """Decode a chunk and return the output available so far (maybe ``b""``).

        Raises:
            DecodingError: The data is corrupt or follows the end of the stream.
            DecompressionLimitError: The output passed the cap.
        """
        ...

    def flush(self) -> bytes:
        """Signal the end of the body; return any remaining output.

        A body with no bytes at all decodes to ``b""`` (servers send empty
        bodies labelled with a coding); a stream cut short is an error.

        Raises:
            DecodingError: The compressed stream is incomplete.
        """
        ...

    @property
    def eof(self) -> bool:
        """Whether the compressed stream has reached its end marker."""
        ...


class _Budget:
    """The bytes a decoder may still produce for its message."""

    __slots__ = ("_coding", "_max_size", "_produced")

    def __init__(self, coding: str, max_size: int | None) -> None:
        self._coding = coding
        self._max_size = max_size
        self._produced = 0

    def next_step(self) -> int:
        if self._max_size is None:
            return _OUTPUT_STEP
        # One byte past the cap is enough to prove the cap was passed.
        return min(self._max_size - self._produced + 1, _OUTPUT_STEP)

    def spend(self, produced: bytes) -> bytes:
        self._produced += len(produced)
        if self._max_size is not None and self._produced > self._max_size:
            raise DecompressionLimitError(
                f"decoded {self._coding} body is larger than {self._max_size} bytes"
            )
        return produced


class _ZlibDecoder:
    """gzip (RFC 1952) and deflate (RFC 1950, or raw RFC 1951 deflate)."""

    def __init__(self, coding: str, max_size: int | None) -> None:
        self._coding = coding
        self._budget = _Budget(coding, max_size)
        # deflate waits for its first two bytes to choose between zlib and raw.
        self._stream: Any = zlib.decompressobj(_GZIP_WBITS) if coding == "gzip" else None
        self._head = b""
        self._started = False

    @property
    def eof(self) -> bool:
        return self._stream is not None and bool(self._stream.eof)

    def decompress(self, data: bytes) -> bytes:
        if not data:
            return b""
        self._started = True
        if self._stream is None:
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return b""
            self._head = b""
            # RFC 9110 §8.4.1.2 says "deflate" is the zlib format, but some
            # servers send raw deflate: a valid zlib header tells them apart.
            wbits = zlib.MAX_WBITS if _has_zlib_header(data) else -zlib.MAX_WBITS
            self._stream = zlib.decompressobj(wbits)
        output = []
        while True:
            if self._stream.eof:
                if not data:
                    break
                # RFC 1952 §2.2: a gzip file is a series of members.
                if self._coding != "gzip":
                    raise DecodingError(f"data after the end of the {self._coding} stream")
                self._stream = zlib.decompressobj(_GZIP_WBITS)
            step = self._budget.next_step()
            try:
                chunk = self._stream.decompress(data, step)
            except zlib.error as exc:
                raise DecodingError(f"{self._coding} data is corrupt") from exc
            output.append(self._budget.spend(chunk))
            if self._stream.eof:
                data = self._stream.unused_data
            elif len(chunk) == step:
                # A full step may leave input unread or output inside zlib.
                data = self._stream.unconsumed_tail
            else:
                break
        return b"".join(output)

    def flush(self) -> bytes:
        if self._started and not self.eof:
            raise DecodingError(f"{self._coding} stream ended before its end marker")
        return b""


def _has_zlib_header(data: bytes) -> bool:
    # RFC 1950 §2.2: CM = 8, CINFO <= 7, and CMF*256 + FLG a multiple of 31.
    cmf, flg = data[0], data[1]
    return cmf & 0x0F == _ZLIB_DEFLATE_METHOD and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0


class _BrotliDecoder:
    """br (RFC 7932)."""

    def __init__(self, brotli: Any, max_size: int | None) -> None:
        self._brotli = brotli
        self._decompressor: Any = brotli.Decompressor()
        self._budget = _Budget("br", max_size)
        self._started = False

    @property
    def eof(self) -> bool:
        return bool(self._decompressor.is_finished())

    def decompress(self, data: bytes) -> bytes:
        if not data:
            return b""
        self._started = True
        if self.eof:
            raise DecodingError("data after the end of the br stream")
        output = []
        while True:
            step = self._budget.next_step()
            try:
                chunk: bytes = self._decompressor.process(data, output_buffer_limit=step)
            except self._brotli.error as exc:
                raise DecodingError("br data is corrupt") from exc
            output.append(self._budget.spend(chunk))
            data = b""
            if self._decompressor.is_finished():
                break
            # brotli keeps unread input until asked again, and a full step
            # may leave output inside it; otherwise it is waiting for input.
            waiting = self._decompressor.can_accept_more_data()
            if waiting and len(chunk) < step:
                break
            if not waiting and not chunk:
                raise DecodingError("br decoder stalled")
        return b"".join(output)

    def flush(self) -> bytes:
        if self._started and not self.eof:
            raise DecodingError("br stream ended before its end marker")
        return b""


class _ZstdDecoder:
    """zstd (RFC 8878): one or more Zstandard frames."""

    def __init__(self, zstd: Any, max_size: int | None) -> None:
        self._zstd = zstd
        self._budget = _Budget("zstd", max_size)
        self._decompressor: Any = self._new_decompressor()
        self._started = False

    def _new_decompressor(self) -> Any:
        options = {self._zstd.DecompressionParameter.window_log_max: _ZSTD_WINDOW_LOG_MAX}
        return self._zstd.ZstdDecompressor(options=options)

    @property
    def eof(self) -> bool:
        return bool(self._decompressor.eof)

    def decompress(self, data: bytes) -> bytes:
        if not data:
            return b""
        self._started = True
        output = []
        while True:
            if self._decompressor.eof:
                if not data:
                    break
                # RFC 8878 §3: the content is a sequence of frames.
                self._decompressor = self._new_decompressor()
            try:
                chunk: bytes = self._decompressor.decompress(data, self._budget.next_step())
            except self._zstd.ZstdError as exc:
                raise DecodingError("zstd data is corrupt") from exc
            output.append(self._budget.spend(chunk))
            if self._decompressor.eof:
                data = self._decompressor.unused_data
            elif not self._decompressor.needs_input:
                # A full step left output inside the decompressor.
                data = b""
            else:
                break
        return b"".join(output)

    def flush(self) -> bytes:
        if self._started and not self.eof:
            raise DecodingError("zstd stream ended before its end marker")
        return b""


class _IdentityDecoder:
    """No coding: bytes pass through, with no cap (the body-size limit covers them)."""

    eof = True

    def decompress(self, data: bytes) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


class _StackedDecoder:
    """Several codings, undone in the reverse of the order they were applied."""

    def __init__(self, stages: Sequence[Decoder]) -> None:
        self._stages = stages

    @property
    def eof(self) -> bool:
        return all(stage.eof for stage in self._stages)

    def decompress(self, data: bytes) -> bytes:
        for stage in self._stages:
            data = stage.decompress(data)
        return data

    def flush(self) -> bytes:
        data = b""
        for stage in self._stages:
            data = stage.decompress(data) + stage.flush()
        return data


def make_decoder(
    content_encoding: str,
    *,
    max_size: int | None = DEFAULT_MAX_DECOMPRESSED_SIZE,
    max_codings: int = DEFAULT_MAX_CODINGS,
) -> Decoder:
    """Make a decoder for a ``Content-Encoding`` field value.

    Args:
        content_encoding: The field value: one coding (``"gzip"``) or a list
            in the order the codings were applied (``"gzip, br"``, RFC 9110
            §8.4). Names are case-insensitive; ``x-gzip`` means ``gzip``;
            ``identity`` and empty elements are skipped. ``deflate`` accepts
            both the zlib format and raw deflate.
        max_size: Cap on the decoded size of the message, applied to every
            stage of a stack; ``None`` removes it (only for trusted peers).
        max_codings: Most codings accepted in one field value.

    Returns:
        A fresh decoder for one message.

    Raises:
        UnsupportedEncodingError: A coding is unknown, its library is not
            installed, or the list is longer than ``max_codings`` (status 415).
    """
    codings = [normalize_coding(item) for item in content_encoding.split(",")]
    codings = [coding for coding in codings if coding and coding != "identity"]
    if len(codings) > max_codings:
        raise UnsupportedEncodingError(f"more than {max_codings} content-codings are stacked")
    stages = [_make_stage(coding, max_size) for coding in reversed(codings)]
    if not stages:
        return _IdentityDecoder()
    if len(stages) == 1:
        return stages[0]
    return _StackedDecoder(stages)


def _make_stage(coding: str, max_size: int | None) -> Decoder:
    if coding in ("gzip", "deflate"):
        return _ZlibDecoder(coding, max_size)
    if coding == "br" and (brotli := load_brotli()) is not None:
        return _BrotliDecoder(brotli, max_size)
    if coding == "zstd" and (zstd := load_zstd()) is not None:
        return _ZstdDecoder(zstd, max_size)
    raise UnsupportedEncodingError(missing_library_reason(coding))

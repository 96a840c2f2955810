"""Incremental content-coding encoders for streaming responses and requests."""

from __future__ import annotations

import zlib
from typing import Any, Protocol

from transom.protocol.compression._errors import EncodingError
from transom.protocol.compression._libraries import (
    load_brotli,
    load_zstd,
    missing_library_reason,
    normalize_coding,
)

__all__ = [
    "DEFAULT_BROTLI_QUALITY",
    "DEFAULT_GZIP_LEVEL",
    "DEFAULT_ZSTD_LEVEL",
    "Encoder",
    "make_encoder",
]

# Levels for compressing on the fly, where CPU time is spent per response.
# zlib's own default: levels above 6 gain about 1% in size for two to three
# times the CPU.
DEFAULT_GZIP_LEVEL = 6
# Brotli quality 4 is smaller than gzip level 6 at a similar speed; 11 is for
# assets compressed once at build time and is about a hundred times slower.
DEFAULT_BROTLI_QUALITY = 4
# The Zstandard library's default level.
DEFAULT_ZSTD_LEVEL = 3
_BROTLI_QUALITY_RANGE = range(12)
_ZLIB_LEVEL_RANGE = range(10)
# RFC 9659: a "zstd" content-coding must not need a window over 8 MiB. Levels
# up to 19 stay within it; the highest levels are held to it explicitly.
_ZSTD_WINDOW_LOG = 23
_ZSTD_LAST_LEVEL_WITHIN_WINDOW = 19


class Encoder(Protocol):
    """Encodes one message body. Make a new one for each message.

    Call :meth:`compress` with each piece of the body, :meth:`flush` whenever
    what was given so far must reach the peer (a streamed event, a chunk of
    progress), and :meth:`finish` once at the end. Send every returned bytes
    object, in order. Nothing may be called after :meth:`finish`.
    """

    def compress(self, data: bytes) -> bytes:
        """Encode a piece of the body; the output may lag behind (maybe ``b""``)."""
        ...

    def flush(self) -> bytes:
        """Return output that lets the peer decode everything given so far."""
        ...

    def finish(self) -> bytes:
        """Return the end of the encoded stream."""
        ...


class _Finishable:
    __slots__ = ("_coding", "_finished")

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._finished = False

    def _check_open(self) -> None:
        if self._finished:
            raise EncodingError(f"the {self._coding} encoder is already finished")


class _ZlibEncoder(_Finishable):
    """gzip (RFC 1952) and deflate in the zlib format (RFC 9110 §8.4.1.2)."""

    __slots__ = ("_compressor",)

    def __init__(self, coding: str, level: int) -> None:
        super().__init__(coding)
        # 16 + 15 selects the gzip wrapper; 15 alone the zlib wrapper.
        wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, wbits)

    def compress(self, data: bytes) -> bytes:
        self._check_open()
        return self._compressor.compress(data)

    def flush(self) -> bytes:
        self._check_open()
        return self._compressor.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        self._check_open()
        self._finished = True
        return self._compressor.flush(zlib.Z_FINISH)


class _BrotliEncoder(_Finishable):
    """br (RFC 7932)."""

    __slots__ = ("_compressor",)

    def __init__(self, brotli: Any, quality: int) -> None:
        super().__init__("br")
        self._compressor: Any = brotli.Compressor(quality=quality)

    def compress(self, data: bytes) -> bytes:
        self._check_open()
        output: bytes = self._compressor.process(data)
        return output

    def flush(self) -> bytes:
        self._check_open()
        output: bytes = self._compressor.flush()
        return output

    def finish(self) -> bytes:
        self._check_open()
        self._finished = True
        output: bytes = self._compressor.finish()
        return output


class _ZstdEncoder(_Finishable):
    """zstd (RFC 8878), one frame per message."""

    __slots__ = ("_compressor", "_zstd")

    def __init__(self, zstd: Any, level: int) -> None:
        super().__init__("zstd")
        self._zstd = zstd
        if level > _ZSTD_LAST_LEVEL_WITHIN_WINDOW:
            parameter = zstd.CompressionParameter
            options = {parameter.compression_level: level, parameter.window_log: _ZSTD_WINDOW_LOG}
            self._compressor: Any = zstd.ZstdCompressor(options=options)
        else:
            self._compressor = zstd.ZstdCompressor(level=level)

    def compress(self, data: bytes) -> bytes:
        self._check_open()
        output: bytes = self._compressor.compress(data)
        return output

    def flush(self) -> bytes:
        self._check_open()
        output: bytes = self._compressor.flush(self._zstd.ZstdCompressor.FLUSH_BLOCK)
        return output

    def finish(self) -> bytes:
        self._check_open()
        self._finished = True
        output: bytes = self._compressor.flush(self._zstd.ZstdCompressor.FLUSH_FRAME)
        return output


class _IdentityEncoder:
    """No coding: bytes pass through unchanged."""

    def compress(self, data: bytes) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""

    def finish(self) -> bytes:
        return b""


def make_encoder(coding: str, *, level: int | None = None) -> Encoder:
    """Make an encoder for one message body.

    Args:
        coding: ``gzip`` (or ``x-gzip``), ``deflate`` (written in the zlib
            format), ``br``, ``zstd`` or ``identity``; case-insensitive.
        level: Compression level: 0-9 for gzip and deflate, 0-11 for br, the
            library's range (up to 22) for zstd. Defaults to
            :data:`DEFAULT_GZIP_LEVEL`, :data:`DEFAULT_BROTLI_QUALITY` or
            :data:`DEFAULT_ZSTD_LEVEL`.

    Returns:
        A fresh encoder.

    Raises:
        EncodingError: The coding is unknown, its library is not installed,
            or ``level`` is out of range.
    """
    name = normalize_coding(coding)
    if name in ("gzip", "deflate"):
        chosen = DEFAULT_GZIP_LEVEL if level is None else level
        _check_level(name, chosen, _ZLIB_LEVEL_RANGE)
        return _ZlibEncoder(name, chosen)
    if name == "br" and (brotli := load_brotli()) is not None:
        chosen = DEFAULT_BROTLI_QUALITY if level is None else level
        _check_level(name, chosen, _BROTLI_QUALITY_RANGE)
        return _BrotliEncoder(brotli, chosen)
    if name == "zstd" and (zstd := load_zstd()) is not None:
        chosen = DEFAULT_ZSTD_LEVEL if level is None else level
        lowest, highest = zstd.CompressionParameter.compression_level.bounds()
        _check_level(name, chosen, range(lowest, highest + 1))
        return _ZstdEncoder(zstd, chosen)
    if name == "identity":
        return _IdentityEncoder()
    raise EncodingError(missing_library_reason(name))


def _check_level(coding: str, level: int, allowed: range) -> None:
    if isinstance(level, bool) or level not in allowed:
        raise EncodingError(
            f"{coding} level must be between {allowed.start} and {allowed.stop - 1}"
        )

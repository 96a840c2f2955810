"""Response compression for every route, buffered and streamed alike.

The coding is negotiated from ``Accept-Encoding`` (RFC 9110 §12.5.3). A body is
compressed only when compressing can help and cannot break anything: its media
type is compressible, it is large enough (when its size is known), it is not
already encoded, not a range (206 or ``Content-Range``), not an event stream,
not marked ``Cache-Control: no-transform`` (RFC 9111 §5.2.2.6) and not to HEAD
or a status without content. Every response that
would be compressed for some client gets ``Vary: Accept-Encoding`` (RFC 9110
§12.5.5), so caches keep the variants apart.

A `Response` returned unprepared is compressed whole, keeping its
``Content-Length``. A response the handler streams (``prepare`` then
``write``) is compressed on the fly, each ``write`` flushed so the client gets
it at once; its length becomes unknown, so it goes out chunked. A
`FileResponse` goes out as stored on disk (its ranges and validators describe
those bytes); it serves a pre-compressed ``.br``/``.gz`` sibling instead.
"""

from __future__ import annotations

import asyncio
from typing import IO, TYPE_CHECKING

from transom.protocol.compression import available_encodings, make_encoder, negotiate_encoding
from transom.web._middleware import Middleware, middleware
from transom.web._response import Response

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from multidict import CIMultiDict

    from transom.protocol.compression import Encoder
    from transom.web._request import Request
    from transom.web._resources import Handler
    from transom.web._response import StreamResponse
    from transom.web._response_writer import ResponseWriter

__all__ = [
    "DEFAULT_COMPRESSION_ENCODINGS",
    "DEFAULT_COMPRESSION_MIN_SIZE",
    "DEFAULT_EXECUTOR_THRESHOLD",
    "compression_middleware",
    "is_compressible",
]

# Below about 1 KiB the saving rarely pays for the coding's own framing and
# the CPU time; bodies that small usually fit one packet anyway.
DEFAULT_COMPRESSION_MIN_SIZE = 1024
# Brotli first: smaller than gzip at similar speed; gzip for everyone else.
DEFAULT_COMPRESSION_ENCODINGS = ("br", "gzip")
# A whole body larger than this is compressed in a worker thread, so one large
# response does not stall every other connection on the event loop.
DEFAULT_EXECUTOR_THRESHOLD = 64 * 1024

# RFC 9110 §15.3.5, §15.3.6, §15.4.5 and the 1xx class: no content to encode.
_NO_CONTENT_STATUSES = frozenset({204, 205, 304})
_COMPRESSIBLE_TYPES = frozenset(
    {
        "application/ecmascript",
        "application/graphql",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/vnd.ms-fontobject",
        "application/wasm",
        "application/x-javascript",
        "application/xhtml+xml",
        "application/xml",
        "font/otf",
        "font/ttf",
        "image/bmp",
        "image/svg+xml",
        "image/x-icon",
    }
)


def is_compressible(content_type: str) -> bool:
    """Whether a media type is worth compressing.

    True for ``text/*`` (except ``text/event-stream``, whose events must arrive
    one by one), JSON and XML (including ``+json``/``+xml`` suffixes),
    JavaScript, SVG, WebAssembly and uncompressed fonts; false for media that
    is already compressed (images, video, archives, ``woff2``).
    """
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type.startswith("text/"):
        return media_type != "text/event-stream"
    return media_type in _COMPRESSIBLE_TYPES or media_type.endswith(("+json", "+xml"))


def _merge_vary(headers: CIMultiDict[str]) -> None:
    present = [
        token.strip().lower() for value in headers.getall("Vary", ()) for token in value.split(",")
    ]
    if "*" in present or "accept-encoding" in present:
        return
    if present:
        headers["Vary"] = ", ".join([*headers.getall("Vary"), "Accept-Encoding"])
    else:
        headers["Vary"] = "Accept-Encoding"


def _weaken_etag(headers: CIMultiDict[str]) -> None:
    # RFC 9110 §8.8.3: the encoded bytes differ from those the strong
    # validator was computed over, so only a weak one still holds.
    etag = headers.get("ETag")
    if etag is not None and not etag.startswith("W/"):
        headers["ETag"] = "W/" + etag


class _Policy:
    """Which responses may be compressed and how."""

    __slots__ = ("compressible", "executor_threshold", "level", "min_size")

    def __init__(
        self,
        min_size: int,
        level: int | None,
        compressible: Callable[[str], bool],
        executor_threshold: int,
    ) -> None:
        self.min_size = min_size
        self.level = level
        self.compressible = compressible
        self.executor_threshold = executor_threshold

    def eligible(self, status: int, headers: CIMultiDict[str], size: int | None) -> bool:
        """Whether the response would be compressed for a client accepting it."""
        if status < 200 or status == 206 or status in _NO_CONTENT_STATUSES:
            return False
        if "Content-Encoding" in headers or "Content-Range" in headers:
            return False
        if "no-transform" in headers.get("Cache-Control", "").lower():
            return False
        if not self.compressible(headers.get("Content-Type", "application/octet-stream")):
            return False
        return size is None or size >= self.min_size


def _content_length(headers: CIMultiDict[str]) -> int | None:
    value = headers.get("Content-Length")
    return int(value) if value is not None and value.isdigit() else None


class _CompressingWriter:
    """A `ResponseWriter` that encodes the body of a streamed response."""

    def __init__(
        self, inner: ResponseWriter, coding: str | None, policy: _Policy, is_head: bool
    ) -> None:
        self._inner = inner
        self._coding = coding
        self._policy = policy
        self._is_head = is_head
        self._encoder: Encoder | None = None

    @property
    def output_size(self) -> int:
        return self._inner.output_size

    @property
    def paused(self) -> bool:
        return self._inner.paused

    def start(self, status: int, reason: str, headers: CIMultiDict[str]) -> None:
        if self._policy.eligible(status, headers, _content_length(headers)):
            _merge_vary(headers)
            if self._coding is not None and not self._is_head:
                self._encoder = make_encoder(self._coding, level=self._policy.level)
                headers["Content-Encoding"] = self._coding
                _weaken_etag(headers)
                # The encoded length is unknown until the end.
                headers.popall("Content-Length", None)
        self._inner.start(status, reason, headers)

    def write(self, data: bytes) -> None:
        encoder = self._encoder
        if encoder is not None:
            data = encoder.compress(data) + encoder.flush()
        if data:
            self._inner.write(data)

    async def drain(self) -> None:
        await self._inner.drain()

    async def sendfile(self, file: IO[bytes], offset: int, count: int, chunk_size: int) -> None:
        if self._encoder is None:
            await self._inner.sendfile(file, offset, count, chunk_size)
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, file.seek, offset)
        remaining = count
        while remaining > 0:
            chunk = await loop.run_in_executor(None, file.read, min(remaining, chunk_size))
            if not chunk:
                break
            remaining -= len(chunk)
            encoded = self._encoder.compress(chunk)
            if encoded:
                self._inner.write(encoded)
            if self._inner.paused:
                await self._inner.drain()

    async def write_eof(self, data: bytes = b"") -> None:
        encoder = self._encoder
        if encoder is not None:
            data = encoder.compress(data) + encoder.finish()
        await self._inner.write_eof(data)


def _encode_whole(coding: str, level: int | None, body: bytes) -> bytes:
    encoder = make_encoder(coding, level=level)
    return encoder.compress(body) + encoder.finish()


async def _compress_response(
    response: Response, coding: str | None, policy: _Policy, is_head: bool
) -> None:
    headers = response.headers
    body = response.body
    if not policy.eligible(response.status, headers, len(body)):
        return
    _merge_vary(headers)
    if coding is None or is_head:
        return
    if len(body) > policy.executor_threshold:
        loop = asyncio.get_running_loop()
        encoded = await loop.run_in_executor(None, _encode_whole, coding, policy.level, body)
    else:
        encoded = _encode_whole(coding, policy.level, body)
    response.body = encoded
    headers["Content-Encoding"] = coding
    _weaken_etag(headers)


def compression_middleware(
    *,
    encodings: Iterable[str] = DEFAULT_COMPRESSION_ENCODINGS,
    min_size: int = DEFAULT_COMPRESSION_MIN_SIZE,
    level: int | None = None,
    compressible: Callable[[str], bool] = is_compressible,
    executor_threshold: int = DEFAULT_EXECUTOR_THRESHOLD,
) -> Middleware:
    """Make a middleware that compresses responses the client can decode.

    Put it first in ``middlewares`` so it sees the final response of every
    other middleware.

    Args:
        encodings: codings to offer, in the server's order of preference (ties
            in the client's q-values go to the earlier one); codings whose
            library is not installed are left out.
        min_size: bodies of known size below this many bytes stay uncompressed.
        level: the compression level for every coding (each coding's default
            when ``None``).
        compressible: decides from a ``Content-Type`` value whether to compress.
        executor_threshold: whole bodies larger than this are compressed in a
            worker thread.

    Raises:
        ValueError: none of `encodings` is available.
    """
    installed = set(available_encodings())
    offered = tuple(coding for coding in encodings if coding in installed)
    if not offered:
        raise ValueError(f"none of the encodings {tuple(encodings)!r} is available")
    policy = _Policy(min_size, level, compressible, executor_threshold)

    @middleware
    async def compress(request: Request, handler: Handler) -> StreamResponse:
        coding = negotiate_encoding(request.headers.get("Accept-Encoding"), offered)
        is_head = request.method == "HEAD"
        # Responses the handler prepares itself (streams) are sent through the
        # wrapper while it runs; the server sends the returned one afterwards
        # through its own writer.
        writer = request._writer
        request._writer = _CompressingWriter(writer, coding, policy, is_head)
        try:
            response = await handler(request)
        finally:
            request._writer = writer
        if isinstance(response, Response) and not response.prepared:
            await _compress_response(response, coding, policy, is_head)
        return response

    return compress

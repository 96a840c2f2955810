"""``make_mocked_request``: a real ``Request`` with no connection behind it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any, Final

from multidict import CIMultiDict

from transom.protocol.http1 import Request as RequestHead
from transom.web import Application, Request, ResourceRoute, StreamReader, UrlMappingMatchInfo

if TYPE_CHECKING:
    import ssl

    from transom.web import StreamResponse

__all__ = ["DEFAULT_MOCKED_CLIENT_MAX_SIZE", "MOCKED_PEERNAME", "make_mocked_request"]

# What ``request.read()`` buffers at most: the server's own default (1 MiB),
# so a handler meets the same limit in a unit test as behind a real server.
DEFAULT_MOCKED_CLIENT_MAX_SIZE: Final = 1024**2
# The peer a mocked request claims to come from: a loopback client, as in
# tests that go through a real server.
MOCKED_PEERNAME: Final = ("127.0.0.1", 54321)


class _MockedTransport(asyncio.Transport):
    """A transport that only answers ``get_extra_info``: nothing is ever sent."""

    def __init__(self, extra: Mapping[str, Any]) -> None:
        super().__init__(dict(extra))
        self._closing = False

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._closing = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        raise RuntimeError("a mocked request has no connection to write to")


class _DiscardingWriter:
    """Takes a response's head and body and keeps only their size on the wire."""

    def __init__(self) -> None:
        self._size = 0

    @property
    def output_size(self) -> int:
        return self._size

    @property
    def paused(self) -> bool:
        return False

    def start(self, status: int, reason: str, headers: CIMultiDict[str]) -> None:
        # The size of the head as HTTP/1.1 frames it (RFC 9112 §4, §5).
        status_line = len(f"HTTP/1.1 {status} {reason}\r\n")
        fields = sum(len(name) + len(value) + 4 for name, value in headers.items())
        self._size += status_line + fields + 2

    def write(self, data: bytes) -> None:
        self._size += len(data)

    async def drain(self) -> None:
        pass

    async def sendfile(self, file: IO[bytes], offset: int, count: int, chunk_size: int) -> None:
        self._size += count

    async def write_eof(self, data: bytes = b"") -> None:
        self._size += len(data)


async def _unrouted(request: Request) -> StreamResponse:
    raise RuntimeError("a mocked request has no route: call your handler directly")


def _stream(payload: bytes | StreamReader | None) -> StreamReader:
    if isinstance(payload, StreamReader):
        return payload
    stream = StreamReader()
    if payload:
        stream.feed_data(bytes(payload))
    stream.feed_eof()
    return stream


def make_mocked_request(
    method: str,
    path: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    *,
    match_info: Mapping[str, str] | None = None,
    app: Application | None = None,
    payload: bytes | StreamReader | None = None,
    version: tuple[int, int] = (1, 1),
    sslcontext: ssl.SSLContext | None = None,
    peername: tuple[str, int] | str | None = MOCKED_PEERNAME,
    transport: asyncio.BaseTransport | None = None,
    writer: Any = None,
    client_max_size: int = DEFAULT_MOCKED_CLIENT_MAX_SIZE,
) -> Request:
    """Build a :class:`~transom.web.Request` for calling a handler or middleware directly.

    The request is the one the server builds, routed as if the application's
    router had matched it, but no socket or server is behind it: a response
    prepared for it writes nowhere. Nothing here needs a running event loop,
    although reading the body does.

    Args:
        method: The request method, such as ``"GET"``.
        path: The request target: a path with an optional query string.
        headers: The request header fields.
        match_info: The path variables the route would have matched,
            ``request.match_info``.
        app: What ``request.app`` returns; a new, empty
            :class:`~transom.web.Application` when ``None``.
        payload: The body: bytes, or a :class:`~transom.web.StreamReader`
            the test feeds itself. No body when ``None``.
        version: The HTTP version.
        sslcontext: Makes the request look as if it came over TLS
            (``request.secure``).
        peername: The client address, ``request.remote``.
        transport: A transport to use instead of the built-in one, whose
            ``get_extra_info`` answers for the connection.
        writer: Where a prepared response is written; by default one that
            discards everything.
        client_max_size: The most body bytes ``read()`` and ``post()`` accept.

    Returns:
        The request.
    """
    head = RequestHead(
        method=method, target=path, headers=CIMultiDict(headers or ()), http_version=version
    )
    if transport is None:
        transport = _MockedTransport({"peername": peername, "sslcontext": sslcontext})
    request = Request(
        head,
        _stream(payload),
        writer if writer is not None else _DiscardingWriter(),
        transport=transport,
        client_max_size=client_max_size,
    )
    routed = UrlMappingMatchInfo(dict(match_info or {}), ResourceRoute("*", _unrouted, None))
    routed.add_app(app if app is not None else Application())
    # The router sets this attribute on every request it matches.
    request._match_info = routed
    return request

"""The request a handler receives.

A :class:`Request` is built once per request from the parsed request head and
does almost nothing up front: the URL, query, cookies, content type, dates and
the body are parsed on first access and then cached on the instance.
"""

from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeVar

from multidict import CIMultiDict, CIMultiDictProxy, MultiDictProxy
from yarl import URL

from transom.protocol.http1 import Request as RequestHead
from transom.web._compiler_hints import mypyc_attr
from transom.web._payload_stream import EMPTY_STREAM
from transom.web._request_body import read_body, read_form
from transom.web._request_fields import RequestFields

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

    from transom.web._application import Application
    from transom.web._match_info import UrlMappingMatchInfo
    from transom.web._multipart_reader import MultipartReader
    from transom.web._payload_stream import StreamReader
    from transom.web._request_body import FormValue
    from transom.web._response_writer import ResponseWriter

__all__ = ["DEFAULT_CLIENT_MAX_SIZE", "BaseRequest", "Request"]

# The most body bytes read()/post() buffer in memory: 1 MiB, as aiohttp, large
# for JSON and forms, small enough that a few hundred concurrent uploads cannot
# exhaust memory. Streaming through ``request.content`` is not capped.
DEFAULT_CLIENT_MAX_SIZE: Final = 1024**2

_Self = TypeVar("_Self", bound="BaseRequest")
_POST_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE", "TRACE"})


@mypyc_attr(allow_interpreted_subclasses=True)
class BaseRequest(RequestFields):
    """An HTTP request as the handler sees it; also a dict for per-request state.

    Built by the server for each request; applications do not construct it.

    Args:
        message: The parsed request head.
        payload: The body stream (``EMPTY_STREAM`` when there is no body).
        writer: Where the response to this request is written.
        transport: The connection's transport, for addresses and TLS details.
        client_max_size: Most body bytes :meth:`read` and :meth:`post` buffer.
        task: The task running the handler, when there is one.
    """

    __slots__ = (
        "_client_max_size",
        "_host",
        "_match_info",
        "_payload",
        "_post",
        "_read_bytes",
        "_rel_url",
        "_remote",
        "_remote_known",
        "_scheme",
        "_task",
        "_transport",
        "_url",
        "_writer",
    )

    def __init__(
        self,
        message: RequestHead,
        payload: StreamReader,
        writer: ResponseWriter,
        *,
        transport: asyncio.BaseTransport | None = None,
        client_max_size: int = DEFAULT_CLIENT_MAX_SIZE,
        state: dict[str, Any] | None = None,
        task: asyncio.Task[Any] | None = None,
    ) -> None:
        self._message = message
        self._headers = CIMultiDictProxy(message.headers)
        self._payload = payload
        self._writer = writer
        self._transport = transport
        self._client_max_size = client_max_size
        self._state = {} if state is None else state
        self._task = task
        self._read_bytes: bytes | None = None
        self._post: MultiDictProxy[FormValue] | None = None
        # Set by the application layer once the request is routed.
        self._match_info: UrlMappingMatchInfo | None = None
        # Parsed on first use.
        self._raw_headers = None
        self._cookies = None
        self._forwarded = None
        self._media_type = None
        self._rel_url: URL | None = None
        self._url: URL | None = None
        self._host: str | None = None
        self._scheme: str | None = None
        self._remote: str | None = None
        self._remote_known = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.method} {self._message.target[:80]} >"

    # -- the request line ------------------------------------------------------

    @property
    def method(self) -> str:
        """The request method, e.g. ``"GET"`` (case-sensitive, RFC 9110 §9.1)."""
        return self._message.method

    @property
    def version(self) -> tuple[int, int]:
        """The HTTP version, e.g. ``(1, 1)``."""
        return self._message.http_version

    @property
    def raw_path(self) -> str:
        """The request target exactly as received, query string included."""
        return self._message.target

    @property
    def rel_url(self) -> URL:
        """The target as a relative URL (path and query), still percent-encoded."""
        rel_url = self._rel_url
        if rel_url is None:
            rel_url = self._rel_url = _relative_url(self._message.target)
        return rel_url

    @property
    def path(self) -> str:
        """The percent-decoded path, e.g. ``"/a b"`` for ``/a%20b``."""
        return self.rel_url.path

    @property
    def path_qs(self) -> str:
        """The encoded path with its query string."""
        return str(self.rel_url)

    @property
    def query(self) -> MultiDictProxy[str]:
        """The decoded query parameters."""
        return self.rel_url.query

    @property
    def query_string(self) -> str:
        """The decoded query string, without ``?``."""
        return self.rel_url.query_string

    @property
    def url(self) -> URL:
        """The absolute URL: scheme and host of this request joined with its target.

        Raises:
            ValueError: The host is not a valid URL authority.
        """
        url = self._url
        if url is None:
            rel = self.rel_url
            url = self._url = URL.build(
                scheme=self.scheme,
                authority=self.host,
                path=rel.raw_path,
                query_string=rel.raw_query_string,
                encoded=True,
            )
        return url

    # -- the connection's view -------------------------------------------------

    @property
    def host(self) -> str:
        """The host the client asked for (``host[:port]``).

        From the target in absolute-form (RFC 9112 §3.2.2 has it win over
        ``Host``), else the ``Host`` field, else the local address.
        """
        host = self._host
        if host is None:
            host = self._host = self._find_host()
        return host

    def _find_host(self) -> str:
        target = self._message.target
        if not target.startswith("/") and target != "*":
            authority = URL(target, encoded=True).raw_authority if "://" in target else target
            if authority:
                return authority
        host = self._headers.get("Host")
        if host:
            return host
        sockname = self.get_extra_info("sockname")
        if isinstance(sockname, tuple) and len(sockname) >= 2:
            return f"{sockname[0]}:{sockname[1]}"
        return "localhost"

    @property
    def remote(self) -> str | None:
        """The peer's address: the IP for TCP, the socket path for Unix sockets."""
        if not self._remote_known:
            peername = self.get_extra_info("peername")
            if isinstance(peername, (list, tuple)):
                self._remote = str(peername[0])
            else:
                self._remote = None if peername is None else str(peername)
            self._remote_known = True
        return self._remote

    @property
    def scheme(self) -> str:
        """``"https"`` on a TLS connection, else ``"http"``."""
        scheme = self._scheme
        if scheme is None:
            tls = self.get_extra_info("sslcontext") is not None
            scheme = self._scheme = "https" if tls else "http"
        return scheme

    @property
    def secure(self) -> bool:
        """Whether the request came over TLS."""
        return self.scheme == "https"

    # -- the connection --------------------------------------------------------

    @property
    def transport(self) -> asyncio.BaseTransport | None:
        """The connection's transport (``None`` once the request is detached)."""
        return self._transport

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Transport details such as ``"peername"``, ``"sockname"``, ``"sslcontext"``."""
        transport = self._transport
        return default if transport is None else transport.get_extra_info(name, default)

    @property
    def task(self) -> asyncio.Task[Any] | None:
        """The task running the handler, when the handler had to suspend."""
        return self._task

    @property
    def client_max_size(self) -> int:
        """Most body bytes :meth:`read` and :meth:`post` accept."""
        return self._client_max_size

    # -- the body --------------------------------------------------------------

    @property
    def content(self) -> StreamReader:
        """The body as a stream, for reading it piece by piece (no size cap)."""
        return self._payload

    @property
    def body_exists(self) -> bool:
        """Whether the request carries a body (possibly empty)."""
        return self._payload is not EMPTY_STREAM

    @property
    def can_read_body(self) -> bool:
        """Whether unread body bytes remain."""
        return not self._payload.at_eof()

    async def read(self) -> bytes:
        """Read the whole body (once; later calls return the same bytes).

        Raises:
            HTTPRequestEntityTooLarge: The body is larger than
                ``client_max_size``; raised before buffering past it.
        """
        if self._read_bytes is None:
            if self._payload is EMPTY_STREAM:
                self._read_bytes = b""
            else:
                self._read_bytes = await read_body(
                    self._payload, self.content_length, self._client_max_size
                )
        return self._read_bytes

    async def text(self) -> str:
        """Read the body and decode it with its charset (UTF-8 when none is given)."""
        body = await self.read()
        return body.decode(self.charset or "utf-8")

    async def json(self, *, loads: Callable[[str], Any] = json.loads) -> Any:
        """Read the body and decode it as JSON with ``loads``."""
        return loads(await self.text())

    async def post(self) -> MultiDictProxy[FormValue]:
        """Read a form body: ``application/x-www-form-urlencoded`` or ``multipart/form-data``.

        File parts become :class:`FileField` objects whose ``file`` is a
        temporary file on disk. Other content types (and methods without a
        body) give an empty mapping.

        Raises:
            HTTPRequestEntityTooLarge: The form, files included, is larger than
                ``client_max_size``.
        """
        if self._post is None:
            if self.method not in _POST_METHODS:
                self._post = MultiDictProxy(CIMultiDict())
            else:
                self._post = await read_form(self)
        return self._post

    async def multipart(self) -> MultipartReader:
        """A reader that streams the parts of a ``multipart/*`` body one by one."""
        from transom.web._multipart_reader import MultipartReader

        return MultipartReader(self._headers, self._payload)

    # -- copies ----------------------------------------------------------------

    def clone(
        self: _Self,
        *,
        method: str | None = None,
        rel_url: URL | str | None = None,
        headers: Mapping[str, str] | None = None,
        scheme: str | None = None,
        host: str | None = None,
        remote: str | None = None,
        client_max_size: int | None = None,
    ) -> _Self:
        """A copy of this request with the parts given replaced (None keeps a part).

        The copy shares the body stream and the connection; its dict state
        starts as a shallow copy of this one's.

        Raises:
            RuntimeError: The body was already read.
            ValueError: ``rel_url`` is absolute.
        """
        if self._read_bytes is not None:
            raise RuntimeError("cannot clone a request whose body was already read")
        message = self._message
        target = message.target
        if rel_url is not None:
            new_url = URL(rel_url)
            if new_url.absolute:
                raise ValueError("rel_url must be relative (path and query only)")
            target = str(new_url)
        new_message = RequestHead(
            method=message.method if method is None else method,
            target=target,
            headers=message.headers if headers is None else CIMultiDict(headers),
            http_version=message.http_version,
        )
        clone = type(self)(
            new_message,
            self._payload,
            self._writer,
            transport=self._transport,
            client_max_size=self._client_max_size if client_max_size is None else client_max_size,
            state=self._state.copy(),
            task=self._task,
        )
        # The host comes from the target and the Host field: kept only if both are.
        if host is not None:
            clone._host = host
        elif headers is None and rel_url is None:
            clone._host = self._host
        clone._scheme = self._scheme if scheme is None else scheme
        if remote is not None:
            clone._remote, clone._remote_known = remote, True
        else:
            clone._remote, clone._remote_known = self._remote, self._remote_known
        clone._match_info = self._match_info
        return clone


@mypyc_attr(allow_interpreted_subclasses=True)
class Request(BaseRequest):
    """A request routed by an :class:`Application`: adds routing and app access."""

    __slots__ = ()

    @property
    def match_info(self) -> UrlMappingMatchInfo:
        """The result of routing: path variables, the route, the app chain.

        Raises:
            RuntimeError: The request has not been routed yet.
        """
        match_info = self._match_info
        if match_info is None:
            raise RuntimeError("the request has not been routed yet")
        return match_info

    @property
    def app(self) -> Application:
        """The application whose handler or middleware is running."""
        return self.match_info.current_app

    @property
    def config_dict(self) -> Mapping[Any, Any]:
        """The state of every application on the route, innermost first, read-only."""
        return MappingProxyType(ChainMap(*reversed(self.match_info.apps)))


def _relative_url(target: str) -> URL:
    """The request target as a relative URL, path and query still percent-encoded."""
    if target.startswith("/"):
        path, _, query = target.partition("?")
        return URL.build(path=path, query_string=query, encoded=True)
    if target == "*":
        return URL.build(path="*", encoded=True)
    # absolute-form (RFC 9112 §3.2.2) or authority-form (CONNECT).
    absolute = URL(target, encoded=True)
    return URL.build(
        path=absolute.raw_path or "/", query_string=absolute.raw_query_string, encoded=True
    )

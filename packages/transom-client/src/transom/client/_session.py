"""``ClientSession``: the object programs make requests with."""

from __future__ import annotations

import functools
import sys
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Unpack

from multidict import CIMultiDict, istr
from yarl import URL

from transom.client._abstract_cookie_jar import AbstractCookieJar, LooseCookies
from transom.client._auth import BasicAuth
from transom.client._connector import BaseConnector
from transom.client._cookie_jar import CookieJar
from transom.client._errors import InvalidUrlClientError
from transom.client._loop import running_loop
from transom.client._request import (
    JSONEncoder,
    Params,
    checked_headers,
    default_json_serialize,
)
from transom.client._request_chain import RaiseForStatus
from transom.client._request_context import RequestContextManager
from transom.client._response import ClientResponse
from transom.client._session_request import RequestDefaults, send_request
from transom.client._stream import DEFAULT_HIGH_WATER
from transom.client._tcp_connector import TCPConnector
from transom.client._timeouts import DEFAULT_TIMEOUT, ClientTimeout, as_timeout
from transom.client._tracing import TraceConfig
from transom.client._websocket import (
    DEFAULT_WS_CLOSE_TIMEOUT,
    WSContextManager,
    handshake_url,
    open_websocket,
)
from transom.protocol.compression import DEFAULT_MAX_DECOMPRESSED_SIZE
from transom.protocol.websocket import DEFAULT_MAX_MESSAGE_SIZE, PerMessageDeflate

if TYPE_CHECKING:
    from transom.client._request_options import RequestOptions
    from transom.client._tls import SSLSetting

__all__ = ["ClientSession"]

_SENTINEL: Any = object()
_ONE_FRAME_PER_LINE = 8


class ClientSession:
    """Makes HTTP requests over a shared connection pool, with cookies and defaults.

    Create it inside a running event loop and close it when done, best with
    ``async with ClientSession() as session:``.

    Args:
        base_url: Relative request URLs are resolved against it.
        connector: The connection pool; a new :class:`TCPConnector` when
            ``None`` (owned and closed by the session).
        connector_owner: Whether :meth:`close` also closes ``connector``.
            Pass ``False`` to share one connector between sessions.
        cookies: Cookies to put in the jar at start.
        cookie_jar: Where cookies are kept; a new :class:`CookieJar` by
            default, :class:`DummyCookieJar` to keep none.
        headers: Headers sent with every request.
        skip_auto_headers: Headers the session would add (User-Agent,
            Accept, Accept-Encoding, Content-Type) to leave out.
        auth: Credentials sent to the origin of each request's URL (to the
            ``base_url`` origin only, when one is set).
        timeout: Default timeouts; :data:`DEFAULT_TIMEOUT` unless given.
        raise_for_status: ``True`` to raise for statuses >= 400, or an async
            callback given each response.
        json_serialize: Turns ``json=`` values into text.
        auto_decompress: Decode gzip, deflate, br and zstd bodies.
        max_decompressed_size: Cap on a decoded body (a compression-bomb
            limit); ``None`` removes it.
        trust_env: Take proxy settings from the environment (``HTTP_PROXY``,
            ``HTTPS_PROXY``, ``NO_PROXY``).
        trace_configs: Tracing hooks for every request.
        read_bufsize: Buffered unread body bytes above which reading pauses.
        fallback_charset_resolver: Picks the charset of a text body whose
            Content-Type names none.
        proxy: A default proxy URL for every request.
        proxy_auth: Credentials for ``proxy``.

    Raises:
        RuntimeError: No event loop is running.
    """

    def __init__(
        self,
        base_url: str | URL | None = None,
        *,
        connector: BaseConnector | None = None,
        connector_owner: bool = True,
        cookies: LooseCookies | None = None,
        cookie_jar: AbstractCookieJar | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        timeout: ClientTimeout | None = _SENTINEL,
        raise_for_status: RaiseForStatus = False,
        json_serialize: JSONEncoder = default_json_serialize,
        auto_decompress: bool = True,
        max_decompressed_size: int | None = DEFAULT_MAX_DECOMPRESSED_SIZE,
        trust_env: bool = False,
        trace_configs: Iterable[TraceConfig] | None = None,
        read_bufsize: int = DEFAULT_HIGH_WATER,
        fallback_charset_resolver: Callable[[ClientResponse, bytes], str] | None = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
    ) -> None:
        # Set first so that __del__ works whatever fails below.
        self._closed = True
        self._connector: BaseConnector | None = None
        self._loop = running_loop("ClientSession")
        self._source = traceback.extract_stack(sys._getframe(1), limit=_ONE_FRAME_PER_LINE)
        base = None if base_url is None else URL(base_url)
        if base is not None and not base.absolute:
            raise InvalidUrlClientError(base, "base_url must be absolute")
        if connector is None:
            connector = TCPConnector()
            connector_owner = True
        elif connector.closed:
            raise RuntimeError("The connector given to ClientSession is already closed")
        self._connector = connector
        self._connector_owner = connector_owner
        jar = cookie_jar if cookie_jar is not None else CookieJar()
        if cookies:
            jar.update_cookies(cookies)
        configs = list(trace_configs or ())
        for config in configs:
            config.freeze()
        # The settings, kept once, where the compiled request path reads them.
        self._defaults = RequestDefaults(
            loop=self._loop,
            base_url=base,
            cookie_jar=jar,
            headers=checked_headers(headers),
            skip_auto_headers=frozenset(istr(name) for name in skip_auto_headers or ()),
            auth=auth,
            timeout=DEFAULT_TIMEOUT if timeout is _SENTINEL else as_timeout(timeout),
            raise_for_status=raise_for_status,
            json_serialize=json_serialize,
            auto_decompress=auto_decompress,
            max_decompressed_size=max_decompressed_size,
            trust_env=trust_env,
            trace_configs=configs,
            read_bufsize=read_bufsize,
            charset_resolver=fallback_charset_resolver,
            proxy=None if proxy is None else URL(proxy),
            proxy_auth=proxy_auth,
        )
        self._closed = False

    # -- properties ----------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether the session is closed."""
        return self._closed

    @property
    def connector(self) -> BaseConnector | None:
        """The connector (``None`` after :meth:`detach`)."""
        return self._connector

    @property
    def connector_owner(self) -> bool:
        """Whether closing the session closes the connector."""
        return self._connector_owner

    @property
    def cookie_jar(self) -> AbstractCookieJar:
        """The session's cookie jar."""
        return self._defaults.cookie_jar

    @property
    def headers(self) -> CIMultiDict[str]:
        """Headers sent with every request; changes apply to the requests made after them."""
        return self._defaults.headers

    @property
    def skip_auto_headers(self) -> frozenset[istr]:
        """Automatic headers the session leaves out."""
        return self._defaults.skip_auto_headers

    @property
    def auth(self) -> BasicAuth | None:
        """Default credentials."""
        return self._defaults.auth

    @property
    def timeout(self) -> ClientTimeout:
        """Default timeouts."""
        return self._defaults.timeout

    @property
    def raise_for_status(self) -> RaiseForStatus:
        """The default ``raise_for_status``."""
        return self._defaults.raise_for_status

    @property
    def json_serialize(self) -> JSONEncoder:
        """The ``json=`` serializer."""
        return self._defaults.json_serialize

    @property
    def auto_decompress(self) -> bool:
        """Whether bodies are decoded."""
        return self._defaults.auto_decompress

    @property
    def trust_env(self) -> bool:
        """Whether proxy settings come from the environment."""
        return self._defaults.trust_env

    @property
    def trace_configs(self) -> list[TraceConfig]:
        """The tracing hooks."""
        return self._defaults.trace_configs

    # -- requests ------------------------------------------------------------

    def request(
        self, method: str, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> RequestContextManager:
        """Make a request; ``await`` it or use it with ``async with``.

        Args:
            method: The HTTP method.
            url: An absolute URL, or one relative to ``base_url``.
            **kwargs: See :class:`RequestOptions`: ``params``, ``data``,
                ``json``, ``headers``, ``cookies``, ``auth``, ``timeout``,
                ``allow_redirects``, ``max_redirects``, ``ssl``, ...

        Returns:
            The response once its head arrived.
        """
        return RequestContextManager(send_request(self, method, url, **kwargs))

    def ws_connect(
        self,
        url: str | URL,
        *,
        method: str = "GET",
        protocols: Sequence[str] = (),
        timeout: float = DEFAULT_WS_CLOSE_TIMEOUT,
        receive_timeout: float | None = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        auth: BasicAuth | None = None,
        origin: str | None = None,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        proxy_headers: Mapping[str, str] | None = None,
        ssl: SSLSetting = True,
        server_hostname: str | None = None,
        compress: int | bool | PerMessageDeflate = 0,
        max_msg_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> WSContextManager:
        """Open a WebSocket; ``await`` it or use it with ``async with`` (closed on exit).

        Args:
            url: A ``ws://``, ``wss://``, ``http://`` or ``https://`` URL.
            method: The upgrade request's method.
            protocols: Subprotocols to offer, most preferred first.
            timeout: Seconds ``close()`` waits for the server's Close frame.
            receive_timeout: Default timeout of ``receive()``.
            autoclose: Answer the server's Close frame at once.
            autoping: Answer pings and swallow pongs.
            heartbeat: Seconds of silence after which a ping is sent; no
                answer within half of it closes the WebSocket (1006).
            auth: Credentials for the upgrade request.
            origin: The ``Origin`` header.
            params: Query parameters.
            headers: Extra header fields for the upgrade request.
            proxy: An HTTP proxy (tunnelled with CONNECT for ``wss://``).
            proxy_auth: Credentials for the proxy.
            proxy_headers: Header fields for the proxy.
            ssl: The TLS setting, as for requests.
            server_hostname: Overrides the TLS server name.
            compress: Offer permessage-deflate: 0 (no), 15 or True (yes),
                9-14 (yes, asking the server for that window size), or a
                :class:`~transom.protocol.websocket.PerMessageDeflate`.
            max_msg_size: Largest message accepted, after decompression; a
                larger one closes with 1009. 0 or None: no limit.

        Raises:
            WSServerHandshakeError: The server did not accept the upgrade.
        """
        return WSContextManager(
            open_websocket(
                functools.partial(send_request, self),
                handshake_url(url),
                method=method,
                protocols=protocols,
                compress=compress,
                headers=headers,
                origin=origin,
                max_msg_size=max_msg_size,
                heartbeat=heartbeat,
                autoping=autoping,
                autoclose=autoclose,
                timeout=timeout,
                receive_timeout=receive_timeout,
                request_options={
                    "params": params,
                    "auth": auth,
                    "proxy": proxy,
                    "proxy_auth": proxy_auth,
                    "proxy_headers": proxy_headers,
                    "ssl": ssl,
                    "server_hostname": server_hostname,
                },
            )
        )

    def get(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """A GET request; see :meth:`request`."""
        return RequestContextManager(send_request(self, "GET", url, **kwargs))

    def options(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """An OPTIONS request; see :meth:`request`."""
        return RequestContextManager(send_request(self, "OPTIONS", url, **kwargs))

    def head(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """A HEAD request (redirects not followed unless asked); see :meth:`request`."""
        kwargs.setdefault("allow_redirects", False)
        return RequestContextManager(send_request(self, "HEAD", url, **kwargs))

    def post(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """A POST request; see :meth:`request`."""
        return RequestContextManager(send_request(self, "POST", url, **kwargs))

    def put(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """A PUT request; see :meth:`request`."""
        return RequestContextManager(send_request(self, "PUT", url, **kwargs))

    def patch(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """A PATCH request; see :meth:`request`."""
        return RequestContextManager(send_request(self, "PATCH", url, **kwargs))

    def delete(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> RequestContextManager:
        """A DELETE request; see :meth:`request`."""
        return RequestContextManager(send_request(self, "DELETE", url, **kwargs))

    # -- lifetime --------------------------------------------------------------

    async def close(self) -> None:
        """Close the session, and its connector when it owns it."""
        if self._closed:
            return
        self._closed = True
        if self._connector is not None and self._connector_owner:
            await self._connector.close()
        self._connector = None

    def detach(self) -> None:
        """Forget the connector without closing it; the session is closed."""
        self._closed = True
        self._connector = None

    async def __aenter__(self) -> ClientSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        if not getattr(self, "_closed", True):
            where = "".join(traceback.format_list(self._source))
            _warn(
                f"Unclosed client session {self!r}, created at:\n{where}",
                ResourceWarning,
                source=self,
                stacklevel=1,
            )

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<ClientSession {state} connector={self._connector!r}>"

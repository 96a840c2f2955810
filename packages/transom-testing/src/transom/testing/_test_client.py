"""``TestClient``: a client session bound to one test server, taking paths for URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from transom.client import (
    ClientSession,
    ClientWebSocketResponse,
    CookieJar,
    RequestContextManager,
    WSContextManager,
)
from transom.testing._servers import BaseTestServer, TestServer

if TYPE_CHECKING:
    from types import TracebackType

    from yarl import URL

    from transom.client import AbstractCookieJar, ClientResponse
    from transom.web import Application

__all__ = ["TestClient"]

_PRUNE_AT = 64


class TestClient:
    """A :class:`~transom.client.ClientSession` bound to a test server.

    Request methods take paths (``await client.get("/items")``) and return
    what the session's methods return: ``await`` it for the response, or use
    it with ``async with``. Responses and WebSockets the test did not release
    are released by :meth:`close`, which also closes the session and the
    server. The cookie jar accepts cookies from the server's IP address
    (``127.0.0.1``), which a default jar refuses.

    Create it inside a running event loop, then ``await client.start_server()``
    (or use ``async with client:``); ``await client.close()`` when done.

    Args:
        server: The server to talk to (started by :meth:`start_server` if needed).
        cookie_jar: The session's cookie jar; a :class:`~transom.client.CookieJar`
            that accepts IP-address hosts when ``None``.
        **kwargs: Passed to :class:`~transom.client.ClientSession`
            (``headers``, ``timeout``, ``raise_for_status``, ...).

    Raises:
        TypeError: ``server`` is not a test server.
        RuntimeError: No event loop is running.
    """

    # Not a test class, although pytest's default pattern matches its name.
    __test__ = False

    def __init__(
        self,
        server: BaseTestServer,
        *,
        cookie_jar: AbstractCookieJar | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(server, BaseTestServer):
            raise TypeError(f"TestClient needs a TestServer or RawTestServer, not {server!r}")
        if cookie_jar is None:
            cookie_jar = CookieJar(unsafe=True)
        self._server = server
        self._session = ClientSession(cookie_jar=cookie_jar, **kwargs)
        self._responses: list[ClientResponse] = []
        self._websockets: list[ClientWebSocketResponse] = []
        self._closed = False

    async def start_server(self) -> None:
        """Start the server if it has not started yet.

        Raises:
            RuntimeError: The client is closed.
        """
        if self._closed:
            raise RuntimeError("this test client is closed")
        await self._server.start_server()

    @property
    def server(self) -> BaseTestServer:
        """The server requests go to."""
        return self._server

    @property
    def app(self) -> Application | None:
        """The server's application; ``None`` for a :class:`RawTestServer`."""
        return self._server.app if isinstance(self._server, TestServer) else None

    @property
    def session(self) -> ClientSession:
        """The underlying session, for what the shortcuts do not cover."""
        return self._session

    @property
    def host(self) -> str:
        """The server's address."""
        return self._server.host

    @property
    def port(self) -> int | None:
        """The server's port."""
        return self._server.port

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run."""
        return self._closed

    def make_url(self, path: str | URL) -> URL:
        """The server's absolute URL for ``path``; see :meth:`BaseTestServer.make_url`."""
        return self._server.make_url(path)

    # -- requests ------------------------------------------------------------

    async def _request(self, method: str, path: str | URL, **kwargs: Any) -> ClientResponse:
        response = await self._session.request(method, self.make_url(path), **kwargs)
        responses = self._responses
        if len(responses) >= _PRUNE_AT:
            # Forget the responses already released, so a long test does not
            # keep every body it ever received.
            responses[:] = [kept for kept in responses if not kept.closed]
        responses.append(response)
        return response

    def request(self, method: str, path: str | URL, **kwargs: Any) -> RequestContextManager:
        """Send a request to ``path`` on the server.

        Args:
            method: The HTTP method.
            path: The path, with an optional query string.
            **kwargs: The options of :meth:`ClientSession.request
                <transom.client.ClientSession.request>` (``params``, ``json``,
                ``data``, ``headers``, ``allow_redirects``, ...).

        Returns:
            Awaitable for the response, and usable with ``async with`` to
            release it on exit.
        """
        return RequestContextManager(self._request(method, path, **kwargs))

    def get(self, path: str | URL, **kwargs: Any) -> RequestContextManager:
        """A GET request; see :meth:`request`."""
        return self.request("GET", path, **kwargs)

    def head(self, path: str | URL, **kwargs: Any) -> RequestContextManager:
        """A HEAD request (redirects not followed unless asked); see :meth:`request`."""
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str | URL, **kwargs: Any) -> RequestContextManager:
        """An OPTIONS request; see :meth:`request`."""
        return self.request("OPTIONS", path, **kwargs)

    def post(self, path: str | URL, **kwargs: Any) -> RequestContextManager:
        """A POST request; see :meth:`request`."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str | URL, **kwargs: Any) -> RequestContextManager:
        """A PUT request; see :meth:`request`."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str | URL, **kwargs: Any) -> RequestContextManager:
        """A PATCH request; see :meth:`request`."""
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str | URL, **kwargs: Any) -> RequestContextManager:
        """A DELETE request; see :meth:`request`."""
        return self.request("DELETE", path, **kwargs)

    # -- WebSocket -------------------------------------------------------------

    async def _ws_connect(self, path: str | URL, **kwargs: Any) -> ClientWebSocketResponse:
        ws = await self._session.ws_connect(self.make_url(path), **kwargs)
        self._websockets.append(ws)
        return ws

    def ws_connect(self, path: str | URL, **kwargs: Any) -> WSContextManager:
        """Open a WebSocket to ``path`` on the server.

        Args:
            path: The path, with an optional query string.
            **kwargs: The options of the session's ``ws_connect``.

        Returns:
            Awaitable for the WebSocket, and usable with ``async with`` to
            close it on exit.
        """
        return WSContextManager(self._ws_connect(path, **kwargs))

    # -- lifetime --------------------------------------------------------------

    async def close(self) -> None:
        """Release responses, close WebSockets, the session and the server.

        Safe to call more than once.
        """
        if self._closed:
            return
        self._closed = True
        for response in self._responses:
            response.release()
        self._responses.clear()
        for ws in self._websockets:
            await ws.close()
        self._websockets.clear()
        try:
            await self._session.close()
        finally:
            await self._server.close()

    async def __aenter__(self) -> Self:
        await self.start_server()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<TestClient {state} server={self._server!r}>"

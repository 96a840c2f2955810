"""Test servers: an application or a bare handler listening on a loopback port."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Final, Self

from yarl import URL

from transom.testing._ports import LOOPBACK_HOST
from transom.web import Application, AppRunner, BaseRunner, Server, ServerRunner, TCPSite

if TYPE_CHECKING:
    import ssl
    from collections.abc import Awaitable, Callable
    from types import TracebackType

    from transom.web import Request, StreamResponse

__all__ = ["TEST_SHUTDOWN_TIMEOUT", "BaseTestServer", "RawTestServer", "TestServer"]

# Seconds requests still in flight when a test server closes get to finish
# before their handlers are cancelled. A handler still running at that point
# belongs to a test that stopped early (a stream it never read to the end, a
# request it gave up on); waiting the production default of a minute would only
# stall the suite, while two seconds still lets a response being written finish.
TEST_SHUTDOWN_TIMEOUT: Final = 2.0


class BaseTestServer(ABC):
    """A transom server listening on a loopback port, for one test.

    Start it with ``await server.start_server()`` (or ``async with server:``),
    build request URLs with :meth:`make_url`, and ``await server.close()``
    when done; closing stops listening, finishes in-flight requests and runs
    the application's shutdown and cleanup. A closed server cannot start again.

    Args:
        scheme: ``"http"`` or ``"https"`` for :meth:`make_url`; by default
            ``"https"`` when started with an SSL context, else ``"http"``.
        host: The address to listen on.
        port: The port; a free one is picked when ``None``.
        shutdown_timeout: Seconds in-flight requests get to finish on close.
        **kwargs: Passed to the runner and its :class:`~transom.web.Server`
            (``access_log``, ``keepalive_timeout``, limits, ...).
    """

    # Not a test class, although pytest's default pattern matches its name.
    __test__ = False

    def __init__(
        self,
        *,
        scheme: str = "",
        host: str = LOOPBACK_HOST,
        port: int | None = None,
        shutdown_timeout: float = TEST_SHUTDOWN_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        self._scheme = scheme
        self._host = host
        self._port = port
        self._shutdown_timeout = shutdown_timeout
        self._runner_kwargs = kwargs
        self._runner: BaseRunner | None = None
        self._root: URL | None = None
        self._closed = False

    @abstractmethod
    def _make_runner(self, **kwargs: Any) -> BaseRunner:
        """The runner serving this test server."""

    async def start_server(self, *, ssl: ssl.SSLContext | None = None) -> None:
        """Set the runner up and start listening; does nothing if already started.

        Args:
            ssl: Serve TLS with this context.

        Raises:
            RuntimeError: The server was closed.
            OSError: The port could not be bound.
        """
        if self._closed:
            raise RuntimeError("this test server is closed and cannot start again")
        if self._runner is not None:
            return
        runner = self._make_runner(shutdown_timeout=self._shutdown_timeout, **self._runner_kwargs)
        await runner.setup()
        try:
            await TCPSite(runner, self._host, self._port or 0, ssl_context=ssl).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        port: int = runner.addresses[0][1]
        self._port = port
        scheme = self._scheme or ("https" if ssl is not None else "http")
        self._root = URL.build(scheme=scheme, host=self._host, port=port)

    @property
    def started(self) -> bool:
        """Whether :meth:`start_server` has run (even if closed since)."""
        return self._root is not None

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run."""
        return self._closed

    @property
    def runner(self) -> BaseRunner | None:
        """The runner, once started."""
        return self._runner

    @property
    def host(self) -> str:
        """The address listened on."""
        return self._host

    @property
    def port(self) -> int | None:
        """The port listened on; ``None`` before start when none was asked for."""
        return self._port

    @property
    def scheme(self) -> str:
        """The URL scheme; ``""`` before start when none was asked for."""
        return self._root.scheme if self._root is not None else self._scheme

    def make_url(self, path: str | URL) -> URL:
        """The absolute URL of ``path`` on this server.

        Args:
            path: A path with an optional query, such as ``"/items?page=2"``.

        Returns:
            The URL, e.g. ``http://127.0.0.1:41234/items?page=2``.

        Raises:
            RuntimeError: The server has not started.
            ValueError: ``path`` is an absolute URL.
        """
        if self._root is None:
            raise RuntimeError("the test server has not started: await start_server() first")
        url = URL(path)
        if url.absolute:
            raise ValueError(f"expected a path relative to the test server, got {str(url)!r}")
        return self._root.join(url)

    async def close(self) -> None:
        """Stop listening, finish in-flight requests, then shut down and clean up.

        Safe to call more than once, and on a server that never started.
        """
        if self._closed:
            return
        self._closed = True
        runner = self._runner
        if runner is not None:
            await runner.cleanup()

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
        if self._closed:
            state = "closed"
        elif self._root is not None:
            state = f"serving {self._root}"
        else:
            state = "not started"
        return f"<{type(self).__name__} {state}>"


class TestServer(BaseTestServer):
    """An :class:`~transom.web.Application` served on a loopback port.

    Starting runs the application's startup (``on_startup``, ``cleanup_ctx``);
    closing runs its shutdown and cleanup.

    Args:
        app: The application.
        scheme: See :class:`BaseTestServer`.
        host: See :class:`BaseTestServer`.
        port: See :class:`BaseTestServer`.
        shutdown_timeout: See :class:`BaseTestServer`.
        **kwargs: See :class:`BaseTestServer`.
    """

    def __init__(
        self,
        app: Application,
        *,
        scheme: str = "",
        host: str = LOOPBACK_HOST,
        port: int | None = None,
        shutdown_timeout: float = TEST_SHUTDOWN_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        if not isinstance(app, Application):
            raise TypeError(f"TestServer serves a transom.web.Application, not {app!r}")
        super().__init__(
            scheme=scheme, host=host, port=port, shutdown_timeout=shutdown_timeout, **kwargs
        )
        self._app = app

    @property
    def app(self) -> Application:
        """The application served."""
        return self._app

    def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return AppRunner(self._app, **kwargs)


class RawTestServer(BaseTestServer):
    """A bare request handler served on a loopback port, with no application.

    The handler receives every request, unrouted; ``request.match_info`` and
    ``request.app`` are not available to it.

    Args:
        handler: ``async (request) -> response``.
        scheme: See :class:`BaseTestServer`.
        host: See :class:`BaseTestServer`.
        port: See :class:`BaseTestServer`.
        shutdown_timeout: See :class:`BaseTestServer`.
        **kwargs: Passed to :class:`~transom.web.Server`.
    """

    def __init__(
        self,
        handler: Callable[[Request], Awaitable[StreamResponse]],
        *,
        scheme: str = "",
        host: str = LOOPBACK_HOST,
        port: int | None = None,
        shutdown_timeout: float = TEST_SHUTDOWN_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scheme=scheme, host=host, port=port, shutdown_timeout=shutdown_timeout, **kwargs
        )
        self._handler = handler

    @property
    def handler(self) -> Callable[[Request], Awaitable[StreamResponse]]:
        """The handler served."""
        return self._handler

    def _make_runner(self, **kwargs: Any) -> BaseRunner:
        shutdown_timeout = kwargs.pop("shutdown_timeout")
        return ServerRunner(Server(self._handler, **kwargs), shutdown_timeout=shutdown_timeout)

"""Runners and sites: start a server from async code, stop it gracefully.

A runner owns one :class:`Server` (and, for :class:`AppRunner`, the
application's startup and cleanup); sites are the sockets it listens on::

    runner = AppRunner(app)
    await runner.setup()
    await TCPSite(runner, "127.0.0.1", 8080).start()
    ...
    await runner.cleanup()   # stop listening, finish in-flight requests, clean up
"""

from __future__ import annotations

import asyncio
import signal
import socket
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Final, NoReturn

from yarl import URL

from transom.web._server import Server

if TYPE_CHECKING:
    import ssl

    from transom.web._application import Application

__all__ = [
    "DEFAULT_BACKLOG",
    "DEFAULT_SHUTDOWN_TIMEOUT",
    "AppRunner",
    "BaseRunner",
    "BaseSite",
    "GracefulExit",
    "ServerRunner",
    "SockSite",
    "TCPSite",
    "UnixSite",
]

# Seconds in-flight requests get to finish at shutdown before their handlers are
# cancelled: long enough for a slow upload or report, short enough for a
# deployment to roll on (Kubernetes waits 30 s by default, then kills).
DEFAULT_SHUTDOWN_TIMEOUT: Final = 60.0
# Pending connections the kernel queues before accept(); asyncio's own default.
DEFAULT_BACKLOG: Final = 128


class GracefulExit(SystemExit):
    """Raised by a runner's signal handlers (SIGINT, SIGTERM) to stop the program.

    Catch it around ``asyncio.run`` or let it end the process; the runner's
    ``cleanup()`` in a ``finally`` block still shuts the server down gracefully.
    """

    code = 1


def _raise_graceful_exit() -> NoReturn:
    raise GracefulExit()


class BaseRunner(ABC):
    """Owns a server and the sites it listens on.

    Args:
        handle_signals: Install SIGINT/SIGTERM handlers that raise
            :class:`GracefulExit` (main thread, Unix only).
        shutdown_timeout: Seconds in-flight requests get to finish in
            :meth:`cleanup` before their handlers are cancelled.
        **kwargs: Passed to :class:`Server` (``keepalive_timeout``,
            ``access_log``, limits, ...).
    """

    def __init__(
        self,
        *,
        handle_signals: bool = False,
        shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        self._handle_signals = handle_signals
        self._shutdown_timeout = shutdown_timeout
        self._kwargs = kwargs
        self._server: Server | None = None
        self._sites: list[BaseSite] = []
        self._stopped_servers: list[asyncio.Server] = []

    @property
    def server(self) -> Server | None:
        """The server, once :meth:`setup` has run."""
        return self._server

    @property
    def sites(self) -> set[BaseSite]:
        """The started sites."""
        return set(self._sites)

    @property
    def addresses(self) -> list[Any]:
        """The addresses actually listened on (``(host, port)`` for TCP, a path for Unix)."""
        addresses: list[Any] = []
        for site in self._sites:
            listener = site._listener
            if listener is not None:
                addresses.extend(sock.getsockname() for sock in listener.sockets)
        return addresses

    async def setup(self) -> None:
        """Start the server object (for an app: run its startup); no socket yet."""
        if self._handle_signals:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(signum, _raise_graceful_exit)
                except (NotImplementedError, RuntimeError, ValueError):
                    # Windows or not the main thread: Ctrl-C raises KeyboardInterrupt.
                    pass
        self._server = await self._make_server()

    @abstractmethod
    async def shutdown(self) -> None:
        """Tell the application the server is going down (before connections close)."""

    async def cleanup(self) -> None:
        """Stop gracefully: stop listening, finish or cancel in-flight requests, clean up.

        Idle keep-alive connections are closed at once; requests in flight get
        ``shutdown_timeout`` seconds to finish; then their handlers are
        cancelled and every connection is closed.
        """
        for site in list(reversed(self._sites)):
            await site.stop()
        server = self._server
        if server is not None:
            server.pre_shutdown()
        await self.shutdown()
        if server is not None:
            await server.shutdown(self._shutdown_timeout)
        for listener in self._stopped_servers:
            await listener.wait_closed()
        self._stopped_servers.clear()
        await self._cleanup_server()
        self._server = None
        if self._handle_signals:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.remove_signal_handler(signum)
                except (NotImplementedError, RuntimeError, ValueError):
                    pass

    @abstractmethod
    async def _make_server(self) -> Server: ...

    @abstractmethod
    async def _cleanup_server(self) -> None: ...

    def _register_site(self, site: BaseSite) -> None:
        if site in self._sites:
            raise RuntimeError(f"site {site.name} is already started")
        self._sites.append(site)

    def _unregister_site(self, site: BaseSite) -> None:
        if site not in self._sites:
            raise RuntimeError(f"site {site.name} is not started")
        self._sites.remove(site)


class ServerRunner(BaseRunner):
    """Runs a low-level :class:`Server` (a bare handler, no application)."""

    def __init__(self, web_server: Server, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._web_server = web_server

    async def shutdown(self) -> None:
        """Nothing to tell: a bare server has no application."""

    async def _make_server(self) -> Server:
        return self._web_server

    async def _cleanup_server(self) -> None:
        pass


class AppRunner(BaseRunner):
    """Runs an :class:`Application`: its startup, its server, its shutdown and cleanup.

    Args:
        app: The application (frozen by :meth:`setup`).
        handle_signals: See :class:`BaseRunner`.
        **kwargs: ``shutdown_timeout`` and :class:`Server` options
            (``access_log_class``, ``access_log_format``, ``access_log``,
            ``keepalive_timeout``, limits).
    """

    def __init__(self, app: Application, *, handle_signals: bool = False, **kwargs: Any) -> None:
        super().__init__(handle_signals=handle_signals, **kwargs)
        self._app = app

    @property
    def app(self) -> Application:
        """The application."""
        return self._app

    async def shutdown(self) -> None:
        """Run the application's ``on_shutdown`` callbacks."""
        await self._app.shutdown()

    async def _make_server(self) -> Server:
        app = self._app
        # Startup callbacks may still add routes or sub-apps; freeze after them.
        app.on_startup.freeze()
        await app.startup()
        app.freeze()
        kwargs = dict(self._kwargs)
        kwargs.setdefault("client_max_size", app.client_max_size)
        return Server(app._handle, **kwargs)

    async def _cleanup_server(self) -> None:
        await self._app.cleanup()


class BaseSite(ABC):
    """One listening socket (or set of sockets) of a runner.

    Raises:
        RuntimeError: The runner's :meth:`~BaseRunner.setup` has not run.
    """

    def __init__(
        self,
        runner: BaseRunner,
        *,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = DEFAULT_BACKLOG,
    ) -> None:
        if runner.server is None:
            raise RuntimeError("call runner.setup() before creating a site")
        self._runner = runner
        self._ssl_context = ssl_context
        self._backlog = backlog
        self._listener: asyncio.Server | None = None

    @property
    @abstractmethod
    def name(self) -> str:
        """A URL or path naming where the site listens."""

    def _protocol_factory(self) -> Server:
        server = self._runner.server
        if server is None:
            raise RuntimeError("the runner was cleaned up")
        return server

    @abstractmethod
    async def _listen(self) -> asyncio.Server: ...

    async def start(self) -> None:
        """Start listening."""
        self._runner._register_site(self)
        try:
            self._listener = await self._listen()
        except BaseException:
            self._runner._unregister_site(self)
            raise

    async def stop(self) -> None:
        """Stop listening (connections already accepted carry on)."""
        self._runner._unregister_site(self)
        listener = self._listener
        if listener is not None:
            listener.close()
            # Waiting for the close is done by the runner once connections are
            # shut down: from Python 3.12 on it also waits for every connection.
            self._runner._stopped_servers.append(listener)


class TCPSite(BaseSite):
    """Listen on a TCP host and port.

    Args:
        runner: The runner set up beforehand.
        host: The address to bind; all interfaces when ``None``.
        port: The port; 8080 (8443 with TLS) when ``None``; 0 picks a free one
            (see :attr:`BaseRunner.addresses`).
        ssl_context: Serve TLS with this context.
        backlog: Pending connection queue length.
        reuse_address: ``SO_REUSEADDR`` (the platform default when ``None``).
        reuse_port: ``SO_REUSEPORT``, so several processes can share the port.
    """

    def __init__(
        self,
        runner: BaseRunner,
        host: str | None = None,
        port: int | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = DEFAULT_BACKLOG,
        reuse_address: bool | None = None,
        reuse_port: bool | None = None,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context, backlog=backlog)
        self._host = host
        self._port = (8443 if ssl_context else 8080) if port is None else port
        self._reuse_address = reuse_address
        self._reuse_port = reuse_port

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        host = self._host or "0.0.0.0"
        port = self._port
        if self._listener is not None and self._listener.sockets:
            port = self._listener.sockets[0].getsockname()[1]
        return str(URL.build(scheme=scheme, host=host, port=port))

    async def _listen(self) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            self._protocol_factory(),
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )


class UnixSite(BaseSite):
    """Listen on a Unix domain socket at ``path``."""

    def __init__(
        self,
        runner: BaseRunner,
        path: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = DEFAULT_BACKLOG,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context, backlog=backlog)
        self._path = path

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        return f"{scheme}://unix:{self._path}:"

    async def _listen(self) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_unix_server(
            self._protocol_factory(), self._path, ssl=self._ssl_context, backlog=self._backlog
        )


class SockSite(BaseSite):
    """Listen on an already bound socket (for example one inherited from a supervisor)."""

    def __init__(
        self,
        runner: BaseRunner,
        sock: socket.socket,
        *,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = DEFAULT_BACKLOG,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context, backlog=backlog)
        self._sock = sock
        scheme = "https" if ssl_context else "http"
        if hasattr(socket, "AF_UNIX") and sock.family == socket.AF_UNIX:
            self._name = f"{scheme}://unix:{sock.getsockname()}:"
        else:
            host, port = sock.getsockname()[:2]
            self._name = str(URL.build(scheme=scheme, host=host, port=port))

    @property
    def name(self) -> str:
        return self._name

    async def _listen(self) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            self._protocol_factory(), sock=self._sock, ssl=self._ssl_context, backlog=self._backlog
        )

"""``run_app``: serve an application until SIGINT or SIGTERM, then stop gracefully."""

from __future__ import annotations

import asyncio
import builtins
import inspect
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from transom.web._access_log import AbstractAccessLogger, AccessLogger, access_logger
from transom.web._runner import (
    DEFAULT_BACKLOG,
    DEFAULT_SHUTDOWN_TIMEOUT,
    AppRunner,
    BaseSite,
    SockSite,
    TCPSite,
    UnixSite,
)
from transom.web._server import DEFAULT_KEEPALIVE_TIMEOUT

if TYPE_CHECKING:
    import socket
    import ssl

    from transom.web._application import Application

__all__ = ["LOOP_ENV_VAR", "choose_loop_factory", "run_app"]

# Set to "uvloop" to run on uvloop when it is installed.
LOOP_ENV_VAR: Final = "TRANSOM_LOOP"

_logger = logging.getLogger("transom.web.server")

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def choose_loop_factory(name: str | None = None) -> LoopFactory | None:
    """The event loop factory for ``name`` (or ``$TRANSOM_LOOP``): uvloop or asyncio's.

    Returns:
        ``uvloop.new_event_loop`` when ``"uvloop"`` is asked for and installed;
        ``None`` (asyncio's default loop) otherwise. Asking for uvloop when it
        is missing logs a warning and falls back.
    """
    name = (name or os.environ.get(LOOP_ENV_VAR, "asyncio")).strip().lower()
    if name in ("", "asyncio"):
        return None
    if name != "uvloop":
        _logger.warning("unknown event loop %r; using asyncio's", name)
        return None
    try:
        import uvloop
    except ImportError:
        _logger.warning(
            "uvloop is not installed (pip install transom-web[speedups]); using asyncio's"
        )
        return None
    factory: LoopFactory = uvloop.new_event_loop
    return factory


def run_app(
    app: Application | Awaitable[Application],
    *,
    host: str | list[str] | None = None,
    port: int | None = None,
    path: str | list[str] | None = None,
    sock: socket.socket | list[socket.socket] | None = None,
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
    keepalive_timeout: float = DEFAULT_KEEPALIVE_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
    print: Callable[..., None] | None = builtins.print,
    backlog: int = DEFAULT_BACKLOG,
    access_log_class: type[AbstractAccessLogger] = AccessLogger,
    access_log_format: str = AccessLogger.LOG_FORMAT,
    access_log: logging.Logger | None = access_logger,
    handle_signals: bool = True,
    reuse_address: bool | None = None,
    reuse_port: bool | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
    loop_factory: LoopFactory | None = None,
) -> None:
    """Serve ``app`` until SIGINT (Ctrl-C) or SIGTERM, then shut down gracefully.

    Shutdown stops accepting connections, closes idle keep-alive connections,
    runs ``on_shutdown``, gives in-flight requests ``shutdown_timeout`` seconds
    to finish, cancels what is left, then runs the cleanup callbacks.

    Args:
        app: The application, or a coroutine that returns one (awaited on the
            serving loop, so it may create loop-bound resources).
        host: Host(s) to listen on; with neither ``host``, ``path`` nor
            ``sock``, all interfaces.
        port: TCP port (8080, or 8443 with ``ssl_context``).
        path: Unix socket path(s) to listen on.
        sock: Already bound socket(s) to listen on.
        shutdown_timeout: Seconds in-flight requests get at shutdown.
        keepalive_timeout: Seconds an idle connection stays open.
        ssl_context: Serve TLS.
        print: Announces the addresses; ``None`` to stay quiet.
        backlog: Pending connection queue length.
        access_log_class: The access logger class.
        access_log_format: The access log format.
        access_log: The access logger (``None`` turns it off).
        handle_signals: Stop on SIGINT/SIGTERM (else only Ctrl-C's
            ``KeyboardInterrupt`` stops it).
        reuse_address: ``SO_REUSEADDR``.
        reuse_port: ``SO_REUSEPORT``: several processes share one port.
        loop: Run on this loop (left open afterwards) instead of a new one.
        loop_factory: Make the new loop with this (e.g. ``uvloop.new_event_loop``);
            by default ``$TRANSOM_LOOP`` decides (see :func:`choose_loop_factory`).
    """
    main = _serve(
        app,
        host=host,
        port=port,
        path=path,
        sock=sock,
        ssl_context=ssl_context,
        print=print,
        backlog=backlog,
        handle_signals=handle_signals,
        reuse_address=reuse_address,
        reuse_port=reuse_port,
        runner_options={
            "shutdown_timeout": shutdown_timeout,
            "keepalive_timeout": keepalive_timeout,
            "access_log_class": access_log_class,
            "access_log_format": access_log_format,
            "access_log": access_log,
        },
    )
    try:
        if loop is not None:
            task = loop.create_task(main)
            try:
                loop.run_until_complete(task)
            except KeyboardInterrupt:
                task.cancel()
                loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
            return
        factory = loop_factory if loop_factory is not None else choose_loop_factory()
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(main)
    except KeyboardInterrupt:
        # Without signal handlers Ctrl-C ends the run; the runner was cleaned up.
        pass


async def _serve(
    app: Application | Awaitable[Application],
    *,
    host: str | list[str] | None,
    port: int | None,
    path: str | list[str] | None,
    sock: socket.socket | list[socket.socket] | None,
    ssl_context: ssl.SSLContext | None,
    print: Callable[..., None] | None,
    backlog: int,
    handle_signals: bool,
    reuse_address: bool | None,
    reuse_port: bool | None,
    runner_options: dict[str, Any],
) -> None:
    if inspect.isawaitable(app):
        app = await app
    loop = asyncio.get_running_loop()
    stopping = loop.create_future()
    if handle_signals:
        _install_signal_handlers(loop, stopping)
    runner = AppRunner(app, **runner_options)
    await runner.setup()
    try:
        sites = _make_sites(
            runner, host, port, path, sock, ssl_context, backlog, reuse_address, reuse_port
        )
        for site in sites:
            await site.start()
        if print is not None:
            names = ", ".join(site.name for site in sites)
            print(f"======== Running on {names} ========\n(Press CTRL+C to quit)")
        await stopping
    finally:
        if handle_signals:
            _remove_signal_handlers(loop)
        await runner.cleanup()


def _make_sites(
    runner: AppRunner,
    host: str | list[str] | None,
    port: int | None,
    path: str | list[str] | None,
    sock: socket.socket | list[socket.socket] | None,
    ssl_context: ssl.SSLContext | None,
    backlog: int,
    reuse_address: bool | None,
    reuse_port: bool | None,
) -> list[BaseSite]:
    sites: list[BaseSite] = []
    tcp = {
        "ssl_context": ssl_context,
        "backlog": backlog,
        "reuse_address": reuse_address,
        "reuse_port": reuse_port,
    }
    hosts = [host] if isinstance(host, str) else list(host or [])
    paths = [path] if isinstance(path, str) else list(path or [])
    socks = [] if sock is None else [sock] if not isinstance(sock, list) else sock
    for name in hosts:
        sites.append(TCPSite(runner, name, port, **tcp))  # type: ignore[arg-type]
    if not hosts and (port is not None or (not paths and not socks)):
        sites.append(TCPSite(runner, None, port, **tcp))  # type: ignore[arg-type]
    for unix_path in paths:
        sites.append(UnixSite(runner, unix_path, ssl_context=ssl_context, backlog=backlog))
    for bound in socks:
        sites.append(SockSite(runner, bound, ssl_context=ssl_context, backlog=backlog))
    return sites


def _install_signal_handlers(
    loop: asyncio.AbstractEventLoop, stopping: asyncio.Future[None]
) -> None:
    def stop() -> None:
        if not stopping.done():
            stopping.set_result(None)

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop)
        except (NotImplementedError, RuntimeError, ValueError):
            # Windows, or not the main thread: Ctrl-C raises KeyboardInterrupt.
            pass


def _remove_signal_handlers(loop: asyncio.AbstractEventLoop) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.remove_signal_handler(signum)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

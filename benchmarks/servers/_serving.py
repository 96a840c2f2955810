"""The process scaffolding the benchmark server apps share; their handlers stay in their files.

Each ``*_app.py`` here is a script run as ``python X_app.py --port PORT
[--loop asyncio|uvloop]``. It keeps its handlers and says how its framework
starts listening (a :data:`Serving`); this module does the rest the same way
for every app: parse that command line, pick the event loop, serve on
``HOST:port`` and stop when SIGTERM or SIGINT arrives.

An app file makes this module importable by its package name first, with the
repository root on ``sys.path`` (run by path, only the app's own folder is
there).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol, TypeVar

HOST = "127.0.0.1"
LOOPS = ("asyncio", "uvloop")

Serving = Callable[[int], AbstractAsyncContextManager[object]]
"""Given a port: a context that listens on ``HOST:port`` once entered and stops on exit."""


class Runner(Protocol):
    """What :func:`runner_serving` needs of an ``aiohttp.web``-style ``AppRunner``."""

    async def setup(self) -> None: ...

    async def cleanup(self) -> None: ...


AppT = TypeVar("AppT")
AppT_contra = TypeVar("AppT_contra", contravariant=True)
RunnerT = TypeVar("RunnerT", bound=Runner)
RunnerT_co = TypeVar("RunnerT_co", bound=Runner, covariant=True)


class RunnerClass(Protocol[AppT_contra, RunnerT_co]):
    """An ``AppRunner`` class: built from the application, with the access log switched off."""

    def __call__(self, app: AppT_contra, /, *, access_log: None) -> RunnerT_co: ...


class Site(Protocol):
    """What :func:`runner_serving` needs of an ``aiohttp.web``-style ``TCPSite``."""

    async def start(self) -> None: ...


def parse_args(doc: str) -> argparse.Namespace:
    """``--port`` (required) and ``--loop`` (``asyncio`` or ``uvloop``, default ``asyncio``).

    Args:
        doc: The app's module docstring; its first line describes the command in ``--help``.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=LOOPS, default="asyncio")
    return parser.parse_args()


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory for ``"uvloop"``, else ``None`` (asyncio's default loop)."""
    if name != "uvloop":
        return None
    import uvloop

    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


async def serve_until_signalled(serving: Serving, port: int) -> None:
    """Enter ``serving(port)``, wait there for SIGTERM or SIGINT, then leave it."""
    async with serving(port):
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()


def run(doc: str, serving: Serving) -> None:
    """An app's ``__main__``: serve as the command line asks until SIGTERM or SIGINT.

    Args:
        doc: The app's module docstring (see :func:`parse_args`).
        serving: How the app listens; entered on the chosen loop.
    """
    args = parse_args(doc)
    with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
        runner.run(serve_until_signalled(serving, args.port))


def runner_serving(
    make_app: Callable[[], AppT],
    runner_class: RunnerClass[AppT, RunnerT],
    site_class: Callable[[RunnerT, str, int], Site],
) -> Serving:
    """Serving an application through a runner and a TCP site, as ``aiohttp.web`` does it.

    ``transom.web`` has the same ``AppRunner`` and ``TCPSite`` API.

    Args:
        make_app: Builds the application; called on the serving loop.
        runner_class: The framework's ``AppRunner``, given the application and
            ``access_log=None`` (no access log).
        site_class: The framework's ``TCPSite``, given the runner, ``HOST`` and the port.

    Returns:
        A :data:`Serving` that sets the runner up, starts the site, and cleans the
        runner up on exit, also when the site failed to start.
    """

    @asynccontextmanager
    async def serving(port: int) -> AsyncIterator[None]:
        runner = runner_class(make_app(), access_log=None)
        await runner.setup()
        try:
            await site_class(runner, HOST, port).start()
            yield
        finally:
            await runner.cleanup()

    return serving


def protocol_serving(protocol: Callable[[], asyncio.BaseProtocol]) -> Serving:
    """Serving a bare ``asyncio`` protocol: one instance per connection, a backlog of 1024.

    The server is closed on exit; connections still open are left to the process's end.
    """

    @asynccontextmanager
    async def serving(port: int) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(protocol, HOST, port, backlog=1024)
        try:
            yield
        finally:
            server.close()

    return serving

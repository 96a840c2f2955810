"""The benchmark's three handlers on ``aiohttp.web``: the baseline.

``transom_app.py`` is this file with ``transom.web`` imported instead of
``aiohttp.web``; keep the two in step so the comparison stays like for like.

Usage: ``python aiohttp_app.py --port PORT [--loop asyncio|uvloop]``. Serves on
127.0.0.1, one process, access log off, until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable

from aiohttp import web

HOST = "127.0.0.1"


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello, World!")


async def json_message(request: web.Request) -> web.Response:
    return web.json_response({"message": "Hello, World!"})


async def user(request: web.Request) -> web.Response:
    return web.Response(text=f"user {request.match_info['id']}")


def make_app() -> web.Application:
    """The application serving ``/``, ``/json`` and ``/user/{id}``."""
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/json", json_message)
    app.router.add_get("/user/{id}", user)
    return app


async def serve(port: int) -> None:
    """Serve on ``HOST:port`` until SIGTERM or SIGINT, then clean up."""
    runner = web.AppRunner(make_app(), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, HOST, port).start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory for ``"uvloop"``, else ``None`` (asyncio's default loop)."""
    if name != "uvloop":
        return None
    import uvloop

    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    args = parser.parse_args()
    with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
        runner.run(serve(args.port))


if __name__ == "__main__":
    main()

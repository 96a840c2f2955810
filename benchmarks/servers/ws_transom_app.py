"""The WebSocket echo benchmark's handler on ``transom.web``.

This is ``ws_aiohttp_app.py`` with ``transom.web`` imported instead of
``aiohttp.web``; keep the two in step so the comparison stays like for like.
Every text message is sent back as text, every binary one as binary. No
heartbeat; permessage-deflate is only used when a client offers it, and the
benchmark's client does not.

Usage: ``python ws_transom_app.py --port PORT [--loop asyncio|uvloop]``. Serves
on 127.0.0.1 at ``/``, one process, access log off, until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable

from transom import web

HOST = "127.0.0.1"


async def echo(request: web.Request) -> web.WebSocketResponse:
    """Echo each data message back on the same connection until the client closes."""
    ws = web.WebSocketResponse(heartbeat=None)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is web.WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type is web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


def make_app() -> web.Application:
    """The application serving the echo endpoint at ``/``."""
    app = web.Application()
    app.router.add_get("/", echo)
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

"""The WebSocket echo benchmark's handler on the ``websockets`` library's asyncio server.

Every text message is sent back as text, every binary one as binary. No
keepalive pings and no permessage-deflate (``compression=None``).

Usage: ``python ws_websockets_app.py --port PORT [--loop asyncio|uvloop]``.
Serves on 127.0.0.1, one process, until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable

from websockets.asyncio.server import ServerConnection, serve

HOST = "127.0.0.1"


async def echo(ws: ServerConnection) -> None:
    """Echo each data message back on the same connection until the client closes."""
    async for message in ws:
        await ws.send(message)


async def run(port: int) -> None:
    """Serve on ``HOST:port`` until SIGTERM or SIGINT, then close the server."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with serve(echo, HOST, port, compression=None, ping_interval=None):
        await stop.wait()


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
        runner.run(run(args.port))


if __name__ == "__main__":
    main()

"""The WebSocket echo benchmark's handler on the ``websockets`` library's asyncio server.

Every text message is sent back as text, every binary one as binary. No
keepalive pings and no permessage-deflate (``compression=None``).

Usage: ``python ws_websockets_app.py --port PORT [--loop asyncio|uvloop]``.
Serves on 127.0.0.1, one process, until SIGTERM or SIGINT.
"""

from __future__ import annotations

import os
import sys

from websockets.asyncio.server import Server, ServerConnection, serve

# Run by path, only this folder is on sys.path: the repository root makes the
# shared scaffolding importable by its package name.
sys.path.append(os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from benchmarks.servers._serving import HOST, run


async def echo(ws: ServerConnection) -> None:
    """Echo each data message back on the same connection until the client closes."""
    async for message in ws:
        await ws.send(message)


def serving(port: int) -> Server:
    """The echo server on ``HOST:port``: no compression, no keepalive pings."""
    return serve(echo, HOST, port, compression=None, ping_interval=None)


if __name__ == "__main__":
    run(__doc__, serving)

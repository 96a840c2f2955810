"""The WebSocket echo benchmark's handler on ``aiohttp.web``: the baseline.

``ws_transom_app.py`` is this file with ``transom.web`` imported instead of
``aiohttp.web``; keep the two in step so the comparison stays like for like.
Every text message is sent back as text, every binary one as binary. No
heartbeat; permessage-deflate is only used when a client offers it, and the
benchmark's client does not.

Usage: ``python ws_aiohttp_app.py --port PORT [--loop asyncio|uvloop]``. Serves
on 127.0.0.1 at ``/``, one process, access log off, until SIGTERM or SIGINT.
"""

from __future__ import annotations

import os
import sys

from aiohttp import web

# Run by path, only this folder is on sys.path: the repository root makes the
# shared scaffolding importable by its package name.
sys.path.append(os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from benchmarks.servers._serving import run, runner_serving


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


if __name__ == "__main__":
    run(__doc__, runner_serving(make_app, web.AppRunner, web.TCPSite))

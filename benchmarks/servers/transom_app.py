"""The benchmark's three handlers on ``transom.web``.

This is ``aiohttp_app.py`` with ``transom.web`` imported instead of
``aiohttp.web``; keep the two in step so the comparison stays like for like.

Usage: ``python transom_app.py --port PORT [--loop asyncio|uvloop]``. Serves on
127.0.0.1, one process, access log off, until SIGTERM or SIGINT.
"""

from __future__ import annotations

import os
import sys

from transom import web

# Run by path, only this folder is on sys.path: the repository root makes the
# shared scaffolding importable by its package name.
sys.path.append(os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from benchmarks.servers._serving import run, runner_serving


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


if __name__ == "__main__":
    run(__doc__, runner_serving(make_app, web.AppRunner, web.TCPSite))

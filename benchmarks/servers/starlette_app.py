"""The benchmark's three handlers on Starlette, served by uvicorn.

The responses carry the same bytes and content types as the aiohttp app: the
JSON body uses ``json.dumps``' default separators and both media types name
their charset.

Usage: ``python starlette_app.py --port PORT [--loop asyncio|uvloop]``. Serves
on 127.0.0.1, one process, access log off, until SIGTERM or SIGINT. The HTTP
implementation is uvicorn's httptools one when httptools is installed, else h11.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

# Run by path, only this folder is on sys.path: the repository root makes the
# shared scaffolding importable by its package name.
sys.path.append(os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from benchmarks.servers._serving import HOST, parse_args


class CharsetJSONResponse(JSONResponse):
    """JSON as ``aiohttp.web.json_response`` writes it: default separators, charset named."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content).encode("utf-8")


async def hello(request: Request) -> Response:
    return PlainTextResponse("Hello, World!")


async def json_message(request: Request) -> Response:
    return CharsetJSONResponse({"message": "Hello, World!"})


async def user(request: Request) -> Response:
    return PlainTextResponse(f"user {request.path_params['id']}")


def make_app() -> Starlette:
    """The application serving ``/``, ``/json`` and ``/user/{id}``."""
    return Starlette(
        routes=[
            Route("/", hello),
            Route("/json", json_message),
            Route("/user/{id}", user),
        ]
    )


def main() -> None:
    args = parse_args(__doc__)
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    config = uvicorn.Config(
        make_app(),
        host=HOST,
        port=args.port,
        loop=args.loop,
        http=http,
        log_level="warning",
        access_log=False,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()

"""The client on uvloop, whose transports are not asyncio.Transport instances."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import uvloop
from aiohttp import web
from yarl import URL

from transom.client import ClientSession

Server = Callable[[web.Application], contextlib.AbstractAsyncContextManager[URL]]


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


def test_several_requests_on_one_session_complete_on_uvloop(web_server: Server) -> None:
    app = web.Application()
    app.router.add_get("/", hello)

    async def main() -> None:
        async with web_server(app) as base, ClientSession() as session:
            for _ in range(3):
                async with session.get(base / "") as response:
                    assert response.status == 200
                    assert await response.text() == "hello"

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())

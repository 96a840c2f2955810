"""TraceConfig hooks fire at each step of a request."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from yarl import URL

from transom.client import (
    ClientConnectorError,
    ClientSession,
    ResolveResult,
    TCPConnector,
    ThreadedResolver,
    TraceConfig,
    TraceRequestEndParams,
    TraceRequestStartParams,
)

Server = Callable[..., contextlib.AbstractAsyncContextManager[URL]]

HOOKS = (
    "on_request_start",
    "on_request_end",
    "on_request_exception",
    "on_request_redirect",
    "on_connection_queued_start",
    "on_connection_queued_end",
    "on_connection_create_start",
    "on_connection_create_end",
    "on_connection_reuseconn",
    "on_dns_resolvehost_start",
    "on_dns_resolvehost_end",
    "on_dns_cache_hit",
    "on_dns_cache_miss",
)


def recording_config() -> tuple[TraceConfig, list[tuple[str, Any, Any]]]:
    events: list[tuple[str, Any, Any]] = []
    config = TraceConfig()
    for hook in HOOKS:

        async def record(session: Any, ctx: SimpleNamespace, params: Any, hook: str = hook) -> None:
            events.append((hook, ctx, params))

        getattr(config, hook).append(record)
    return config, events


class LocalResolver(ThreadedResolver):
    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=self.port,
                family=socket.AF_INET,
                proto=6,
                flags=0,
            )
        ]


def app() -> web.Application:
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def moved(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/"})

    application = web.Application()
    application.router.add_get("/", ok)
    application.router.add_get("/moved", moved)
    return application


def test_hooks_fire_in_order_for_new_and_reused_connections(web_server: Server) -> None:
    async def main() -> None:
        config, events = recording_config()
        async with web_server(app()) as base:
            assert base.port is not None
            connector = TCPConnector(resolver=LocalResolver(base.port))
            target = base.with_host("traced.test")
            async with ClientSession(connector=connector, trace_configs=[config]) as session:
                async with session.get(target, trace_request_ctx={"id": 1}) as response:
                    await response.read()
                first = [name for name, _, _ in events]
                events.clear()
                async with session.get(target / "moved") as response:
                    await response.read()
                second = [name for name, _, _ in events]
        assert first == [
            "on_request_start",
            "on_connection_create_start",
            "on_dns_cache_miss",
            "on_dns_resolvehost_start",
            "on_dns_resolvehost_end",
            "on_connection_create_end",
            "on_request_end",
        ]
        assert second == [
            "on_request_start",
            "on_connection_reuseconn",
            "on_request_redirect",
            "on_request_start",
            "on_connection_reuseconn",
            "on_request_end",
        ]

    asyncio.run(main())


def test_params_and_context_are_passed_to_callbacks(web_server: Server) -> None:
    async def main() -> None:
        config, events = recording_config()
        async with (
            web_server(app()) as base,
            ClientSession(trace_configs=[config]) as session,
            session.get(base, trace_request_ctx="mine") as response,
        ):
            await response.read()
        start = events[0]
        end = events[-1]
        assert isinstance(start[2], TraceRequestStartParams)
        assert start[2].method == "GET"
        assert start[2].url == base
        assert isinstance(end[2], TraceRequestEndParams)
        assert end[2].response.status == 200
        assert start[1] is end[1]
        assert start[1].trace_request_ctx == "mine"

    asyncio.run(main())


def test_dns_cache_hit_is_traced(web_server: Server) -> None:
    async def main() -> None:
        config, events = recording_config()
        async with web_server(app()) as base:
            assert base.port is not None
            connector = TCPConnector(resolver=LocalResolver(base.port), force_close=True)
            async with ClientSession(connector=connector, trace_configs=[config]) as session:
                for _ in range(2):
                    async with session.get(base.with_host("traced.test")) as response:
                        await response.read()
        names = [name for name, _, _ in events]
        assert names.count("on_dns_cache_miss") == 1
        assert names.count("on_dns_cache_hit") == 1

    asyncio.run(main())


def test_request_exception_is_traced() -> None:
    async def main() -> None:
        config, events = recording_config()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        async with ClientSession(trace_configs=[config]) as session:
            with pytest.raises(ClientConnectorError):
                await session.get(f"http://127.0.0.1:{port}/")
        assert events[-1][0] == "on_request_exception"
        assert isinstance(events[-1][2].exception, ClientConnectorError)

    asyncio.run(main())


def test_signals_freeze_when_a_session_uses_them() -> None:
    async def main() -> None:
        config = TraceConfig()
        async with ClientSession(trace_configs=[config]):
            pass

        async def callback(session: Any, ctx: SimpleNamespace, params: Any) -> None:
            pass

        with pytest.raises(RuntimeError, match="frozen"):
            config.on_request_start.append(callback)

    asyncio.run(main())

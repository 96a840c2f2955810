"""Connectors over real loopback sockets: reuse, limits, FIFO waiters, retries, binding."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from yarl import URL

from transom.client import (
    ClientConnectorError,
    ClientSession,
    ConnectionKey,
    ResolveResult,
    ServerDisconnectedError,
    TCPConnector,
    ThreadedResolver,
    UnixClientConnectorError,
    UnixConnector,
)

Server = Callable[..., contextlib.AbstractAsyncContextManager[URL]]
ReadHead = Callable[[asyncio.StreamReader], Awaitable[bytes]]

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def peer_app(peers: list[tuple[str, int]]) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        assert peer is not None
        peers.append((peer[0], peer[1]))
        size = int(request.query.get("size", "2"))
        return web.Response(body=b"x" * size)

    app = web.Application()
    app.router.add_get("/", handler)
    return app


def test_keep_alive_connection_is_reused(web_server: Server) -> None:
    peers: list[tuple[str, int]] = []

    async def main() -> None:
        async with web_server(peer_app(peers)) as base, ClientSession() as session:
            for _ in range(3):
                async with session.get(base) as response:
                    await response.read()
            assert session.connector is not None
            assert "idle=1" in repr(session.connector)
        assert len(set(peers)) == 1

    asyncio.run(main())


def test_connection_with_unread_body_is_not_reused(web_server: Server) -> None:
    peers: list[tuple[str, int]] = []

    async def main() -> None:
        async with web_server(peer_app(peers)) as base, ClientSession() as session:
            # A body larger than the socket buffers cannot have fully arrived.
            async with session.get(base, params={"size": str(8 * 1024 * 1024)}) as response:
                await response.content.read(10)
            async with session.get(base) as response:
                await response.read()
        assert len(set(peers)) == 2

    asyncio.run(main())


def test_force_close_never_reuses(web_server: Server) -> None:
    peers: list[tuple[str, int]] = []

    async def main() -> None:
        async with (
            web_server(peer_app(peers)) as base,
            ClientSession(connector=TCPConnector(force_close=True)) as session,
        ):
            for _ in range(2):
                async with session.get(base) as response:
                    await response.read()
        assert len(set(peers)) == 2

    asyncio.run(main())


def test_waiters_for_a_free_slot_are_served_in_fifo_order(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    release = asyncio.Event
    order: list[str] = []

    async def main() -> None:
        gate = release()

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                head = await read_request_head(reader)
                if b"/first" in head:
                    await gate.wait()
                writer.write(OK)
                await writer.drain()

        async with (
            raw_server(handler) as base,
            ClientSession(connector=TCPConnector(limit=1)) as session,
        ):

            async def fetch(name: str) -> None:
                async with session.get(base / name) as response:
                    await response.read()
                    order.append(name)

            first = asyncio.create_task(fetch("first"))
            await asyncio.sleep(0.05)
            rest = []
            for name in ("a", "b", "c", "d"):
                rest.append(asyncio.create_task(fetch(name)))
                await asyncio.sleep(0.01)
            assert session.connector is not None
            assert "waiters=4" in repr(session.connector)
            gate.set()
            await asyncio.gather(first, *rest)
        assert order == ["first", "a", "b", "c", "d"]

    asyncio.run(main())


def test_limit_per_host_caps_concurrent_connections(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    active = 0
    most = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal active, most
        active += 1
        most = max(most, active)
        try:
            while True:
                await read_request_head(reader)
                await asyncio.sleep(0.01)
                writer.write(OK)
                await writer.drain()
        finally:
            active -= 1

    async def main() -> None:
        async with raw_server(handler) as base:
            connector = TCPConnector(limit_per_host=2, force_close=False)
            async with ClientSession(connector=connector) as session:

                async def fetch() -> None:
                    async with session.get(base) as response:
                        await response.read()

                await asyncio.gather(*(fetch() for _ in range(8)))
        assert most == 2

    asyncio.run(main())


def test_idempotent_request_is_retried_once_when_the_idle_connection_was_closed(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await read_request_head(reader)
        writer.write(OK)
        await writer.drain()
        # Read the next request, then close without answering, as a server
        # whose keep-alive timeout just expired does.
        with contextlib.suppress(asyncio.IncompleteReadError):
            await read_request_head(reader)

    async def main() -> None:
        async with raw_server(handler) as base, ClientSession() as session:
            for _ in range(3):
                async with session.get(base) as response:
                    assert await response.read() == b"ok"
            with pytest.raises(ServerDisconnectedError):
                async with session.post(base, data=b"x") as response:
                    await response.read()
        # The first connection and one fresh one per retry; the POST is not retried.
        assert connections == 3

    asyncio.run(main())


def test_idle_connection_closed_by_the_server_is_dropped_from_the_pool(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request_head(reader)
        writer.write(OK)
        await writer.drain()

    async def main() -> None:
        async with raw_server(handler) as base, ClientSession() as session:
            async with session.get(base) as response:
                await response.read()
            await asyncio.sleep(0.05)
            assert session.connector is not None
            assert "idle" not in repr(session.connector)
            async with session.post(base, data=b"x") as response:
                assert await response.read() == b"ok"

    asyncio.run(main())


def test_keepalive_timeout_closes_idle_connections(web_server: Server) -> None:
    peers: list[tuple[str, int]] = []

    async def main() -> None:
        async with web_server(peer_app(peers)) as base:
            connector = TCPConnector(keepalive_timeout=0.05)
            async with ClientSession(connector=connector) as session:
                async with session.get(base) as response:
                    await response.read()
                assert "idle=1" in repr(connector)
                await asyncio.sleep(0.2)
                assert "idle" not in repr(connector)
                async with session.get(base) as response:
                    await response.read()
        assert len(set(peers)) == 2

    asyncio.run(main())


def test_local_addr_binds_the_source_address(web_server: Server) -> None:
    peers: list[tuple[str, int]] = []

    async def main() -> None:
        async with web_server(peer_app(peers)) as base:
            connector = TCPConnector(local_addr=("127.0.0.2", 0))
            async with (
                ClientSession(connector=connector) as session,
                session.get(base) as response,
            ):
                await response.read()
        assert peers[0][0] == "127.0.0.2"

    asyncio.run(main())


class FixedResolver(ThreadedResolver):
    """Answers every name with the given addresses."""

    def __init__(self, addresses: list[tuple[str, int]]) -> None:
        super().__init__()
        self.addresses = addresses
        self.calls = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls += 1
        return [
            ResolveResult(hostname=host, host=addr, port=p, family=socket.AF_INET, proto=6, flags=0)
            for addr, p in self.addresses
        ]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_happy_eyeballs_moves_on_from_an_address_that_refuses(web_server: Server) -> None:
    peers: list[tuple[str, int]] = []

    async def main() -> None:
        async with web_server(peer_app(peers)) as base:
            assert base.port is not None
            resolver = FixedResolver([("127.0.0.1", closed_port()), ("127.0.0.1", base.port)])
            async with (
                ClientSession(connector=TCPConnector(resolver=resolver)) as session,
                session.get(base.with_host("service.test")) as response,
            ):
                assert await response.read() == b"xx"

    asyncio.run(main())


def test_happy_eyeballs_starts_the_next_attempt_while_one_hangs(web_server: Server) -> None:
    peers: list[tuple[str, int]] = []

    async def main() -> None:
        # A listener whose accept queue is full: connection attempts to it
        # hang (the kernel drops the SYN).
        hanging = socket.socket()
        hanging.bind(("127.0.0.1", 0))
        hanging.listen(0)
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(hanging.getsockname())
            fillers.append(filler)
        try:
            async with web_server(peer_app(peers)) as base:
                assert base.port is not None
                resolver = FixedResolver(
                    [("127.0.0.1", hanging.getsockname()[1]), ("127.0.0.1", base.port)]
                )
                connector = TCPConnector(resolver=resolver, happy_eyeballs_delay=0.05)
                async with (
                    ClientSession(connector=connector) as session,
                    session.get(base.with_host("service.test"), timeout=5) as response,
                ):
                    assert await response.read() == b"xx"
        finally:
            hanging.close()
            for filler in fillers:
                filler.close()

    asyncio.run(main())


def test_dns_answers_are_cached(web_server: Server) -> None:
    peers: list[tuple[str, int]] = []

    async def main() -> None:
        async with web_server(peer_app(peers)) as base:
            assert base.port is not None
            resolver = FixedResolver([("127.0.0.1", base.port)])
            connector = TCPConnector(resolver=resolver, force_close=True)
            async with ClientSession(connector=connector) as session:
                for _ in range(3):
                    async with session.get(base.with_host("cached.test")) as response:
                        await response.read()
                assert resolver.calls == 1
                connector.clear_dns_cache()
                async with session.get(base.with_host("cached.test")) as response:
                    await response.read()
                assert resolver.calls == 2
            uncached = FixedResolver([("127.0.0.1", base.port)])
            connector = TCPConnector(resolver=uncached, use_dns_cache=False, force_close=True)
            async with ClientSession(connector=connector) as session:
                for _ in range(2):
                    async with session.get(base.with_host("cached.test")) as response:
                        await response.read()
            assert uncached.calls == 2

    asyncio.run(main())


def test_connection_refused_names_the_host_and_cause() -> None:
    async def main() -> None:
        port = closed_port()
        async with ClientSession() as session:
            with pytest.raises(ClientConnectorError) as info:
                await session.get(f"http://127.0.0.1:{port}/")
        assert info.value.host == "127.0.0.1"
        assert info.value.port == port
        assert f"127.0.0.1:{port}" in str(info.value)
        assert "refused" in str(info.value).lower()
        assert isinstance(info.value, OSError)

    asyncio.run(main())


def test_unix_connector_talks_over_a_unix_socket() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=f"host={request.host}")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/", handler)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "s.sock")
            site = web.UnixSite(runner, path)
            await site.start()
            try:
                async with (
                    ClientSession(connector=UnixConnector(path)) as session,
                    session.get("http://service/") as response,
                ):
                    assert await response.text() == "host=service"
                async with ClientSession(connector=UnixConnector(path + ".missing")) as session:
                    with pytest.raises(UnixClientConnectorError, match="missing"):
                        await session.get("http://service/")
            finally:
                await runner.cleanup()

    asyncio.run(main())


def test_closed_connector_refuses_requests() -> None:
    async def main() -> None:
        connector = TCPConnector()
        await connector.close()
        assert connector.closed
        with pytest.raises(RuntimeError, match="already closed"):
            ClientSession(connector=connector)
        key = ConnectionKey("h", 80, False, True, None, None, None)
        with pytest.raises(Exception, match="closed"):
            await connector.connect(key)

    asyncio.run(main())

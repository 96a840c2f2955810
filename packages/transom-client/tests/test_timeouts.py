"""ClientTimeout: each limit is enforced and raises its own error."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable

import pytest
from yarl import URL

from transom.client import (
    DEFAULT_TIMEOUT,
    ClientSession,
    ClientTimeout,
    ConnectionTimeoutError,
    ResolveResult,
    ServerTimeoutError,
    SocketTimeoutError,
    TCPConnector,
    ThreadedResolver,
)

Server = Callable[..., contextlib.AbstractAsyncContextManager[URL]]
ReadHead = Callable[[asyncio.StreamReader], Awaitable[bytes]]


def slow_handler(
    read_head: ReadHead, *, head_delay: float = 0.0, body_delay: float = 0.0
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_head(reader)
            await asyncio.sleep(head_delay)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab")
            await writer.drain()
            await asyncio.sleep(body_delay)
            writer.write(b"cd")
            await writer.drain()

    return handler


def test_default_timeout_has_a_total_and_a_socket_connect_limit() -> None:
    assert DEFAULT_TIMEOUT.total == 300
    assert DEFAULT_TIMEOUT.sock_connect == 30
    assert ClientTimeout().total is None


def test_sock_read_bounds_the_wait_for_the_response_head(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    async def main() -> None:
        async with (
            raw_server(slow_handler(read_request_head, head_delay=5)) as base,
            ClientSession(timeout=ClientTimeout(sock_read=0.05)) as session,
        ):
            with pytest.raises(SocketTimeoutError, match=r"127\.0\.0\.1"):
                await session.get(base)

    asyncio.run(main())


def test_sock_read_bounds_each_body_read(raw_server: Server, read_request_head: ReadHead) -> None:
    async def main() -> None:
        async with (
            raw_server(slow_handler(read_request_head, body_delay=5)) as base,
            ClientSession() as session,
            session.get(base, timeout=ClientTimeout(sock_read=0.05)) as response,
        ):
            assert response.status == 200
            with pytest.raises(SocketTimeoutError):
                await response.read()

    asyncio.run(main())


def test_total_bounds_the_whole_request_body_included(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    async def main() -> None:
        async with (
            raw_server(slow_handler(read_request_head, body_delay=5)) as base,
            ClientSession(timeout=ClientTimeout(total=0.1)) as session,
            session.get(base) as response,
        ):
            with pytest.raises(ServerTimeoutError) as info:
                await response.read()
            assert not isinstance(info.value, SocketTimeoutError)
            assert isinstance(info.value, asyncio.TimeoutError)
        async with (
            raw_server(slow_handler(read_request_head, head_delay=5)) as base,
            ClientSession() as session,
        ):
            with pytest.raises(ServerTimeoutError, match="Total timeout"):
                await session.get(base, timeout=0.05)

    asyncio.run(main())


class SlowResolver(ThreadedResolver):
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        await asyncio.sleep(5)
        raise AssertionError("not reached")


def test_connect_bounds_getting_a_connection() -> None:
    async def main() -> None:
        connector = TCPConnector(resolver=SlowResolver())
        async with ClientSession(connector=connector) as session:
            with pytest.raises(ConnectionTimeoutError, match=r"slow\.test"):
                await session.get("http://slow.test/", timeout=ClientTimeout(connect=0.05))

    asyncio.run(main())


def test_connect_covers_waiting_for_a_free_slot(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    async def main() -> None:
        async with (
            raw_server(slow_handler(read_request_head, head_delay=5)) as base,
            ClientSession(connector=TCPConnector(limit=1)) as session,
        ):
            first = asyncio.create_task(_get(session, base))
            await asyncio.sleep(0.05)
            with pytest.raises(ConnectionTimeoutError):
                await session.get(base, timeout=ClientTimeout(connect=0.05))
            first.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await first
            assert session.connector is not None
            assert "waiters=0" in repr(session.connector)

    asyncio.run(main())


async def _get(session: ClientSession, url: URL) -> None:
    async with session.get(url, timeout=None) as response:
        await response.read()


def test_sock_connect_bounds_one_socket_connect() -> None:
    async def main() -> None:
        # A full accept queue makes connect() hang.
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
        port = hanging.getsockname()[1]
        try:
            async with ClientSession() as session:
                with pytest.raises(ConnectionTimeoutError, match=f"127.0.0.1:{port}"):
                    await session.get(
                        f"http://127.0.0.1:{port}/", timeout=ClientTimeout(sock_connect=0.1)
                    )
        finally:
            hanging.close()
            for filler in fillers:
                filler.close()

    asyncio.run(main())


def test_shorter_total_on_a_reused_connection_still_applies(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await read_request_head(reader)
        await asyncio.sleep(5)

    async def main() -> None:
        async with raw_server(handler) as base, ClientSession() as session:
            async with session.get(base) as response:
                assert await response.read() == b"ok"
            with pytest.raises(ServerTimeoutError, match="Total timeout"):
                await session.get(base, timeout=ClientTimeout(total=0.05))

    asyncio.run(main())

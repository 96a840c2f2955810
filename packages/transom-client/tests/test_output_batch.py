"""Small whole requests issued in one pass of the event loop leave together, after it."""

from __future__ import annotations

import asyncio
from typing import Any

from transom.client._connection_key import ConnectionKey
from transom.client._output_batch import HOLD_LIMIT, OutputBatch
from transom.client._pooled_connection import PooledConnection
from transom.protocol.http1 import Request


class Owner:
    """The connector's side, as a pooled connection sees it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.output_batch = OutputBatch(loop)

    def _release(self, connection: PooledConnection, reusable: bool) -> None:
        """Nothing to release to."""

    def _idle_lost(self, connection: PooledConnection) -> None:
        """Nothing to forget."""


class LoggingTransport(asyncio.Transport):
    """A stub socket that logs what it is given."""

    def __init__(self, name: str, log: list[str]) -> None:
        super().__init__()
        self.name = name
        self.log = log
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        line = bytes(data).split(b"\r\n", 1)[0].decode()
        self.log.append(f"write {self.name}: {line} ({len(data)} bytes)")

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.log.append(f"close {self.name}")
        self.closed = True

    def abort(self) -> None:
        self.log.append(f"abort {self.name}")
        self.closed = True

    def pause_reading(self) -> None:
        """Nothing to pause."""

    def resume_reading(self) -> None:
        """Nothing to resume."""


def _connection(owner: Owner, name: str, log: list[str]) -> PooledConnection:
    loop = asyncio.get_running_loop()
    key = ConnectionKey(name, 80, False, True, None, None, None)
    connection = PooledConnection(loop, owner, key, name)
    connection.connection_made(LoggingTransport(name, log))
    return connection


def _get(path: str) -> Request:
    return Request(method="GET", target=path, headers=[("Host", "h")])


async def _answer(connection: PooledConnection, task: asyncio.Task[Any]) -> None:
    connection.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    head, _ = await task
    assert head.status_code == 200


async def _test_requests_of_one_pass_are_written_after_the_pass_in_order() -> None:
    log: list[str] = []
    owner = Owner(asyncio.get_running_loop())
    connections = [_connection(owner, name, log) for name in "abc"]
    tasks = [
        asyncio.create_task(connection.send_request(_get(f"/{connection.host}"), None))
        for connection in connections
    ]
    await asyncio.sleep(0)
    assert log == []
    await asyncio.sleep(0)
    assert log == [f"write {name}: GET /{name} HTTP/1.1 (28 bytes)" for name in "abc"]
    for connection, task in zip(connections, tasks, strict=True):
        await _answer(connection, task)


async def _test_a_large_request_is_written_at_once() -> None:
    log: list[str] = []
    owner = Owner(asyncio.get_running_loop())
    connection = _connection(owner, "a", log)
    target = "/" + "x" * HOLD_LIMIT
    task = asyncio.create_task(connection.send_request(_get(target), None))
    await asyncio.sleep(0)
    assert len(log) == 1
    assert log[0].startswith("write a: GET /xxx")
    await _answer(connection, task)


async def _test_a_held_request_is_written_before_the_connection_closes() -> None:
    log: list[str] = []
    owner = Owner(asyncio.get_running_loop())
    connection = _connection(owner, "a", log)
    task = asyncio.create_task(connection.send_request(_get("/"), None))
    await asyncio.sleep(0)
    connection.close()
    assert log == ["write a: GET / HTTP/1.1 (27 bytes)", "close a"]
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0)
    assert log == ["write a: GET / HTTP/1.1 (27 bytes)", "close a"]


async def _test_a_held_request_is_dropped_when_the_connection_is_lost() -> None:
    log: list[str] = []
    owner = Owner(asyncio.get_running_loop())
    connection = _connection(owner, "a", log)
    # Another open connection: requests are held only when there are several.
    _connection(owner, "b", log)
    task = asyncio.create_task(connection.send_request(_get("/"), None))
    await asyncio.sleep(0)
    connection.connection_lost(ConnectionResetError("gone"))
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0)
    assert log == []


def test_requests_of_one_pass_are_written_after_the_pass_in_order() -> None:
    asyncio.run(_test_requests_of_one_pass_are_written_after_the_pass_in_order())


def test_a_large_request_is_written_at_once() -> None:
    asyncio.run(_test_a_large_request_is_written_at_once())


def test_a_held_request_is_written_before_the_connection_closes() -> None:
    asyncio.run(_test_a_held_request_is_written_before_the_connection_closes())


def test_a_held_request_is_dropped_when_the_connection_is_lost() -> None:
    asyncio.run(_test_a_held_request_is_dropped_when_the_connection_is_lost())

"""The response body stream: reads, lines, iteration, errors, timeouts, flow control."""

from __future__ import annotations

import asyncio

import pytest

from transom.client import ClientPayloadError, ServerTimeoutError, SocketTimeoutError, StreamReader


class Flow:
    def __init__(self) -> None:
        self._paused = False
        self.pauses = 0

    def is_paused(self) -> bool:
        return self._paused

    def pause_reading(self) -> None:
        self._paused = True
        self.pauses += 1

    def resume_reading(self) -> None:
        self._paused = False


def make_stream(
    flow: Flow | None = None,
    *,
    high_water: int = 1024,
    read_timeout: float | None = None,
    deadline: float | None = None,
) -> StreamReader:
    return StreamReader(
        flow,
        asyncio.get_running_loop(),
        high_water=high_water,
        read_timeout=read_timeout,
        deadline=deadline,
        host="h.test",
    )


def test_read_returns_everything_once_eof_is_fed() -> None:
    async def main() -> None:
        stream = make_stream()
        stream.feed_data(b"hello ")
        asyncio.get_running_loop().call_soon(stream.feed_data, b"world")
        asyncio.get_running_loop().call_soon(stream.feed_eof)
        assert await stream.read() == b"hello world"
        assert await stream.read() == b""
        assert stream.at_eof()
        assert stream.total_bytes == 11

    asyncio.run(main())


def test_read_n_returns_at_most_n_bytes() -> None:
    async def main() -> None:
        stream = make_stream()
        stream.feed_data(b"abcdef")
        stream.feed_eof()
        assert await stream.read(4) == b"abcd"
        assert await stream.read(4) == b"ef"
        assert await stream.read(4) == b""

    asyncio.run(main())


def test_readany_returns_what_is_buffered() -> None:
    async def main() -> None:
        stream = make_stream()
        stream.feed_data(b"ab")
        stream.feed_data(b"cd")
        assert await stream.readany() == b"abcd"
        stream.feed_eof()
        assert await stream.readany() == b""

    asyncio.run(main())


def test_readline_and_line_iteration() -> None:
    async def main() -> None:
        stream = make_stream()
        stream.feed_data(b"one\ntw")
        stream.feed_data(b"o\nthree")
        stream.feed_eof()
        assert await stream.readline() == b"one\n"
        lines = [line async for line in stream]
        assert lines == [b"two\n", b"three"]

    asyncio.run(main())


def test_readline_refuses_a_line_longer_than_the_limit() -> None:
    async def main() -> None:
        stream = make_stream(high_water=10**9)
        stream.feed_data(b"x" * 70_000)
        with pytest.raises(ValueError, match="limit"):
            await stream.readline()

    asyncio.run(main())


def test_iter_chunked_and_iter_any() -> None:
    async def main() -> None:
        stream = make_stream()
        stream.feed_data(b"abcdefg")
        stream.feed_eof()
        assert [chunk async for chunk in stream.iter_chunked(3)] == [b"abc", b"def", b"g"]
        other = make_stream()
        other.feed_data(b"xy")
        other.feed_eof()
        assert [chunk async for chunk in other.iter_any()] == [b"xy"]

    asyncio.run(main())


def test_iter_chunks_yields_each_piece_as_it_arrives_then_stops() -> None:
    async def main() -> None:
        stream = make_stream()
        stream.feed_data(b"ab")
        stream.feed_data(b"cde")
        pairs = stream.iter_chunks()
        assert await anext(pairs) == (b"ab", False)
        assert await anext(pairs) == (b"cde", False)
        asyncio.get_running_loop().call_soon(stream.feed_data, b"f")
        assert await anext(pairs) == (b"f", False)
        stream.feed_eof()
        assert [pair async for pair in pairs] == []

    asyncio.run(main())


def test_iterating_waits_for_data_and_ends_at_eof() -> None:
    async def main() -> None:
        stream = make_stream()
        loop = asyncio.get_running_loop()
        loop.call_soon(stream.feed_data, b"one\ntw")
        loop.call_soon(stream.feed_data, b"o\n")
        loop.call_soon(stream.feed_eof)
        assert [line async for line in stream] == [b"one\n", b"two\n"]
        assert await stream.read() == b""

    asyncio.run(main())


def test_readexactly_raises_when_the_body_is_short() -> None:
    async def main() -> None:
        stream = make_stream()
        stream.feed_data(b"abc")
        stream.feed_eof()
        assert await stream.readexactly(2) == b"ab"
        with pytest.raises(asyncio.IncompleteReadError):
            await stream.readexactly(5)

    asyncio.run(main())


def test_exception_fails_pending_and_later_reads() -> None:
    async def main() -> None:
        stream = make_stream()
        reader = asyncio.ensure_future(stream.read())
        await asyncio.sleep(0)
        stream.set_exception(ClientPayloadError("broken"))
        with pytest.raises(ClientPayloadError, match="broken"):
            await reader
        with pytest.raises(ClientPayloadError):
            await stream.readany()

    asyncio.run(main())


def test_sock_read_timeout_raises_socket_timeout_error() -> None:
    async def main() -> None:
        stream = make_stream(read_timeout=0.01)
        with pytest.raises(SocketTimeoutError, match=r"h\.test"):
            await stream.read()

    asyncio.run(main())


def test_total_deadline_raises_server_timeout_error() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        stream = make_stream(read_timeout=10, deadline=loop.time() + 0.01)
        with pytest.raises(ServerTimeoutError, match="Total timeout") as info:
            await stream.read()
        assert not isinstance(info.value, SocketTimeoutError)
        assert isinstance(info.value, TimeoutError)

    asyncio.run(main())


def test_reading_pauses_above_high_water_and_resumes_when_drained() -> None:
    async def main() -> None:
        flow = Flow()
        stream = make_stream(flow, high_water=100)
        stream.feed_data(b"x" * 150)
        assert flow.is_paused()
        await stream.read(100)
        assert not flow.is_paused()
        stream.feed_data(b"y" * 200)
        assert flow.is_paused()
        assert flow.pauses == 2

    asyncio.run(main())


def test_two_concurrent_readers_are_refused() -> None:
    async def main() -> None:
        stream = make_stream()
        first = asyncio.ensure_future(stream.read())
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="Another coroutine"):
            await stream.read()
        stream.feed_eof()
        assert await first == b""

    asyncio.run(main())

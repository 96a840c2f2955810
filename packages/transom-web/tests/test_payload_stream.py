"""The request body stream: reads, iteration, errors and flow control callbacks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from transom.web import StreamReader
from transom.web._payload_stream import EMPTY_STREAM

_T = TypeVar("_T")


def run(factory: Callable[[], Awaitable[_T]]) -> _T:
    async def main() -> _T:
        return await asyncio.wait_for(factory(), timeout=5)

    return asyncio.run(main())


def fed(*chunks: bytes, eof: bool = True) -> StreamReader:
    stream = StreamReader()
    for chunk in chunks:
        stream.feed_data(chunk)
    if eof:
        stream.feed_eof()
    return stream


def test_read_without_size_returns_the_whole_body() -> None:
    stream = fed(b"ab", b"cd", b"e")
    assert run(stream.read) == b"abcde"
    assert stream.at_eof()


def test_read_with_size_returns_at_most_that_many_bytes() -> None:
    stream = fed(b"abcdef")

    async def reads() -> list[bytes]:
        return [await stream.read(4), await stream.read(4), await stream.read(4)]

    assert run(reads) == [b"abcd", b"ef", b""]


def test_readexactly_spans_chunks() -> None:
    stream = fed(b"ab", b"cd", b"ef")

    async def reads() -> tuple[bytes, bytes]:
        return await stream.readexactly(3), await stream.readexactly(3)

    assert run(reads) == (b"abc", b"def")


def test_readexactly_past_the_end_raises_incomplete_read() -> None:
    stream = fed(b"abc")

    async def read() -> bytes:
        return await stream.readexactly(5)

    with pytest.raises(asyncio.IncompleteReadError) as info:
        run(read)
    assert info.value.partial == b"abc"


def test_readline_splits_on_newlines_across_chunks() -> None:
    stream = fed(b"first\nsec", b"ond\nlast")

    async def lines() -> list[bytes]:
        return [await stream.readline() for _ in range(4)]

    assert run(lines) == [b"first\n", b"second\n", b"last", b""]


def test_async_iteration_yields_lines() -> None:
    stream = fed(b"a\nb\n", b"c")

    async def collect() -> list[bytes]:
        return [line async for line in stream]

    assert run(collect) == [b"a\n", b"b\n", b"c"]


def test_iter_chunked_yields_fixed_size_pieces() -> None:
    stream = fed(b"abcde", b"fgh")

    async def collect() -> list[bytes]:
        return [chunk async for chunk in stream.iter_chunked(3)]

    assert run(collect) == [b"abc", b"def", b"gh"]


def test_iter_any_yields_chunks_as_they_arrive() -> None:
    async def collect() -> list[bytes]:
        stream = StreamReader()
        loop = asyncio.get_running_loop()
        loop.call_soon(stream.feed_data, b"one")
        loop.call_later(0.01, stream.feed_data, b"two")
        loop.call_later(0.02, stream.feed_eof)
        return [chunk async for chunk in stream.iter_any()]

    assert run(collect) == [b"one", b"two"]


def test_a_waiting_read_wakes_when_data_arrives() -> None:
    async def scenario() -> bytes:
        stream = StreamReader()
        asyncio.get_running_loop().call_soon(stream.feed_data, b"late")
        return await stream.read(10)

    assert run(scenario) == b"late"


def test_an_exception_is_raised_after_the_buffered_bytes() -> None:
    stream = fed(b"kept", eof=False)
    stream.set_exception(ConnectionResetError("gone"))

    async def reads() -> bytes:
        first = await stream.read(100)
        with pytest.raises(ConnectionResetError):
            await stream.read(100)
        return first

    assert run(reads) == b"kept"
    assert isinstance(stream.exception(), ConnectionResetError)


def test_the_exception_wakes_a_waiting_reader() -> None:
    async def scenario() -> None:
        stream = StreamReader()
        asyncio.get_running_loop().call_soon(stream.set_exception, ValueError("bad chunk"))
        with pytest.raises(ValueError, match="bad chunk"):
            await stream.readany()

    run(scenario)


def test_pause_is_called_past_the_high_water_mark_and_resume_below_half() -> None:
    calls: list[str] = []
    stream = StreamReader(
        high_water=10, pause=lambda: calls.append("pause"), resume=lambda: calls.append("resume")
    )
    stream.feed_data(b"x" * 8)
    assert calls == []
    stream.feed_data(b"x" * 8)
    stream.feed_data(b"x" * 8)
    assert calls == ["pause"]

    async def drain() -> None:
        await stream.read(10)
        assert calls == ["pause"]
        await stream.read(10)

    run(drain)
    assert calls == ["pause", "resume"]


def test_the_first_wait_calls_the_hook_once() -> None:
    calls: list[str] = []

    async def scenario() -> bytes:
        stream = StreamReader(on_first_wait=lambda: calls.append("continue"))
        loop = asyncio.get_running_loop()
        loop.call_soon(stream.feed_data, b"a")
        first = await stream.read(1)
        loop.call_soon(stream.feed_data, b"b")
        loop.call_later(0.01, stream.feed_eof)
        return first + await stream.read()

    assert run(scenario) == b"ab"
    assert calls == ["continue"]


def test_a_buffered_body_never_calls_the_first_wait_hook() -> None:
    calls: list[str] = []
    stream = StreamReader(on_first_wait=lambda: calls.append("continue"))
    stream.feed_data(b"all here")
    stream.feed_eof()
    assert run(stream.read) == b"all here"
    assert calls == []


def test_two_concurrent_readers_are_refused() -> None:
    async def scenario() -> None:
        stream = StreamReader()
        first = asyncio.ensure_future(stream.read(1))
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="already waiting"):
            await stream.read(1)
        stream.feed_eof()
        assert await first == b""

    run(scenario)


def test_unread_data_is_read_again_first() -> None:
    stream = fed(b"world")
    stream.unread_data(b"hello ")
    assert run(stream.read) == b"hello world"


def test_total_bytes_counts_everything_fed() -> None:
    stream = fed(b"abc", b"de")
    run(stream.read)
    assert stream.total_bytes == 5


def test_the_empty_stream_is_always_at_eof_and_refuses_data() -> None:
    assert EMPTY_STREAM.at_eof()
    assert run(EMPTY_STREAM.read) == b""
    with pytest.raises(RuntimeError):
        EMPTY_STREAM.feed_data(b"x")

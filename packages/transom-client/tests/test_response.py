"""Responses over raw sockets: framing, truncation, decoding, streaming."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable

import brotli
import pytest
from yarl import URL

from transom.client import ClientPayloadError, ClientSession, ServerDisconnectedError

Server = Callable[..., contextlib.AbstractAsyncContextManager[URL]]
ReadHead = Callable[[asyncio.StreamReader], Awaitable[bytes]]
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def answer(read_head: ReadHead, *responses: bytes, close: bool = False) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for response in responses:
            await read_head(reader)
            writer.write(response)
            await writer.drain()
        if close:
            writer.close()
            return
        with contextlib.suppress(asyncio.IncompleteReadError):
            await reader.readexactly(1)

    return handler


def fixed(body: bytes, *headers: str) -> bytes:
    head = "".join(f"{header}\r\n" for header in headers)
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body


def test_chunked_body_is_reassembled(raw_server: Server, read_request_head: ReadHead) -> None:
    response = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )

    async def main() -> None:
        async with (
            raw_server(answer(read_request_head, response)) as base,
            ClientSession() as s,
            s.get(base) as resp,
        ):
            assert await resp.read() == b"abcde"

    asyncio.run(main())


def test_close_delimited_body_ends_at_eof(raw_server: Server, read_request_head: ReadHead) -> None:
    response = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"

    async def main() -> None:
        handler = answer(read_request_head, response, close=True)
        async with raw_server(handler) as base, ClientSession() as s:
            async with s.get(base) as resp:
                assert await resp.read() == b"until the end"
            assert s.connector is not None
            assert "idle" not in repr(s.connector)

    asyncio.run(main())


def test_truncated_body_raises_client_payload_error(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"

    async def main() -> None:
        handler = answer(read_request_head, response, close=True)
        async with raw_server(handler) as base, ClientSession() as s, s.get(base) as resp:
            with pytest.raises(ClientPayloadError, match=r"127\.0\.0\.1"):
                await resp.read()

    asyncio.run(main())


def test_conflicting_framing_is_refused(raw_server: Server, read_request_head: ReadHead) -> None:
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"

    async def main() -> None:
        async with raw_server(answer(read_request_head, response)) as base, ClientSession() as s:
            with pytest.raises(ServerDisconnectedError, match="Invalid response"):
                await s.get(base)

    asyncio.run(main())


def test_server_closing_before_answering_raises_server_disconnected(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    async def main() -> None:
        async with (
            raw_server(answer(read_request_head, b"", close=True)) as base,
            ClientSession() as s,
        ):
            with pytest.raises(ServerDisconnectedError, match=r"127\.0\.0\.1"):
                await s.get(base)

    asyncio.run(main())


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
    ],
)
def test_compressed_bodies_are_decoded_transparently(
    raw_server: Server,
    read_request_head: ReadHead,
    coding: str,
    encode: Callable[[bytes], bytes],
) -> None:
    body = b"compressible " * 500
    response = fixed(encode(body), f"Content-Encoding: {coding}")

    async def main() -> None:
        handler = answer(read_request_head, response, response)
        async with raw_server(handler) as base, ClientSession() as s:
            async with s.get(base) as resp:
                assert await resp.read() == body
            async with s.get(base, auto_decompress=False) as resp:
                assert await resp.read() == encode(body)

    asyncio.run(main())


def test_zstd_body_is_decoded(raw_server: Server, read_request_head: ReadHead) -> None:
    from backports import zstd

    body = b"zstd " * 300
    response = fixed(zstd.compress(body), "Content-Encoding: zstd")

    async def main() -> None:
        async with (
            raw_server(answer(read_request_head, response)) as base,
            ClientSession() as s,
            s.get(base) as resp,
        ):
            assert await resp.read() == body

    asyncio.run(main())


def test_decompressed_size_is_capped(raw_server: Server, read_request_head: ReadHead) -> None:
    bomb = gzip.compress(b"\0" * 1_000_000)
    response = fixed(bomb, "Content-Encoding: gzip")

    async def main() -> None:
        handler = answer(read_request_head, response, response)
        async with (
            raw_server(handler) as base,
            ClientSession(max_decompressed_size=100_000) as s,
        ):
            async with s.get(base) as resp:
                with pytest.raises(ClientPayloadError, match="decode"):
                    await resp.read()
            async with s.get(base, max_decompressed_size=None) as resp:
                assert len(await resp.read()) == 1_000_000

    asyncio.run(main())


def test_corrupt_compressed_body_raises_payload_error(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    response = fixed(b"definitely not gzip", "Content-Encoding: gzip")

    async def main() -> None:
        async with (
            raw_server(answer(read_request_head, response)) as base,
            ClientSession() as s,
            s.get(base) as resp,
        ):
            with pytest.raises(ClientPayloadError):
                await resp.read()

    asyncio.run(main())


def test_unknown_coding_is_passed_through(raw_server: Server, read_request_head: ReadHead) -> None:
    response = fixed(b"opaque", "Content-Encoding: x-custom")

    async def main() -> None:
        async with (
            raw_server(answer(read_request_head, response)) as base,
            ClientSession() as s,
            s.get(base) as resp,
        ):
            assert await resp.read() == b"opaque"
            assert resp.headers["Content-Encoding"] == "x-custom"

    asyncio.run(main())


def test_content_stream_lines_and_chunks(raw_server: Server, read_request_head: ReadHead) -> None:
    response = fixed(b"line 1\nline 2\nlast")

    async def main() -> None:
        handler = answer(read_request_head, response, response, response)
        async with raw_server(handler) as base, ClientSession() as s:
            async with s.get(base) as resp:
                assert [line async for line in resp.content] == [b"line 1\n", b"line 2\n", b"last"]
            async with s.get(base) as resp:
                chunks = [chunk async for chunk in resp.content.iter_chunked(5)]
                assert b"".join(chunks) == b"line 1\nline 2\nlast"
                assert all(len(chunk) <= 5 for chunk in chunks)
            async with s.get(base) as resp:
                assert await resp.content.readline() == b"line 1\n"
                assert await resp.content.read(3) == b"lin"
                assert await resp.content.readany() == b"e 2\nlast"

    asyncio.run(main())


def test_head_and_204_responses_have_no_body(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
    no_content = b"HTTP/1.1 204 No Content\r\n\r\n"

    async def main() -> None:
        handler = answer(read_request_head, head, no_content, fixed(b"after"))
        async with raw_server(handler) as base, ClientSession() as s:
            async with s.head(base) as resp:
                assert resp.content_length == 100
                assert await resp.read() == b""
            async with s.get(base) as resp:
                assert resp.status == 204
                assert await resp.read() == b""
            async with s.get(base) as resp:
                assert await resp.read() == b"after"

    asyncio.run(main())


def test_response_cookies_and_text_fallback(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    body = "d\u00e9j\u00e0".encode("latin-1")
    response = fixed(
        body, "Set-Cookie: a=1; Path=/; HttpOnly", "Set-Cookie: b=2", "Content-Type: text/plain"
    )

    async def main() -> None:
        async with (
            raw_server(answer(read_request_head, response)) as base,
            ClientSession() as s,
            s.get(base) as resp,
        ):
            assert sorted(resp.cookies) == ["a", "b"]
            assert resp.cookies["a"]["httponly"] is True
            assert await resp.text() == "d\u00e9j\u00e0"
            assert resp.get_encoding() == "iso-8859-1"

    asyncio.run(main())


def test_expect_100_continue_waits_before_sending_the_body(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await read_request_head(reader)
        seen.append(head)
        assert not reader._buffer  # type: ignore[attr-defined]
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = await reader.readexactly(5)
        seen.append(body)
        writer.write(fixed(b"done"))
        await writer.drain()
        with contextlib.suppress(asyncio.IncompleteReadError):
            await reader.readexactly(1)

    async def main() -> None:
        async with (
            raw_server(handler) as base,
            ClientSession() as s,
            s.post(base, data=b"hello", expect100=True) as resp,
        ):
            assert await resp.read() == b"done"
        assert b"expect: 100-continue" in seen[0].lower()
        assert seen[1] == b"hello"

    asyncio.run(main())


def test_early_final_response_to_expect_100_skips_the_body(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request_head(reader)
        writer.write(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        with contextlib.suppress(asyncio.IncompleteReadError):
            await reader.readexactly(1)

    async def main() -> None:
        async with (
            raw_server(handler) as base,
            ClientSession() as s,
            s.put(base, data=b"x" * 100, expect100=True) as resp,
        ):
            assert resp.status == 417

    asyncio.run(main())


def test_compress_sends_a_deflated_body(raw_server: Server, read_request_head: ReadHead) -> None:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await read_request_head(reader)
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        seen.append(head)
        seen.append(await reader.readexactly(length))
        writer.write(fixed(b"ok"))
        await writer.drain()
        with contextlib.suppress(asyncio.IncompleteReadError):
            await reader.readexactly(1)

    async def main() -> None:
        async with (
            raw_server(handler) as base,
            ClientSession() as s,
            s.post(base, data=b"a" * 1000, compress=True) as resp,
        ):
            await resp.read()
        assert b"content-encoding: deflate" in seen[0].lower()
        assert zlib.decompress(seen[1]) == b"a" * 1000

    asyncio.run(main())


def test_early_error_response_stops_a_body_the_server_will_not_read(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request_head(reader)
        writer.write(
            b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        await writer.drain()
        await asyncio.sleep(5)

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(10_000):
            yield b"x" * 65536

    async def main() -> None:
        async with raw_server(handler) as base, ClientSession() as s:
            async with s.post(base, data=endless(), timeout=10) as resp:
                assert resp.status == 413
            assert s.connector is not None
            assert "idle" not in repr(s.connector)

    asyncio.run(main())


def test_forced_chunked_framing_for_a_sized_body(
    raw_server: Server, read_request_head: ReadHead
) -> None:
    heads: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await read_request_head(reader))
        body = await reader.readuntil(b"0\r\n\r\n")
        heads.append(body)
        writer.write(fixed(b"ok"))
        await writer.drain()
        with contextlib.suppress(asyncio.IncompleteReadError):
            await reader.readexactly(1)

    async def main() -> None:
        async with (
            raw_server(handler) as base,
            ClientSession() as s,
            s.put(base, data=b"hello", chunked=True) as resp,
        ):
            assert await resp.read() == b"ok"
        assert b"transfer-encoding: chunked" in heads[0].lower()
        assert b"content-length" not in heads[0].lower()
        assert heads[1] == b"5\r\nhello\r\n0\r\n\r\n"

    asyncio.run(main())

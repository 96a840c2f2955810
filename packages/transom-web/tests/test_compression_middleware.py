"""compression_middleware: negotiation, eligibility, Vary, buffered and streamed bodies."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from typing import IO, TYPE_CHECKING, Any, cast

import brotli
import httpx
import pytest
from multidict import CIMultiDict

from transom.web import (
    Application,
    FileResponse,
    HTTPException,
    Response,
    StreamResponse,
    compression_middleware,
    is_compressible,
)

from .conftest import answer, make_request

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import Serve

    from transom.web import Request

TEXT = "transom compresses this line. " * 100


class _Writer:
    """Collects what a response sends, as the server connection would send it."""

    def __init__(self) -> None:
        self.head: tuple[int, CIMultiDict[str]] | None = None
        self.chunks: list[bytes] = []
        self.output_size = 0
        self.paused = False

    def start(self, status: int, reason: str, headers: CIMultiDict[str]) -> None:
        self.head = (status, CIMultiDict(headers))

    def write(self, data: bytes) -> None:
        self.chunks.append(data)

    async def drain(self) -> None:
        pass

    async def sendfile(self, file: IO[bytes], offset: int, count: int, chunk_size: int) -> None:
        file.seek(offset)
        self.chunks.append(file.read(count))

    async def write_eof(self, data: bytes = b"") -> None:
        if data:
            self.chunks.append(data)


class Sent:
    def __init__(self, writer: _Writer) -> None:
        assert writer.head is not None
        self.status, self.headers = writer.head
        self.chunks = [chunk for chunk in writer.chunks if chunk]
        self.body = b"".join(self.chunks)

    def decoded(self) -> str:
        coding = self.headers.get("Content-Encoding")
        if coding == "gzip":
            return gzip.decompress(self.body).decode()
        if coding == "br":
            return cast("bytes", brotli.decompress(self.body)).decode()
        assert coding is None
        return self.body.decode()


def send(
    app: Application, accept: str | None = "gzip", method: str = "GET", **headers: str
) -> Sent:
    fields = dict(headers)
    if accept is not None:
        fields["Accept-Encoding"] = accept
    writer = _Writer()
    request = make_request(method, "/", fields, writer=writer)

    async def run() -> None:
        answered = await answer(app, request)
        response = answered.response if isinstance(answered, HTTPException) else answered
        await response.prepare(request)
        await response.write_eof()

    asyncio.run(run())
    return Sent(writer)


def app_returning(make_response: Callable[[], StreamResponse], **options: Any) -> Application:
    async def handler(request: Request) -> StreamResponse:
        return make_response()

    app = Application(middlewares=[compression_middleware(**options)])
    app.router.add_route("*", "/", handler)
    return app


def text_app(**options: Any) -> Application:
    return app_returning(lambda: Response(text=TEXT), **options)


def test_a_text_body_is_gzipped_for_a_gzip_client() -> None:
    sent = send(text_app(), accept="gzip")
    assert sent.headers["Content-Encoding"] == "gzip"
    assert sent.headers["Vary"] == "Accept-Encoding"
    assert int(sent.headers["Content-Length"]) == len(sent.body) < len(TEXT)
    assert sent.decoded() == TEXT


def test_brotli_wins_a_tie_and_q_values_decide_otherwise() -> None:
    assert send(text_app(), accept="gzip, br").headers["Content-Encoding"] == "br"
    assert send(text_app(), accept="br;q=0.5, gzip").headers["Content-Encoding"] == "gzip"
    assert send(text_app(), accept="br").decoded() == TEXT


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0, br;q=0", "zstd"])
def test_a_client_without_an_acceptable_coding_gets_identity_and_vary(
    accept: str | None,
) -> None:
    sent = send(text_app(), accept=accept)
    assert "Content-Encoding" not in sent.headers
    assert sent.headers["Vary"] == "Accept-Encoding"
    assert sent.decoded() == TEXT


def test_a_small_body_is_left_alone() -> None:
    sent = send(app_returning(lambda: Response(text="tiny")))
    assert "Content-Encoding" not in sent.headers
    assert "Vary" not in sent.headers


def test_the_minimum_size_is_configurable() -> None:
    sent = send(app_returning(lambda: Response(text="tiny" * 10), min_size=10))
    assert sent.headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize(
    "content_type", ["image/png", "application/octet-stream", "text/event-stream"]
)
def test_incompressible_media_types_are_left_alone(content_type: str) -> None:
    sent = send(app_returning(lambda: Response(body=TEXT.encode(), content_type=content_type)))
    assert "Content-Encoding" not in sent.headers
    assert sent.body == TEXT.encode()


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (200, {"Content-Encoding": "gzip"}),
        (206, {"Content-Range": "bytes 0-10/100"}),
        (200, {"Content-Range": "bytes 0-10/100"}),
        (200, {"Cache-Control": "public, no-transform"}),
    ],
)
def test_encoded_ranged_and_no_transform_responses_are_left_alone(
    status: int, headers: dict[str, str]
) -> None:
    sent = send(app_returning(lambda: Response(text=TEXT, status=status, headers=headers)))
    assert sent.headers.get("Content-Encoding") == headers.get("Content-Encoding")
    assert sent.body == TEXT.encode()


@pytest.mark.parametrize("status", [204, 304])
def test_statuses_without_content_are_left_alone(status: int) -> None:
    sent = send(app_returning(lambda: Response(status=status)))
    assert "Content-Encoding" not in sent.headers
    assert sent.body == b""


def test_head_is_not_compressed_but_varies() -> None:
    sent = send(text_app(), method="HEAD")
    assert "Content-Encoding" not in sent.headers
    assert sent.headers["Vary"] == "Accept-Encoding"


def test_an_existing_vary_is_merged_not_replaced() -> None:
    sent = send(app_returning(lambda: Response(text=TEXT, headers={"Vary": "Origin"})))
    assert sent.headers["Vary"] == "Origin, Accept-Encoding"
    again = send(app_returning(lambda: Response(text=TEXT, headers={"Vary": "accept-encoding"})))
    assert again.headers.getall("Vary") == ["accept-encoding"]


def test_a_strong_etag_becomes_weak() -> None:
    sent = send(app_returning(lambda: Response(text=TEXT, headers={"ETag": '"v1"'})))
    assert sent.headers["ETag"] == 'W/"v1"'


def test_a_large_body_is_compressed_off_the_event_loop() -> None:
    sent = send(text_app(executor_threshold=100))
    assert sent.decoded() == TEXT


def test_a_streamed_body_is_compressed_and_flushed_per_write() -> None:
    parts = ["first part " * 50, "second part " * 50, "third part " * 50]

    async def stream(request: Request) -> StreamResponse:
        response = StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        for part in parts:
            await response.write(part.encode())
        await response.write_eof()
        return response

    app = Application(middlewares=[compression_middleware()])
    app.router.add_get("/", stream)
    sent = send(app, accept="gzip")
    assert sent.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in sent.headers
    assert sent.headers["Vary"] == "Accept-Encoding"
    assert sent.decoded() == "".join(parts)
    # Each write was flushed: what arrived so far decodes to every part written so far.
    decoder = zlib.decompressobj(wbits=31)
    decoded = b""
    for index, chunk in enumerate(sent.chunks[: len(parts)]):
        decoded += decoder.decompress(chunk)
        assert decoded.decode() == "".join(parts[: index + 1])


def test_a_streamed_event_stream_is_left_alone() -> None:
    async def events(request: Request) -> StreamResponse:
        response = StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b"data: 1\n\n" * 200)
        return response

    app = Application(middlewares=[compression_middleware()])
    app.router.add_get("/", events)
    sent = send(app)
    assert "Content-Encoding" not in sent.headers
    assert sent.body == b"data: 1\n\n" * 200


def test_unavailable_encodings_are_refused() -> None:
    with pytest.raises(ValueError, match="none of the encodings"):
        compression_middleware(encodings=("lzma",))


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/html; charset=utf-8", True),
        ("application/json", True),
        ("application/problem+json", True),
        ("application/atom+xml", True),
        ("image/svg+xml", True),
        ("application/wasm", True),
        ("application/javascript", True),
        ("text/event-stream", False),
        ("image/jpeg", False),
        ("font/woff2", False),
        ("application/zip", False),
    ],
)
def test_compressible_media_types(content_type: str, expected: bool) -> None:
    assert is_compressible(content_type) is expected


def test_a_file_the_handler_sends_itself_is_compressed(tmp_path: Path) -> None:
    path = tmp_path / "app.js"
    path.write_text(TEXT)

    async def send_file(request: Request) -> StreamResponse:
        response = FileResponse(path, chunk_size=1000)
        await response.prepare(request)
        return response

    app = Application(middlewares=[compression_middleware()])
    app.router.add_get("/", send_file)
    sent = send(app, accept="gzip")
    assert sent.headers["Content-Encoding"] == "gzip"
    assert sent.headers["ETag"].startswith("W/")
    assert sent.decoded() == TEXT


# -- over a real connection ------------------------------------------------------


def test_over_http_a_response_is_compressed_with_its_length(serve: Serve) -> None:
    server = serve(text_app())
    response = httpx.get(server.url("/"), headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert int(response.headers["Content-Length"]) < len(TEXT)
    assert response.text == TEXT
    plain = httpx.get(server.url("/"), headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Vary"] == "Accept-Encoding"


def test_over_http_a_stream_is_compressed_and_chunked(serve: Serve) -> None:
    async def stream(request: Request) -> StreamResponse:
        response = StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for index in range(20):
            await response.write(b'{"item": %d, "padding": "%s"}\n' % (index, b"x" * 100))
        await response.write_eof()
        return response

    app = Application(middlewares=[compression_middleware()])
    app.router.add_get("/", stream)
    response = httpx.get(serve(app).url("/"), headers={"Accept-Encoding": "br"})
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert len(response.text.splitlines()) == 20

"""Responses: construction, header properties, cookies, streaming, compression, reuse."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import brotli
import httpx
import pytest

from transom.protocol.cookies import CookieError
from transom.web import ETag, Request, Response, StreamResponse, json_response

if TYPE_CHECKING:
    from tests.conftest import Serve


def test_text_sets_a_utf8_plain_text_body() -> None:
    response = Response(text="héllo")
    assert response.body == "héllo".encode()
    assert response.content_type == "text/plain"
    assert response.charset == "utf-8"
    assert response.content_length == len("héllo".encode())
    assert response.status == 200
    assert response.reason == "OK"


def test_text_with_another_charset_and_type() -> None:
    response = Response(text="é", content_type="text/html", charset="latin-1")
    assert response.body == b"\xe9"
    assert response.headers["Content-Type"] == "text/html; charset=latin-1"
    assert response.text == "é"


def test_body_and_text_are_exclusive() -> None:
    with pytest.raises(ValueError, match="exclusive"):
        Response(body=b"a", text="b")


def test_a_str_body_is_utf8_text_as_in_aiohttp() -> None:
    response = Response(body="héllo")
    assert response.body == "héllo".encode()
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    response.body = "wörld"
    assert response.body == "wörld".encode()
    response.body = bytearray(b"raw")
    assert response.body == b"raw"
    with pytest.raises(TypeError, match="bytes-like or str"):
        Response(body=42)  # type: ignore[arg-type]


def test_a_charset_in_both_places_is_refused() -> None:
    with pytest.raises(ValueError, match="charset"):
        Response(text="x", content_type="text/plain; charset=utf-8", charset="utf-8")


def test_status_reason_and_validation() -> None:
    response = Response(status=404)
    assert response.reason == "Not Found"
    assert Response(status=599).reason == ""
    assert Response(status=200, reason="Fine").reason == "Fine"
    with pytest.raises(ValueError, match="100-999"):
        Response(status=1000)
    with pytest.raises(ValueError, match="CR or LF"):
        Response(reason="a\r\nb")


def test_json_response_encodes_with_dumps() -> None:
    response = json_response({"a": [1, 2]})
    assert json.loads(response.body) == {"a": [1, 2]}
    assert response.content_type == "application/json"
    custom = json_response({"a": 1}, dumps=lambda data: "custom")
    assert custom.text == "custom"
    assert json_response(text='"x"').text == '"x"'
    with pytest.raises(ValueError, match="exclusive"):
        json_response({"a": 1}, text="{}")


@pytest.mark.parametrize(
    "data",
    [
        {"message": "Hello, World!"},
        "caf\u00e9 \u2603",
        1.5,
        10**30,
        [1, {"a": None, "b": True}],
        {1: 2, None: 3, False: 1.0},
        (1, 2),
        {"n": float("nan"), "i": float("inf")},
    ],
)
def test_json_response_text_is_json_dumps_text(data: Any) -> None:
    assert json_response(data).text == json.dumps(data)


def test_json_response_refuses_what_json_dumps_refuses() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_response({"a": object()})
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular reference"):
        json_response(looped)
    # A failed encoding leaves nothing behind: the same list encodes later.
    shared = [1]
    with pytest.raises(TypeError):
        json_response([shared, object()])
    assert json_response([shared, shared]).text == "[[1], [1]]"


def test_header_properties_round_trip() -> None:
    response = StreamResponse()
    response.content_type = "text/html"
    response.charset = "UTF-8"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    response.content_length = 42
    assert response.content_length == 42
    moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    response.last_modified = moment
    assert response.headers["Last-Modified"] == "Tue, 02 Jan 2024 03:04:05 GMT"
    assert response.last_modified == moment
    response.etag = "abc"
    assert response.headers["ETag"] == '"abc"'
    response.etag = ETag("w", is_weak=True)
    assert response.etag == ETag("w", is_weak=True)
    response.etag = None
    assert "ETag" not in response.headers


def test_charset_needs_a_content_type() -> None:
    with pytest.raises(RuntimeError, match="content_type"):
        StreamResponse().charset = "utf-8"


def test_an_invalid_etag_is_refused() -> None:
    with pytest.raises(ValueError, match="entity tag"):
        StreamResponse().etag = 'has"quote'
    with pytest.raises(ValueError, match="not an entity tag"):
        StreamResponse().etag = "*"


def test_chunked_and_content_length_exclude_each_other() -> None:
    response = StreamResponse()
    response.content_length = 3
    with pytest.raises(RuntimeError, match="Content-Length"):
        response.enable_chunked_encoding()


def test_cookies_are_checked_when_set() -> None:
    response = Response()
    response.set_cookie("sid", "a b", httponly=True, max_age=60)
    assert response.cookies["sid"] == 'sid="a b"; Max-Age=60; Path=/; HttpOnly'
    with pytest.raises(CookieError):
        response.set_cookie("bad name", "x")
    response.del_cookie("sid")
    assert "Max-Age=0" in response.cookies["sid"]


def test_a_response_is_a_mutable_mapping_and_truthy() -> None:
    response = Response()
    assert response
    assert isinstance(response, MutableMapping)
    response["k"] = 1
    assert dict(response) == {"k": 1}
    assert ("k" in response, "j" in response) == (True, False)
    assert (response.get("k"), response.get("j", 0)) == (1, 0)
    assert response.setdefault("j", 2) == 2
    response.update({"i": 3}, h=4)
    assert list(response.keys()) == ["k", "j", "i", "h"]
    assert list(response.values()) == [1, 2, 3, 4]
    assert list(response.items()) == [("k", 1), ("j", 2), ("i", 3), ("h", 4)]
    assert (response.pop("k"), response.pop("k", None)) == (1, None)
    assert response.popitem() == ("h", 4)
    del response["j"]
    assert len(response) == 1
    response.clear()
    assert not len(response)
    # Equality is identity, whatever the state holds.
    assert response != Response()
    assert response == response


def test_a_response_takes_no_attributes_but_a_subclass_may() -> None:
    with pytest.raises(AttributeError):
        Response().note = "x"  # type: ignore[attr-defined]

    class Noted(Response):
        note = ""

    noted = Noted(text="x")
    noted.note = "kept"
    assert (noted.note, noted.text) == ("kept", "x")


def test_write_before_prepare_is_refused() -> None:
    with pytest.raises(RuntimeError, match="prepare"):
        asyncio.run(StreamResponse().write(b"x"))


def test_streamed_chunks_arrive_in_order(serve: Serve) -> None:
    async def handler(request: Request) -> StreamResponse:
        response = StreamResponse(headers={"X-Kind": "stream"})
        response.content_type = "text/plain"
        await response.prepare(request)
        for number in range(5):
            await response.write(f"{number},".encode())
        await response.write_eof(b"end")
        return response

    server = serve(handler)
    response = httpx.get(server.url("/"))
    assert response.text == "0,1,2,3,4,end"
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.headers["x-kind"] == "stream"


def test_a_stream_response_with_content_length(serve: Serve) -> None:
    async def handler(request: Request) -> StreamResponse:
        response = StreamResponse()
        response.content_length = 6
        await response.prepare(request)
        await response.write(b"abc")
        await response.write(b"def")
        return response

    server = serve(handler)
    response = httpx.get(server.url("/"))
    assert response.content == b"abcdef"
    assert "transfer-encoding" not in response.headers


def test_cookies_reach_the_client(serve: Serve) -> None:
    async def handler(request: Request) -> Response:
        response = Response(text="ok")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2", secure=True, samesite="Lax")
        return response

    server = serve(handler)
    response = httpx.get(server.url("/"))
    assert response.headers.get_list("set-cookie") == [
        "a=1; Path=/",
        "b=2; Path=/; Secure; SameSite=Lax",
    ]


def test_force_close_closes_the_connection(serve: Serve) -> None:
    async def handler(request: Request) -> Response:
        response = Response(text="bye")
        response.force_close()
        return response

    server = serve(handler)
    raw = server.raw()
    try:
        raw.request()
        assert raw.read_response().headers["connection"] == "close"
        assert raw.server_closed()
    finally:
        raw.close()


@pytest.mark.parametrize(
    ("connection", "force", "expected"),
    [(None, False, True), ("close", False, False), (None, True, False)],
    ids=["kept", "client-closes", "forced"],
)
def test_keep_alive_is_known_once_prepared(
    serve: Serve, connection: str | None, force: bool, expected: bool
) -> None:
    seen: list[bool | None] = []

    async def handler(request: Request) -> StreamResponse:
        response = StreamResponse()
        if force:
            response.force_close()
        seen.append(response.keep_alive if force else None)
        await response.prepare(request)
        seen.append(response.keep_alive)
        await response.write_eof(b"ok")
        return response

    server = serve(handler)
    headers = {} if connection is None else {"Connection": connection}
    assert httpx.get(server.url("/"), headers=headers).text == "ok"
    assert seen == [False if force else None, expected]


@pytest.mark.parametrize(("accept", "coding"), [("gzip", "gzip"), ("br, gzip;q=0.5", "br")])
def test_compression_picks_a_coding_the_client_accepts(
    serve: Serve, accept: str, coding: str
) -> None:
    text = "compress me " * 200

    async def handler(request: Request) -> Response:
        response = Response(text=text)
        response.enable_compression()
        return response

    server = serve(handler)
    raw = server.raw()
    try:
        raw.request(headers=[("Accept-Encoding", accept)])
        response = raw.read_response()
    finally:
        raw.close()
    assert response.headers["content-encoding"] == coding
    assert response.headers["vary"] == "Accept-Encoding"
    decode = gzip.decompress if coding == "gzip" else brotli.decompress
    assert decode(response.body).decode() == text
    assert int(response.headers["content-length"]) == len(response.body)


def test_compression_without_accept_encoding_sends_identity(serve: Serve) -> None:
    async def handler(request: Request) -> Response:
        response = Response(text="plain")
        response.enable_compression()
        return response

    server = serve(handler)
    raw = server.raw()
    try:
        raw.request()
        response = raw.read_response()
    finally:
        raw.close()
    assert "content-encoding" not in response.headers
    assert response.body == b"plain"


def test_a_streamed_response_is_compressed_as_it_goes(serve: Serve) -> None:
    async def handler(request: Request) -> StreamResponse:
        response = StreamResponse()
        response.enable_compression(force="gzip")
        await response.prepare(request)
        for _ in range(10):
            await response.write(b"line of text\n")
        await response.write_eof()
        return response

    server = serve(handler)
    response = httpx.get(server.url("/"), headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.text == "line of text\n" * 10


def test_no_content_and_not_modified_carry_no_body_fields(serve: Serve) -> None:
    async def handler(request: Request) -> Response:
        return Response(status=204 if request.path == "/204" else 304, text="ignored")

    server = serve(handler)
    raw = server.raw()
    try:
        for path in ("/204", "/304"):
            raw.request("GET", path)
            response = raw.read_response()
            assert response.body == b""
            assert "content-length" not in response.headers
            raw.next_cycle()
    finally:
        raw.close()


@pytest.mark.parametrize(
    ("options", "field", "body"),
    [
        ({}, "text/plain; charset=utf-8", "é€".encode()),
        ({"charset": "Latin-1"}, "text/plain; charset=latin-1", "é".encode("latin-1")),
        ({"content_type": "application/json"}, "application/json; charset=utf-8", None),
        ({"content_type": "Text/HTML"}, "Text/HTML; charset=utf-8", None),
        ({"content_type": "text/csv", "charset": "utf-16"}, "text/csv; charset=utf-16", None),
        ({"content_type": "text/plain; charset=latin-1"}, "text/plain; charset=latin-1", None),
    ],
)
def test_text_is_encoded_as_its_content_type_declares(
    options: dict[str, str], field: str, body: bytes | None
) -> None:
    text = "é€" if not options else "é"
    response = Response(text=text, **options)  # type: ignore[arg-type]
    assert response.headers["Content-Type"] == field
    charset = field.rpartition("charset=")[2]
    assert response.body == (body if body is not None else text.encode(charset))
    assert response.text == text

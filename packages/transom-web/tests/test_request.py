"""The request object: lazily parsed URL, headers, cookies, dates, body and forms."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from yarl import URL

from transom.protocol.http1 import Request as RequestHead
from transom.web import ETag, HTTPRequestEntityTooLarge, Request, Response, StreamReader
from transom.web._payload_stream import EMPTY_STREAM

from .conftest import make_request as a_request

if TYPE_CHECKING:
    from tests.conftest import Serve


class FakeTransport:
    def __init__(self, **extra: Any) -> None:
        self.extra = {"peername": ("10.0.0.7", 51234), "sockname": ("127.0.0.1", 8080), **extra}

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.extra.get(name, default)


def make_request(
    method: str = "GET",
    target: str = "/",
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    *,
    body: bytes | None = None,
    version: tuple[int, int] = (1, 1),
    transport: Any = None,
    client_max_size: int = 1024**2,
) -> Request:
    """A request with only the given fields, on a fake connection, its body already in."""
    payload: StreamReader
    if body is None:
        payload = EMPTY_STREAM
    else:
        payload = StreamReader()
        payload.feed_data(body)
        payload.feed_eof()
    return a_request(
        method,
        target,
        headers or {},
        version=version,
        payload=payload,
        transport=transport if transport is not None else FakeTransport(),
        client_max_size=client_max_size,
    )


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_the_request_line_parts() -> None:
    request = make_request("POST", "/a%20b/c?x=1&y=2&x=3", version=(1, 0))
    assert request.method == "POST"
    assert request.version == (1, 0)
    assert request.raw_path == "/a%20b/c?x=1&y=2&x=3"
    assert request.path == "/a b/c"
    assert request.rel_url == URL("/a%20b/c?x=1&y=2&x=3")
    assert request.query.getall("x") == ["1", "3"]
    assert request.query_string == "x=1&y=2&x=3"
    assert request.path_qs == "/a%20b/c?x=1&y=2&x=3"


def test_the_url_joins_scheme_host_and_target() -> None:
    request = make_request(target="/p?q=1", headers={"Host": "example.com:8000"})
    assert request.host == "example.com:8000"
    assert str(request.url) == "http://example.com:8000/p?q=1"
    assert request.scheme == "http"
    assert not request.secure


def test_tls_connections_are_https() -> None:
    request = make_request(headers={"Host": "x"}, transport=FakeTransport(sslcontext=object()))
    assert request.scheme == "https"
    assert request.secure
    assert str(request.url) == "https://x/"


def test_an_absolute_form_target_wins_over_the_host_field() -> None:
    request = make_request(target="http://origin.example/p?q", headers={"Host": "other"})
    assert request.host == "origin.example"
    assert request.path == "/p"
    assert request.query_string == "q"


def test_without_host_the_local_address_is_the_host() -> None:
    assert make_request().host == "127.0.0.1:8080"


def test_remote_is_the_peer_address() -> None:
    assert make_request().remote == "10.0.0.7"
    assert make_request(transport=FakeTransport(peername="/run/app.sock")).remote == (
        "/run/app.sock"
    )


def test_headers_are_read_only_and_case_insensitive() -> None:
    request = make_request(headers=[("X-Thing", "1"), ("x-thing", "2")])
    assert request.headers.getall("X-THING") == ["1", "2"]
    with pytest.raises(TypeError):
        request.headers["X-New"] = "3"  # type: ignore[index]
    assert request.raw_headers == ((b"X-Thing", b"1"), (b"x-thing", b"2"))


def test_cookies_are_parsed_from_every_cookie_field() -> None:
    request = make_request(headers=[("Cookie", 'a=1; b="two words"'), ("Cookie", "c=3")])
    assert dict(request.cookies) == {"a": "1", "b": "two words", "c": "3"}


def test_no_cookie_field_gives_no_cookies() -> None:
    assert dict(make_request().cookies) == {}


def test_forwarded_elements_are_parsed_per_hop() -> None:
    request = make_request(
        headers=[("Forwarded", 'for=192.0.2.60;proto=http;by="[2001:db8::1]", for=10.1.1.1')]
    )
    assert [dict(hop) for hop in request.forwarded] == [
        {"for": "192.0.2.60", "proto": "http", "by": "[2001:db8::1]"},
        {"for": "10.1.1.1"},
    ]


def test_a_malformed_forwarded_element_is_skipped() -> None:
    request = make_request(headers={"Forwarded": "for=a b, for=ok"})
    assert [dict(hop) for hop in request.forwarded] == [{"for": "ok"}]


def test_content_type_and_charset() -> None:
    request = make_request(headers={"Content-Type": "Text/HTML; Charset=UTF-8"})
    assert request.content_type == "text/html"
    assert request.charset == "utf-8"
    plain = make_request()
    assert plain.content_type == "application/octet-stream"
    assert plain.charset is None


def test_a_content_type_with_broken_parameters_keeps_its_essence() -> None:
    request = make_request(headers={"Content-Type": "text/plain; charset"})
    assert request.content_type == "text/plain"
    assert request.charset is None


def test_content_length() -> None:
    assert make_request(headers={"Content-Length": "12"}).content_length == 12
    assert make_request().content_length is None


def test_conditional_dates_are_parsed_or_ignored() -> None:
    request = make_request(
        headers={
            "If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT",
            "If-Unmodified-Since": "not a date",
            "If-Range": "Sunday, 06-Nov-94 08:49:37 GMT",
        }
    )
    assert request.if_modified_since == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert request.if_unmodified_since is None
    assert request.if_range == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


def test_entity_tag_lists() -> None:
    request = make_request(headers={"If-None-Match": 'W/"a", "b"', "If-Match": "*"})
    assert request.if_none_match == (ETag("a", is_weak=True), ETag("b"))
    assert request.if_match == (ETag("*"),)
    assert make_request().if_none_match is None


def test_http_range() -> None:
    assert make_request(headers={"Range": "bytes=2-5"}).http_range == slice(2, 6)
    assert make_request(headers={"Range": "bytes=-3"}).http_range == slice(-3, None)
    assert make_request().http_range == slice(0, None)
    with pytest.raises(ValueError, match="before the first"):
        _ = make_request(headers={"Range": "bytes=5-2"}).http_range


@pytest.mark.parametrize(
    ("version", "connection", "keep_alive"),
    [
        ((1, 1), None, True),
        ((1, 1), "close", False),
        ((1, 1), "Keep-Alive, Close", False),
        ((1, 0), None, False),
        ((1, 0), "keep-alive", True),
    ],
)
def test_keep_alive_follows_version_and_connection(
    version: tuple[int, int], connection: str | None, keep_alive: bool
) -> None:
    headers = {} if connection is None else {"Connection": connection}
    assert make_request(headers=headers, version=version).keep_alive is keep_alive


def test_a_request_is_a_mutable_mapping_for_state() -> None:
    request = make_request()
    request["user"] = "ann"
    assert request["user"] == "ann"
    assert list(request) == ["user"]
    assert len(request) == 1
    del request["user"]
    assert "user" not in request
    assert isinstance(request, MutableMapping)
    # An empty state does not make the request false.
    assert request
    assert request.setdefault("n", 1) == request.get("n") == 1


def test_a_request_takes_no_attributes_but_a_subclass_may() -> None:
    request = make_request()
    with pytest.raises(AttributeError):
        request.user = "ann"  # type: ignore[attr-defined]

    class Annotated(Request):
        user = ""

    annotated = Annotated(request._message, EMPTY_STREAM, request._writer)
    annotated.user = "ann"
    assert (annotated.user, annotated.method) == ("ann", "GET")


def test_body_exists_and_can_read_body() -> None:
    empty = make_request()
    assert not empty.body_exists
    assert not empty.can_read_body
    full = make_request("POST", body=b"data")
    assert full.body_exists
    assert full.can_read_body
    assert run(full.read()) == b"data"
    assert not full.can_read_body


def test_read_text_and_json() -> None:
    request = make_request(
        "POST", headers={"Content-Type": "application/json"}, body=json.dumps({"k": "é"}).encode()
    )
    assert run(request.json()) == {"k": "é"}
    assert run(request.text()) == '{"k": "\\u00e9"}'
    latin = make_request(
        "POST", headers={"Content-Type": "text/plain; charset=latin-1"}, body=b"\xe9"
    )
    assert run(latin.text()) == "é"


def test_json_takes_a_custom_loads() -> None:
    request = make_request("POST", body=b"[1, 2]")
    assert run(request.json(loads=lambda text: ("custom", text))) == ("custom", "[1, 2]")


def test_a_declared_body_over_client_max_size_is_refused_before_reading() -> None:
    stream = StreamReader()  # never fed: reading it would hang
    head = RequestHead(method="POST", target="/", headers={"Content-Length": "100"})
    request = Request(head, stream, None, client_max_size=10)  # type: ignore[arg-type]

    async def read() -> bytes:
        return await asyncio.wait_for(request.read(), 2)

    with pytest.raises(HTTPRequestEntityTooLarge) as info:
        run(read())
    assert info.value.status == 413


def test_a_streamed_body_over_client_max_size_is_refused() -> None:
    request = make_request("POST", body=b"x" * 20, client_max_size=10)
    with pytest.raises(HTTPRequestEntityTooLarge):
        run(request.read())


def test_urlencoded_form() -> None:
    request = make_request(
        "POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"a=1&b=two+words&a=%C3%A9",
    )
    form = run(request.post())
    assert form.getall("a") == ["1", "é"]
    assert form["b"] == "two words"


def test_post_of_other_methods_or_types_is_empty() -> None:
    assert len(run(make_request("GET").post())) == 0
    other = make_request("POST", headers={"Content-Type": "application/json"}, body=b"{}")
    assert len(run(other.post())) == 0


def test_clone_replaces_parts_and_copies_state() -> None:
    request = make_request("GET", "/old?x=1", headers={"Host": "h"})
    request["k"] = "v"
    clone = request.clone(method="POST", rel_url="/new?y=2", headers={"Host": "other"})
    assert (clone.method, clone.path, clone.query_string, clone.host) == (
        "POST",
        "/new",
        "y=2",
        "other",
    )
    assert clone["k"] == "v"
    clone["k"] = "changed"
    assert request["k"] == "v"
    assert request.method == "GET"
    forced = clone.clone(host="forced", scheme="https", remote="1.2.3.4")
    assert forced.url == URL("https://forced/new?y=2")
    assert (forced.remote, clone.remote) == ("1.2.3.4", "10.0.0.7")
    # What was found out about the connection carries over.
    assert forced.clone().remote == "1.2.3.4"
    assert forced.clone(method="PUT").url == URL("https://forced/new?y=2")


def test_a_clone_with_another_host_field_finds_its_own_host() -> None:
    request = make_request("GET", "/", headers={"Host": "first"})
    assert request.host == "first"
    assert request.clone(headers={"Host": "second"}).host == "second"
    assert request.clone(rel_url="/other").host == "first"
    assert request.clone(method="HEAD").host == "first"


def test_clone_refuses_an_absolute_url() -> None:
    with pytest.raises(ValueError, match="relative"):
        make_request().clone(rel_url="http://elsewhere/")


def test_an_unrouted_request_has_no_match_info() -> None:
    with pytest.raises(RuntimeError, match="not been routed"):
        _ = make_request().match_info


def test_read_over_a_socket_with_chunked_upload(serve: Serve) -> None:
    async def handler(request: Request) -> Response:
        data = await request.read()
        return Response(text=f"{len(data)} {request.body_exists}")

    server = serve(handler)

    def chunks() -> Any:
        yield b"a" * 1000
        yield b"b" * 1000

    response = httpx.post(server.url("/"), content=chunks())
    assert response.text == "2000 True"


def test_client_max_size_is_a_413_over_a_socket(serve: Serve) -> None:
    async def handler(request: Request) -> Response:
        return Response(body=await request.read())

    server = serve(handler, client_max_size=1000)
    with httpx.Client() as client:
        assert client.post(server.url("/"), content=b"x" * 1000).status_code == 200
        assert client.post(server.url("/"), content=b"x" * 1001).status_code == 413


def test_properties_over_a_socket(serve: Serve) -> None:
    seen: dict[str, Any] = {}

    async def handler(request: Request) -> Response:
        seen.update(
            remote=request.remote,
            host=request.host,
            url=str(request.url),
            cookies=dict(request.cookies),
            transport=request.transport is not None,
            task=request.task is not None,
        )
        return Response(text="ok")

    server = serve(handler)
    httpx.get(server.url("/p?q=1"), cookies={"sid": "abc"})
    assert seen == {
        "remote": "127.0.0.1",
        "host": f"127.0.0.1:{server.port}",
        "url": f"http://127.0.0.1:{server.port}/p?q=1",
        "cookies": {"sid": "abc"},
        "transport": True,
        "task": True,
    }


def test_a_routed_request_exposes_its_app_match_info_and_config(serve: Serve) -> None:
    from transom.web import AppKey, Application, StreamResponse

    name_key = AppKey("name", str)
    level_key = AppKey("level", str)
    seen: dict[str, Any] = {}

    async def handler(request: Request) -> Response:
        seen.update(
            app=request.app is sub,
            name=request.config_dict[name_key],
            level=request.config_dict[level_key],
            match=dict(request.match_info),
        )
        return Response(text="ok")

    async def stamp(request: Request, response: StreamResponse) -> None:
        response.headers["X-Prepared"] = request.match_info.route.resource.canonical  # type: ignore[union-attr]

    root = Application()
    root[name_key] = "root"
    root[level_key] = "root level"
    root.on_response_prepare.append(stamp)
    sub = Application()
    sub[name_key] = "sub"
    sub.router.add_get("/items/{item}", handler)
    root.add_subapp("/sub", sub)
    server = serve(root)
    response = httpx.get(server.url("/sub/items/42"))
    assert response.text == "ok"
    assert response.headers["x-prepared"] == "/sub/items/{item}"
    assert seen == {"app": True, "name": "sub", "level": "root level", "match": {"item": "42"}}

"""ClientSession against a real aiohttp server: the everyday paths."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from transom.client import (
    BasicAuth,
    ClientResponse,
    ClientResponseError,
    ClientSession,
    ContentTypeError,
    CookieJar,
    DummyCookieJar,
    InvalidUrlClientError,
    NonHttpUrlClientError,
    NoRunningLoopError,
    TCPConnector,
    TooManyRedirects,
)
from transom.client._request_chain import HEAD_CACHE_SIZE, _prepared_head
from transom.client._session_request import URL_CACHE_SIZE, _cached_url
from transom.protocol.http1 import PreparedRequest

Server = Callable[[web.Application], contextlib.AbstractAsyncContextManager[URL]]


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "headers": dict(request.headers),
            "body": body.decode("latin-1"),
        }
    )


def echo_app() -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


def test_each_method_shortcut_sends_its_method(web_server: Server) -> None:
    async def main() -> None:
        async with web_server(echo_app()) as base, ClientSession() as session:
            for name in ("get", "post", "put", "patch", "delete", "options"):
                async with getattr(session, name)(base / "m") as response:
                    assert (await response.json())["method"] == name.upper()
            async with session.head(base / "m") as response:
                assert response.status == 200
                assert await response.read() == b""
            async with session.request("purge", base / "m") as response:
                assert (await response.json())["method"] == "PURGE"

    asyncio.run(main())


def test_request_is_awaitable_and_an_async_context_manager(web_server: Server) -> None:
    async def main() -> None:
        async with web_server(echo_app()) as base, ClientSession() as session:
            response = await session.get(base / "a")
            assert response.status == 200
            assert (await response.json())["path"] == "/a"
            async with session.get(base / "b") as response:
                assert response.ok

    asyncio.run(main())


def test_params_are_appended_to_the_query(web_server: Server) -> None:
    async def main() -> None:
        async with (
            web_server(echo_app()) as base,
            ClientSession() as session,
            session.get(f"{base}/q?a=1", params=[("b", "x y"), ("c", 3)]) as response,
        ):
            assert (await response.json())["query"] == {"a": "1", "b": "x y", "c": "3"}

    asyncio.run(main())


def test_base_url_resolves_relative_urls(web_server: Server) -> None:
    async def main() -> None:
        async with (
            web_server(echo_app()) as base,
            ClientSession(base_url=base / "api/") as s,
            s.get("items") as response,
        ):
            assert (await response.json())["path"] == "/api/items"

    asyncio.run(main())


def test_bodies_of_each_kind(web_server: Server) -> None:
    async def stream() -> AsyncIterator[bytes]:
        for part in (b"ab", b"", b"cd"):
            yield part

    async def main() -> None:
        async with web_server(echo_app()) as base, ClientSession() as session:
            cases: list[tuple[dict[str, object], str, str]] = [
                ({"data": b"raw"}, "raw", "application/octet-stream"),
                ({"data": "t\u00e9xt"}, "t\u00c3\u00a9xt", "text/plain; charset=utf-8"),
                ({"data": {"k": "v w"}}, "k=v+w", "application/x-www-form-urlencoded"),
                ({"json": {"k": [1]}}, '{"k":[1]}', "application/json"),
                ({"data": stream()}, "abcd", "application/octet-stream"),
            ]
            for kwargs, body, content_type in cases:
                async with session.post(base / "b", **kwargs) as response:  # type: ignore[arg-type]
                    seen = await response.json()
                assert seen["body"] == body
                assert seen["headers"]["Content-Type"] == content_type
            async with session.post(base / "b", data=stream()) as response:
                assert (await response.json())["headers"]["Transfer-Encoding"] == "chunked"

    asyncio.run(main())


def test_empty_post_sends_content_length_zero(web_server: Server) -> None:
    async def main() -> None:
        async with web_server(echo_app()) as base, ClientSession() as session:
            async with session.post(base / "e") as response:
                assert (await response.json())["headers"]["Content-Length"] == "0"
            async with session.get(base / "e") as response:
                assert "Content-Length" not in (await response.json())["headers"]

    asyncio.run(main())


def test_data_and_json_together_are_refused(web_server: Server) -> None:
    async def main() -> None:
        async with ClientSession() as session:
            with pytest.raises(ValueError, match="data and json"):
                await session.post("http://127.0.0.1:1/", data=b"x", json={})

    asyncio.run(main())


def test_session_and_request_headers_merge_and_skip_auto_headers(web_server: Server) -> None:
    async def main() -> None:
        async with (
            web_server(echo_app()) as base,
            ClientSession(headers={"X-Session": "s", "X-Both": "session"}) as session,
        ):
            async with session.get(
                base, headers={"X-Both": "request"}, skip_auto_headers=["User-Agent"]
            ) as response:
                headers = (await response.json())["headers"]
            assert headers["X-Session"] == "s"
            assert headers["X-Both"] == "request"
            assert "User-Agent" not in headers
            assert headers["Host"] == f"127.0.0.1:{base.port}"
            assert "gzip" in headers["Accept-Encoding"]

    asyncio.run(main())


def test_crlf_in_a_header_raises_before_anything_is_sent(web_server: Server) -> None:
    async def main() -> None:
        async with web_server(echo_app()) as base, ClientSession() as session:
            with pytest.raises(ValueError, match="CR, LF"):
                await session.get(base, headers={"X-Evil": "a\r\nX-Injected: 1"})
            with pytest.raises(InvalidUrlClientError, match="CR, LF"):
                await session.get(f"{base}/a\r\nX-Injected: 1")
            assert session.connector is not None
            assert "idle" not in repr(session.connector)

    asyncio.run(main())


def test_invalid_and_non_http_urls_are_refused() -> None:
    async def main() -> None:
        async with ClientSession() as session:
            with pytest.raises(NonHttpUrlClientError):
                await session.get("ftp://example.com/")
            with pytest.raises(InvalidUrlClientError):
                await session.get("/relative/without/base")

    asyncio.run(main())


def test_the_same_url_string_gives_the_same_request_each_time(web_server: Server) -> None:
    async def main() -> None:
        async with web_server(echo_app()) as base, ClientSession(base_url=base / "api/") as s:
            for _ in range(3):
                async with s.get("items?a=1") as response:
                    sent = await response.json()
                    assert (sent["path"], sent["query"]) == ("/api/items", {"a": "1"})
                async with s.get("items?a=1", params={"b": "2"}) as response:
                    assert (await response.json())["query"] == {"a": "1", "b": "2"}
            for _ in range(2):
                with pytest.raises(NonHttpUrlClientError):
                    await s.get("ftp://example.com/")

    asyncio.run(main())


def test_the_parsed_url_cache_stays_bounded() -> None:
    cache: dict[str, URL] = {}
    for index in range(URL_CACHE_SIZE + 10):
        url = _cached_url(cache, f"http://example.com/{index}", None)
        assert url == URL(f"http://example.com/{index}")
        assert len(cache) <= URL_CACHE_SIZE
    assert _cached_url(cache, URL("http://example.com/"), None) is None


def test_basic_auth_from_argument_session_and_url(web_server: Server) -> None:
    async def main() -> None:
        async with web_server(echo_app()) as base:
            expected = BasicAuth("user", "pa:ss").encode()
            async with (
                ClientSession(auth=BasicAuth("user", "pa:ss")) as session,
                session.get(base) as response,
            ):
                assert (await response.json())["headers"]["Authorization"] == expected
            async with ClientSession() as session:
                async with session.get(base, auth=BasicAuth("user", "pa:ss")) as response:
                    assert (await response.json())["headers"]["Authorization"] == expected
                with_creds = base.with_user("user").with_password("pa:ss")
                async with session.get(with_creds) as response:
                    assert (await response.json())["headers"]["Authorization"] == expected
                with pytest.raises(ValueError, match="Authorization"):
                    await session.get(base, auth=BasicAuth("u"), headers={"Authorization": "x"})

    asyncio.run(main())


def test_response_text_json_and_metadata(web_server: Server) -> None:
    async def text(request: web.Request) -> web.Response:
        return web.Response(
            body="caf\u00e9".encode("latin-1"), content_type="text/plain", charset="latin-1"
        )

    async def untyped(request: web.Request) -> web.Response:
        return web.Response(body="\u00e9t\u00e9".encode(), headers={"Content-Type": "text/plain"})

    async def problem(request: web.Request) -> web.Response:
        return web.Response(body=b'{"a": 1}', content_type="application/problem+json")

    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<p>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/text", text)
    app.router.add_get("/untyped", untyped)
    app.router.add_get("/problem", problem)
    app.router.add_get("/html", html)

    async def main() -> None:
        async with web_server(app) as base, ClientSession() as session:
            async with session.get(base / "text") as response:
                assert await response.text() == "caf\u00e9"
                assert response.charset == "latin-1"
                assert response.content_type == "text/plain"
                assert response.reason == "OK"
                assert response.version == (1, 1)
                assert response.url == base / "text"
                assert response.content_length == 4
            async with session.get(base / "untyped") as response:
                assert await response.text() == "\u00e9t\u00e9"
            async with session.get(base / "problem") as response:
                assert await response.json() == {"a": 1}
            async with session.get(base / "html") as response:
                with pytest.raises(ContentTypeError, match="text/html"):
                    await response.json()

    asyncio.run(main())


def test_json_with_content_type_none_skips_the_check(web_server: Server) -> None:
    async def data(request: web.Request) -> web.Response:
        return web.Response(text=json.dumps([1, 2]), content_type="text/plain")

    app = web.Application()
    app.router.add_get("/", data)

    async def main() -> None:
        async with (
            web_server(app) as base,
            ClientSession() as session,
            session.get(base) as response,
        ):
            assert await response.json(content_type=None) == [1, 2]

    asyncio.run(main())


def test_raise_for_status_on_session_request_and_response(web_server: Server) -> None:
    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, reason="Nope")

    app = web.Application()
    app.router.add_get("/", missing)

    async def main() -> None:
        async with web_server(app) as base:
            async with ClientSession() as session:
                async with session.get(base) as response:
                    assert response.status == 404
                    with pytest.raises(ClientResponseError) as info:
                        response.raise_for_status()
                    assert info.value.status == 404
                    assert info.value.message == "Nope"
                with pytest.raises(ClientResponseError):
                    await session.get(base, raise_for_status=True)
            async with ClientSession(raise_for_status=True) as session:
                with pytest.raises(ClientResponseError, match="404"):
                    await session.get(base)
                seen: list[int] = []

                async def check(response: ClientResponse) -> None:
                    seen.append(response.status)

                async with session.get(base, raise_for_status=check) as response:
                    assert seen == [404]

    asyncio.run(main())


def redirect_app() -> web.Application:
    async def to(request: web.Request) -> web.Response:
        status = int(request.match_info["status"])
        return web.Response(status=status, headers={"Location": request.query.get("to", "/echo")})

    async def loop(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/loop"})

    app = web.Application()
    app.router.add_route("*", "/r/{status}", to)
    app.router.add_get("/loop", loop)
    app.router.add_route("*", "/echo", echo)
    return app


@pytest.mark.parametrize(
    ("status", "method", "final_method", "body_kept"),
    [
        (301, "POST", "GET", False),
        (302, "POST", "GET", False),
        (303, "POST", "GET", False),
        (303, "PUT", "GET", False),
        (307, "POST", "POST", True),
        (308, "PUT", "PUT", True),
        (302, "PUT", "PUT", True),
    ],
)
def test_redirects_rewrite_the_method_as_rfc_9110_says(
    web_server: Server, status: int, method: str, final_method: str, body_kept: bool
) -> None:
    async def main() -> None:
        async with web_server(redirect_app()) as base, ClientSession() as session:
            async with session.request(method, base / f"r/{status}", data=b"payload") as response:
                seen = await response.json()
                assert [r.status for r in response.history] == [status]
                assert response.url == base / "echo"
            assert seen["method"] == final_method
            assert seen["body"] == ("payload" if body_kept else "")
            assert ("Content-Type" in seen["headers"]) is body_kept

    asyncio.run(main())


def test_redirects_not_followed_when_disallowed(web_server: Server) -> None:
    async def main() -> None:
        async with (
            web_server(redirect_app()) as base,
            ClientSession() as session,
            session.get(base / "r/302", allow_redirects=False) as response,
        ):
            assert response.status == 302
            assert response.history == ()

    asyncio.run(main())


def test_too_many_redirects_raises_with_history(web_server: Server) -> None:
    async def main() -> None:
        async with web_server(redirect_app()) as base, ClientSession() as session:
            with pytest.raises(TooManyRedirects) as info:
                await session.get(base / "loop", max_redirects=3)
            assert len(info.value.history) == 4

    asyncio.run(main())


def test_authorization_and_cookie_are_dropped_across_origins(web_server: Server) -> None:
    async def main() -> None:
        async with web_server(echo_app()) as other:
            target = URL.build(scheme="http", host="localhost", port=other.port, path="/echo")
            async with web_server(redirect_app()) as base, ClientSession() as session:
                headers = {"Authorization": "Bearer secret", "Cookie": "c=1", "X-Keep": "1"}
                async with session.get(
                    base / "r/307", params={"to": str(target)}, headers=headers
                ) as response:
                    seen = (await response.json())["headers"]
                assert "Authorization" not in seen
                assert "Cookie" not in seen
                assert seen["X-Keep"] == "1"
                async with session.get(
                    base / "r/307", params={"to": "/echo"}, auth=BasicAuth("u", "p")
                ) as response:
                    assert "Authorization" in (await response.json())["headers"]

    asyncio.run(main())


def test_cookies_round_trip_and_shared_connector_keeps_jars_separate(web_server: Server) -> None:
    async def set_cookie(request: web.Request) -> web.Response:
        response = web.Response(text="set")
        response.set_cookie("who", request.query["who"])
        return response

    async def show(request: web.Request) -> web.Response:
        return web.Response(text=request.cookies.get("who", "nobody"))

    app = web.Application()
    app.router.add_get("/set", set_cookie)
    app.router.add_get("/show", show)

    async def main() -> None:
        async with web_server(app) as ip_base:
            base = ip_base.with_host("localhost")
            connector = TCPConnector()
            first = ClientSession(connector=connector, connector_owner=False)
            second = ClientSession(connector=connector, connector_owner=False)
            async with first.get(base / "set", params={"who": "first"}) as response:
                assert response.cookies["who"].value == "first"
            async with second.get(base / "set", params={"who": "second"}):
                pass
            async with first.get(base / "show") as response:
                assert await response.text() == "first"
            async with second.get(base / "show") as response:
                assert await response.text() == "second"
            async with first.get(base / "show", cookies={"who": "override"}) as response:
                assert await response.text() in {"first", "override"}
            await first.close()
            await second.close()
            assert not connector.closed
            await connector.close()

    asyncio.run(main())


def test_closing_the_session_closes_the_connector_it_owns() -> None:
    async def main() -> None:
        session = ClientSession()
        connector = session.connector
        assert connector is not None
        await session.close()
        assert session.closed
        assert connector.closed
        with pytest.raises(RuntimeError, match="closed"):
            await session.get("http://127.0.0.1:1/")
        async with ClientSession() as session:
            pass
        assert session.closed

    asyncio.run(main())


def test_unclosed_session_warns_with_where_it_was_created() -> None:
    async def main() -> None:
        session = ClientSession()
        with pytest.warns(ResourceWarning, match=r"test_session\.py"):
            del session

    asyncio.run(main())


def test_session_created_outside_a_running_loop_explains_the_fix() -> None:
    with pytest.raises(NoRunningLoopError, match="cleanup_ctx") as info:
        ClientSession()
    assert info.value.what == "ClientSession"
    assert isinstance(info.value, RuntimeError)
    with pytest.raises(NoRunningLoopError, match="running event loop") as info:
        TCPConnector()
    assert info.value.what == "TCPConnector"


def test_changing_session_headers_applies_to_later_requests(web_server: Server) -> None:
    async def main() -> None:
        async with web_server(echo_app()) as base, ClientSession(headers={"X-A": "1"}) as session:
            async with session.get(base / "first") as response:
                assert (await response.json())["headers"]["X-A"] == "1"
            session.headers["X-A"] = "2"
            session.headers["X-B"] = "new"
            async with session.get(base / "second") as response:
                headers = (await response.json())["headers"]
            assert headers["X-A"] == "2"
            assert headers["X-B"] == "new"

    asyncio.run(main())


def test_a_request_repeated_sends_the_same_head_until_something_changes(
    web_server: Server,
) -> None:
    # Plain requests (no headers, body, auth or cookies of their own) reuse a
    # head serialized once; each change below must still reach the wire.
    async def cookie(request: web.Request) -> web.Response:
        response = web.Response(text="set")
        response.set_cookie("k", "v")
        return response

    app = web.Application()
    app.router.add_get("/set-cookie", cookie)
    app.router.add_route("*", "/{tail:.*}", echo)

    async def sent(session: ClientSession, method: str, url: URL) -> dict[str, str]:
        async with session.request(method, url) as response:
            echoed = await response.json()
            assert response.request_info.headers["Host"] == url.raw_authority
            headers: dict[str, str] = echoed["headers"]
            return headers

    async def main() -> None:
        jar = CookieJar(unsafe=True)  # the server is 127.0.0.1
        async with web_server(app) as base, ClientSession(cookie_jar=jar) as session:
            url = base / "same"
            first = await sent(session, "GET", url)
            assert "Cookie" not in first
            for _ in range(2):
                assert await sent(session, "GET", url) == first
            for _ in range(2):
                assert (await sent(session, "POST", url))["Content-Length"] == "0"

            session.headers["X-New"] = "1"
            assert (await sent(session, "GET", url))["X-New"] == "1"
            del session.headers["X-New"]
            assert await sent(session, "GET", url) == first

            async with session.get(base / "set-cookie"):
                pass
            assert (await sent(session, "GET", url))["Cookie"] == "k=v"
            session.cookie_jar.clear()
            assert await sent(session, "GET", url) == first

    asyncio.run(main())


def test_the_prepared_head_cache_stays_bounded() -> None:
    heads: dict[tuple[str, URL], PreparedRequest] = {}
    base = CIMultiDict({"Accept": "*/*"})
    for index in range(HEAD_CACHE_SIZE + 10):
        url = URL(f"http://example.com/{index}")
        prepared = _prepared_head(heads, base, frozenset(), DummyCookieJar(), "GET", url)
        assert prepared.head.startswith(f"GET /{index} HTTP/1.1\r\n".encode())
        assert b"\r\nHost: example.com\r\n" in prepared.head
        assert len(heads) <= HEAD_CACHE_SIZE

"""ClientSession against httpbin (pytest-httpbin): a third-party server over http and https.

pytest-httpbin serves httpbin from a WSGI server in a thread, one request at a
time, closing each connection; its https twin presents a certificate signed by
the CA bundle it ships (``pytest_httpbin.certs.where()``).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import pytest
import pytest_httpbin.certs  # type: ignore[import-untyped]
from yarl import URL

from transom.client import (
    BasicAuth,
    ClientConnectorCertificateError,
    ClientResponseError,
    ClientSession,
    ClientTimeout,
    CookieJar,
    FormData,
    ServerTimeoutError,
    TCPConnector,
    TooManyRedirects,
)


class Httpbin(Protocol):
    """The part of pytest-httpbin's server fixtures these tests use."""

    @property
    def url(self) -> str: ...


def trusting_context() -> ssl.SSLContext:
    """A client context that trusts pytest-httpbin's CA."""
    return ssl.create_default_context(cafile=pytest_httpbin.certs.where())


@asynccontextmanager
async def session_for(**kwargs: Any) -> AsyncIterator[ClientSession]:
    """A session that trusts pytest-httpbin's CA (for both of its servers)."""
    connector = TCPConnector(ssl=trusting_context())
    async with ClientSession(connector=connector, **kwargs) as session:
        yield session


def test_get_sends_params_and_default_headers(httpbin_both: Httpbin) -> None:
    async def main() -> None:
        base = URL(httpbin_both.url)
        async with session_for() as session:
            params = [("q", "transom client"), ("tag", "a"), ("tag", "b")]
            async with session.get(base / "get", params=params) as response:
                assert response.status == 200
                assert response.content_type == "application/json"
                body = await response.json()
        assert body["args"] == {"q": "transom client", "tag": ["a", "b"]}
        assert body["url"] == f"{base}/get?q=transom+client&tag=a&tag=b"
        assert body["headers"]["Host"] == base.raw_authority
        assert "gzip" in body["headers"]["Accept-Encoding"]

    asyncio.run(main())


def test_post_json(httpbin_both: Httpbin) -> None:
    async def main() -> None:
        payload = {"name": "transom", "sizes": [1, 2, 3], "nested": {"ok": True}}
        async with (
            session_for() as session,
            session.post(URL(httpbin_both.url) / "post", json=payload) as response,
        ):
            body = await response.json()
        assert body["json"] == payload
        assert body["headers"]["Content-Type"] == "application/json"
        assert json.loads(body["data"]) == payload

    asyncio.run(main())


def test_post_urlencoded_form(httpbin: Httpbin) -> None:
    async def main() -> None:
        async with (
            session_for() as session,
            session.post(
                URL(httpbin.url) / "post", data={"field": "a value", "other": "é&="}
            ) as response,
        ):
            body = await response.json()
        assert body["form"] == {"field": "a value", "other": "é&="}
        assert body["headers"]["Content-Type"] == "application/x-www-form-urlencoded"

    asyncio.run(main())


def test_post_multipart_form_data(httpbin: Httpbin) -> None:
    async def main() -> None:
        form = FormData()
        form.add_field("title", "report")
        form.add_field("upload", b"\x00binary\xffcontent", filename="a.bin")
        form.add_field(
            "notes", "line one\nline two", filename="notes.txt", content_type="text/plain"
        )
        async with (
            session_for() as session,
            session.post(URL(httpbin.url) / "post", data=form) as response,
        ):
            body = await response.json()
        assert body["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
        assert body["form"] == {"title": "report"}
        assert body["files"]["notes"] == "line one\nline two"
        # httpbin shows a non-text upload as a base64 data URL.
        assert body["files"]["upload"] == (
            "data:application/octet-stream;base64,AGJpbmFyef9jb250ZW50"
        )

    asyncio.run(main())


def test_relative_redirects_are_followed(httpbin: Httpbin) -> None:
    async def main() -> None:
        base = URL(httpbin.url)
        async with session_for() as session, session.get(base / "redirect" / "3") as response:
            assert response.status == 200
            assert response.url == base / "get"
            assert [r.status for r in response.history] == [302, 302, 302]
            assert [r.url.path for r in response.history] == [
                "/redirect/3",
                "/relative-redirect/2",
                "/relative-redirect/1",
            ]

    asyncio.run(main())


def test_absolute_redirects_are_followed(httpbin: Httpbin) -> None:
    async def main() -> None:
        base = URL(httpbin.url)
        async with (
            session_for() as session,
            session.get(base / "absolute-redirect" / "2") as response,
        ):
            assert response.url == base / "get"
            assert len(response.history) == 2
            assert response.history[1].headers["Location"] == f"{base}/get"

    asyncio.run(main())


def test_redirect_limits(httpbin: Httpbin) -> None:
    async def main() -> None:
        base = URL(httpbin.url)
        async with session_for() as session:
            async with session.get(base / "redirect" / "2", max_redirects=2) as response:
                assert response.url == base / "get"
            with pytest.raises(TooManyRedirects) as info:
                await session.get(base / "redirect" / "3", max_redirects=2)
            # The redirect past the limit is in the history too.
            assert [r.url.path for r in info.value.history] == [
                "/redirect/3",
                "/relative-redirect/2",
                "/relative-redirect/1",
            ]
            async with session.get(base / "redirect" / "1", allow_redirects=False) as response:
                assert response.status == 302
                assert response.headers["Location"] == "/get"

    asyncio.run(main())


def test_303_turns_post_into_get_and_307_keeps_it(httpbin: Httpbin) -> None:
    async def main() -> None:
        base = URL(httpbin.url)
        async with session_for() as session:
            see_other = (base / "redirect-to").with_query(url="/anything", status_code=303)
            async with session.post(see_other, data=b"payload") as response:
                body = await response.json()
            assert body["method"] == "GET"
            assert body["data"] == ""
            temporary = (base / "redirect-to").with_query(url="/anything", status_code=307)
            async with session.post(temporary, data=b"payload") as response:
                body = await response.json()
            assert body["method"] == "POST"
            assert body["data"] == "payload"

    asyncio.run(main())


def test_cookies_set_by_the_server_go_to_the_jar(httpbin: Httpbin) -> None:
    async def main() -> None:
        base = URL(httpbin.url)
        set_url = (base / "cookies" / "set").with_query(flavour="oat", size="2")
        # httpbin is reached by IP address: only an unsafe jar keeps its cookies.
        async with session_for(cookie_jar=CookieJar(unsafe=True)) as session:
            async with session.get(set_url) as response:
                # /cookies/set answers 302 to /cookies, which echoes what it was sent.
                assert response.history[0].status == 302
                assert (await response.json())["cookies"] == {"flavour": "oat", "size": "2"}
            jar = {cookie.key: cookie.value for cookie in session.cookie_jar}
            assert jar == {"flavour": "oat", "size": "2"}
            delete_url = (base / "cookies" / "delete").with_query("flavour")
            async with session.get(delete_url) as response:
                assert (await response.json())["cookies"] == {"size": "2"}
            assert {cookie.key for cookie in session.cookie_jar} == {"size"}
        async with session_for() as session:
            async with session.get(set_url) as response:
                assert (await response.json())["cookies"] == {}
            assert len(session.cookie_jar) == 0

    asyncio.run(main())


def test_basic_auth(httpbin: Httpbin) -> None:
    async def main() -> None:
        url = URL(httpbin.url) / "basic-auth" / "someone" / "s3cret"
        async with session_for() as session:
            async with session.get(url, auth=BasicAuth("someone", "s3cret")) as response:
                assert response.status == 200
                assert await response.json() == {"authenticated": True, "user": "someone"}
            async with session.get(url, auth=BasicAuth("someone", "wrong")) as response:
                assert response.status == 401
            async with session.get(url.with_user("someone").with_password("s3cret")) as response:
                assert response.status == 200

    asyncio.run(main())


@pytest.mark.parametrize(
    ("path", "encoding", "flag"),
    [("gzip", "gzip", "gzipped"), ("deflate", "deflate", "deflated"), ("brotli", "br", "brotli")],
)
def test_compressed_bodies_are_decoded(
    httpbin: Httpbin, path: str, encoding: str, flag: str
) -> None:
    async def main() -> None:
        url = URL(httpbin.url) / path
        async with session_for() as session:
            async with session.get(url) as response:
                assert response.headers["Content-Encoding"] == encoding
                body = await response.json()
            assert body[flag] is True
            assert body["method"] == "GET"
        async with session_for(auto_decompress=False) as session, session.get(url) as response:
            raw = await response.read()
            assert len(raw) == int(response.headers["Content-Length"])
            assert not raw.startswith(b"{")

    asyncio.run(main())


def test_raise_for_status_on_418(httpbin: Httpbin) -> None:
    async def main() -> None:
        url = URL(httpbin.url) / "status" / "418"
        async with session_for() as session:
            async with session.get(url) as response:
                assert response.status == 418
                assert "teapot" in await response.text()
                with pytest.raises(ClientResponseError) as info:
                    response.raise_for_status()
            assert info.value.status == 418
            assert info.value.request_info.url == url
        async with session_for(raise_for_status=True) as session:
            with pytest.raises(ClientResponseError) as info:
                await session.get(url)
            assert info.value.status == 418

    asyncio.run(main())


def test_stream_lines_are_iterated(httpbin: Httpbin) -> None:
    async def main() -> None:
        async with (
            session_for() as session,
            session.get(URL(httpbin.url) / "stream" / "5") as response,
        ):
            assert response.content_length is None
            lines = [line async for line in response.content]
        assert all(line.endswith(b"\n") for line in lines)
        assert [json.loads(line)["id"] for line in lines] == [0, 1, 2, 3, 4]

    asyncio.run(main())


def test_bytes_are_read_exactly(httpbin: Httpbin) -> None:
    async def main() -> None:
        base = URL(httpbin.url)
        async with session_for() as session:
            async with session.get((base / "bytes" / "70000").with_query(seed=7)) as response:
                assert response.content_type == "application/octet-stream"
                first = await response.read()
            async with session.get((base / "bytes" / "70000").with_query(seed=7)) as response:
                chunks = [chunk async for chunk in response.content.iter_chunked(4096)]
        assert len(first) == 70000
        assert b"".join(chunks) == first
        assert all(len(chunk) <= 4096 for chunk in chunks)

    asyncio.run(main())


def test_timeout_expires_on_a_slow_answer(httpbin: Httpbin) -> None:
    async def main() -> None:
        async with session_for(timeout=ClientTimeout(total=0.2)) as session:
            with pytest.raises(ServerTimeoutError, match="Total timeout") as info:
                await session.get(URL(httpbin.url) / "delay" / "1")
        assert isinstance(info.value, asyncio.TimeoutError)

    asyncio.run(main())


def test_https_with_the_httpbin_ca(httpbin_secure: Httpbin) -> None:
    async def main() -> None:
        base = URL(httpbin_secure.url)
        assert base.scheme == "https"
        async with session_for() as session, session.get(base / "get") as response:
            body = await response.json()
        assert body["url"] == f"{base}/get"
        async with ClientSession() as session:
            with pytest.raises(ClientConnectorCertificateError):
                await session.get(base / "get")
            async with session.get(base / "get", ssl=trusting_context()) as response:
                assert response.status == 200

    asyncio.run(main())

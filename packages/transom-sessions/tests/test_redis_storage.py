import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import httpx
import pytest
import redis.asyncio

from transom.sessions import (
    DEFAULT_COOKIE_NAME,
    DEFAULT_EXPIRY,
    AbstractStorage,
    RedisStorage,
    get_session,
    new_session,
    setup,
)
from transom.web import Application, Request, Response

Serve = Callable[..., AbstractAsyncContextManager[str]]
CounterApp = Callable[[AbstractStorage], Application]
PREFIX = "transom-session:"


class RedisServer(Protocol):
    port: int

    @property
    def url(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


@asynccontextmanager
async def _redis(server: RedisServer) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(server.url)
    try:
        yield client
    finally:
        await client.aclose()


def _session_cookie(client: httpx.AsyncClient) -> str:
    cookie = client.cookies.get(DEFAULT_COOKIE_NAME)
    assert cookie is not None
    return cookie


def test_two_servers_share_sessions_through_one_redis(
    serve: Serve, counter_app: CounterApp, redis_server: RedisServer
) -> None:
    async def scenario() -> list[str]:
        async with (
            _redis(redis_server) as first_redis,
            _redis(redis_server) as second_redis,
            serve(counter_app(RedisStorage(first_redis))) as first,
            serve(counter_app(RedisStorage(second_redis))) as second,
            httpx.AsyncClient() as client,
        ):
            return [(await client.get(f"{url}/")).text for url in (first, second, first, second)]

    assert asyncio.run(scenario()) == ["1", "2", "3", "4"]


def test_the_cookie_carries_only_an_id_and_the_data_stays_in_redis(
    serve: Serve, counter_app: CounterApp, redis_server: RedisServer
) -> None:
    async def scenario() -> tuple[str, Any]:
        async with _redis(redis_server) as store, serve(counter_app(RedisStorage(store))) as url:
            async with httpx.AsyncClient(base_url=url) as client:
                await client.get("/")
                await client.get("/")
                cookie = _session_cookie(client)
            return cookie, await store.get(PREFIX + cookie)

    cookie, stored = asyncio.run(scenario())

    assert len(cookie) == 32
    assert int(cookie, 16) >= 0
    assert json.loads(stored)["session"] == {"count": 2}


def test_the_key_expires_with_max_age(
    serve: Serve, counter_app: CounterApp, redis_server: RedisServer
) -> None:
    async def scenario() -> tuple[int, int, str]:
        async with (
            _redis(redis_server) as store,
            serve(counter_app(RedisStorage(store, max_age=100))) as short,
            serve(counter_app(RedisStorage(store))) as unbounded,
        ):
            ttls = []
            for url in (short, unbounded):
                async with httpx.AsyncClient(base_url=url) as client:
                    response = await client.get("/")
                    ttls.append(await store.ttl(PREFIX + _session_cookie(client)))
            return ttls[0], ttls[1], response.headers["Set-Cookie"]

    short_ttl, default_ttl, unbounded_cookie = asyncio.run(scenario())

    assert 0 < short_ttl <= 100
    assert DEFAULT_EXPIRY - 60 < default_ttl <= DEFAULT_EXPIRY
    assert "Max-Age" not in unbounded_cookie


def test_an_expired_session_is_gone(
    serve: Serve, counter_app: CounterApp, redis_server: RedisServer
) -> None:
    async def scenario() -> list[str]:
        async with (
            _redis(redis_server) as store,
            serve(counter_app(RedisStorage(store, max_age=1))) as url,
            httpx.AsyncClient(base_url=url) as client,
        ):
            texts = [(await client.get("/")).text]
            identity = _session_cookie(client)
            await asyncio.sleep(1.5)
            # The browser would have dropped the cookie; send it anyway.
            response = await client.get(
                "/", headers={"Cookie": f"{DEFAULT_COOKIE_NAME}={identity}"}
            )
            texts.append(response.text)
            return texts

    assert asyncio.run(scenario()) == ["1", "1"]


async def _whoami(request: Request) -> Response:
    session = await get_session(request)
    return Response(text=f"{session.identity} {session.get('user')}")


async def _login(request: Request) -> Response:
    session = await new_session(request)
    session["user"] = request.query["user"]
    return Response(text="welcome")


async def _logout(request: Request) -> Response:
    (await get_session(request)).invalidate()
    return Response(text="bye")


async def _visit(request: Request) -> Response:
    (await get_session(request))["visited"] = True
    return Response(text="ok")


def _login_app(store: redis.asyncio.Redis) -> Application:
    app = Application()
    setup(app, RedisStorage(store))
    app.router.add_get("/whoami", _whoami)
    app.router.add_get("/login", _login)
    app.router.add_get("/logout", _logout)
    app.router.add_get("/visit", _visit)
    return app


def test_login_issues_a_new_id_and_deletes_the_old_one(
    serve: Serve, redis_server: RedisServer
) -> None:
    async def scenario() -> tuple[str, str, int, int, str]:
        async with (
            _redis(redis_server) as store,
            serve(_login_app(store)) as url,
            httpx.AsyncClient(base_url=url) as client,
        ):
            await client.get("/visit")
            planted = _session_cookie(client)
            await client.get("/login?user=ann")
            issued = _session_cookie(client)
            replayed = await client.get(
                "/whoami", headers={"Cookie": f"{DEFAULT_COOKIE_NAME}={planted}"}
            )
            return (
                planted,
                issued,
                await store.exists(PREFIX + planted),
                await store.exists(PREFIX + issued),
                replayed.text,
            )

    planted, issued, planted_exists, issued_exists, replayed = asyncio.run(scenario())

    assert planted != issued
    assert planted_exists == 0
    assert issued_exists == 1
    assert replayed.split() not in ([planted, "None"], [issued, "ann"])
    assert replayed.endswith(" None")


def test_logout_deletes_the_data_so_a_copied_cookie_is_worthless(
    serve: Serve, redis_server: RedisServer
) -> None:
    async def scenario() -> tuple[str, int, str, str]:
        async with (
            _redis(redis_server) as store,
            serve(_login_app(store)) as url,
            httpx.AsyncClient(base_url=url) as client,
        ):
            await client.get("/login?user=ann")
            copied = _session_cookie(client)
            logout = await client.get("/logout")
            replayed = await client.get(
                "/whoami", headers={"Cookie": f"{DEFAULT_COOKIE_NAME}={copied}"}
            )
            exists = await store.exists(PREFIX + copied)
            return copied, exists, logout.headers["Set-Cookie"], replayed.text

    copied, exists, logout_cookie, replayed = asyncio.run(scenario())

    assert exists == 0
    assert "Max-Age=0" in logout_cookie
    identity, user = replayed.split()
    assert identity != copied
    assert user == "None"


@pytest.mark.parametrize(
    ("stored", "cookie"),
    [
        pytest.param(None, "0" * 32, id="unknown id"),
        pytest.param(None, "a" * 300, id="overlong id"),
        pytest.param(b"\xff\xfe", "b" * 32, id="not utf-8"),
        pytest.param(b"not json", "c" * 32, id="not json"),
        pytest.param(b'{"session": []}', "d" * 32, id="wrong shape"),
    ],
)
def test_unusable_data_gives_a_new_session(
    serve: Serve,
    counter_app: CounterApp,
    redis_server: RedisServer,
    stored: bytes | None,
    cookie: str,
) -> None:
    async def scenario() -> httpx.Response:
        async with _redis(redis_server) as store, serve(counter_app(RedisStorage(store))) as url:
            if stored is not None:
                await store.set(PREFIX + cookie, stored)
            async with httpx.AsyncClient(base_url=url) as client:
                return await client.get("/", headers={"Cookie": f"{DEFAULT_COOKIE_NAME}={cookie}"})

    response = asyncio.run(scenario())

    assert response.status_code == 200
    assert response.text == "1"
    assert response.cookies[DEFAULT_COOKIE_NAME] != cookie


def test_key_factory_prefix_and_codec_are_pluggable(
    serve: Serve, counter_app: CounterApp, redis_server: RedisServer
) -> None:
    def encode(payload: Any) -> str:
        return "v1:" + json.dumps(payload)

    def decode(text: str) -> Any:
        return json.loads(text.removeprefix("v1:"))

    async def scenario() -> tuple[list[str], str, Any]:
        async with _redis(redis_server) as store:
            storage = RedisStorage(
                store,
                key_prefix="app:",
                key_factory=lambda: "fixed-id",
                encoder=encode,
                decoder=decode,
            )
            async with (
                serve(counter_app(storage)) as url,
                httpx.AsyncClient(base_url=url) as client,
            ):
                texts = [(await client.get("/")).text for _ in range(2)]
                return texts, _session_cookie(client), await store.get("app:fixed-id")

    texts, cookie, stored = asyncio.run(scenario())

    assert texts == ["1", "2"]
    assert cookie == "fixed-id"
    assert stored.startswith(b"v1:")


def test_redis_going_away_gives_503_until_it_is_back(
    serve: Serve,
    counter_app: CounterApp,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> list[httpx.Response]:
        async with (
            _redis(redis_server) as store,
            serve(counter_app(RedisStorage(store))) as url,
            httpx.AsyncClient(base_url=url) as client,
        ):
            responses = [await client.get("/")]
            redis_server.stop()
            responses.append(await client.get("/"))
            redis_server.start()
            responses.append(await client.get("/"))
            responses.append(await client.get("/"))
            return responses

    with caplog.at_level(logging.ERROR, logger="transom.sessions"):
        up, down, back, again = asyncio.run(scenario())

    assert (up.status_code, up.text) == (200, "1")
    assert down.status_code == 503
    assert "Traceback" not in down.text
    assert "Redis" not in down.text
    # The restarted server kept nothing ("--save ''"): the session starts over.
    assert (back.status_code, back.text) == (200, "1")
    assert (again.status_code, again.text) == (200, "2")
    assert any("unavailable" in record.getMessage() for record in caplog.records)


def test_without_redis_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis.exceptions", None)

    with pytest.raises(ImportError, match=r"transom-sessions\[redis\]"):
        RedisStorage(object())  # type: ignore[arg-type]


def test_a_non_positive_default_expiry_is_refused() -> None:
    async def scenario() -> None:
        store = redis.asyncio.Redis()
        try:
            with pytest.raises(ValueError, match="default_expiry"):
                RedisStorage(store, default_expiry=0)
        finally:
            await store.aclose()

    asyncio.run(scenario())

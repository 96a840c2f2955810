import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

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
from transom.testing import TestClient
from transom.testing.pytest_plugin import TransomClient, TransomServer
from transom.web import Application, Request, Response

CounterApp = Callable[[AbstractStorage], Application]
PREFIX = "transom-session:"


class RedisServer(Protocol):
    port: int

    @property
    def url(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


@pytest.fixture
async def store(redis_server: RedisServer) -> AsyncIterator[redis.asyncio.Redis]:
    """A client of the test's redis-server, closed after the test."""
    client = redis.asyncio.Redis.from_url(redis_server.url)
    try:
        yield client
    finally:
        await client.aclose()


def _session_cookie(client: TestClient) -> str:
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/")).get(DEFAULT_COOKIE_NAME)
    assert cookie is not None
    return cookie.value


async def _replay(client: TestClient, path: str, identity: str) -> str:
    """GET ``path`` carrying only the session cookie ``identity``; the response text."""
    client.session.cookie_jar.clear()
    response = await client.get(path, headers={"Cookie": f"{DEFAULT_COOKIE_NAME}={identity}"})
    return await response.text()


async def test_two_servers_share_sessions_through_one_redis(
    transom_server: TransomServer,
    transom_client: TransomClient,
    counter_app: CounterApp,
    redis_server: RedisServer,
) -> None:
    first_redis = redis.asyncio.Redis.from_url(redis_server.url)
    second_redis = redis.asyncio.Redis.from_url(redis_server.url)
    try:
        first = await transom_server(counter_app(RedisStorage(first_redis)))
        second = await transom_server(counter_app(RedisStorage(second_redis)))
        # One browser: the first server's client, whose cookie jar also goes
        # to the second server on the same host.
        client = await transom_client(first)
        texts = []
        for server in (first, second, first, second):
            async with client.session.get(server.make_url("/")) as response:
                texts.append(await response.text())
    finally:
        await first_redis.aclose()
        await second_redis.aclose()

    assert texts == ["1", "2", "3", "4"]


async def test_the_cookie_carries_only_an_id_and_the_data_stays_in_redis(
    transom_client: TransomClient, counter_app: CounterApp, store: redis.asyncio.Redis
) -> None:
    client = await transom_client(counter_app(RedisStorage(store)))

    await client.get("/")
    await client.get("/")
    cookie = _session_cookie(client)
    stored = await store.get(PREFIX + cookie)

    assert len(cookie) == 32
    assert int(cookie, 16) >= 0
    assert isinstance(stored, bytes)
    assert json.loads(stored)["session"] == {"count": 2}


async def test_the_key_expires_with_max_age(
    transom_client: TransomClient, counter_app: CounterApp, store: redis.asyncio.Redis
) -> None:
    short = await transom_client(counter_app(RedisStorage(store, max_age=100)))
    unbounded = await transom_client(counter_app(RedisStorage(store)))

    await short.get("/")
    short_ttl = await store.ttl(PREFIX + _session_cookie(short))
    response = await unbounded.get("/")
    default_ttl = await store.ttl(PREFIX + _session_cookie(unbounded))

    assert 0 < short_ttl <= 100
    assert DEFAULT_EXPIRY - 60 < default_ttl <= DEFAULT_EXPIRY
    assert "Max-Age" not in response.headers["Set-Cookie"]


async def test_an_expired_session_is_gone(
    transom_client: TransomClient, counter_app: CounterApp, store: redis.asyncio.Redis
) -> None:
    client = await transom_client(counter_app(RedisStorage(store, max_age=1)))

    texts = [await (await client.get("/")).text()]
    identity = _session_cookie(client)
    await asyncio.sleep(1.5)
    # The browser would have dropped the cookie; send it anyway.
    texts.append(await _replay(client, "/", identity))

    assert texts == ["1", "1"]


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


async def test_login_issues_a_new_id_and_deletes_the_old_one(
    transom_client: TransomClient, store: redis.asyncio.Redis
) -> None:
    client = await transom_client(_login_app(store))

    await client.get("/visit")
    planted = _session_cookie(client)
    await client.get("/login?user=ann")
    issued = _session_cookie(client)
    replayed = await _replay(client, "/whoami", planted)

    assert planted != issued
    assert await store.exists(PREFIX + planted) == 0
    assert await store.exists(PREFIX + issued) == 1
    assert replayed.split() not in ([planted, "None"], [issued, "ann"])
    assert replayed.endswith(" None")


async def test_logout_deletes_the_data_so_a_copied_cookie_is_worthless(
    transom_client: TransomClient, store: redis.asyncio.Redis
) -> None:
    client = await transom_client(_login_app(store))

    await client.get("/login?user=ann")
    copied = _session_cookie(client)
    logout = await client.get("/logout")
    replayed = await _replay(client, "/whoami", copied)

    assert await store.exists(PREFIX + copied) == 0
    assert "Max-Age=0" in logout.headers["Set-Cookie"]
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
async def test_unusable_data_gives_a_new_session(
    transom_client: TransomClient,
    counter_app: CounterApp,
    store: redis.asyncio.Redis,
    stored: bytes | None,
    cookie: str,
) -> None:
    if stored is not None:
        await store.set(PREFIX + cookie, stored)
    client = await transom_client(counter_app(RedisStorage(store)))

    response = await client.get("/", headers={"Cookie": f"{DEFAULT_COOKIE_NAME}={cookie}"})

    assert response.status == 200
    assert await response.text() == "1"
    assert response.cookies[DEFAULT_COOKIE_NAME].value != cookie


async def test_key_factory_prefix_and_codec_are_pluggable(
    transom_client: TransomClient, counter_app: CounterApp, store: redis.asyncio.Redis
) -> None:
    def encode(payload: Any) -> str:
        return "v1:" + json.dumps(payload)

    def decode(text: str) -> Any:
        return json.loads(text.removeprefix("v1:"))

    storage = RedisStorage(
        store, key_prefix="app:", key_factory=lambda: "fixed-id", encoder=encode, decoder=decode
    )
    client = await transom_client(counter_app(storage))

    texts = [await (await client.get("/")).text() for _ in range(2)]
    stored = await store.get("app:fixed-id")

    assert texts == ["1", "2"]
    assert _session_cookie(client) == "fixed-id"
    assert isinstance(stored, bytes)
    assert stored.startswith(b"v1:")


async def test_redis_going_away_gives_503_until_it_is_back(
    transom_client: TransomClient,
    counter_app: CounterApp,
    redis_server: RedisServer,
    store: redis.asyncio.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await transom_client(counter_app(RedisStorage(store)))

    async def visit() -> tuple[int, str]:
        response = await client.get("/")
        return response.status, await response.text()

    with caplog.at_level(logging.ERROR, logger="transom.sessions"):
        up = await visit()
        redis_server.stop()
        down_status, down_text = await visit()
        redis_server.start()
        back = await visit()
        again = await visit()

    assert up == (200, "1")
    assert down_status == 503
    assert "Traceback" not in down_text
    assert "Redis" not in down_text
    # The restarted server kept nothing ("--save ''"): the session starts over.
    assert back == (200, "1")
    assert again == (200, "2")
    assert any("unavailable" in record.getMessage() for record in caplog.records)


def test_without_redis_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis.exceptions", None)

    with pytest.raises(ImportError, match=r"transom-sessions\[redis\]"):
        RedisStorage(object())  # type: ignore[arg-type]


async def test_a_non_positive_default_expiry_is_refused() -> None:
    store = redis.asyncio.Redis()
    try:
        with pytest.raises(ValueError, match="default_expiry"):
            RedisStorage(store, default_expiry=0)
    finally:
        await store.aclose()

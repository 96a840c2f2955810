import asyncio
import base64
import json
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from transom.sessions import DEFAULT_COOKIE_NAME, AbstractStorage, SimpleCookieStorage
from transom.web import Application

Serve = Callable[..., AbstractAsyncContextManager[str]]
CounterApp = Callable[[AbstractStorage], Application]


def test_the_counter_counts_each_visit(serve: Serve, counter_app: CounterApp) -> None:
    async def scenario() -> list[str]:
        async with (
            serve(counter_app(SimpleCookieStorage())) as url,
            httpx.AsyncClient(base_url=url) as client,
        ):
            return [(await client.get("/")).text for _ in range(3)]

    assert asyncio.run(scenario()) == ["1", "2", "3"]


def test_the_cookie_is_readable_json(serve: Serve, counter_app: CounterApp) -> None:
    async def scenario() -> str:
        async with (
            serve(counter_app(SimpleCookieStorage())) as url,
            httpx.AsyncClient(base_url=url) as client,
        ):
            await client.get("/")
            cookie = client.cookies.get(DEFAULT_COOKIE_NAME)
            assert cookie is not None
            return cookie

    payload = json.loads(base64.urlsafe_b64decode(asyncio.run(scenario())))

    assert payload["session"] == {"count": 1}
    assert isinstance(payload["id"], str)
    assert isinstance(payload["created"], int)


def test_a_garbage_cookie_gives_a_new_session(
    serve: Serve, counter_app: CounterApp, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> list[str]:
        async with serve(counter_app(SimpleCookieStorage())) as url:
            texts = []
            for cookie in ("%%%", base64.urlsafe_b64encode(b"[1, 2]").decode(), "e30="):
                async with httpx.AsyncClient(base_url=url) as client:
                    response = await client.get(
                        "/", headers={"Cookie": f"TRANSOM_SESSION={cookie}"}
                    )
                    assert response.status_code == 200
                    texts.append(response.text)
            return texts

    with caplog.at_level(logging.WARNING, logger="transom.sessions"):
        assert asyncio.run(scenario()) == ["1", "1", "1"]

    assert len(caplog.records) == 3
    assert all(record.name == "transom.sessions" for record in caplog.records)


def test_a_forged_cookie_is_believed_which_is_why_it_is_for_development(
    serve: Serve, counter_app: CounterApp
) -> None:
    forged = json.dumps({"id": "x", "created": 0, "session": {"count": 41}})
    cookie = base64.urlsafe_b64encode(forged.encode()).decode()

    async def scenario() -> str:
        async with (
            serve(counter_app(SimpleCookieStorage())) as url,
            httpx.AsyncClient(base_url=url) as client,
        ):
            response = await client.get("/", headers={"Cookie": f"TRANSOM_SESSION={cookie}"})
            return response.text

    assert asyncio.run(scenario()) == "42"

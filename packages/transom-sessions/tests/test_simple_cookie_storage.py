import base64
import json
import logging
from collections.abc import Callable

import pytest

from transom.sessions import DEFAULT_COOKIE_NAME, AbstractStorage, SimpleCookieStorage
from transom.testing.pytest_plugin import TransomClient
from transom.web import Application

CounterApp = Callable[[AbstractStorage], Application]


async def test_the_counter_counts_each_visit(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    client = await transom_client(counter_app(SimpleCookieStorage()))

    texts = [await (await client.get("/")).text() for _ in range(3)]

    assert texts == ["1", "2", "3"]


async def test_the_cookie_is_readable_json(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    client = await transom_client(counter_app(SimpleCookieStorage()))

    await client.get("/")
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/")).get(DEFAULT_COOKIE_NAME)
    assert cookie is not None
    payload = json.loads(base64.urlsafe_b64decode(cookie.value))

    assert payload["session"] == {"count": 1}
    assert isinstance(payload["id"], str)
    assert isinstance(payload["created"], int)


async def test_a_garbage_cookie_gives_a_new_session(
    transom_client: TransomClient, counter_app: CounterApp, caplog: pytest.LogCaptureFixture
) -> None:
    client = await transom_client(counter_app(SimpleCookieStorage()))
    texts = []

    with caplog.at_level(logging.WARNING, logger="transom.sessions"):
        for cookie in ("%%%", base64.urlsafe_b64encode(b"[1, 2]").decode(), "e30="):
            # Each visit is a first visit carrying only the planted cookie.
            client.session.cookie_jar.clear()
            response = await client.get("/", headers={"Cookie": f"TRANSOM_SESSION={cookie}"})
            assert response.status == 200
            texts.append(await response.text())

    assert texts == ["1", "1", "1"]
    assert len(caplog.records) == 3
    assert all(record.name == "transom.sessions" for record in caplog.records)


async def test_a_forged_cookie_is_believed_which_is_why_it_is_for_development(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    forged = json.dumps({"id": "x", "created": 0, "session": {"count": 41}})
    cookie = base64.urlsafe_b64encode(forged.encode()).decode()
    client = await transom_client(counter_app(SimpleCookieStorage()))

    response = await client.get("/", headers={"Cookie": f"TRANSOM_SESSION={cookie}"})

    assert await response.text() == "42"

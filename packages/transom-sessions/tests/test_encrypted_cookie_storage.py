import asyncio
import base64
import logging
import os
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from cryptography.fernet import Fernet, MultiFernet

from transom.sessions import (
    DEFAULT_COOKIE_NAME,
    AbstractStorage,
    EncryptedCookieStorage,
    get_session,
    setup,
)
from transom.web import Application, Request, Response

Serve = Callable[..., AbstractAsyncContextManager[str]]
CounterApp = Callable[[AbstractStorage], Application]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def _visits(serve: Serve, app: Application, cookies: list[str | None]) -> list[str]:
    """Visit ``app`` once per entry, sending that session cookie (or none)."""
    texts = []
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        for cookie in cookies:
            headers = {} if cookie is None else {"Cookie": f"{DEFAULT_COOKIE_NAME}={cookie}"}
            response = await client.get("/", headers=headers)
            assert response.status_code == 200
            texts.append(response.text)
    return texts


async def _cookie_after_visits(serve: Serve, app: Application, visits: int) -> str:
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        for _ in range(visits):
            assert (await client.get("/")).status_code == 200
        cookie = client.cookies.get(DEFAULT_COOKIE_NAME)
        assert cookie is not None
        return cookie


def test_the_counter_counts_each_visit(serve: Serve, counter_app: CounterApp) -> None:
    async def scenario() -> list[str]:
        app = counter_app(EncryptedCookieStorage(Fernet.generate_key()))
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
            return [(await client.get("/")).text for _ in range(3)]

    assert asyncio.run(scenario()) == ["1", "2", "3"]


def test_the_cookie_reveals_nothing(serve: Serve, counter_app: CounterApp) -> None:
    key = Fernet.generate_key()
    app = counter_app(EncryptedCookieStorage(key))

    cookie = asyncio.run(_cookie_after_visits(serve, app, 1))

    assert b"count" not in base64.urlsafe_b64decode(cookie)
    assert b"count" in Fernet(key).decrypt(cookie)


def test_a_tampered_cookie_gives_a_new_session_and_a_log_line(
    serve: Serve, counter_app: CounterApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = counter_app(EncryptedCookieStorage(Fernet.generate_key()))
    cookie = asyncio.run(_cookie_after_visits(serve, app, 2))
    raw = bytearray(base64.urlsafe_b64decode(cookie))
    raw[-40] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode()

    with caplog.at_level(logging.WARNING, logger="transom.sessions"):
        texts = asyncio.run(_visits(serve, app, [cookie, tampered, "garbage", "!!!"]))

    assert texts == ["3", "1", "1", "1"]
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["session cookie rejected: it does not decrypt with any key"] * 3


def test_a_cookie_encrypted_with_another_key_gives_a_new_session(
    serve: Serve, counter_app: CounterApp
) -> None:
    other = counter_app(EncryptedCookieStorage(Fernet.generate_key()))
    cookie = asyncio.run(_cookie_after_visits(serve, other, 1))
    app = counter_app(EncryptedCookieStorage(Fernet.generate_key()))

    assert asyncio.run(_visits(serve, app, [cookie])) == ["1"]


def test_a_cookie_older_than_max_age_gives_a_new_session(
    serve: Serve, counter_app: CounterApp, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    app = counter_app(EncryptedCookieStorage(Fernet.generate_key(), max_age=60, clock=clock))

    async def scenario() -> list[str]:
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
            texts = [(await client.get("/")).text]
            clock.now += 30
            texts.append((await client.get("/")).text)
            clock.now += 61
            texts.append((await client.get("/")).text)
            return texts

    with caplog.at_level(logging.INFO, logger="transom.sessions"):
        assert asyncio.run(scenario()) == ["1", "2", "1"]

    assert [record.levelname for record in caplog.records] == ["INFO"]
    assert "expired" in caplog.records[0].getMessage()


def test_the_fernet_ttl_refuses_an_old_cookie_whatever_it_claims(
    serve: Serve, counter_app: CounterApp
) -> None:
    key = Fernet.generate_key()
    clock = Clock()
    app = counter_app(EncryptedCookieStorage(key, max_age=60, clock=clock))
    payload = b'{"id": "x", "created": 0, "session": {"count": 5}}'
    old_token = Fernet(key).encrypt_at_time(payload, int(clock.now) - 61).decode()
    fresh_token = Fernet(key).encrypt_at_time(payload, int(clock.now)).decode()

    assert asyncio.run(_visits(serve, app, [old_token, fresh_token])) == ["1", "6"]


def test_keys_rotate_newest_encrypts_all_decrypt(serve: Serve, counter_app: CounterApp) -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    old_app = counter_app(EncryptedCookieStorage(old_key))
    old_cookie = asyncio.run(_cookie_after_visits(serve, old_app, 1))
    rotating = EncryptedCookieStorage([new_key, old_key])

    async def scenario() -> tuple[str, str]:
        async with serve(counter_app(rotating)) as url, httpx.AsyncClient(base_url=url) as client:
            headers = {"Cookie": f"{DEFAULT_COOKIE_NAME}={old_cookie}"}
            response = await client.get("/", headers=headers)
            return response.text, response.cookies[DEFAULT_COOKIE_NAME]

    text, new_cookie = asyncio.run(scenario())

    assert text == "2"
    assert b'"count": 2' in Fernet(new_key).decrypt(new_cookie)
    new_only = counter_app(EncryptedCookieStorage(new_key))
    assert asyncio.run(_visits(serve, new_only, [new_cookie, old_cookie])) == ["3", "1"]


def test_a_session_read_with_an_old_key_is_rewritten_with_the_newest(serve: Serve) -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()

    async def read(request: Request) -> Response:
        session = await get_session(request)
        return Response(text=str(session.get("count")))

    def app_with(storage: EncryptedCookieStorage) -> Application:
        app = Application()
        setup(app, storage)
        app.router.add_get("/read", read)
        return app

    payload = b'{"id": "x", "created": 0, "session": {"count": 7}}'
    old_cookie = Fernet(old_key).encrypt(payload).decode()

    async def scenario() -> httpx.Response:
        app = app_with(EncryptedCookieStorage([new_key, old_key]))
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
            return await client.get("/read", headers={"Cookie": f"TRANSOM_SESSION={old_cookie}"})

    response = asyncio.run(scenario())

    assert response.text == "7"
    rewritten = response.cookies[DEFAULT_COOKIE_NAME]
    assert b'"count": 7' in Fernet(new_key).decrypt(rewritten)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(os.urandom(32), id="32 raw bytes"),
        pytest.param(Fernet.generate_key(), id="fernet key bytes"),
        pytest.param(Fernet.generate_key().decode(), id="fernet key str"),
        pytest.param(Fernet(Fernet.generate_key()), id="Fernet"),
        pytest.param(MultiFernet([Fernet(Fernet.generate_key())]), id="MultiFernet"),
    ],
)
def test_every_key_form_works(
    serve: Serve, counter_app: CounterApp, key: bytes | str | Fernet | MultiFernet
) -> None:
    app = counter_app(EncryptedCookieStorage(key))
    cookie = asyncio.run(_cookie_after_visits(serve, app, 1))

    assert asyncio.run(_visits(serve, app, [cookie])) == ["2"]


@pytest.mark.parametrize("key", [b"short", b"x" * 44, "not a key", b""])
def test_a_key_of_the_wrong_shape_is_refused(key: bytes | str) -> None:
    with pytest.raises(ValueError, match="32 random bytes"):
        EncryptedCookieStorage(key)


def test_an_empty_key_list_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        EncryptedCookieStorage([])


def test_without_cryptography_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.fernet", None)

    with pytest.raises(ImportError, match=r"transom-sessions\[encrypted\]"):
        EncryptedCookieStorage(b"k" * 32)

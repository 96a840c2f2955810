import base64
import logging
import os
import sys
from collections.abc import Callable

import pytest
from cryptography.fernet import Fernet, MultiFernet

from transom.sessions import (
    DEFAULT_COOKIE_NAME,
    AbstractStorage,
    EncryptedCookieStorage,
    get_session,
    setup,
)
from transom.testing import TestClient
from transom.testing.pytest_plugin import TransomClient
from transom.web import Application, Request, Response

CounterApp = Callable[[AbstractStorage], Application]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def _visits(
    transom_client: TransomClient, app: Application, cookies: list[str | None]
) -> list[str]:
    """Visit ``app`` once per entry, sending that session cookie (or none)."""
    client = await transom_client(app)
    texts = []
    for cookie in cookies:
        # Only the given cookie goes out, not what the last response set.
        client.session.cookie_jar.clear()
        headers = {} if cookie is None else {"Cookie": f"{DEFAULT_COOKIE_NAME}={cookie}"}
        response = await client.get("/", headers=headers)
        assert response.status == 200
        texts.append(await response.text())
    return texts


def _jar_cookie(client: TestClient) -> str:
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/")).get(DEFAULT_COOKIE_NAME)
    assert cookie is not None
    return cookie.value


async def _cookie_after_visits(transom_client: TransomClient, app: Application, visits: int) -> str:
    client = await transom_client(app)
    for _ in range(visits):
        assert (await client.get("/")).status == 200
    return _jar_cookie(client)


async def test_the_counter_counts_each_visit(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    client = await transom_client(counter_app(EncryptedCookieStorage(Fernet.generate_key())))

    texts = [await (await client.get("/")).text() for _ in range(3)]

    assert texts == ["1", "2", "3"]


async def test_the_cookie_reveals_nothing(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    key = Fernet.generate_key()
    app = counter_app(EncryptedCookieStorage(key))

    cookie = await _cookie_after_visits(transom_client, app, 1)

    assert b"count" not in base64.urlsafe_b64decode(cookie)
    assert b"count" in Fernet(key).decrypt(cookie)


async def test_a_tampered_cookie_gives_a_new_session_and_a_log_line(
    transom_client: TransomClient, counter_app: CounterApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = counter_app(EncryptedCookieStorage(Fernet.generate_key()))
    cookie = await _cookie_after_visits(transom_client, app, 2)
    raw = bytearray(base64.urlsafe_b64decode(cookie))
    raw[-40] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode()

    with caplog.at_level(logging.WARNING, logger="transom.sessions"):
        texts = await _visits(transom_client, app, [cookie, tampered, "garbage", "!!!"])

    assert texts == ["3", "1", "1", "1"]
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["session cookie rejected: it does not decrypt with any key"] * 3


async def test_a_cookie_encrypted_with_another_key_gives_a_new_session(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    other = counter_app(EncryptedCookieStorage(Fernet.generate_key()))
    cookie = await _cookie_after_visits(transom_client, other, 1)
    app = counter_app(EncryptedCookieStorage(Fernet.generate_key()))

    assert await _visits(transom_client, app, [cookie]) == ["1"]


async def test_a_cookie_older_than_max_age_gives_a_new_session(
    transom_client: TransomClient, counter_app: CounterApp, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    app = counter_app(EncryptedCookieStorage(Fernet.generate_key(), max_age=60, clock=clock))
    client = await transom_client(app)

    with caplog.at_level(logging.INFO, logger="transom.sessions"):
        texts = [await (await client.get("/")).text()]
        clock.now += 30
        texts.append(await (await client.get("/")).text())
        clock.now += 61
        texts.append(await (await client.get("/")).text())

    assert texts == ["1", "2", "1"]
    assert [record.levelname for record in caplog.records] == ["INFO"]
    assert "expired" in caplog.records[0].getMessage()


async def test_the_fernet_ttl_refuses_an_old_cookie_whatever_it_claims(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    key = Fernet.generate_key()
    clock = Clock()
    app = counter_app(EncryptedCookieStorage(key, max_age=60, clock=clock))
    payload = b'{"id": "x", "created": 0, "session": {"count": 5}}'
    old_token = Fernet(key).encrypt_at_time(payload, int(clock.now) - 61).decode()
    fresh_token = Fernet(key).encrypt_at_time(payload, int(clock.now)).decode()

    assert await _visits(transom_client, app, [old_token, fresh_token]) == ["1", "6"]


async def test_keys_rotate_newest_encrypts_all_decrypt(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    old_app = counter_app(EncryptedCookieStorage(old_key))
    old_cookie = await _cookie_after_visits(transom_client, old_app, 1)
    client = await transom_client(counter_app(EncryptedCookieStorage([new_key, old_key])))

    response = await client.get("/", headers={"Cookie": f"{DEFAULT_COOKIE_NAME}={old_cookie}"})
    text = await response.text()
    new_cookie = response.cookies[DEFAULT_COOKIE_NAME].value

    assert text == "2"
    assert b'"count": 2' in Fernet(new_key).decrypt(new_cookie)
    new_only = counter_app(EncryptedCookieStorage(new_key))
    assert await _visits(transom_client, new_only, [new_cookie, old_cookie]) == ["3", "1"]


async def test_a_session_read_with_an_old_key_is_rewritten_with_the_newest(
    transom_client: TransomClient,
) -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()

    async def read(request: Request) -> Response:
        session = await get_session(request)
        return Response(text=str(session.get("count")))

    app = Application()
    setup(app, EncryptedCookieStorage([new_key, old_key]))
    app.router.add_get("/read", read)
    payload = b'{"id": "x", "created": 0, "session": {"count": 7}}'
    old_cookie = Fernet(old_key).encrypt(payload).decode()
    client = await transom_client(app)

    response = await client.get("/read", headers={"Cookie": f"TRANSOM_SESSION={old_cookie}"})

    assert await response.text() == "7"
    rewritten = response.cookies[DEFAULT_COOKIE_NAME].value
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
async def test_every_key_form_works(
    transom_client: TransomClient, counter_app: CounterApp, key: bytes | str | Fernet | MultiFernet
) -> None:
    app = counter_app(EncryptedCookieStorage(key))
    cookie = await _cookie_after_visits(transom_client, app, 1)

    assert await _visits(transom_client, app, [cookie]) == ["2"]


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

import logging
import ssl
from collections.abc import Awaitable, Callable

import pytest
import trustme

from transom.sessions import (
    MAX_COOKIE_SIZE,
    AbstractStorage,
    CookieParams,
    Session,
    SessionTooLargeError,
    SimpleCookieStorage,
    get_session,
    setup,
)
from transom.testing import TestServer
from transom.testing.pytest_plugin import TransomClient
from transom.web import Application, Request, Response, StreamResponse

CounterApp = Callable[[AbstractStorage], Application]
Handler = Callable[[Request], Awaitable[StreamResponse]]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def _set_cookie_fields(
    transom_client: TransomClient, app: Application, path: str = "/"
) -> list[str]:
    client = await transom_client(app)
    response = await client.get(path)
    assert response.status == 200, await response.text()
    return response.headers.getall("Set-Cookie", [])


async def test_the_cookie_is_http_only_same_site_lax_for_the_whole_site(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    fields = await _set_cookie_fields(transom_client, counter_app(SimpleCookieStorage()))

    assert len(fields) == 1
    attributes = [part.strip() for part in fields[0].split(";")[1:]]
    assert attributes == ["Path=/", "HttpOnly", "SameSite=Lax"]


async def test_max_age_sets_max_age_and_expires(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    fields = await _set_cookie_fields(transom_client, counter_app(SimpleCookieStorage(max_age=600)))

    assert "; Max-Age=600" in fields[0]
    assert "; Expires=" in fields[0]


async def test_the_cookie_is_secure_when_the_request_came_over_https(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)

    server = TestServer(counter_app(SimpleCookieStorage()))
    await server.start_server(ssl=server_context)
    client = await transom_client(server)

    response = await client.get("/", ssl=client_context)
    fields = response.headers.getall("Set-Cookie", [])

    assert server.scheme == "https"

    assert "; Secure" in fields[0]


async def test_secure_can_be_forced_for_tls_terminated_by_a_proxy(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    fields = await _set_cookie_fields(transom_client, counter_app(SimpleCookieStorage(secure=True)))

    assert "; Secure" in fields[0]


async def test_cookie_options_are_honoured(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    storage = SimpleCookieStorage(
        cookie_name="sid", domain="example.com", path="/app", httponly=False, samesite="Strict"
    )
    fields = await _set_cookie_fields(transom_client, counter_app(storage))

    assert fields[0].startswith("sid=")
    assert "; Domain=example.com; Path=/app; SameSite=Strict" in fields[0]
    assert "HttpOnly" not in fields[0]
    assert storage.cookie_params == CookieParams(
        domain="example.com",
        path="/app",
        max_age=None,
        secure=None,
        httponly=False,
        samesite="Strict",
    )


async def test_a_session_too_large_for_a_cookie_names_redis_storage(
    transom_client: TransomClient,
) -> None:
    caught: list[SessionTooLargeError] = []

    async def big(request: Request) -> Response:
        session = await get_session(request)
        session["blob"] = "x" * MAX_COOKIE_SIZE
        return Response(text="stored")

    async def catch(request: Request, handler: Handler) -> StreamResponse:
        try:
            response = await handler(request)
        except SessionTooLargeError as exc:
            caught.append(exc)
            return Response(status=507, text="too large")
        return response

    app = Application(middlewares=[catch])
    setup(app, SimpleCookieStorage())
    app.router.add_get("/", big)

    client = await transom_client(app)

    assert (await client.get("/")).status == 507
    assert "RedisStorage" in str(caught[0])
    assert caught[0].limit == MAX_COOKIE_SIZE


async def test_the_whole_set_cookie_value_counts_towards_the_limit(
    transom_client: TransomClient,
) -> None:
    sizes: list[int] = []

    async def fill(request: Request) -> Response:
        session = await get_session(request)
        session["blob"] = "x" * int(request.query["size"])
        return Response(text="stored")

    async def catch(request: Request, handler: Handler) -> StreamResponse:
        try:
            response = await handler(request)
        except SessionTooLargeError as exc:
            sizes.append(exc.size)
            return Response(status=507)
        return response

    app = Application(middlewares=[catch])
    setup(app, SimpleCookieStorage(max_age=3600, max_cookie_size=1000))
    app.router.add_get("/", fill)

    client = await transom_client(app)

    assert [(await client.get(f"/?size={size}")).status for size in (100, 800)] == [200, 507]
    assert sizes[0] > 1000


async def test_an_expired_session_is_replaced_by_a_new_one(
    transom_client: TransomClient, counter_app: CounterApp, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()

    client = await transom_client(counter_app(SimpleCookieStorage(max_age=60, clock=clock)))

    with caplog.at_level(logging.INFO, logger="transom.sessions"):
        texts = [await (await client.get("/")).text(), await (await client.get("/")).text()]
        clock.now += 61
        texts.append(await (await client.get("/")).text())

    assert texts == ["1", "2", "1"]

    assert any("expired" in record.getMessage() for record in caplog.records)


async def test_a_session_can_live_longer_than_the_storage_default(
    transom_client: TransomClient,
) -> None:
    clock = Clock()

    async def remember(request: Request) -> Response:
        session = await get_session(request)
        if "remember" in request.query:
            session["user"] = "ann"
            session.max_age = 3600
        return Response(text=str(session.get("user")))

    app = Application()
    setup(app, SimpleCookieStorage(max_age=60, clock=clock))
    app.router.add_get("/", remember)

    client = await transom_client(app)

    field = (await client.get("/?remember")).headers["Set-Cookie"]
    clock.now += 600
    user = await (await client.get("/")).text()

    assert "Max-Age=3600" in field
    assert user == "ann"


def test_a_negative_max_age_is_refused() -> None:
    with pytest.raises(ValueError, match="max_age"):
        SimpleCookieStorage(max_age=-1)


def test_same_site_none_without_secure_is_refused() -> None:
    with pytest.raises(ValueError, match="Secure"):
        SimpleCookieStorage(samesite="None", secure=False)


def test_a_non_positive_cookie_size_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="max_cookie_size"):
        SimpleCookieStorage(max_cookie_size=0)


class MemoryStorage(AbstractStorage):
    """A storage written against the documented interface: data in a dict."""

    def __init__(self) -> None:
        super().__init__(cookie_name="memory")
        self.data: dict[str, str] = {}

    async def load_session(self, request: Request) -> Session:
        identity = self.load_cookie(request)
        if identity is None or identity not in self.data:
            return self.new_session()
        return self.decode_session(self.data[identity], identity=identity)

    async def save_session(
        self, request: Request, response: StreamResponse, session: Session
    ) -> None:
        if session.previous_identity is not None:
            self.data.pop(session.previous_identity, None)
        if session.empty:
            if session.identity is not None:
                self.data.pop(session.identity, None)
            self.delete_cookie(request, response)
            return
        if session.identity is None:
            session.set_new_identity(self.new_identity())
        assert session.identity is not None
        self.data[session.identity] = self.encode_session(session)
        self.save_cookie(request, response, session.identity, max_age=session.max_age)


async def test_a_storage_can_be_written_against_the_abstract_interface(
    transom_client: TransomClient, counter_app: CounterApp
) -> None:
    storage = MemoryStorage()

    client = await transom_client(counter_app(storage))

    texts = [await (await client.get("/")).text() for _ in range(3)]
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/")).get("memory")

    assert texts == ["1", "2", "3"]
    assert cookie is not None
    assert cookie.value in storage.data
    assert len(storage.data) == 1

from collections.abc import Awaitable, Callable

from transom.client import ClientError
from transom.sessions import (
    SESSION_KEY,
    STORAGE_KEY,
    Session,
    SimpleCookieStorage,
    get_session,
    new_session,
    session_middleware,
    setup,
)
from transom.testing.pytest_plugin import TransomClient
from transom.web import Application, HTTPSeeOther, Request, Response, StreamResponse

Handler = Callable[[Request], Awaitable[StreamResponse]]


async def _whoami(request: Request) -> Response:
    session = await get_session(request)
    return Response(text=f"{session.identity} {session.get('user')}")


async def _login(request: Request) -> Response:
    session = await new_session(request)
    session["user"] = request.query["user"]
    raise HTTPSeeOther("/whoami")


async def _logout(request: Request) -> Response:
    session = await get_session(request)
    session.invalidate()
    return Response(text="bye")


async def _visit(request: Request) -> Response:
    session = await get_session(request)
    session["visited"] = True
    return Response(text="ok")


async def _untouched(request: Request) -> Response:
    return Response(text="no session here")


async def _fails(request: Request) -> Response:
    session = await get_session(request)
    session["half"] = "done"
    raise LookupError("boom")


def _app() -> Application:
    app = Application()
    setup(app, SimpleCookieStorage())
    app.router.add_get("/whoami", _whoami)
    app.router.add_get("/login", _login)
    app.router.add_get("/logout", _logout)
    app.router.add_get("/visit", _visit)
    app.router.add_get("/untouched", _untouched)
    app.router.add_get("/fails", _fails)
    return app


async def test_a_handler_that_never_asks_for_the_session_sets_no_cookie(
    transom_client: TransomClient,
) -> None:
    client = await transom_client(_app())

    response = await client.get("/untouched")

    assert response.status == 200
    assert "Set-Cookie" not in response.headers


async def test_reading_a_new_empty_session_sets_no_cookie(transom_client: TransomClient) -> None:
    client = await transom_client(_app())

    response = await client.get("/whoami")
    identity, user = (await response.text()).split()

    assert user == "None"
    assert identity != "None"
    assert "Set-Cookie" not in response.headers


async def test_an_unchanged_session_is_not_written_again(transom_client: TransomClient) -> None:
    client = await transom_client(_app())

    await client.get("/visit")
    response = await client.get("/whoami")

    assert (await response.text()).endswith(" None")
    assert "Set-Cookie" not in response.headers


async def test_the_session_is_saved_when_the_handler_raises_a_redirect(
    transom_client: TransomClient,
) -> None:
    client = await transom_client(_app())

    redirect = await client.get("/login?user=ann", allow_redirects=False)
    whoami = await (await client.get("/whoami")).text()

    assert redirect.status == 303
    assert "Set-Cookie" in redirect.headers
    assert whoami.endswith(" ann")


async def test_login_gives_the_session_a_new_identity(transom_client: TransomClient) -> None:
    client = await transom_client(_app())

    await client.get("/visit")
    before = await (await client.get("/whoami")).text()
    await client.get("/login?user=ann", allow_redirects=False)
    after = await (await client.get("/whoami")).text()
    identity_before, user_before = before.split()
    identity_after, user_after = after.split()

    assert user_before == "None"
    assert user_after == "ann"
    assert identity_before != "None"
    assert identity_after not in (identity_before, "None")


async def test_logout_expires_the_cookie(transom_client: TransomClient) -> None:
    client = await transom_client(_app())

    await client.get("/login?user=ann", allow_redirects=False)
    logout = await client.get("/logout")
    whoami = await (await client.get("/whoami")).text()

    assert "Max-Age=0" in logout.headers["Set-Cookie"]
    assert whoami.endswith(" None")
    assert len(client.session.cookie_jar) == 0


async def test_a_failing_handler_does_not_save_the_session(transom_client: TransomClient) -> None:
    client = await transom_client(_app())

    response = await client.get("/fails")

    assert response.status == 500
    assert "Set-Cookie" not in response.headers


async def test_get_session_without_the_middleware_says_how_to_install_it(
    transom_client: TransomClient,
) -> None:
    async def handler(request: Request) -> Response:
        try:
            await get_session(request)
        except RuntimeError as exc:
            return Response(text=str(exc))
        return Response(text="unexpected")

    app = Application()
    app.router.add_get("/", handler)
    client = await transom_client(app)

    text = await (await client.get("/")).text()

    assert "transom.sessions.setup(app, storage)" in text


async def test_other_middleware_reaches_the_session_and_storage_by_key(
    transom_client: TransomClient,
) -> None:
    storage = SimpleCookieStorage()
    seen: list[object] = []

    async def outer(request: Request, handler: Handler) -> StreamResponse:
        response = await handler(request)
        seen.append(request.get(SESSION_KEY))
        return response

    async def inner(request: Request, handler: Handler) -> StreamResponse:
        seen.append(request[STORAGE_KEY])
        session = await get_session(request)
        session["from_middleware"] = 1
        return await handler(request)

    app = Application(middlewares=[outer, session_middleware(storage), inner])
    app.router.add_get("/untouched", _untouched)
    client = await transom_client(app)

    response = await client.get("/untouched")

    assert "Set-Cookie" in response.headers
    assert seen[0] is storage
    assert isinstance(seen[1], Session)
    assert dict(seen[1]) == {"from_middleware": 1}


async def test_a_session_changed_after_the_response_was_sent_is_an_error(
    transom_client: TransomClient,
) -> None:
    errors: list[RuntimeError] = []

    async def stream(request: Request) -> StreamResponse:
        response = StreamResponse()
        await response.prepare(request)
        session = await get_session(request)
        session["late"] = True
        return response

    async def catch(request: Request, handler: Handler) -> StreamResponse:
        try:
            return await handler(request)
        except RuntimeError as exc:
            errors.append(exc)
            raise

    app = Application(middlewares=[catch])
    setup(app, SimpleCookieStorage())
    app.router.add_get("/", stream)
    client = await transom_client(app)

    try:
        response = await client.get("/")
        await response.read()
    except ClientError:
        # The server broke off a response it had already started.
        pass

    assert "already sent" in str(errors[0])

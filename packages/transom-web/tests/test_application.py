"""Application: state, freezing, lifecycle order, sub-applications, request handling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from transom.web import (
    AppKey,
    Application,
    HTTPForbidden,
    HTTPNotFound,
    Response,
    get,
)

from .conftest import answer, make_request

if TYPE_CHECKING:
    from tests.conftest import Serve

    from transom.web import Handler, Request, StreamResponse

NAME = AppKey("name", str)


def handle(app: Application, method: str, target: str, host: str = "localhost") -> Any:
    request = make_request(method, target, host=host)
    return asyncio.run(answer(app, request))


async def app_name(request: Request) -> Response:
    return Response(text=request.app[NAME])


def named_app(name: str, **kwargs: Any) -> Application:
    app = Application(**kwargs)
    app[NAME] = name
    return app


# -- state and freezing ------------------------------------------------------


def test_state_is_a_mapping() -> None:
    app = named_app("root")
    assert list(app) == [NAME]
    assert app[NAME] == "root"
    del app[NAME]
    assert len(app) == 0
    assert bool(app)


def test_client_max_size_defaults_to_one_mebibyte() -> None:
    assert Application().client_max_size == 1024 * 1024
    assert Application(client_max_size=10).client_max_size == 10


def test_startup_freezes_the_application() -> None:
    app = Application()
    asyncio.run(app.startup())
    assert app.frozen
    with pytest.raises(RuntimeError, match="cannot add a route: the application is frozen"):
        app.router.add_get("/late", app_name)
    with pytest.raises(RuntimeError, match="middlewares: the application is frozen"):
        app.middlewares.append(_record("late", []))
    with pytest.raises(RuntimeError, match="cannot change application state"):
        app[NAME] = "late"
    with pytest.raises(RuntimeError, match="frozen"):
        del app[NAME]


def test_startup_code_may_still_set_state_and_routes() -> None:
    app = Application()

    async def setup(app: Application) -> None:
        app[NAME] = "set at startup"
        app.router.add_get("/", app_name)

    app.on_startup.append(setup)
    asyncio.run(app.startup())
    assert handle(app, "GET", "/").text == "set at startup"


# -- lifecycle order ---------------------------------------------------------


def test_lifecycle_runs_in_aiohttp_order_with_sub_applications() -> None:
    events: list[str] = []
    app, sub = Application(), Application()

    def signal(name: str) -> Any:
        async def callback(app: Application) -> None:
            events.append(name)

        return callback

    def context(name: str) -> Any:
        async def generator(app: Application) -> AsyncIterator[None]:
            events.append(f"{name} enter")
            yield
            events.append(f"{name} exit")

        return generator

    sub.on_startup.append(signal("sub startup"))
    sub.on_shutdown.append(signal("sub shutdown"))
    sub.on_cleanup.append(signal("sub cleanup"))
    sub.cleanup_ctx.append(context("sub ctx"))
    app.on_startup.append(signal("startup"))
    app.on_shutdown.append(signal("shutdown"))
    app.on_cleanup.append(signal("cleanup"))
    app.cleanup_ctx.append(context("ctx"))
    app.add_subapp("/sub", sub)

    async def lifetime() -> None:
        await app.startup()
        await app.shutdown()
        await app.cleanup()

    asyncio.run(lifetime())
    assert events == [
        "ctx enter",
        "startup",
        "sub ctx enter",
        "sub startup",
        "shutdown",
        "sub shutdown",
        "ctx exit",
        "cleanup",
        "sub ctx exit",
        "sub cleanup",
    ]


def test_signals_receive_their_own_application() -> None:
    seen: list[Application] = []
    app, sub = Application(), Application()

    async def record(app: Application) -> None:
        seen.append(app)

    app.on_startup.append(record)
    sub.on_startup.append(record)
    app.add_subapp("/sub", sub)
    asyncio.run(app.startup())
    assert seen == [app, sub]


def test_cleanup_after_a_failed_startup_exits_only_entered_contexts() -> None:
    events: list[str] = []
    app, sub = Application(), Application()

    async def sub_context(app: Application) -> AsyncIterator[None]:
        events.append("sub enter")
        yield
        events.append("sub exit")

    async def failing(app: Application) -> None:
        raise RuntimeError("no database")

    async def on_cleanup(app: Application) -> None:
        events.append("on_cleanup")

    sub.cleanup_ctx.append(sub_context)
    app.add_subapp("/sub", sub)
    app.on_startup.append(failing)
    app.on_cleanup.append(on_cleanup)

    async def lifetime() -> None:
        with pytest.raises(RuntimeError, match="no database"):
            await app.startup()
        await app.cleanup()

    asyncio.run(lifetime())
    assert events == ["sub enter", "sub exit"]


# -- sub-applications ----------------------------------------------------------


def test_a_sub_application_sees_only_its_own_state() -> None:
    app, sub = named_app("root"), named_app("sub")
    app.router.add_get("/", app_name)
    sub.router.add_get("/", app_name)
    app.add_subapp("/sub/", sub)
    assert handle(app, "GET", "/").text == "root"
    assert handle(app, "GET", "/sub/").text == "sub"


def test_a_sub_application_route_builds_its_full_url() -> None:
    app, sub = Application(), Application()
    sub.router.add_get("/users/{id}", app_name, name="user")
    app.add_subapp("/admin", sub)
    assert str(sub.router["user"].url_for(id="3")) == "/admin/users/3"


def test_nested_sub_applications_stack_their_prefixes() -> None:
    app, middle, inner = Application(), Application(), named_app("inner")
    inner.router.add_get("/leaf", app_name, name="leaf")
    middle.add_subapp("/b", inner)
    app.add_subapp("/a", middle)
    assert str(inner.router["leaf"].url_for()) == "/a/b/leaf"
    assert handle(app, "GET", "/a/b/leaf").text == "inner"


def test_a_404_under_a_sub_application_prefix_is_the_sub_applications() -> None:
    app, sub = Application(), Application()
    sub.router.add_get("/known", app_name)
    app.add_subapp("/sub", sub)
    app.router.add_get("/sub/{x:.*}", app_name)
    response = handle(app, "GET", "/sub/unknown")
    assert isinstance(response, HTTPNotFound)


def test_a_sub_application_can_be_mounted_only_once() -> None:
    app, other, sub = Application(), Application(), Application()
    app.add_subapp("/one", sub)
    with pytest.raises(RuntimeError, match="already registered"):
        other.add_subapp("/two", sub)


def test_an_application_cannot_mount_itself() -> None:
    app = Application()
    with pytest.raises(ValueError, match="its own sub-application"):
        app.add_subapp("/self", app)


def test_an_empty_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        Application().add_subapp("/", Application())


def test_a_frozen_application_cannot_be_mounted() -> None:
    app, started = Application(), Application()
    started.freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        app.add_subapp("/late", started)


def test_mounting_freezes_the_sub_applications_routes() -> None:
    app, sub = Application(), Application()
    app.add_subapp("/sub", sub)
    with pytest.raises(RuntimeError, match="frozen"):
        sub.router.add_get("/late", app_name)


def test_a_domain_sub_application_answers_its_host_only() -> None:
    app, api = named_app("main"), named_app("api")
    app.router.add_get("/", app_name)
    api.router.add_get("/", app_name)
    app.add_domain("api.example.com", api)
    assert handle(app, "GET", "/", host="api.example.com:8080").text == "api"
    assert handle(app, "GET", "/", host="API.Example.com").text == "api"
    assert handle(app, "GET", "/", host="www.example.com").text == "main"


def test_a_domain_with_a_port_matches_that_port_only() -> None:
    app, api = named_app("main"), named_app("api")
    app.router.add_get("/", app_name)
    api.router.add_get("/", app_name)
    app.add_domain("example.com:8443", api)
    assert handle(app, "GET", "/", host="example.com:8443").text == "api"
    assert handle(app, "GET", "/", host="example.com:80").text == "main"


def test_a_wildcard_domain_matches_any_subdomain_depth() -> None:
    app, tenants = named_app("main"), named_app("tenant")
    app.router.add_get("/", app_name)
    tenants.router.add_get("/", app_name)
    app.add_domain("*.example.com", tenants)
    assert handle(app, "GET", "/", host="a.example.com").text == "tenant"
    assert handle(app, "GET", "/", host="a.b.example.com").text == "tenant"
    assert handle(app, "GET", "/", host="example.com").text == "main"
    assert handle(app, "GET", "/", host="evil-example.com").text == "main"


@pytest.mark.parametrize("domain", ["", "http://example.com", "-bad.com", "a..b", "x.com:port"])
def test_an_invalid_domain_is_refused(domain: str) -> None:
    with pytest.raises(ValueError, match="domain"):
        Application().add_domain(domain, Application())


# -- handling ------------------------------------------------------------------


def test_a_raised_http_exception_becomes_the_response() -> None:
    app = Application()

    async def forbidden(request: Request) -> Response:
        raise HTTPForbidden(text="no entry")

    app.router.add_get("/", forbidden)
    response = handle(app, "GET", "/")
    assert isinstance(response, HTTPForbidden)
    assert response.text == "no entry"


def test_other_exceptions_propagate_to_the_server() -> None:
    app = Application()

    async def broken(request: Request) -> Response:
        raise ZeroDivisionError

    app.router.add_get("/", broken)
    with pytest.raises(ZeroDivisionError):
        handle(app, "GET", "/")


def test_routes_may_be_added_through_the_application() -> None:
    app = named_app("listed")
    app.add_routes([get("/", app_name)])
    assert handle(app, "HEAD", "/").text == "listed"


def _record(name: str, log: list[str]) -> Any:
    async def middleware(request: Request, handler: Handler) -> StreamResponse:
        log.append(f"{name} sees {request.app[NAME]}")
        return await handler(request)

    return middleware


def test_middlewares_of_a_sub_application_run_inside_the_parents() -> None:
    log: list[str] = []
    app = named_app("root", middlewares=[_record("root mw", log)])
    sub = named_app("sub", middlewares=[_record("sub mw", log)])
    sub.router.add_get("/", app_name)
    app.router.add_get("/", app_name)
    app.add_subapp("/sub", sub)
    assert handle(app, "GET", "/sub/").text == "sub"
    assert log == ["root mw sees root", "sub mw sees sub"]
    log.clear()
    assert handle(app, "GET", "/").text == "root"
    assert log == ["root mw sees root"]


def test_calling_the_application_returns_it() -> None:
    app = Application()
    assert app() is app
    assert "Application" in repr(app)


# -- over a real connection ------------------------------------------------------

SECRET = AppKey("secret", str)


def test_over_http_a_sub_application_is_isolated_from_its_parent(serve: Serve) -> None:
    app, sub = named_app("root"), named_app("sub")
    app[SECRET] = "parent only"

    async def describe(request: Request) -> Response:
        own = request.app.get(SECRET, "-")
        inherited = request.config_dict.get(SECRET, "-")
        return Response(text=f"{request.app[NAME]} {own} {inherited}")

    sub.router.add_get("/", describe)
    app.router.add_get("/", describe)
    app.add_subapp("/sub", sub)
    server = serve(app)
    assert httpx.get(server.url("/")).text == "root parent only parent only"
    assert httpx.get(server.url("/sub/")).text == "sub - parent only"
    assert httpx.get(server.url("/sub/missing")).status_code == 404


def test_over_http_a_running_application_is_frozen(serve: Serve) -> None:
    app = named_app("running")
    app.router.add_get("/", app_name)
    server = serve(app)
    assert httpx.get(server.url("/")).text == "running"
    with pytest.raises(RuntimeError, match="the application is frozen"):
        app.router.add_get("/late", app_name)
    with pytest.raises(RuntimeError, match="cannot change application state"):
        app[NAME] = "changed"
    assert httpx.get(server.url("/late")).status_code == 404


def test_over_http_cleanup_contexts_span_the_servers_life(serve: Serve) -> None:
    events: list[str] = []
    app = Application()

    async def lifetime(app: Application) -> AsyncIterator[None]:
        events.append("started")
        yield
        events.append("stopped")

    async def report(request: Request) -> Response:
        return Response(text=",".join(events))

    app.cleanup_ctx.append(lifetime)
    app.router.add_get("/", report)
    server = serve(app)
    assert httpx.get(server.url("/")).text == "started"
    server.call(server.runner.cleanup())
    assert events == ["started", "stopped"]

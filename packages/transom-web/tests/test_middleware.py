"""Middlewares: declared order, own answers, one chain per route, path normalization."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from transom.web import (
    Application,
    HTTPFound,
    HTTPMovedPermanently,
    HTTPNotFound,
    HTTPPermanentRedirect,
    HTTPUnauthorized,
    Response,
    middleware,
    normalize_path_middleware,
)

from .conftest import answer, make_request

if TYPE_CHECKING:
    from tests.conftest import Serve

    from transom.web import Handler, Request, StreamResponse


def handle(app: Application, method: str, target: str) -> Any:
    return asyncio.run(answer(app, make_request(method, target)))


async def ok(request: Request) -> Response:
    return Response(text="ok")


def tracing(name: str, log: list[str]) -> Any:
    async def trace(request: Request, handler: Handler) -> StreamResponse:
        log.append(f"{name} in")
        response = await handler(request)
        log.append(f"{name} out")
        return response

    return trace


def test_middlewares_run_in_declared_order_first_outermost() -> None:
    log: list[str] = []
    app = Application(middlewares=[tracing("first", log), tracing("second", log)])
    app.middlewares.append(tracing("third", log))
    app.router.add_get("/", ok)
    assert handle(app, "GET", "/").text == "ok"
    assert log == ["first in", "second in", "third in", "third out", "second out", "first out"]


def test_a_middleware_may_answer_without_calling_the_handler() -> None:
    called: list[bool] = []

    async def handler(request: Request) -> Response:
        called.append(True)
        return Response()

    async def gate(request: Request, handler: Handler) -> StreamResponse:
        return Response(text="from the gate", status=418)

    app = Application(middlewares=[gate])
    app.router.add_get("/", handler)
    response = handle(app, "GET", "/")
    assert (response.status, response.text) == (418, "from the gate")
    assert called == []


def test_a_middleware_may_replace_the_response() -> None:
    async def replace(request: Request, handler: Handler) -> StreamResponse:
        await handler(request)
        return Response(text="replaced")

    app = Application(middlewares=[replace])
    app.router.add_get("/", ok)
    assert handle(app, "GET", "/").text == "replaced"


def test_a_raised_http_exception_reaches_outer_middlewares() -> None:
    seen: list[int] = []

    async def observe(request: Request, handler: Handler) -> StreamResponse:
        try:
            return await handler(request)
        except HTTPUnauthorized as exc:
            seen.append(exc.status)
            raise

    async def guard(request: Request, handler: Handler) -> StreamResponse:
        raise HTTPUnauthorized()

    app = Application(middlewares=[observe, guard])
    app.router.add_get("/", ok)
    assert handle(app, "GET", "/").status == 401
    assert seen == [401]


def test_routing_errors_pass_through_middlewares() -> None:
    async def render_404(request: Request, handler: Handler) -> StreamResponse:
        try:
            return await handler(request)
        except HTTPNotFound:
            return Response(text="custom not found", status=404)

    app = Application(middlewares=[render_404])
    app.router.add_get("/", ok)
    assert handle(app, "GET", "/missing").text == "custom not found"


def test_the_chain_is_built_once_not_per_request() -> None:
    handlers: list[object] = []

    async def remember(request: Request, handler: Handler) -> StreamResponse:
        handlers.append(handler)
        return await handler(request)

    app = Application(middlewares=[remember, tracing("inner", [])])
    app.router.add_get("/", ok)
    handle(app, "GET", "/")
    handle(app, "GET", "/")
    assert len(handlers) == 2
    assert handlers[0] is handlers[1]


def test_the_decorator_returns_the_function() -> None:
    async def plain(request: Request, handler: Handler) -> StreamResponse:
        return await handler(request)

    assert middleware(plain) is plain


def test_a_middleware_with_a_misnamed_parameter_is_refused_at_startup() -> None:
    async def misnamed(request: Request, call_next: Handler) -> StreamResponse:
        return await call_next(request)

    app = Application(middlewares=[misnamed])  # type: ignore[list-item]
    app.router.add_get("/", ok)
    with pytest.raises(TypeError, match="second named 'handler'"):
        asyncio.run(app.startup())


def test_a_non_callable_middleware_is_refused() -> None:
    with pytest.raises(TypeError, match="not callable"):
        Application(middlewares=["nope"])  # type: ignore[list-item]


# -- normalize_path_middleware -------------------------------------------------


def normalizing_app(**options: Any) -> Application:
    app = Application(middlewares=[normalize_path_middleware(**options)])
    app.router.add_get("/", ok)
    app.router.add_get("/slash/", ok)
    app.router.add_get("/plain", ok)
    app.router.add_post("/form/", ok)
    app.router.add_get("/deep/down/here", ok)
    return app


def test_a_missing_trailing_slash_is_added_by_a_permanent_redirect() -> None:
    response = handle(normalizing_app(), "GET", "/slash?q=1")
    assert isinstance(response, HTTPPermanentRedirect)
    assert response.headers["Location"] == "/slash/?q=1"


def test_repeated_slashes_are_merged() -> None:
    response = handle(normalizing_app(), "GET", "/deep//down///here")
    assert response.status == 308
    assert response.headers["Location"] == "/deep/down/here"


def test_merging_and_appending_combine() -> None:
    response = handle(normalizing_app(), "GET", "//slash")
    assert response.headers["Location"] == "/slash/"


def test_a_trailing_slash_is_removed_when_asked() -> None:
    app = normalizing_app(append_slash=False, remove_slash=True)
    response = handle(app, "GET", "/plain/")
    assert response.headers["Location"] == "/plain"


def test_the_method_must_resolve_too() -> None:
    app = normalizing_app()
    assert handle(app, "POST", "/form").headers["Location"] == "/form/"
    assert isinstance(handle(app, "DELETE", "/form"), HTTPNotFound)


def test_no_redirect_when_the_normalized_path_does_not_resolve() -> None:
    assert isinstance(handle(normalizing_app(), "GET", "/nowhere"), HTTPNotFound)


def test_a_resolving_path_is_left_alone() -> None:
    assert handle(normalizing_app(), "GET", "/plain").text == "ok"


def test_the_redirect_never_points_to_another_host() -> None:
    app = Application(middlewares=[normalize_path_middleware(merge_slashes=False)])
    app.router.add_get("/{tail:.*}/", ok)
    response = handle(app, "GET", "//evil.example")
    assert isinstance(response, HTTPNotFound)


def test_the_redirect_class_can_be_chosen() -> None:
    app = normalizing_app(redirect_class=HTTPMovedPermanently)
    assert handle(app, "GET", "/slash").status == 301
    app = normalizing_app(redirect_class=HTTPFound)
    assert handle(app, "GET", "/slash").status == 302


def test_appending_and_removing_together_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot both"):
        normalize_path_middleware(append_slash=True, remove_slash=True)


# -- over a real connection ------------------------------------------------------


def test_over_http_middlewares_wrap_the_handler_in_order(serve: Serve) -> None:
    def stamp(name: str) -> Any:
        async def add(request: Request, handler: Handler) -> StreamResponse:
            response = await handler(request)
            response.headers.add("X-Order", name)
            return response

        return add

    app = Application(middlewares=[stamp("outer"), stamp("inner")])
    app.router.add_get("/", ok)
    response = httpx.get(serve(app).url("/"))
    assert response.headers.get_list("X-Order") == ["inner", "outer"]


def test_over_http_paths_are_normalized_by_redirect(serve: Serve) -> None:
    server = serve(normalizing_app())
    redirect = httpx.get(server.url("/slash?page=2"))
    assert redirect.status_code == 308
    assert redirect.headers["Location"] == "/slash/?page=2"
    merged = httpx.get(server.url("/deep//down///here"))
    assert merged.headers["Location"] == "/deep/down/here"
    assert httpx.get(server.url("/slash"), follow_redirects=True).text == "ok"
    assert httpx.get(server.url("/nowhere")).status_code == 404

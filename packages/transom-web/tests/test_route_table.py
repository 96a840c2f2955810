"""Route definitions: get()/post()/... lists and RouteTableDef decorators."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from transom.web import (
    Response,
    RouteDef,
    RouteTableDef,
    StaticDef,
    UrlDispatcher,
    View,
    delete,
    get,
    head,
    options,
    patch,
    post,
    put,
    route,
    static,
    view,
)

if TYPE_CHECKING:
    from transom.web import Request


async def handler(request: Request) -> Response:
    return Response()


class Thing(View):
    async def get(self) -> Response:
        return Response()


def methods(router: UrlDispatcher) -> list[str]:
    return [route.method for route in router.routes()]


def test_a_list_of_definitions_registers_in_order() -> None:
    router = UrlDispatcher()
    routes = router.add_routes(
        [
            get("/a", handler),
            post("/a", handler),
            put("/a", handler),
            patch("/a", handler),
            delete("/a", handler),
            head("/b", handler),
            options("/b", handler),
            route("PROPFIND", "/c", handler),
            view("/d", Thing),
        ]
    )
    assert [r.method for r in routes] == [
        "GET",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "HEAD",
        "OPTIONS",
        "PROPFIND",
        "*",
    ]
    assert methods(router)[:2] == ["HEAD", "GET"]


def test_get_answers_head_unless_told_not_to() -> None:
    router = UrlDispatcher()
    router.add_routes([get("/a", handler), get("/b", handler, allow_head=False)])
    assert methods(router) == ["HEAD", "GET", "GET"]


def test_route_with_get_goes_through_add_get() -> None:
    router = UrlDispatcher()
    router.add_routes([route("GET", "/a", handler)])
    assert methods(router) == ["HEAD", "GET"]


def test_names_pass_through_to_the_router() -> None:
    router = UrlDispatcher()
    router.add_routes([get("/users/{id}", handler, name="user")])
    assert str(router["user"].url_for(id="1")) == "/users/1"


def test_a_table_collects_decorated_handlers() -> None:
    routes = RouteTableDef()

    @routes.get("/")
    async def index(request: Request) -> Response:
        return Response()

    @routes.post("/items", name="create")
    async def create(request: Request) -> Response:
        return Response()

    @routes.view("/things")
    class Things(View):
        async def get(self) -> Response:
            return Response()

    routes.put("/p")(handler)
    routes.patch("/p")(handler)
    routes.delete("/p")(handler)
    routes.head("/h")(handler)
    routes.options("/h")(handler)
    routes.route("LOCK", "/h")(handler)

    assert len(routes) == 9
    assert isinstance(routes[0], RouteDef)
    assert routes[0].handler is index
    router = UrlDispatcher()
    router.add_routes(routes)
    assert "create" in router
    assert len(router.routes()) == 10


def test_decorators_return_the_handler_unchanged() -> None:
    routes = RouteTableDef()
    decorated = routes.get("/")(handler)
    assert decorated is handler


def test_static_definitions_register_a_directory(tmp_path: Path) -> None:
    router = UrlDispatcher()
    table = RouteTableDef()
    table.static("/assets", tmp_path)
    registered = router.add_routes([static("/files", tmp_path, show_index=True), *table])
    assert sorted(r.method for r in registered) == ["GET", "GET", "HEAD", "HEAD"]
    assert isinstance(table[0], StaticDef)


def test_definitions_have_a_readable_repr(tmp_path: Path) -> None:
    assert repr(get("/a", handler, name="a")) == (
        "<RouteDef GET /a -> 'handler', allow_head=True, name='a'>"
    )
    assert repr(static("/s", tmp_path)) == f"<StaticDef /s -> {tmp_path}>"
    assert repr(RouteTableDef()) == "<RouteTableDef count=0>"

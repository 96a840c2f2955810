"""Route definitions made before a router exists: ``get(...)``, ``RouteTableDef``.

``app.add_routes([get("/", index), post("/items", create)])`` or, with a table::

    routes = RouteTableDef()

    @routes.get("/")
    async def index(request): ...

    app.add_routes(routes)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from transom.web._resources import AbstractRoute, Handler
    from transom.web._router import UrlDispatcher
    from transom.web._views import View

__all__ = [
    "AbstractRouteDef",
    "RouteDef",
    "RouteTableDef",
    "StaticDef",
    "delete",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "static",
    "view",
]

# Methods with an ``add_<method>`` shortcut on the router (``get`` adds HEAD too).
_SHORTCUTS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})

_H = TypeVar("_H", bound="Handler | type[View]")


class AbstractRouteDef:
    """A definition that knows how to register itself on a router."""

    __slots__ = ()

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        """Add the definition's routes to `router`; returns them."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True, repr=False)
class RouteDef(AbstractRouteDef):
    """A method, a path and a handler, plus keyword arguments for the router
    (``name``, ``allow_head``)."""

    method: str
    path: str
    handler: Handler | type[View]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        """Register through ``router.add_<method>`` when there is one (so GET
        answers HEAD), else ``router.add_route``."""
        method = self.method.upper()
        if method in _SHORTCUTS:
            add: Callable[..., AbstractRoute] = getattr(router, f"add_{method.lower()}")
            return [add(self.path, self.handler, **self.kwargs)]
        return [router.add_route(method, self.path, self.handler, **self.kwargs)]

    def __repr__(self) -> str:
        handler = getattr(self.handler, "__name__", repr(self.handler))
        extra = "".join(f", {key}={value!r}" for key, value in sorted(self.kwargs.items()))
        return f"<RouteDef {self.method} {self.path} -> {handler!r}{extra}>"


@dataclass(frozen=True, slots=True, repr=False)
class StaticDef(AbstractRouteDef):
    """A URL prefix served from a directory, plus ``add_static`` keyword arguments."""

    prefix: str
    path: str | os.PathLike[str]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        """Register through ``router.add_static``; returns its GET and HEAD routes."""
        return list(router.add_static(self.prefix, self.path, **self.kwargs))

    def __repr__(self) -> str:
        extra = "".join(f", {key}={value!r}" for key, value in sorted(self.kwargs.items()))
        return f"<StaticDef {self.prefix} -> {self.path}{extra}>"


def route(method: str, path: str, handler: Handler | type[View], **kwargs: Any) -> RouteDef:
    """Define a route for `method` (``*`` for any)."""
    return RouteDef(method, path, handler, kwargs)


def head(path: str, handler: Handler | type[View], **kwargs: Any) -> RouteDef:
    """Define a HEAD route."""
    return route("HEAD", path, handler, **kwargs)


def options(path: str, handler: Handler | type[View], **kwargs: Any) -> RouteDef:
    """Define an OPTIONS route."""
    return route("OPTIONS", path, handler, **kwargs)


def get(
    path: str,
    handler: Handler | type[View],
    *,
    name: str | None = None,
    allow_head: bool = True,
    **kwargs: Any,
) -> RouteDef:
    """Define a GET route (answering HEAD too unless `allow_head` is false)."""
    return route("GET", path, handler, name=name, allow_head=allow_head, **kwargs)


def post(path: str, handler: Handler | type[View], **kwargs: Any) -> RouteDef:
    """Define a POST route."""
    return route("POST", path, handler, **kwargs)


def put(path: str, handler: Handler | type[View], **kwargs: Any) -> RouteDef:
    """Define a PUT route."""
    return route("PUT", path, handler, **kwargs)


def patch(path: str, handler: Handler | type[View], **kwargs: Any) -> RouteDef:
    """Define a PATCH route."""
    return route("PATCH", path, handler, **kwargs)


def delete(path: str, handler: Handler | type[View], **kwargs: Any) -> RouteDef:
    """Define a DELETE route."""
    return route("DELETE", path, handler, **kwargs)


def view(path: str, handler: type[View], **kwargs: Any) -> RouteDef:
    """Define a route sending every method to a class-based `View`."""
    return route("*", path, handler, **kwargs)


def static(prefix: str, path: str | os.PathLike[str], **kwargs: Any) -> StaticDef:
    """Define a static directory; see ``UrlDispatcher.add_static``."""
    return StaticDef(prefix, path, kwargs)


class RouteTableDef(Sequence[AbstractRouteDef]):
    """A list of route definitions filled by decorators.

    Each decorator registers the function (or `View` class) and returns it
    unchanged, so it can still be called or decorated further.
    """

    def __init__(self) -> None:
        self._items: list[AbstractRouteDef] = []

    def route(self, method: str, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorate a handler for `method` on `path`."""

        def register(handler: _H) -> _H:
            self._items.append(RouteDef(method, path, handler, kwargs))
            return handler

        return register

    def head(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorate a HEAD handler."""
        return self.route("HEAD", path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorate a GET handler (answering HEAD too unless ``allow_head=False``)."""
        return self.route("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorate a POST handler."""
        return self.route("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorate a PUT handler."""
        return self.route("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorate a PATCH handler."""
        return self.route("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorate a DELETE handler."""
        return self.route("DELETE", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorate an OPTIONS handler."""
        return self.route("OPTIONS", path, **kwargs)

    def view(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorate a class-based `View`."""
        return self.route("*", path, **kwargs)

    def static(self, prefix: str, path: str | os.PathLike[str], **kwargs: Any) -> None:
        """Add a static directory; see ``UrlDispatcher.add_static``."""
        self._items.append(StaticDef(prefix, path, kwargs))

    @overload
    def __getitem__(self, index: int) -> AbstractRouteDef: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[AbstractRouteDef]: ...

    def __getitem__(self, index: int | slice) -> AbstractRouteDef | Sequence[AbstractRouteDef]:
        return self._items[index]

    def __iter__(self) -> Iterator[AbstractRouteDef]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<RouteTableDef count={len(self._items)}>"

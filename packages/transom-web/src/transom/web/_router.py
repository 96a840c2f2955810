"""The URL dispatcher: resolves a request to one route, fast.

Resolution order for a request path (its ``rel_url.path_safe``):

1. host-matched sub-applications (``add_domain``), in registration order;
2. resources with a fixed path: one dict lookup on the whole path;
3. everything else (patterns, static directories, prefixed sub-applications),
   filed under the literal path before their first variable: the path is walked
   from the longest ``/``-bounded prefix to ``/``, trying only the resources
   filed under each; one compiled regex per pattern.

A fixed path therefore wins over a pattern that matches the same path. The
first resource that matches path and method wins; resources that match the path
only collect their methods for a 405's ``Allow`` header.
"""

from __future__ import annotations

import keyword
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from transom.web._http_exceptions import HTTPMethodNotAllowed, HTTPNotFound
from transom.web._match_info import MatchInfoError, UrlMappingMatchInfo
from transom.web._resources import (
    AbstractResource,
    AbstractRoute,
    DynamicResource,
    Handler,
    PlainResource,
    Resource,
    SystemRoute,
    index_key,
    is_dynamic,
)
from transom.web._static_resource import DEFAULT_CHUNK_SIZE, StaticResource
from transom.web._subapp_resources import MatchedSubAppResource, PrefixedSubAppResource

if TYPE_CHECKING:
    from transom.web._application import Application
    from transom.web._request import Request
    from transom.web._route_table import AbstractRouteDef
    from transom.web._views import View

__all__ = ["UrlDispatcher", "UrlMappingMatchInfo", "routing_path"]

_NAME_SEPARATORS: Final = re.compile(r"[.:-]")


def routing_path(request: Request) -> str:
    """The path routes match: ``request.rel_url.path_safe``.

    A plain origin-form target without percent-escapes is its own
    ``path_safe`` up to the query, so no URL is built for it.
    """
    target = request.raw_path
    if target[:1] == "/" and "%" not in target:
        query = target.find("?")
        return target if query < 0 else target[:query]
    return request.rel_url.path_safe


class UrlDispatcher(Mapping[str, AbstractResource]):
    """The router of an `Application`; a mapping of resource names to resources."""

    def __init__(self) -> None:
        self._resources: list[AbstractResource] = []
        self._named: dict[str, AbstractResource] = {}
        self._domains: list[MatchedSubAppResource] = []
        self._plain: dict[str, list[PlainResource]] = {}
        self._index: dict[str, list[AbstractResource]] = {}
        self._system_route = SystemRoute()
        self._frozen = False

    # -- resolution ---------------------------------------------------------

    async def resolve(self, request: Request) -> UrlMappingMatchInfo:
        """Find the route for `request`.

        Returns:
            The match info; on failure a `MatchInfoError` whose ``http_exception``
            is `HTTPNotFound` or `HTTPMethodNotAllowed` (with the allowed methods).
        """
        return self._resolve(request, routing_path(request), request.method)

    def _resolve(self, request: Request, path: str, method: str) -> UrlMappingMatchInfo:
        # The methods of resources whose path matched, for a 405; made only
        # when a path matches with another method.
        allowed: set[str] | None = None
        for domain in self._domains:
            match_info, methods = domain._resolve(request, path, method)
            if match_info is not None:
                return match_info
            allowed = _add(allowed, methods)
        plain = self._plain.get(path)
        if plain is not None:
            for resource in plain:
                route = resource._routes.get(method, resource._any_route)
                if route is not None:
                    return UrlMappingMatchInfo({}, route)
                allowed = _add(allowed, resource._routes)
        index = self._index
        part = path
        while True:
            for candidate in index.get(part, ()):
                match_info, methods = candidate._resolve(request, path, method)
                if match_info is not None:
                    return match_info
                allowed = _add(allowed, methods)
            if part == "/":
                break
            part = part.rpartition("/")[0] or "/"
        if allowed:
            return MatchInfoError(HTTPMethodNotAllowed(method, allowed), self._system_route)
        return MatchInfoError(HTTPNotFound(), self._system_route)

    # -- registration -------------------------------------------------------

    def register_resource(self, resource: AbstractResource) -> None:
        """Add a resource built elsewhere.

        Raises:
            RuntimeError: the router is frozen.
            ValueError: the name is not dotted identifiers, or is already taken.
        """
        self._check_frozen()
        name = resource.name
        if name is not None:
            for part in _NAME_SEPARATORS.split(name):
                if not part.isidentifier() or keyword.iskeyword(part):
                    raise ValueError(
                        f"invalid route name {name!r}: use identifiers joined by '.', ':' or '-'"
                    )
            if name in self._named:
                raise ValueError(
                    f"duplicate route name {name!r}: already used by {self._named[name]!r}"
                )
            self._named[name] = resource
        self._resources.append(resource)
        self._file(resource)

    def _file(self, resource: AbstractResource) -> None:
        if isinstance(resource, MatchedSubAppResource):
            self._domains.append(resource)
        elif isinstance(resource, PlainResource):
            self._plain.setdefault(resource.match_path, []).append(resource)
        else:
            self._index.setdefault(index_key(resource), []).append(resource)

    def _reindex(self) -> None:
        """Refile every resource after their paths changed (a sub-app prefix)."""
        self._domains, self._plain, self._index = [], {}, {}
        for resource in self._resources:
            self._file(resource)

    def add_resource(self, path: str, *, name: str | None = None) -> Resource:
        """Get a resource for `path`: the last one added if it has the same path
        and name, else a new `PlainResource` or `DynamicResource`.

        Raises:
            ValueError: the path does not start with ``/`` or is an invalid pattern.
            RuntimeError: the router is frozen.
        """
        if path and not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with '/'")
        if self._resources:
            last = self._resources[-1]
            if isinstance(last, Resource) and last.name == name and last.raw_match(path):
                return last
        resource: Resource
        if is_dynamic(path):
            resource = DynamicResource(path, name=name)
        else:
            resource = PlainResource(path, name=name)
        self.register_resource(resource)
        return resource

    def add_route(
        self, method: str, path: str, handler: Handler | type[View], *, name: str | None = None
    ) -> AbstractRoute:
        """Route `method` (``*`` for any) on `path` to `handler`.

        Raises:
            RuntimeError: the router is frozen, or the method is already routed.
            ValueError: invalid method, path or name.
            TypeError: the handler is neither an async callable nor a `View`.
        """
        return self.add_resource(path, name=name).add_route(method, handler)

    def add_get(
        self,
        path: str,
        handler: Handler | type[View],
        *,
        name: str | None = None,
        allow_head: bool = True,
    ) -> AbstractRoute:
        """Route GET on `path`, and HEAD too unless `allow_head` is false."""
        resource = self.add_resource(path, name=name)
        if allow_head:
            resource.add_route("HEAD", handler)
        return resource.add_route("GET", handler)

    def add_head(
        self, path: str, handler: Handler | type[View], *, name: str | None = None
    ) -> AbstractRoute:
        """Route HEAD on `path`."""
        return self.add_route("HEAD", path, handler, name=name)

    def add_post(
        self, path: str, handler: Handler | type[View], *, name: str | None = None
    ) -> AbstractRoute:
        """Route POST on `path`."""
        return self.add_route("POST", path, handler, name=name)

    def add_put(
        self, path: str, handler: Handler | type[View], *, name: str | None = None
    ) -> AbstractRoute:
        """Route PUT on `path`."""
        return self.add_route("PUT", path, handler, name=name)

    def add_patch(
        self, path: str, handler: Handler | type[View], *, name: str | None = None
    ) -> AbstractRoute:
        """Route PATCH on `path`."""
        return self.add_route("PATCH", path, handler, name=name)

    def add_delete(
        self, path: str, handler: Handler | type[View], *, name: str | None = None
    ) -> AbstractRoute:
        """Route DELETE on `path`."""
        return self.add_route("DELETE", path, handler, name=name)

    def add_options(
        self, path: str, handler: Handler | type[View], *, name: str | None = None
    ) -> AbstractRoute:
        """Route OPTIONS on `path`."""
        return self.add_route("OPTIONS", path, handler, name=name)

    def add_view(self, path: str, handler: type[View], *, name: str | None = None) -> AbstractRoute:
        """Route every method on `path` to a class-based `View`."""
        return self.add_route("*", path, handler, name=name)

    def add_static(
        self,
        prefix: str,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        show_index: bool = False,
        follow_symlinks: bool = False,
        append_version: bool = False,
    ) -> StaticResource:
        """Serve the files under directory `path` at URL `prefix`; see `StaticResource`.

        Raises:
            ValueError: the prefix does not start with ``/`` or the directory is missing.
        """
        if not prefix.startswith("/"):
            raise ValueError(f"static prefix {prefix!r} must start with '/'")
        resource = StaticResource(
            prefix.rstrip("/") or "/",
            path,
            name=name,
            chunk_size=chunk_size,
            show_index=show_index,
            follow_symlinks=follow_symlinks,
            append_version=append_version,
        )
        self.register_resource(resource)
        return resource

    def add_routes(self, routes: Iterable[AbstractRouteDef]) -> list[AbstractRoute]:
        """Register route definitions (`get`, `post`, `view`, `static`... or a
        `RouteTableDef`) in order; returns the routes created."""
        registered: list[AbstractRoute] = []
        for route_def in routes:
            registered.extend(route_def.register(self))
        return registered

    # -- freezing -----------------------------------------------------------

    @property
    def frozen(self) -> bool:
        """Whether the router refuses new resources."""
        return self._frozen

    def freeze(self) -> None:
        """Refuse every later registration. Idempotent."""
        if self._frozen:
            return
        self._frozen = True
        for resource in self._resources:
            resource.freeze()

    def _check_frozen(self) -> None:
        if self._frozen:
            raise RuntimeError(
                "cannot add a route: the application is frozen (routes are fixed once "
                "it starts serving or is added as a sub-application)"
            )

    # -- introspection ------------------------------------------------------

    def resources(self) -> tuple[AbstractResource, ...]:
        """Every resource, in registration order."""
        return tuple(self._resources)

    def routes(self) -> tuple[AbstractRoute, ...]:
        """Every route of every resource, in registration order."""
        return tuple(route for resource in self._resources for route in resource)

    def named_resources(self) -> Mapping[str, AbstractResource]:
        """A read-only view of the named resources."""
        return MappingProxyType(self._named)

    def __getitem__(self, name: str) -> AbstractResource:
        return self._named[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._named)

    def __len__(self) -> int:
        return len(self._named)

    def __contains__(self, name: object) -> bool:
        return name in self._named

    def __repr__(self) -> str:
        return f"<UrlDispatcher {len(self._resources)} resources>"

    def _compose(
        self,
        apps: tuple[Application, ...],
        compose: Callable[[Handler, tuple[Application, ...]], Handler],
    ) -> None:
        """Attach the application chain `apps` and the handler wrapped by
        `compose` to every route, recursing into sub-applications."""
        routes: list[AbstractRoute] = [self._system_route]
        for resource in self._resources:
            if isinstance(resource, PrefixedSubAppResource):
                resource.app.router._compose((*apps, resource.app), compose)
            else:
                routes.extend(resource)
        for route in routes:
            route._apps = apps
            route._chain = compose(route.handler, apps)


def _add(allowed: set[str] | None, methods: Collection[str]) -> set[str] | None:
    """``allowed`` with ``methods`` added; None while both are empty."""
    if allowed is None:
        if not methods:
            return None
        allowed = set()
    allowed.update(methods)
    return allowed

"""Middlewares: the decorator, the chain built once per route, path normalization.

A middleware is ``async def mw(request, handler) -> StreamResponse``: it may
change the request, call ``await handler(request)`` (the next middleware or the
route's handler), change or replace the response, or answer by itself. The
second parameter must be named ``handler``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Protocol, TypeVar

from yarl import URL

from transom.web._http_exceptions import HTTPMove, HTTPPermanentRedirect

if TYPE_CHECKING:
    from transom.web._application import Application
    from transom.web._request import Request
    from transom.web._resources import Handler
    from transom.web._response import StreamResponse

__all__ = ["Middleware", "compose", "middleware", "normalize_path_middleware"]


class Middleware(Protocol):
    """``async def mw(request, handler) -> StreamResponse``."""

    def __call__(self, request: Request, /, handler: Handler) -> Awaitable[StreamResponse]:
        """Answer `request`, usually by awaiting ``handler(request)``."""
        ...


_F = TypeVar("_F", bound=Callable[..., object])
_REPEATED_SLASHES = re.compile(r"//+")


def middleware(function: _F) -> _F:
    """Mark a function as a middleware; kept for code written for ``aiohttp.web``.

    Every middleware is called as ``mw(request, handler=...)``, marked or not.
    """
    function.__middleware_version__ = 1  # type: ignore[attr-defined]
    return function


async def _as_current_app(app: Application, handler: Handler, request: Request) -> StreamResponse:
    match_info = request.match_info
    previous = match_info.current_app
    match_info.current_app = app
    try:
        return await handler(request)
    finally:
        match_info.current_app = previous


def _check_signature(function: Middleware) -> None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return  # a builtin or an exotic callable: nothing to check
    try:
        signature.bind(None, handler=None)
    except TypeError:
        name = getattr(function, "__qualname__", repr(function))
        raise TypeError(
            f"middleware {name} must accept (request, handler), the second named 'handler'"
        ) from None


def compose(handler: Handler, apps: Sequence[Application]) -> Handler:
    """Wrap `handler` in the middlewares of `apps` (outermost application first).

    Called once per route when the application freezes, never per request. The
    outer application's middlewares run first, each application's in declared
    order. While an application's middlewares run, ``request.app`` is that
    application; inside the handler it is the route's own application.

    Returns:
        `handler` itself when no application in `apps` has middlewares.

    Raises:
        TypeError: a middleware cannot be called as ``mw(request, handler=...)``.
    """
    if not any(app.middlewares for app in apps):
        return handler
    for app in apps:
        for function in app.middlewares:
            _check_signature(function)
    outer_has_middlewares = any(app.middlewares for app in apps[:-1])
    wrapped = handler
    for depth, app in enumerate(reversed(apps)):
        for function in reversed(app.middlewares):
            wrapped = partial(function, handler=wrapped)
        # ``current_app`` starts as the innermost application; only a change
        # made by an outer application's wrapper has to be undone.
        needs_switch = bool(app.middlewares) if depth else outer_has_middlewares
        if needs_switch:
            wrapped = partial(_as_current_app, app, wrapped)
    return wrapped


def normalize_path_middleware(
    *,
    append_slash: bool = True,
    remove_slash: bool = False,
    merge_slashes: bool = True,
    redirect_class: type[HTTPMove] = HTTPPermanentRedirect,
) -> Middleware:
    """Make a middleware that redirects unroutable paths to their normal form.

    Only requests no route accepted are considered. Candidates are tried in
    order: slashes merged; a trailing slash appended (or removed); both. The
    first candidate that resolves (path and method) is the redirect target, with
    the query string kept; if none resolves the request goes on to its 404.

    Args:
        append_slash: try adding a trailing slash.
        remove_slash: try removing a trailing slash (not with `append_slash`).
        merge_slashes: try collapsing ``//`` into ``/``.
        redirect_class: the redirect to raise (308 by default, keeping the method).

    Raises:
        ValueError: both `append_slash` and `remove_slash` are set.
    """
    if append_slash and remove_slash:
        raise ValueError("append_slash and remove_slash cannot both be set")

    def candidates(path: str) -> list[str]:
        merged = _REPEATED_SLASHES.sub("/", path)
        found = []
        if merge_slashes:
            found.append(merged)
        if append_slash and not path.endswith("/"):
            found.append(path + "/")
            if merge_slashes:
                found.append(merged + "/")
        if remove_slash and path.endswith("/") and len(path) > 1:
            found.append(path[:-1])
            if merge_slashes:
                found.append(merged[:-1] or "/")
        return [candidate for candidate in found if candidate != path]

    @middleware
    async def normalize_path(request: Request, handler: Handler) -> StreamResponse:
        if request.match_info.http_exception is not None:
            url = request.rel_url
            router = request.app.router
            for candidate in candidates(url.raw_path):
                # A target starting with // or /\ would redirect to another host.
                if candidate.startswith(("//", "/\\")):
                    continue
                path_safe = URL.build(path=candidate, encoded=True).path_safe
                if router._resolve(request, path_safe, request.method).http_exception is None:
                    query = url.raw_query_string
                    raise redirect_class(candidate + ("?" + query if query else ""))
        return await handler(request)

    return normalize_path

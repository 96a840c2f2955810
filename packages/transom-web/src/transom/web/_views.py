"""Class-based views: one method per HTTP method."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any

from transom.web._http_exceptions import HTTPMethodNotAllowed

if TYPE_CHECKING:
    from transom.web._request import Request
    from transom.web._response import StreamResponse

__all__ = ["View"]

# The methods a view may define, each as a lower-case coroutine method.
VIEW_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}
)


class View:
    """A handler class: define ``async def get(self)``, ``post``... returning a response.

    Register it with ``router.add_view(path, MyView)`` (or ``@routes.view(path)``).
    Each request makes a new instance; ``self.request`` is the request. A method
    the class does not define is answered 405 with an ``Allow`` header listing the
    ones it does; HEAD falls back to ``get`` when no ``head`` is defined.

    Args:
        request: the request being handled.
    """

    def __init__(self, request: Request) -> None:
        self._request = request

    @property
    def request(self) -> Request:
        """The request being handled."""
        return self._request

    def __await__(self) -> Generator[Any, None, StreamResponse]:
        return self._dispatch().__await__()

    async def _dispatch(self) -> StreamResponse:
        method = self._request.method
        handler = self._method_handler(method)
        if handler is None and method == "HEAD":
            handler = self._method_handler("GET")
        if handler is None:
            raise HTTPMethodNotAllowed(method, self.allowed_methods())
        return await handler()

    def _method_handler(self, method: str) -> Callable[[], Awaitable[StreamResponse]] | None:
        if method not in VIEW_METHODS:
            return None
        handler: Callable[[], Awaitable[StreamResponse]] | None
        handler = getattr(self, method.lower(), None)
        return handler

    @classmethod
    def allowed_methods(cls) -> set[str]:
        """The methods the class defines (HEAD included when it defines ``get``)."""
        allowed = {
            method for method in VIEW_METHODS if callable(getattr(cls, method.lower(), None))
        }
        if "GET" in allowed:
            allowed.add("HEAD")
        return allowed

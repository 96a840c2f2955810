"""The application: routes, middlewares, lifecycle signals and shared state."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any, Final, TypeVar, overload

from transom.web._app_key import AppKey, NotAppKeyWarning
from transom.web._middleware import Middleware, compose
from transom.web._router import UrlDispatcher, routing_path
from transom.web._signals import CleanupContext, FrozenList, Signal
from transom.web._subapp_resources import (
    Domain,
    MaskDomain,
    MatchedSubAppResource,
    PrefixedSubAppResource,
)

if TYPE_CHECKING:
    from transom.web._request import Request
    from transom.web._resources import AbstractRoute
    from transom.web._response import StreamResponse
    from transom.web._route_table import AbstractRouteDef

__all__ = ["DEFAULT_CLIENT_MAX_SIZE", "Application"]

# 1 MiB: what ``await request.read()``/``post()`` buffer by default; larger
# uploads should be streamed (``request.content``) or the limit raised knowingly.
DEFAULT_CLIENT_MAX_SIZE: Final = 1024**2

_T = TypeVar("_T")
_U = TypeVar("_U")
_SubResource = TypeVar("_SubResource", bound=PrefixedSubAppResource)

_FROZEN_STATE: Final = (
    "cannot change application state: the application is frozen (state is fixed "
    "once startup completes; set it in on_startup or cleanup_ctx)"
)


class Application(MutableMapping[AppKey[Any] | str, Any]):
    """A web application: a router, middlewares, lifecycle signals and state.

    The application is also a dict for state shared by its handlers: use `AppKey`
    keys (plain strings work but warn `NotAppKeyWarning`).

    Lifecycle, driven by the runner: ``await startup()`` sends `on_startup`
    (first entering every `cleanup_ctx` generator), then freezes the application:
    from then on adding a route, a middleware, a signal handler or state raises
    `RuntimeError`. ``await shutdown()`` sends `on_shutdown`; ``await cleanup()``
    exits the cleanup contexts in reverse order, then sends `on_cleanup`.
    Sub-applications' signals run as part of their parent's, at the position
    where they were added.

    Args:
        logger: where the application logs.
        middlewares: middlewares in the order they run (outermost first).
        client_max_size: the most body bytes a request buffers in memory.
    """

    def __init__(
        self,
        *,
        logger: logging.Logger | None = None,
        middlewares: Iterable[Middleware] = (),
        client_max_size: int = DEFAULT_CLIENT_MAX_SIZE,
    ) -> None:
        self.logger = logger if logger is not None else logging.getLogger("transom.web")
        self._router = UrlDispatcher()
        self._middlewares: FrozenList[Middleware] = FrozenList(middlewares, what="middlewares")
        for function in self._middlewares:
            if not callable(function):
                raise TypeError(f"middleware {function!r} is not callable")
        self._client_max_size = client_max_size
        self._state: dict[AppKey[Any] | str, Any] = {}
        self._subapps: list[Application] = []
        self._parent: Application | None = None
        self._pre_frozen = False
        self._frozen = False
        self._on_response_prepare: Signal[[Request, StreamResponse]] = Signal(
            self, what="on_response_prepare"
        )
        self._on_startup: Signal[[Application]] = Signal(self, what="on_startup")
        self._on_shutdown: Signal[[Application]] = Signal(self, what="on_shutdown")
        self._on_cleanup: Signal[[Application]] = Signal(self, what="on_cleanup")
        self._cleanup_ctx: CleanupContext[Application] = CleanupContext()
        # As aiohttp.web: contexts are entered before the other startup handlers
        # and exited before the other cleanup handlers.
        self._on_startup.append(self._cleanup_ctx.enter)
        self._on_cleanup.append(self._cleanup_ctx.exit)

    # -- state ----------------------------------------------------------------

    @overload
    def __getitem__(self, key: AppKey[_T]) -> _T: ...

    @overload
    def __getitem__(self, key: str) -> Any: ...

    def __getitem__(self, key: AppKey[Any] | str) -> Any:
        return self._state[key]

    @overload
    def __setitem__(self, key: AppKey[_T], value: _T) -> None: ...

    @overload
    def __setitem__(self, key: str, value: Any) -> None: ...

    def __setitem__(self, key: AppKey[Any] | str, value: Any) -> None:
        if self._frozen:
            raise RuntimeError(_FROZEN_STATE)
        if not isinstance(key, AppKey):
            warnings.warn(
                f"use an AppKey instead of the string {key!r} as an application key",
                NotAppKeyWarning,
                stacklevel=2,
            )
        self._state[key] = value

    def __delitem__(self, key: AppKey[Any] | str) -> None:
        if self._frozen:
            raise RuntimeError(_FROZEN_STATE)
        del self._state[key]

    @overload  # type: ignore[override]
    def get(self, key: AppKey[_T], default: None = ...) -> _T | None: ...

    @overload
    def get(self, key: AppKey[_T], default: _U) -> _T | _U: ...

    @overload
    def get(self, key: str, default: Any = ...) -> Any: ...

    def get(self, key: AppKey[Any] | str, default: Any = None) -> Any:
        """The value for `key`, or `default`."""
        return self._state.get(key, default)

    def __len__(self) -> int:
        return len(self._state)

    def __iter__(self) -> Iterator[AppKey[Any] | str]:
        return iter(self._state)

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        return True

    # -- parts ----------------------------------------------------------------

    @property
    def router(self) -> UrlDispatcher:
        """The application's router."""
        return self._router

    @property
    def middlewares(self) -> FrozenList[Middleware]:
        """The middlewares, outermost first; append before startup."""
        return self._middlewares

    @property
    def client_max_size(self) -> int:
        """The most body bytes a request buffers in memory."""
        return self._client_max_size

    @property
    def on_response_prepare(self) -> Signal[[Request, StreamResponse]]:
        """Sent with ``(request, response)`` just before response headers go out."""
        return self._on_response_prepare

    @property
    def on_startup(self) -> Signal[[Application]]:
        """Sent with the application when the server starts, before it listens."""
        return self._on_startup

    @property
    def on_shutdown(self) -> Signal[[Application]]:
        """Sent when the server stops accepting, before open requests are cut."""
        return self._on_shutdown

    @property
    def on_cleanup(self) -> Signal[[Application]]:
        """Sent last, after the cleanup contexts have exited."""
        return self._on_cleanup

    @property
    def cleanup_ctx(self) -> CleanupContext[Application]:
        """Async generators: startup code before ``yield``, cleanup code after it."""
        return self._cleanup_ctx

    def add_routes(self, routes: Iterable[AbstractRouteDef]) -> list[AbstractRoute]:
        """Register route definitions on the router; see ``UrlDispatcher.add_routes``."""
        return self._router.add_routes(routes)

    # -- sub-applications -----------------------------------------------------

    def add_subapp(self, prefix: str, subapp: Application) -> PrefixedSubAppResource:
        """Serve `subapp` under `prefix`.

        The sub-application keeps its own middlewares, signals and state:
        ``request.app`` is the sub-application in its handlers, and
        ``request.config_dict`` looks keys up in it, then in its parents. Add its
        routes, middlewares and signal handlers first: it freezes here.

        Raises:
            ValueError: empty prefix, or `subapp` is this application.
            RuntimeError: this application is frozen, or `subapp` is frozen or
                already a sub-application.
        """
        if not isinstance(prefix, str):
            raise TypeError("prefix must be a str")
        prefix = prefix.rstrip("/")
        if not prefix:
            raise ValueError("a sub-application prefix must not be empty")
        return self._add_subapp(lambda: PrefixedSubAppResource(prefix, subapp), subapp)

    def add_domain(self, domain: str, subapp: Application) -> MatchedSubAppResource:
        """Serve `subapp` for requests whose host matches `domain`.

        `domain` is a host name (``api.example.com``), optionally with a port,
        or a mask with ``*`` (``*.example.com``). Host-matched sub-applications
        are tried before every other route.

        Raises:
            ValueError: an invalid domain; see also `add_subapp`.
        """
        rule = MaskDomain(domain) if "*" in domain else Domain(domain)
        return self._add_subapp(lambda: MatchedSubAppResource(rule, subapp), subapp)

    def _add_subapp(
        self, make_resource: Callable[[], _SubResource], subapp: Application
    ) -> _SubResource:
        if subapp is self:
            raise ValueError("an application cannot be its own sub-application")
        if self._pre_frozen:
            raise RuntimeError(
                "cannot add a sub-application: the application is frozen "
                "(it was started or added as a sub-application)"
            )
        if subapp._parent is not None:
            raise RuntimeError(f"{subapp!r} is already registered as a sub-application")
        if subapp._frozen:
            raise RuntimeError(f"cannot add {subapp!r}: it is frozen (already started)")
        resource = make_resource()
        self._router.register_resource(resource)
        subapp._parent = self
        self._subapps.append(subapp)
        for name in ("on_startup", "on_shutdown", "on_cleanup"):
            getattr(self, name).append(_forward_signal(subapp, getattr(subapp, name)))
        subapp.pre_freeze()
        return resource

    # -- freezing and lifecycle -----------------------------------------------

    @property
    def pre_frozen(self) -> bool:
        """Whether routes, middlewares and signals are fixed."""
        return self._pre_frozen

    @property
    def frozen(self) -> bool:
        """Whether the application is fully frozen (state included)."""
        return self._frozen

    def pre_freeze(self) -> None:
        """Fix routes, middlewares and signal lists (state stays writable). Idempotent."""
        if self._pre_frozen:
            return
        self._pre_frozen = True
        self._middlewares.freeze()
        self._router.freeze()
        self._on_response_prepare.freeze()
        self._cleanup_ctx.freeze()
        self._on_startup.freeze()
        self._on_shutdown.freeze()
        self._on_cleanup.freeze()
        for subapp in self._subapps:
            subapp.pre_freeze()

    def freeze(self) -> None:
        """Fix everything, state included, and build each route's middleware chain
        once. Idempotent; a sub-application freezes with its root."""
        if self._frozen:
            return
        self.pre_freeze()
        if self._parent is None:
            # Before marking frozen: a middleware refused here leaves the
            # application unfrozen, never half-built.
            self._router._compose((self,), compose)
        self._frozen = True
        for subapp in self._subapps:
            subapp.freeze()

    async def startup(self) -> None:
        """Send `on_startup` (cleanup contexts first), then freeze the application."""
        self._on_startup.freeze()
        await self._on_startup.send(self)
        self.freeze()

    async def shutdown(self) -> None:
        """Send `on_shutdown`."""
        await self._on_shutdown.send(self)

    async def cleanup(self) -> None:
        """Exit the cleanup contexts (last entered first), then send `on_cleanup`.

        After a failed startup only the contexts that were entered are exited.
        """
        if self._on_cleanup.frozen:
            await self._on_cleanup.send(self)
        else:
            await self._exit_contexts()

    async def _exit_contexts(self) -> None:
        await self._cleanup_ctx.exit(self)
        for subapp in reversed(self._subapps):
            await subapp._exit_contexts()

    # -- request handling -----------------------------------------------------

    def _handle(self, request: Request) -> Awaitable[StreamResponse]:
        """Route `request`; the awaitable of its middleware chain and handler.

        A plain function: the server awaits the chain itself, one coroutine
        frame less per request. An `HTTPException` the chain raises reaches
        the server, which sends it as the response, like any other exception.
        """
        if not self._frozen:
            self.freeze()
        match_info = self._router._resolve(request, routing_path(request), request.method)
        request._match_info = match_info
        return match_info._route._chain(request)

    def __call__(self) -> Application:
        """Return the application itself (for servers that expect a factory)."""
        return self

    def __repr__(self) -> str:
        return f"<Application 0x{id(self):x}>"


def _forward_signal(
    subapp: Application, signal: Signal[[Application]]
) -> Callable[[Application], Awaitable[None]]:
    async def send_to_subapp(app: Application) -> None:
        await signal.send(subapp)

    send_to_subapp.__qualname__ = f"send_to_subapp({subapp!r})"
    return send_to_subapp

"""Request tracing: callbacks fired at each step of a request's life.

A :class:`TraceConfig` holds one :class:`Signal` per step. A session built
with ``trace_configs=[config]`` calls each signal's callbacks as
``await callback(session, trace_config_ctx, params)``, where
``trace_config_ctx`` is a fresh object per request (from the config's
factory) shared by all callbacks of that request, and ``params`` is the
step's frozen dataclass below.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multidict import CIMultiDict
    from yarl import URL

    from transom.client._response import ClientResponse

__all__ = [
    "Signal",
    "Trace",
    "TraceConfig",
    "TraceConnectionCreateEndParams",
    "TraceConnectionCreateStartParams",
    "TraceConnectionQueuedEndParams",
    "TraceConnectionQueuedStartParams",
    "TraceConnectionReuseconnParams",
    "TraceDnsCacheHitParams",
    "TraceDnsCacheMissParams",
    "TraceDnsResolveHostEndParams",
    "TraceDnsResolveHostStartParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestRedirectParams",
    "TraceRequestStartParams",
    "start_traces",
]

TraceCallback = Callable[[Any, SimpleNamespace, Any], Awaitable[None]]


class Signal(list[TraceCallback]):
    """A list of async callbacks, frozen once the first session uses it."""

    __slots__ = ("_frozen",)

    def __init__(self) -> None:
        super().__init__()
        self._frozen = False

    @property
    def frozen(self) -> bool:
        """Whether callbacks can no longer be added or removed."""
        return self._frozen

    def freeze(self) -> None:
        """Forbid further changes; a session freezes its configs on creation."""
        self._frozen = True

    def _check(self) -> None:
        if self._frozen:
            raise RuntimeError("Cannot modify a frozen signal: add callbacks before use")

    def append(self, callback: TraceCallback) -> None:
        """Add ``callback``; it must be an ``async def`` taking three arguments."""
        self._check()
        super().append(callback)

    def remove(self, callback: TraceCallback) -> None:
        """Remove ``callback``."""
        self._check()
        super().remove(callback)

    async def send(self, *args: Any) -> None:
        """Await every callback in order with ``args``."""
        for callback in self:
            await callback(*args)


@dataclasses.dataclass(frozen=True, slots=True)
class TraceRequestStartParams:
    """A request is about to be sent (before a connection is taken)."""

    method: str
    url: URL
    headers: CIMultiDict[str]


@dataclasses.dataclass(frozen=True, slots=True)
class TraceRequestEndParams:
    """A response head arrived; the body may still be unread."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    response: ClientResponse


@dataclasses.dataclass(frozen=True, slots=True)
class TraceRequestExceptionParams:
    """The request failed with ``exception``."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    exception: BaseException


@dataclasses.dataclass(frozen=True, slots=True)
class TraceRequestRedirectParams:
    """A redirect response is about to be followed."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    response: ClientResponse


@dataclasses.dataclass(frozen=True, slots=True)
class TraceConnectionQueuedStartParams:
    """The pool is full: the request waits for a free slot."""


@dataclasses.dataclass(frozen=True, slots=True)
class TraceConnectionQueuedEndParams:
    """The request got a slot after waiting."""


@dataclasses.dataclass(frozen=True, slots=True)
class TraceConnectionCreateStartParams:
    """A new connection is being opened."""


@dataclasses.dataclass(frozen=True, slots=True)
class TraceConnectionCreateEndParams:
    """A new connection is open."""


@dataclasses.dataclass(frozen=True, slots=True)
class TraceConnectionReuseconnParams:
    """An idle pooled connection is reused."""


@dataclasses.dataclass(frozen=True, slots=True)
class TraceDnsResolveHostStartParams:
    """A host name is being resolved."""

    host: str


@dataclasses.dataclass(frozen=True, slots=True)
class TraceDnsResolveHostEndParams:
    """A host name was resolved."""

    host: str


@dataclasses.dataclass(frozen=True, slots=True)
class TraceDnsCacheHitParams:
    """A host name was found in the DNS cache."""

    host: str


@dataclasses.dataclass(frozen=True, slots=True)
class TraceDnsCacheMissParams:
    """A host name was not in the DNS cache."""

    host: str


class TraceConfig:
    """The callbacks to call at each step of a request.

    Args:
        trace_config_ctx_factory: Builds the per-request context object; it
            is called with ``trace_request_ctx=`` (the request's
            ``trace_request_ctx`` argument).
    """

    def __init__(
        self, trace_config_ctx_factory: Callable[..., SimpleNamespace] = SimpleNamespace
    ) -> None:
        self._factory = trace_config_ctx_factory
        self.on_request_start = Signal()
        self.on_request_end = Signal()
        self.on_request_exception = Signal()
        self.on_request_redirect = Signal()
        self.on_connection_queued_start = Signal()
        self.on_connection_queued_end = Signal()
        self.on_connection_create_start = Signal()
        self.on_connection_create_end = Signal()
        self.on_connection_reuseconn = Signal()
        self.on_dns_resolvehost_start = Signal()
        self.on_dns_resolvehost_end = Signal()
        self.on_dns_cache_hit = Signal()
        self.on_dns_cache_miss = Signal()

    def trace_config_ctx(self, trace_request_ctx: Any = None) -> SimpleNamespace:
        """A fresh context object for one request."""
        return self._factory(trace_request_ctx=trace_request_ctx)

    def freeze(self) -> None:
        """Freeze every signal."""
        for value in vars(self).values():
            if isinstance(value, Signal):
                value.freeze()


class Trace:
    """One request's view of one :class:`TraceConfig`: the session, config and context."""

    __slots__ = ("_config", "_ctx", "_session")

    def __init__(self, session: Any, config: TraceConfig, ctx: SimpleNamespace) -> None:
        self._session = session
        self._config = config
        self._ctx = ctx

    async def _send(self, signal: Signal, params: object) -> None:
        if signal:
            await signal.send(self._session, self._ctx, params)

    async def send_request_start(self, method: str, url: URL, headers: CIMultiDict[str]) -> None:
        """Fire ``on_request_start``."""
        await self._send(
            self._config.on_request_start, TraceRequestStartParams(method, url, headers)
        )

    async def send_request_end(
        self, method: str, url: URL, headers: CIMultiDict[str], response: ClientResponse
    ) -> None:
        """Fire ``on_request_end``."""
        await self._send(
            self._config.on_request_end, TraceRequestEndParams(method, url, headers, response)
        )

    async def send_request_exception(
        self, method: str, url: URL, headers: CIMultiDict[str], exception: BaseException
    ) -> None:
        """Fire ``on_request_exception``."""
        params = TraceRequestExceptionParams(method, url, headers, exception)
        await self._send(self._config.on_request_exception, params)

    async def send_request_redirect(
        self, method: str, url: URL, headers: CIMultiDict[str], response: ClientResponse
    ) -> None:
        """Fire ``on_request_redirect``."""
        params = TraceRequestRedirectParams(method, url, headers, response)
        await self._send(self._config.on_request_redirect, params)

    async def send_connection_queued_start(self) -> None:
        """Fire ``on_connection_queued_start``."""
        await self._send(
            self._config.on_connection_queued_start, TraceConnectionQueuedStartParams()
        )

    async def send_connection_queued_end(self) -> None:
        """Fire ``on_connection_queued_end``."""
        await self._send(self._config.on_connection_queued_end, TraceConnectionQueuedEndParams())

    async def send_connection_create_start(self) -> None:
        """Fire ``on_connection_create_start``."""
        await self._send(
            self._config.on_connection_create_start, TraceConnectionCreateStartParams()
        )

    async def send_connection_create_end(self) -> None:
        """Fire ``on_connection_create_end``."""
        await self._send(self._config.on_connection_create_end, TraceConnectionCreateEndParams())

    async def send_connection_reuseconn(self) -> None:
        """Fire ``on_connection_reuseconn``."""
        await self._send(self._config.on_connection_reuseconn, TraceConnectionReuseconnParams())

    async def send_dns_resolvehost_start(self, host: str) -> None:
        """Fire ``on_dns_resolvehost_start``."""
        await self._send(
            self._config.on_dns_resolvehost_start, TraceDnsResolveHostStartParams(host)
        )

    async def send_dns_resolvehost_end(self, host: str) -> None:
        """Fire ``on_dns_resolvehost_end``."""
        await self._send(self._config.on_dns_resolvehost_end, TraceDnsResolveHostEndParams(host))

    async def send_dns_cache_hit(self, host: str) -> None:
        """Fire ``on_dns_cache_hit``."""
        await self._send(self._config.on_dns_cache_hit, TraceDnsCacheHitParams(host))

    async def send_dns_cache_miss(self, host: str) -> None:
        """Fire ``on_dns_cache_miss``."""
        await self._send(self._config.on_dns_cache_miss, TraceDnsCacheMissParams(host))


def start_traces(session: Any, configs: list[TraceConfig], trace_request_ctx: Any) -> list[Trace]:
    """The traces of a new request: one per config, each with a fresh context.

    Args:
        session: The session, passed to every callback.
        configs: The session's trace configs.
        trace_request_ctx: The request's ``trace_request_ctx`` argument.
    """
    if not configs:
        return []
    return [
        Trace(session, config, config.trace_config_ctx(trace_request_ctx)) for config in configs
    ]

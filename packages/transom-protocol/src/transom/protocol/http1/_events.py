"""The events a connection emits and accepts, and the two "no event" signals.

Events are immutable values with keyword constructors. The parser builds them
through private factories that skip the keyword handling, since one is made per
message on the server's hot path.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, ClassVar, Final, TypeAlias

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from transom.protocol._extensions import speedups

__all__ = [
    "NEED_DATA",
    "PAUSED",
    "ConnectionClosed",
    "Data",
    "EndOfMessage",
    "Event",
    "HeadersInput",
    "InformationalResponse",
    "NoEvent",
    "Request",
    "Response",
]

#: What an event constructor accepts as header fields: a multidict (kept as is
#: when it is a ``CIMultiDict``), a mapping, or ``(name, value)`` pairs.
HeadersInput: TypeAlias = (
    CIMultiDict[str]
    | CIMultiDictProxy[str]
    | MultiDict[str]
    | MultiDictProxy[str]
    | Mapping[str, str]
    | Iterable[tuple[str, str]]
    | None
)


def _as_headers(headers: HeadersInput) -> CIMultiDict[str]:
    if type(headers) is CIMultiDict:
        return headers
    if headers is None:
        return CIMultiDict()
    return CIMultiDict(headers)


_new = object.__new__


class NoEvent(enum.Enum):
    """Why :meth:`Connection.next_event` has no event to return."""

    #: Every buffered byte is consumed: feed more with ``receive_data()``.
    NEED_DATA = "NEED_DATA"
    #: The peer's next message must wait until ``start_next_cycle()``, or the
    #: connection switched protocols (see ``trailing_data``).
    PAUSED = "PAUSED"

    def __repr__(self) -> str:
        return self.value


NEED_DATA: Final = NoEvent.NEED_DATA
PAUSED: Final = NoEvent.PAUSED


class Event:
    """Base of every HTTP/1.1 event: immutable, compared by type and fields."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self._fields)

    __hash__ = None  # type: ignore[assignment]  # header multidicts are mutable

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), {name: getattr(self, name) for name in self._fields}))


def _rebuild(cls: type[Event], fields: dict[str, Any]) -> Event:
    return cls(**fields)


class Request(Event):
    """A request line and header section.

    Args:
        method: The method token, case-sensitive (``"GET"``).
        target: The request-target exactly as on the wire: origin-form
            (``/path?query``), absolute-form, authority-form (CONNECT) or ``*``.
        headers: The header fields; values are ``str`` decoded as latin-1.
        http_version: ``(major, minor)``. Received requests carry the peer's
            version; a request is always sent as HTTP/1.1.
    """

    __slots__ = ("headers", "http_version", "method", "target")
    _fields = ("method", "target", "headers", "http_version")

    method: str
    target: str
    headers: CIMultiDict[str]
    http_version: tuple[int, int]

    def __init__(
        self,
        *,
        method: str,
        target: str,
        headers: HeadersInput = None,
        http_version: tuple[int, int] = (1, 1),
    ) -> None:
        _set_method(self, method)
        _set_target(self, target)
        _set_request_headers(self, _as_headers(headers))
        _set_request_version(self, http_version)


_set_method = Request.__dict__["method"].__set__
_set_target = Request.__dict__["target"].__set__
_set_request_headers = Request.__dict__["headers"].__set__
_set_request_version = Request.__dict__["http_version"].__set__


def _parsed_request(
    method: str, target: str, headers: CIMultiDict[str], http_version: tuple[int, int]
) -> Request:
    """Build a :class:`Request` from already validated parts, skipping the checks."""
    event: Request = _new(Request)
    _set_method(event, method)
    _set_target(event, target)
    _set_request_headers(event, headers)
    _set_request_version(event, http_version)
    return event


class _StatusEvent(Event):
    __slots__ = ("headers", "http_version", "reason", "status_code")
    _fields = ("status_code", "reason", "headers", "http_version")

    status_code: int
    reason: str
    headers: CIMultiDict[str]
    http_version: tuple[int, int]

    def __init__(
        self,
        *,
        status_code: int,
        reason: str = "",
        headers: HeadersInput = None,
        http_version: tuple[int, int] = (1, 1),
    ) -> None:
        _set_status(self, status_code)
        _set_reason(self, reason)
        _set_status_headers(self, _as_headers(headers))
        _set_status_version(self, http_version)


_set_status = _StatusEvent.__dict__["status_code"].__set__
_set_reason = _StatusEvent.__dict__["reason"].__set__
_set_status_headers = _StatusEvent.__dict__["headers"].__set__
_set_status_version = _StatusEvent.__dict__["http_version"].__set__


class Response(_StatusEvent):
    """A final response: status line and header section (status 200 to 999).

    Args:
        status_code: The three-digit status.
        reason: The reason phrase; when sending, an empty one is replaced by the
            standard phrase for the status, if there is one.
        headers: The header fields; values are ``str`` decoded as latin-1.
        http_version: ``(major, minor)``. Received responses carry the peer's
            version; a response is always sent as HTTP/1.1.
    """

    __slots__ = ()


class InformationalResponse(_StatusEvent):
    """An interim 1xx response (RFC 9110 §15.2), such as 100 Continue or 101.

    Same fields as :class:`Response`, with a status from 100 to 199.
    """

    __slots__ = ()


def _parsed_status(
    cls: type[Response] | type[InformationalResponse],
    status_code: int,
    reason: str,
    headers: CIMultiDict[str],
    http_version: tuple[int, int],
) -> Response | InformationalResponse:
    """Build a :class:`Response` or :class:`InformationalResponse` from parsed parts."""
    event: Response | InformationalResponse = _new(cls)
    _set_status(event, status_code)
    _set_reason(event, reason)
    _set_status_headers(event, headers)
    _set_status_version(event, http_version)
    return event


class Data(Event):
    """A piece of a message body.

    Received bodies come in pieces of whatever size arrived; their boundaries
    carry no meaning (chunk boundaries are not kept).

    Args:
        data: The body bytes.
    """

    __slots__ = ("data",)
    _fields = __slots__

    data: bytes

    def __init__(self, *, data: bytes) -> None:
        _set_data(self, data)


_set_data = Data.__dict__["data"].__set__


def _parsed_data(data: bytes) -> Data:
    """Build a :class:`Data` without the keyword handling."""
    event: Data = _new(Data)
    _set_data(event, data)
    return event


class EndOfMessage(Event):
    """The end of a message, with the trailer fields of a chunked body.

    Args:
        trailers: Trailer fields (RFC 9110 §6.5); empty when there are none.
            Only a chunked body can carry them.
    """

    __slots__ = ("trailers",)
    _fields = __slots__

    trailers: CIMultiDict[str]

    def __init__(self, *, trailers: HeadersInput = None) -> None:
        _set_trailers(self, _as_headers(trailers))


_set_trailers = EndOfMessage.__dict__["trailers"].__set__


def _parsed_end_of_message(trailers: CIMultiDict[str]) -> EndOfMessage:
    """Build an :class:`EndOfMessage` without the keyword handling."""
    event: EndOfMessage = _new(EndOfMessage)
    _set_trailers(event, trailers)
    return event


class ConnectionClosed(Event):
    """The peer closed its sending side; nothing more will arrive."""

    __slots__ = ()


# The parser's factories: the pure-Python ones above, or the compiled
# new_event(), which fills an event's slots in one call.
parsed_request: Callable[[str, str, CIMultiDict[str], tuple[int, int]], Request] = _parsed_request
parsed_status: Callable[
    [type[Response] | type[InformationalResponse], int, str, CIMultiDict[str], tuple[int, int]],
    Response | InformationalResponse,
] = _parsed_status
parsed_data: Callable[[bytes], Data] = _parsed_data
parsed_end_of_message: Callable[[CIMultiDict[str]], EndOfMessage] = _parsed_end_of_message

if speedups is not None:
    for _cls in (Request, Response, InformationalResponse, Data, EndOfMessage):
        speedups.register_event(_cls, [getattr(_cls, name) for name in _cls._fields])
    parsed_request = partial(speedups.new_event, Request)
    parsed_status = speedups.new_event
    parsed_data = partial(speedups.new_event, Data)
    parsed_end_of_message = partial(speedups.new_event, EndOfMessage)

"""The access log: one line per answered request, in a configurable format."""

from __future__ import annotations

import datetime
import logging
import os
import re
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Final, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Callable

    from transom.web._request import BaseRequest
    from transom.web._response import StreamResponse

__all__ = ["AbstractAccessLogger", "AccessLogger", "access_logger", "server_logger"]

access_logger: Final = logging.getLogger("transom.web.access")
server_logger: Final = logging.getLogger("transom.web.server")

_Getter: TypeAlias = "Callable[[BaseRequest, StreamResponse, float], object]"

# %a %t %P %r %s %b %T %Tf %D, plus %{Name}i (request header) and %{Name}o
# (response header); "%%" is a literal percent sign.
_DIRECTIVE_RE: Final = re.compile(r"%(?:\{([A-Za-z0-9_-]+)\}([io])|(Tf|[atPrsbTD%]))")


class AbstractAccessLogger(ABC):
    """Base of access loggers: subclass and implement :meth:`log`.

    Args:
        logger: Where lines go.
        log_format: The format string (its meaning is up to the subclass).
    """

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        self.logger = logger
        self.log_format = log_format

    @abstractmethod
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        """Record one answered request; ``time`` is the seconds the handler took."""

    @property
    def enabled(self) -> bool:
        """Whether :meth:`log` should be called at all (skipped when ``False``)."""
        return True


class AccessLogger(AbstractAccessLogger):
    """Writes one line per request at INFO level, in Apache-like format.

    Directives: ``%a`` remote address, ``%t`` start time, ``%P`` process id,
    ``%r`` request line, ``%s`` status, ``%b`` response size in bytes (head
    included), ``%T`` seconds taken, ``%Tf`` seconds with fraction, ``%D``
    microseconds, ``%{Name}i`` a request header, ``%{Name}o`` a response
    header, ``%%`` a percent sign.

    Raises:
        ValueError: The format has an unknown ``%`` directive.
    """

    LOG_FORMAT: Final = '%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"'

    def __init__(self, logger: logging.Logger, log_format: str = LOG_FORMAT) -> None:
        super().__init__(logger, log_format)
        self._template, self._getters = _compile(log_format)

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        try:
            values = tuple(getter(request, response, time) for getter in self._getters)
            self.logger.info(self._template, *values)
        except Exception:
            self.logger.exception("cannot write the access log line")


def _compile(log_format: str) -> tuple[str, list[_Getter]]:
    """Turn a format into a logging template and one value getter per directive."""
    template: list[str] = []
    getters: list[_Getter] = []
    position = 0
    for match in _DIRECTIVE_RE.finditer(log_format):
        literal = log_format[position : match.start()]
        if "%" in literal:
            raise ValueError(f"unknown access log directive in {literal!r}")
        template.append(literal)
        position = match.end()
        name, kind, code = match.groups()
        if code == "%":
            template.append("%%")
            continue
        template.append("%s")
        if name is not None:
            getters.append(_request_header(name) if kind == "i" else _response_header(name))
        else:
            getters.append(_SIMPLE[code])
    tail = log_format[position:]
    if "%" in tail:
        raise ValueError(f"unknown access log directive in {tail!r}")
    template.append(tail)
    return "".join(template), getters


def _request_header(name: str) -> _Getter:
    def get(request: BaseRequest, response: StreamResponse, time: float) -> object:
        return request.headers.get(name, "-")

    return get


def _response_header(name: str) -> _Getter:
    def get(request: BaseRequest, response: StreamResponse, time: float) -> object:
        return response.headers.get(name, "-")

    return get


def _remote(request: BaseRequest, response: StreamResponse, time: float) -> object:
    return request.remote or "-"


def _start_time(request: BaseRequest, response: StreamResponse, time: float) -> object:
    started = datetime.datetime.now(datetime.UTC).astimezone() - datetime.timedelta(seconds=time)
    return started.strftime("[%d/%b/%Y:%H:%M:%S %z]")


def _pid(request: BaseRequest, response: StreamResponse, time: float) -> object:
    return f"<{os.getpid()}>"


def _request_line(request: BaseRequest, response: StreamResponse, time: float) -> object:
    major, minor = request.version
    return f"{request.method} {request.raw_path} HTTP/{major}.{minor}"


def _status(request: BaseRequest, response: StreamResponse, time: float) -> object:
    return response.status


def _size(request: BaseRequest, response: StreamResponse, time: float) -> object:
    return response.body_length


def _seconds(request: BaseRequest, response: StreamResponse, time: float) -> object:
    return round(time)


def _seconds_fraction(request: BaseRequest, response: StreamResponse, time: float) -> object:
    return f"{time:.6f}"


def _microseconds(request: BaseRequest, response: StreamResponse, time: float) -> object:
    return round(time * 1_000_000)


_SIMPLE: Final[dict[str, _Getter]] = {
    "a": _remote,
    "t": _start_time,
    "P": _pid,
    "r": _request_line,
    "s": _status,
    "b": _size,
    "T": _seconds,
    "Tf": _seconds_fraction,
    "D": _microseconds,
}

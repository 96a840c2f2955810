"""``StreamResponse``: a response whose body the handler writes piece by piece.

A response object answers exactly one request. :meth:`StreamResponse.prepare`
binds it to its request and queues the head; preparing (or returning from a
handler) a response already bound to another request raises ``RuntimeError``
at once instead of leaving the second client waiting.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Final

from multidict import CIMultiDict, istr

from transom.protocol.compression import make_encoder, negotiate_encoding
from transom.web._compiler_hints import mypyc_attr
from transom.web._date_cache import http_date_now
from transom.web._response_fields import DEFAULT_CONTENT_TYPE, ResponseFields

if TYPE_CHECKING:
    from collections.abc import Mapping

    from transom.protocol.compression import Encoder
    from transom.web._request import BaseRequest
    from transom.web._response_writer import ResponseWriter

__all__ = ["NO_BODY_STATUSES", "REUSED_RESPONSE_MESSAGE", "StreamResponse"]

REUSED_RESPONSE_MESSAGE: Final = (
    "this response object was already used for another request; "
    "create a new response object for each request"
)

_REASONS: Final = {status.value: status.phrase for status in HTTPStatus}
# RFC 9110 §15.3.5, §15.4.5: these statuses never carry content.
NO_BODY_STATUSES: Final = frozenset({204, 304})

# Field names of every response, as istr: multidict looks them up without
# folding their case first.
DATE: Final = istr("Date")
CONTENT_TYPE: Final = istr("Content-Type")
CONTENT_LENGTH: Final = istr("Content-Length")


@mypyc_attr(allow_interpreted_subclasses=True)
class StreamResponse(ResponseFields):
    """A response whose body the handler writes piece by piece.

    Set the status and headers, ``await prepare(request)`` to send the head,
    ``await write(data)`` any number of times, then ``await write_eof()``.
    Also a dict for per-response state.

    Args:
        status: The status code (100-999).
        reason: The reason phrase; the standard one for ``status`` by default.
        headers: Initial header fields (copied).
    """

    __slots__ = (
        "_compression",
        "_encoder",
        "_eof_sent",
        "_keep_alive",
        "_must_be_empty",
        "_reason",
        "_request",
        "_status",
        "_writer",
    )

    def __init__(
        self,
        *,
        status: int = 200,
        reason: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._headers: CIMultiDict[str] = CIMultiDict() if headers is None else CIMultiDict(headers)
        self._request: BaseRequest | None = None
        if status == 200 and reason is None and type(status) is int:
            # The usual response: set_status() with nothing to check.
            self._status = 200
            self._reason = "OK"
        else:
            self.set_status(status, reason)
        self._cookies: dict[str, str] = {}
        self._state = {}
        self._writer: ResponseWriter | None = None
        self._eof_sent = False
        self._keep_alive: bool | None = None
        self._chunked = False
        self._must_be_empty = False
        self._compression: bool | str = False
        self._encoder: Encoder | None = None

    def __repr__(self) -> str:
        if self._eof_sent:
            state = "eof"
        elif self._request is not None:
            state = f"{self._request.method} {self._request.path}"
        else:
            state = "not prepared"
        return f"<{type(self).__name__} {self._status} {self._reason} {state}>"

    # -- status and headers ----------------------------------------------------

    @property
    def status(self) -> int:
        """The status code."""
        return self._status

    @property
    def reason(self) -> str:
        """The reason phrase."""
        return self._reason

    def set_status(self, status: int, reason: str | None = None) -> None:
        """Change the status (and reason) before the head is sent.

        Raises:
            RuntimeError: The response was already prepared.
            ValueError: ``status`` is not in 100-999, or ``reason`` holds CR or LF.
        """
        if self._request is not None:
            raise RuntimeError("cannot change the status after prepare()")
        if type(status) is not int:
            status = int(status)
        if not 100 <= status <= 999:
            raise ValueError(f"status must be in 100-999, not {status}")
        if reason is None:
            reason = _REASONS.get(status, "")
        elif "\r" in reason or "\n" in reason:
            raise ValueError("reason must not contain CR or LF")
        self._status = status
        self._reason = reason

    @property
    def headers(self) -> CIMultiDict[str]:
        """The header fields; change them before :meth:`prepare`."""
        return self._headers

    @property
    def prepared(self) -> bool:
        """Whether :meth:`prepare` has run (the head is queued or sent)."""
        return self._request is not None

    @property
    def body_length(self) -> int:
        """Bytes sent so far, head included."""
        return 0 if self._writer is None else self._writer.output_size

    @property
    def keep_alive(self) -> bool | None:
        """Whether the connection stays open after this response (known once prepared)."""
        keep_alive = self._keep_alive
        if keep_alive is None and self._request is not None:
            # Read when asked: the protocol core frames each response by
            # what the client sent, so sending needs no copy of it.
            return self._request.keep_alive
        return keep_alive

    def force_close(self) -> None:
        """Close the connection after this response."""
        self._keep_alive = False

    @property
    def chunked(self) -> bool:
        """Whether chunked transfer coding was asked for."""
        return self._chunked

    def enable_chunked_encoding(self) -> None:
        """Send the body with ``Transfer-Encoding: chunked`` (RFC 9112 §7.1).

        Raises:
            RuntimeError: ``Content-Length`` is set.
        """
        if "Content-Length" in self._headers:
            raise RuntimeError("cannot enable chunked encoding when Content-Length is set")
        self._chunked = True

    @property
    def compression(self) -> bool:
        """Whether compression was asked for."""
        return bool(self._compression)

    def enable_compression(self, force: str | None = None) -> None:
        """Compress the body with a content-coding the client accepts (RFC 9110 §8.4).

        Args:
            force: Use this coding (``"gzip"``, ``"deflate"``, ``"br"``,
                ``"zstd"``) whatever ``Accept-Encoding`` says; by default the
                best coding the client accepts is chosen, or none.
        """
        self._check_not_prepared()
        self._compression = force or True

    # -- sending ---------------------------------------------------------------

    async def prepare(self, request: BaseRequest) -> None:
        """Bind this response to ``request`` and queue its head.

        Runs the application's ``on_response_prepare`` signal first, so
        callbacks can still change headers. Preparing twice for the same
        request does nothing.

        Raises:
            RuntimeError: The response was already prepared for another request.
        """
        if self._request is not None:
            if self._request is request:
                return
            raise RuntimeError(REUSED_RESPONSE_MESSAGE)
        match_info = request._match_info
        if match_info is not None:
            for app in match_info.apps:
                signal = app.on_response_prepare
                if signal:
                    # Only an application-routed Request has match info.
                    await signal.send(request, self)  # type: ignore[arg-type]
        if self._compression:
            await self._start_compression(request)
        self._start(request)

    def _prepare_now(self, request: BaseRequest) -> bool:
        """:meth:`prepare`, for a fresh response, when it has nothing to await.

        Returns:
            True once prepared; False, having done nothing, when the
            ``on_response_prepare`` signal has receivers or the body is to be
            compressed (await :meth:`prepare` then). The caller checks that
            ``prepare`` is not overridden.
        """
        if self._request is not None or self._compression:
            return False
        match_info = request._match_info
        if match_info is not None:
            # The attributes behind match_info.apps and app.on_response_prepare:
            # three calls less on every request.
            for app in match_info._apps:
                if app._on_response_prepare._items:
                    return False
        self._start(request)
        return True

    async def _start_compression(self, request: BaseRequest) -> None:
        """Choose the coding and set the fields; the body is encoded as written."""
        coding = self._choose_coding(request)
        if coding is not None:
            self._encoder = make_encoder(coding)
            self._headers.popall("Content-Length", None)
            if request.version >= (1, 1):
                self._chunked = True

    def _choose_coding(self, request: BaseRequest) -> str | None:
        headers = self._headers
        if "Content-Encoding" in headers or self._status in NO_BODY_STATUSES:
            return None
        # The choice depends on Accept-Encoding: caches must know (RFC 9110 §12.5.5).
        vary = headers.get("Vary", "")
        if "accept-encoding" not in vary.lower() and vary != "*":
            headers["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
        if isinstance(self._compression, str):
            coding: str | None = self._compression
        else:
            coding = negotiate_encoding(request.headers.get("Accept-Encoding"))
        if coding is not None:
            headers["Content-Encoding"] = coding
        return coding

    def _start(self, request: BaseRequest) -> None:
        """Finish the headers and hand the head to the writer."""
        self._request = request
        writer = self._writer = request._writer
        headers = self._headers
        status = self._status
        self._must_be_empty = request.method == "HEAD" or status in NO_BODY_STATUSES or status < 200
        if DATE not in headers:
            headers[DATE] = http_date_now()
        for cookie in self._cookies.values():
            headers.add("Set-Cookie", cookie)
        if self._keep_alive is False and "Connection" not in headers:
            # force_close(); the protocol core adds the field when the client
            # itself asked to close.
            headers["Connection"] = "close"
        if status >= 200 and status not in NO_BODY_STATUSES:
            if CONTENT_TYPE not in headers:
                headers[CONTENT_TYPE] = DEFAULT_CONTENT_TYPE
            if self._chunked:
                if request.version < (1, 1):
                    raise RuntimeError("chunked encoding needs an HTTP/1.1 request")
                headers["Transfer-Encoding"] = "chunked"
        self._prepare_body_headers(headers)
        writer.start(status, self._reason, headers)

    def _prepare_body_headers(self, headers: CIMultiDict[str]) -> None:
        """Subclass hook: framing headers known from the body."""

    def _check_not_prepared(self) -> None:
        if self._request is not None:
            raise RuntimeError("cannot change the response after prepare()")

    def _live_writer(self) -> ResponseWriter:
        writer = self._writer
        if writer is None:
            raise RuntimeError("call prepare() before writing the body")
        if self._eof_sent:
            raise RuntimeError("cannot write after write_eof()")
        return writer

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send body bytes, waiting while the client reads slower than we write.

        Raises:
            RuntimeError: Before :meth:`prepare` or after :meth:`write_eof`.
            ConnectionResetError: The client went away.
        """
        writer = self._live_writer()
        if data:
            chunk = bytes(data)
            encoder = self._encoder
            writer.write(chunk if encoder is None else encoder.compress(chunk))
        if writer.paused:
            await writer.drain()

    async def drain(self) -> None:
        """Wait until the client has taken enough of what was written."""
        await self._live_writer().drain()

    async def write_eof(self, data: bytes = b"") -> None:
        """Send the last body bytes and finish the response.

        The client has the whole response once this returns; the handler may
        go on working. Later calls do nothing.
        """
        if self._eof_sent:
            return
        writer = self._live_writer()
        await writer.write_eof(self._last_bytes(data))

    def _last_bytes(self, data: bytes) -> bytes:
        """Mark the body finished; ``data`` and what the encoder still holds, encoded."""
        self._eof_sent = True
        encoder = self._encoder
        if encoder is not None:
            data = encoder.compress(data) + encoder.finish() if data else encoder.finish()
        return data

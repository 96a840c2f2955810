"""Responses with a known body: :class:`Response` and :func:`json_response`.

:class:`StreamResponse`, their base, lives in ``_stream_response`` and is
re-exported here.
"""

from __future__ import annotations

import asyncio
import json
import json.encoder
from typing import TYPE_CHECKING, Any, Final

from transom.protocol.compression import make_encoder
from transom.web._compiler_hints import mypyc_attr
from transom.web._response_fields import UTF8_CONTENT_TYPES
from transom.web._stream_response import (
    CONTENT_LENGTH,
    CONTENT_TYPE,
    NO_BODY_STATUSES,
    REUSED_RESPONSE_MESSAGE,
    StreamResponse,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from multidict import CIMultiDict

    from transom.protocol.compression import Encoder
    from transom.web._request import BaseRequest

__all__ = [
    "COMPRESS_IN_THREAD_SIZE",
    "REUSED_RESPONSE_MESSAGE",
    "Response",
    "StreamResponse",
    "json_response",
]

# Whole bodies larger than this are compressed in a worker thread, so that one
# large response does not stall every other connection for milliseconds.
COMPRESS_IN_THREAD_SIZE: Final = 256 * 1024

_DEFAULT_DUMPS: Final = json.dumps
# The C encoder that json.dumps ends in (None only without the _json module).
_C_MAKE_ENCODER: Final[Any] = getattr(json.encoder, "c_make_encoder", None)
_refuse = json.encoder.JSONEncoder().default


def _dumps(data: Any) -> str:
    """``json.dumps(data)``, the same text, without its three Python frames.

    ``json.dumps`` with no options goes through ``JSONEncoder.encode`` and
    ``iterencode`` to the C encoder; this builds the C encoder as they do
    (a fresh one, so circular references are still detected) and calls it.
    """
    if _C_MAKE_ENCODER is None:  # pragma: no cover - CPython always has it
        return _DEFAULT_DUMPS(data)
    encode = _C_MAKE_ENCODER(
        {}, _refuse, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    return "".join(encode(data, 0))


@mypyc_attr(allow_interpreted_subclasses=True)
class Response(StreamResponse):
    """A response whose whole body is known up front.

    Args:
        body: The body bytes.
        status: The status code.
        reason: The reason phrase.
        text: The body as text (encoded with ``charset``, UTF-8 by default);
            exclusive with ``body``.
        headers: Initial header fields.
        content_type: The media type (``text/plain`` with ``text``).
        charset: The charset of ``text``.

    Raises:
        ValueError: Both ``body`` and ``text`` are given, or ``content_type``
            carries a charset while ``charset`` is also given.
        TypeError: ``body`` is not bytes-like or ``text`` is not a ``str``.
    """

    __slots__ = ("_body",)

    def __init__(
        self,
        *,
        body: bytes | bytearray | memoryview | str | None = None,
        status: int = 200,
        reason: str | None = None,
        text: str | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        charset: str | None = None,
    ) -> None:
        super().__init__(status=status, reason=reason, headers=headers)
        if text is not None and body is None and headers is None and charset is None:
            # The usual text response: UTF-8, one of the ready-made fields.
            field = UTF8_CONTENT_TYPES.get(content_type or "text/plain")
            if field is not None and type(text) is str:
                self._headers[CONTENT_TYPE] = field
                self._body = text.encode()
                return
        self._body = b""
        if body is not None and text is not None:
            raise ValueError("body and text are exclusive")
        if content_type is not None and "charset" in content_type.lower() and charset:
            raise ValueError("charset must not be given both in content_type and charset")
        if text is not None:
            if not isinstance(text, str):
                raise TypeError(f"text must be str, not {type(text).__name__}")
            if content_type is None and "Content-Type" not in self._headers:
                content_type = "text/plain"
            if content_type is not None and "charset" in content_type.lower():
                self._headers["Content-Type"] = content_type
                charset = self.charset
            else:
                charset = charset or "utf-8"
                if content_type is not None:
                    self._set_content_type(content_type, charset)
            self._body = text.encode(charset or "utf-8")
        else:
            if body is not None:
                self._set_body(body)
            if content_type is not None:
                if charset is not None:
                    self._set_content_type(content_type, charset)
                else:
                    self._headers["Content-Type"] = content_type

    @property
    def body(self) -> bytes:
        """The body bytes."""
        return self._body

    @body.setter
    def body(self, value: bytes | bytearray | memoryview | str | None) -> None:
        self._set_body(value)

    def _set_body(self, value: object) -> None:
        # The setter's work, typed for any value: compiled, a property setter
        # takes only its getter's type.
        self._check_not_prepared()
        if value is None:
            self._body = b""
        elif isinstance(value, bytes):
            self._body = value
        elif isinstance(value, (bytearray, memoryview)):
            self._body = bytes(value)
        elif isinstance(value, str):
            # As aiohttp: a str body is UTF-8 text unless a charset says otherwise.
            if "Content-Type" not in self._headers:
                self._set_content_type("text/plain", "utf-8")
            self._body = value.encode(self.charset or "utf-8")
        else:
            # A run-time check for callers that ignore the annotation.
            raise TypeError(f"body must be bytes-like or str, not {type(value).__name__}")

    @property
    def text(self) -> str:
        """The body decoded with its charset (UTF-8 when none is set)."""
        return self._body.decode(self.charset or "utf-8")

    @text.setter
    def text(self, value: str) -> None:
        self._check_not_prepared()
        if not isinstance(value, str):
            raise TypeError(f"text must be str, not {type(value).__name__}")
        if "Content-Type" not in self._headers:
            self._set_content_type("text/plain", "utf-8")
        self._body = value.encode(self.charset or "utf-8")

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` field, else the body's length."""
        value = self._headers.get("Content-Length")
        if value is not None:
            return int(value)
        return None if self._chunked else len(self._body)

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        raise RuntimeError("the content length of a Response is its body's; set body instead")

    async def _start_compression(self, request: BaseRequest) -> None:
        # The whole body is known: encode it now and declare its encoded length.
        if not self._body or self._chunked:
            await super()._start_compression(request)
            return
        coding = self._choose_coding(request)
        if coding is None:
            return
        encoder = make_encoder(coding)
        body = self._body
        if len(body) > COMPRESS_IN_THREAD_SIZE:
            loop = asyncio.get_running_loop()
            self._body = await loop.run_in_executor(None, _encode_whole, encoder, body)
        else:
            self._body = _encode_whole(encoder, body)

    def _prepare_body_headers(self, headers: CIMultiDict[str]) -> None:
        status = self._status
        if status < 200 or status in NO_BODY_STATUSES:
            headers.popall("Content-Length", None)
            headers.popall("Transfer-Encoding", None)
        elif not self._chunked:
            headers[CONTENT_LENGTH] = str(len(self._body))

    async def write_eof(self, data: bytes = b"") -> None:
        """Send the body (head and body leave in one write) and finish."""
        if self._eof_sent:
            return
        writer = self._live_writer()
        # One coroutine less than StreamResponse.write_eof: it runs for every response.
        await writer.write_eof(self._final_bytes(data))

    def _final_bytes(self, data: bytes = b"") -> bytes:
        """Mark the response finished; the bytes :meth:`write_eof` sends, ``data`` appended."""
        body = self._body + data if data else self._body
        return self._last_bytes(b"" if self._must_be_empty else body)


def _encode_whole(encoder: Encoder, body: bytes) -> bytes:
    return encoder.compress(body) + encoder.finish()


def json_response(
    data: Any = None,
    *,
    text: str | None = None,
    body: bytes | None = None,
    status: int = 200,
    reason: str | None = None,
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/json",
    dumps: Callable[[Any], str] = json.dumps,
) -> Response:
    """A :class:`Response` holding ``data`` encoded with ``dumps``.

    Args:
        data: The value to encode (exclusive with ``text`` and ``body``).
        text: Already encoded JSON text.
        body: Already encoded JSON bytes.
        dumps: The encoder, ``json.dumps`` by default.

    Raises:
        ValueError: ``data`` is given together with ``text`` or ``body``.
    """
    if data is not None:
        if text is not None or body is not None:
            raise ValueError("data is exclusive with text and body")
        text = _dumps(data) if dumps is _DEFAULT_DUMPS else dumps(data)
    if body is not None:
        return Response(
            body=body, status=status, reason=reason, headers=headers, content_type=content_type
        )
    return Response(
        text="null" if text is None else text,
        status=status,
        reason=reason,
        headers=headers,
        content_type=content_type,
    )

"""`HTTPException`, the base of the per-status exceptions, and the `Response` it carries.

An exception is not itself a `Response` (responses are compiled classes, which
cannot also be exceptions); it holds one, ``exc.response``, and offers its
fields (``status``, ``reason``, ``headers``, ``text``, ``body``,
``content_type``, ``charset``, cookies) directly, so an exception can be
adjusted, for example given a cookie, before it is raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from transom.web._response import Response

if TYPE_CHECKING:
    from multidict import CIMultiDict

__all__ = ["HTTPException", "Headers"]

Headers = Mapping[str, str]


class HTTPException(Exception):
    """Base of every HTTP exception: raised (or returned), it answers with its `response`.

    Subclasses set ``status_code``; instantiate a subclass, not this class.

    Args:
        headers: extra response headers.
        reason: the reason phrase (default: the standard one for the status).
        body: the body as bytes.
        text: the body as text (``text/plain; charset=utf-8`` unless
            `content_type` says otherwise).
        content_type: the body's media type.

    Raises:
        ValueError: `reason` contains CR or LF.
    """

    status_code: ClassVar[int] = -1
    empty_body: ClassVar[bool] = False

    def __init__(
        self,
        *,
        headers: Headers | None = None,
        reason: str | None = None,
        body: bytes | None = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        if reason is not None and ("\r" in reason or "\n" in reason):
            raise ValueError("reason must not contain CR or LF")
        if self.empty_body:
            body = text = content_type = None
        response = Response(
            status=self.status_code,
            headers=headers,
            reason=reason,
            body=body,
            text=text,
            content_type=content_type,
        )
        if body is None and text is None and not self.empty_body:
            response.text = f"{response.status}: {response.reason}"
        self._response = response
        super().__init__(response.reason)

    @property
    def response(self) -> Response:
        """The response the application answers with."""
        return self._response

    # The response's fields, read and set through the exception.

    @property
    def status(self) -> int:
        """The status code."""
        return self._response.status

    @property
    def reason(self) -> str:
        """The reason phrase."""
        return self._response.reason

    @property
    def headers(self) -> CIMultiDict[str]:
        """The response's header fields."""
        return self._response.headers

    @property
    def text(self) -> str:
        """The body as text."""
        return self._response.text

    @text.setter
    def text(self, value: str) -> None:
        self._response.text = value

    @property
    def body(self) -> bytes:
        """The body bytes."""
        return self._response.body

    @body.setter
    def body(self, value: bytes | str | None) -> None:
        self._response.body = value

    @property
    def content_type(self) -> str:
        """The body's media type, without parameters."""
        return self._response.content_type

    @content_type.setter
    def content_type(self, value: str) -> None:
        self._response.content_type = value

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of ``Content-Type``."""
        return self._response.charset

    @charset.setter
    def charset(self, value: str | None) -> None:
        self._response.charset = value

    @property
    def content_length(self) -> int | None:
        """The body's length."""
        return self._response.content_length

    @property
    def cookies(self) -> Mapping[str, str]:
        """The ``Set-Cookie`` values to send, by cookie name."""
        return self._response.cookies

    def set_cookie(self, name: str, value: str, **attributes: Any) -> None:
        """:meth:`Response.set_cookie` on the exception's response."""
        self._response.set_cookie(name, value, **attributes)

    def del_cookie(self, name: str, **attributes: Any) -> None:
        """:meth:`Response.del_cookie` on the exception's response."""
        self._response.del_cookie(name, **attributes)

    @property
    def last_modified(self) -> datetime | None:
        """``Last-Modified`` as a datetime."""
        return self._response.last_modified

    @last_modified.setter
    def last_modified(self, value: datetime | float | str | None) -> None:
        self._response.last_modified = value

    def force_close(self) -> None:
        """Close the connection after the answer."""
        self._response.force_close()

    def __str__(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.status} {self.reason}>"

"""Errors raised while reading and writing cookies."""

from __future__ import annotations

from transom.protocol._errors import LocalProtocolError, RemoteProtocolError

__all__ = ["CookieError", "CookieLimitError", "InvalidSetCookieError"]


class CookieError(LocalProtocolError):
    """This program asked to send a cookie the protocol does not allow.

    Raised by the formatting functions before any text is produced: a name
    that is not a token, a value or attribute carrying CR, LF, NUL or ``;``
    (which would inject a header or an attribute), or an attribute combination
    browsers silently refuse (``SameSite=None`` or ``Partitioned`` without
    ``Secure``).
    """


class CookieLimitError(RemoteProtocolError):
    """The peer's ``Cookie`` header is larger than this program accepts.

    Carries status 431 (Request Header Fields Too Large, RFC 6585 §5).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason, status_code=431)


class InvalidSetCookieError(RemoteProtocolError):
    """A ``Set-Cookie`` header that a user agent must ignore entirely.

    RFC 6265 §5.2 tells the user agent to drop such a header and carry on, so
    a cookie jar catches this, perhaps logs :attr:`reason`, and keeps the rest
    of the response.
    """

"""Cookies: the ``Cookie`` request header and the ``Set-Cookie`` response header.

Reading follows what browsers do (RFC 6265 §5): lenient, skipping what it
cannot use. Writing follows what servers must do (RFC 6265 §4): a name or value
that could inject a header or an attribute is refused with :class:`CookieError`
before any text is produced.
"""

from transom.protocol.cookies._cookie_header import (
    DEFAULT_MAX_COOKIE_HEADER_SIZE,
    DEFAULT_MAX_COOKIES,
    format_cookie_header,
    parse_cookie_header,
)
from transom.protocol.cookies._errors import CookieError, CookieLimitError, InvalidSetCookieError
from transom.protocol.cookies._grammar import (
    MAX_ATTRIBUTE_VALUE_SIZE,
    MAX_NAME_VALUE_SIZE,
    quote_cookie_value,
)
from transom.protocol.cookies._set_cookie import (
    MAX_COOKIE_AGE,
    SameSite,
    SetCookie,
    format_set_cookie,
)

__all__ = [
    "DEFAULT_MAX_COOKIES",
    "DEFAULT_MAX_COOKIE_HEADER_SIZE",
    "MAX_ATTRIBUTE_VALUE_SIZE",
    "MAX_COOKIE_AGE",
    "MAX_NAME_VALUE_SIZE",
    "CookieError",
    "CookieLimitError",
    "InvalidSetCookieError",
    "SameSite",
    "SetCookie",
    "format_cookie_header",
    "format_set_cookie",
    "parse_cookie_header",
    "quote_cookie_value",
]

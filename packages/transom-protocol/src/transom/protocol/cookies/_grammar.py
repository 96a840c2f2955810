"""The cookie grammar a server must follow (RFC 6265 §4.1.1), as checks.

Reading is lenient (RFC 6265 §5 describes what user agents accept); writing is
strict, so that nothing this program sends can smuggle a header or an attribute
through a cookie, and nothing it sends is silently dropped by a browser.
"""

from __future__ import annotations

import re

from transom.protocol.cookies._errors import CookieError

__all__ = [
    "MAX_ATTRIBUTE_VALUE_SIZE",
    "MAX_NAME_VALUE_SIZE",
    "check_attribute_value",
    "check_cookie_name",
    "check_cookie_value",
    "quote_cookie_value",
]

# RFC 6265bis (draft-ietf-httpbis-rfc6265bis), "The Set-Cookie Header Field":
# a user agent ignores a cookie whose name and value together exceed 4096
# octets, and an attribute whose value exceeds 1024 octets. Refusing to send
# either turns a silent loss into an error the programmer sees.
MAX_NAME_VALUE_SIZE = 4096
MAX_ATTRIBUTE_VALUE_SIZE = 1024

#   cookie-name   = token                            (RFC 6265 §4.1.1)
#   token         = 1*tchar                          (RFC 9110 §5.6.2)
#   tchar         = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "."
#                 / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#   cookie-value  = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )
#   cookie-octet  = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
_COOKIE_OCTETS = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")
# Inside DQUOTEs this program also allows SP and ",": the two characters
# applications most often need, which every browser keeps as part of the value
# and which Python's http.cookies reads back unquoted. DQUOTE and "\" stay out,
# because RFC 6265 defines no escape for them.
_QUOTABLE = re.compile(r"[\x20\x21\x23-\x3a\x3c-\x5b\x5d-\x7e]*")
_QUOTED_VALUE = re.compile(r'"[\x20\x21\x23-\x3a\x3c-\x5b\x5d-\x7e]*"')
#   path-value / extension-av = *<any CHAR except CTLs or ";">
_ATTRIBUTE_VALUE = re.compile(r"[\x20-\x3a\x3c-\x7e]*")


def check_cookie_name(name: str) -> None:
    """Raise :class:`CookieError` unless ``name`` is a token (RFC 6265 §4.1.1)."""
    if not _TOKEN.fullmatch(name):
        raise CookieError(f"cookie name {_short(name)} is not a token (RFC 6265 §4.1.1)")


def quote_cookie_value(value: str) -> str:
    """Return ``value`` as it goes on the wire: bare when it can, else in DQUOTEs.

    The result reads back as ``value`` through ``parse_cookie_header``, through
    Python's ``http.cookies`` and in browsers' ``document.cookie`` handling.

    Args:
        value: The application's value. Every printable ASCII character is
            allowed except ``;``, ``"`` and ``\\``; SP and ``,`` make the
            value quoted. Encode anything else first (percent-encoding, base64).

    Returns:
        The wire form of the value.

    Raises:
        CookieError: ``value`` contains a control character (CR, LF and NUL
            included), ``;``, ``"``, ``\\`` or a non-ASCII character.
    """
    if _COOKIE_OCTETS.fullmatch(value):
        return value
    if _QUOTABLE.fullmatch(value):
        return f'"{value}"'
    raise CookieError(f"cookie value {_describe_bad_value(value)}; encode it first")


def check_cookie_value(value: str) -> None:
    """Raise :class:`CookieError` unless ``value`` is a wire-form cookie value.

    The wire form is what :func:`quote_cookie_value` returns: cookie-octets,
    or the same plus SP and ``,`` between DQUOTEs.
    """
    if _COOKIE_OCTETS.fullmatch(value) or _QUOTED_VALUE.fullmatch(value):
        return
    if _QUOTABLE.fullmatch(value):
        raise CookieError("cookie value needs quoting: pass it through quote_cookie_value()")
    quoted = len(value) >= 2 and value[0] == value[-1] == '"'
    problem = _describe_bad_value(value[1:-1] if quoted else value)
    raise CookieError(f"cookie value {problem}; encode it first")


def check_attribute_value(attribute: str, value: str) -> None:
    """Raise :class:`CookieError` unless ``value`` is safe as a Set-Cookie attribute value."""
    if not _ATTRIBUTE_VALUE.fullmatch(value):
        raise CookieError(
            f"{attribute} {_describe_bad_value(value)}, which a Set-Cookie attribute cannot carry"
        )
    if len(value) > MAX_ATTRIBUTE_VALUE_SIZE:
        raise CookieError(
            f"{attribute} is longer than {MAX_ATTRIBUTE_VALUE_SIZE} characters; "
            "browsers would ignore it"
        )


def _describe_bad_value(value: str) -> str:
    for char in value:
        if char in "\r\n":
            return "contains CR or LF"
        if char == "\x00":
            return "contains NUL"
        if char < "\x20" or char == "\x7f":
            return "contains a control character"
        if char == ";":
            return "contains ';'"
        if char in '"\\':
            return f"contains {char!r}"
        if char > "\x7e":
            return "contains a non-ASCII character"
    return "is not allowed"


def _short(text: str) -> str:
    # Error reasons may reach the peer: never echo more than a short repr.
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")

"""The ``Set-Cookie`` response header: one cookie and its attributes."""

from __future__ import annotations

import re
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from typing import Literal

from transom.protocol.cookies._errors import CookieError, InvalidSetCookieError
from transom.protocol.cookies._grammar import (
    MAX_ATTRIBUTE_VALUE_SIZE,
    MAX_NAME_VALUE_SIZE,
    check_attribute_value,
    check_cookie_name,
    check_cookie_value,
    quote_cookie_value,
)
from transom.protocol.dates import HTTPDateError, format_http_date, parse_cookie_date

__all__ = ["MAX_COOKIE_AGE", "SameSite", "SetCookie", "format_set_cookie"]

SameSite = Literal["Strict", "Lax", "None"]

# RFC 6265bis, the Max-Age attribute: user agents cap a cookie's lifetime at
# 400 days. Parsing applies the cap so that a hostile Max-Age of a thousand
# digits never reaches a cookie jar's date arithmetic.
MAX_COOKIE_AGE = 400 * 24 * 60 * 60

_SAME_SITE_VALUES: dict[str, SameSite] = {"strict": "Strict", "lax": "Lax", "none": "None"}
# RFC 6265 §5.1.1 step 5: browsers ignore an Expires before 1601.
_MIN_EXPIRES_YEAR = 1601
#   domain-av = "Domain=" domain-value; domain-value = <subdomain> (RFC 1034
#   §3.5, letters, digits and hyphens), a leading "." tolerated (RFC 6265 §4.1.2.3).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"\.?{_LABEL}(?:\.{_LABEL})*")
_MAX_DOMAIN_LENGTH = 253
_WSP = " \t"
# RFC 6265bis: a user agent ignores a Set-Cookie holding a control character
# other than HTAB.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
#   RFC 6265 §5.2.2: a DIGIT or "-", then only DIGITs.
_MAX_AGE = re.compile(r"-?[0-9]+")
_EXTENSION_NAME = re.compile(
    r"[\x21-\x3a\x3c\x3e-\x7e](?:[\x20-\x3a\x3c\x3e-\x7e]*[\x21-\x3a\x3c\x3e-\x7e])?"
)


@dataclass(frozen=True, slots=True)
class SetCookie:
    """One ``Set-Cookie`` header: a cookie and its attributes (RFC 6265 §4.1).

    Instances come from :meth:`parse` (a client reading a response) or are
    built by a server and written with :meth:`format`.

    Attributes:
        name: The cookie name.
        value: The value exactly as on the wire, DQUOTEs included when the
            server sent them: what a user agent stores and sends back (RFC 6265
            §5.2 keeps the quotes). :func:`quote_cookie_value` turns an
            application value into this form.
        expires: ``Expires`` as an aware UTC datetime, or ``None``.
        max_age: ``Max-Age`` in seconds, or ``None``. Takes precedence over
            ``expires`` (RFC 6265 §5.3 step 3); 0 means "expire now".
        domain: ``Domain`` without a leading dot, lowercased when parsed; or
            ``None`` for a host-only cookie.
        path: ``Path``, or ``None`` for the default path, which the user agent
            derives from the request URI (RFC 6265 §5.1.4).
        secure: ``Secure``: only sent over secure channels.
        httponly: ``HttpOnly``: hidden from scripts.
        samesite: ``SameSite`` (``"Strict"``, ``"Lax"`` or ``"None"``), or
            ``None`` when absent or unrecognised.
        partitioned: ``Partitioned`` (CHIPS): stored per top-level site.
        extensions: Other attributes in order, as ``(name, value)`` pairs;
            ``value`` is ``None`` for a bare attribute.
    """

    name: str
    value: str
    _: KW_ONLY
    expires: datetime | None = None
    max_age: int | None = None
    domain: str | None = None
    path: str | None = None
    secure: bool = False
    httponly: bool = False
    samesite: SameSite | None = None
    partitioned: bool = False
    extensions: tuple[tuple[str, str | None], ...] = ()

    @classmethod
    def parse(cls, header_value: str, *, max_age_limit: int = MAX_COOKIE_AGE) -> SetCookie:
        """Parse a ``Set-Cookie`` value as a user agent does (RFC 6265 §5.2).

        Attributes are read leniently: an attribute that does not parse is
        ignored, and for each attribute the last occurrence wins (RFC 6265
        §5.3). ``Expires`` accepts every date form browsers accept (RFC 6265
        §5.1.1).

        Args:
            header_value: One ``Set-Cookie`` field value.
            max_age_limit: Cap on ``max_age`` in seconds (RFC 6265bis caps
                cookie lifetimes at 400 days).

        Returns:
            The cookie as sent. Nothing is resolved against a request: the
            default path and the expiry instant are left to the cookie jar.

        Raises:
            InvalidSetCookieError: The header must be ignored entirely: no
                ``=`` before the first ``;``, an empty name, a control
                character, or a name and value longer than 4096 characters.
        """
        return _parse(cls, header_value, max_age_limit)

    def format(self) -> str:
        """Format this cookie as a ``Set-Cookie`` field value.

        Returns:
            For example ``"sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax"``.
            Attributes come in a fixed order: Expires, Max-Age, Domain, Path,
            Secure, HttpOnly, SameSite, Partitioned, then the extensions.

        Raises:
            CookieError: A name that is not a token, a value not in wire form
                (see :func:`quote_cookie_value`), an attribute value with a
                control character or ``;``, a naive ``expires``, a negative
                ``max_age``, ``SameSite=None`` or ``Partitioned`` without
                ``Secure``, a ``__Secure-``/``__Host-`` prefix whose rules are
                not met, or a size browsers ignore.
        """
        check_cookie_name(self.name)
        check_cookie_value(self.value)
        if len(self.name) + len(self.value) > MAX_NAME_VALUE_SIZE:
            raise CookieError(
                f"cookie name and value are longer than {MAX_NAME_VALUE_SIZE} characters; "
                "browsers would ignore the cookie"
            )
        parts = [f"{self.name}={self.value}"]
        if self.expires is not None:
            parts.append(f"Expires={_format_expires(self.expires)}")
        if self.max_age is not None:
            # type() rather than isinstance(): True is an int, and not a lifetime.
            if type(self.max_age) is not int or self.max_age < 0:
                raise CookieError("Max-Age must be an integer >= 0; use 0 to delete a cookie")
            parts.append(f"Max-Age={self.max_age}")
        if self.domain is not None:
            _check_domain(self.domain)
            parts.append(f"Domain={self.domain}")
        if self.path is not None:
            check_attribute_value("Path", self.path)
            if not self.path.startswith("/"):
                raise CookieError("Path must start with '/'; browsers ignore any other path")
            parts.append(f"Path={self.path}")
        if self.secure:
            parts.append("Secure")
        if self.httponly:
            parts.append("HttpOnly")
        if self.samesite is not None:
            parts.append(f"SameSite={_canonical_same_site(self.samesite)}")
        if self.partitioned:
            parts.append("Partitioned")
        for name, value in self.extensions:
            if not _EXTENSION_NAME.fullmatch(name):
                raise CookieError(f"Set-Cookie attribute name {name[:40]!r} is not allowed")
            if value is None:
                parts.append(name)
            else:
                check_attribute_value(name[:40], value)
                parts.append(f"{name}={value}")
        self._check_cross_attribute_rules()
        return "; ".join(parts)

    def _check_cross_attribute_rules(self) -> None:
        # Browsers drop cookies that break these rules without telling the
        # server, so the mistake is reported here instead.
        if self.samesite is not None and self.samesite.lower() == "none" and not self.secure:
            raise CookieError("SameSite=None requires Secure; browsers reject the cookie otherwise")
        if self.partitioned and not self.secure:
            raise CookieError("Partitioned requires Secure; browsers reject the cookie otherwise")
        # RFC 6265bis, cookie name prefixes (matched case-insensitively).
        lowered = self.name.lower()
        if lowered.startswith("__secure-") and not self.secure:
            raise CookieError("a __Secure- cookie requires Secure")
        if lowered.startswith("__host-") and (
            not self.secure or self.domain is not None or self.path != "/"
        ):
            raise CookieError("a __Host- cookie requires Secure and Path=/, and no Domain")


def format_set_cookie(
    name: str,
    value: str,
    *,
    max_age: int | None = None,
    expires: datetime | None = None,
    domain: str | None = None,
    path: str | None = "/",
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
    partitioned: bool = False,
) -> str:
    """Format a ``Set-Cookie`` field value for an application value.

    The value is quoted when needed (:func:`quote_cookie_value`), so it reads
    back unchanged through ``parse_cookie_header`` once the browser returns it.

    Args:
        name: A token (RFC 6265 §4.1.1).
        value: The application value; see :func:`quote_cookie_value`.
        max_age: Lifetime in seconds (0 deletes the cookie).
        expires: An aware datetime; ``max_age`` wins when both are given.
        domain: The domain to share the cookie with; ``None`` for host-only.
        path: The path prefix the cookie applies to; ``None`` to omit it.
        secure: Send only over HTTPS.
        httponly: Hide from scripts.
        samesite: ``"Strict"``, ``"Lax"`` or ``"None"`` (any case).
        partitioned: Store per top-level site (needs ``secure``).

    Returns:
        The field value.

    Raises:
        CookieError: As :meth:`SetCookie.format`, or for a ``samesite`` that
            is not one of the three values.
    """
    return SetCookie(
        name=name,
        value=quote_cookie_value(value),
        expires=expires,
        max_age=max_age,
        domain=domain,
        path=path,
        secure=secure,
        httponly=httponly,
        samesite=None if samesite is None else _canonical_same_site(samesite),
        partitioned=partitioned,
    ).format()


def _canonical_same_site(value: str) -> SameSite:
    try:
        return _SAME_SITE_VALUES[value.lower()]
    except KeyError:
        raise CookieError("SameSite must be 'Strict', 'Lax' or 'None'") from None


def _format_expires(expires: datetime) -> str:
    if expires.tzinfo is None or expires.utcoffset() is None:
        raise CookieError("Expires must be an aware datetime")
    # RFC 6265 §4.1.1: sane-cookie-date is an IMF-fixdate.
    try:
        text = format_http_date(expires)
    except HTTPDateError as exc:
        raise CookieError(f"Expires: {exc.reason}") from None
    if int(text[12:16]) < _MIN_EXPIRES_YEAR:
        raise CookieError(f"Expires before {_MIN_EXPIRES_YEAR} is ignored by browsers")
    return text


def _check_domain(domain: str) -> None:
    if len(domain) > _MAX_DOMAIN_LENGTH or not _DOMAIN.fullmatch(domain):
        raise CookieError(f"Domain {domain[:40]!r} is not a host name")


def _parse(cls: type[SetCookie], header_value: str, max_age_limit: int) -> SetCookie:
    # RFC 6265 §5.2 steps 1-5: the name-value pair.
    if _CONTROL.search(header_value):
        raise InvalidSetCookieError("Set-Cookie contains a control character")
    pair, _, unparsed_attributes = header_value.partition(";")
    name, equals, value = pair.partition("=")
    if not equals:
        raise InvalidSetCookieError("Set-Cookie has no '=' in its name-value pair")
    name = name.strip(_WSP)
    value = value.strip(_WSP)
    if not name:
        raise InvalidSetCookieError("Set-Cookie has an empty cookie name")
    if len(name) + len(value) > MAX_NAME_VALUE_SIZE:
        raise InvalidSetCookieError(
            f"Set-Cookie name and value are longer than {MAX_NAME_VALUE_SIZE} characters"
        )
    expires: datetime | None = None
    max_age: int | None = None
    domain: str | None = None
    path: str | None = None
    secure = httponly = partitioned = False
    samesite: SameSite | None = None
    extensions: list[tuple[str, str | None]] = []
    # RFC 6265 §5.2 step 6 onwards; each attribute overrides an earlier one of
    # the same name (§5.3 uses "the last attribute" throughout).
    for cookie_av in unparsed_attributes.split(";"):
        attribute, equals, attribute_value = cookie_av.partition("=")
        attribute = attribute.strip(_WSP)
        attribute_value = attribute_value.strip(_WSP)
        if not attribute or len(attribute_value) > MAX_ATTRIBUTE_VALUE_SIZE:
            continue
        match attribute.lower():
            case "expires":
                # §5.2.1: an unparsable date leaves the attribute out.
                expires = parse_cookie_date(attribute_value) or expires
            case "max-age":
                if _MAX_AGE.fullmatch(attribute_value):
                    # §5.2.2: zero or less means "expire now".
                    max_age = min(max(int(attribute_value), 0), max_age_limit)
            case "domain":
                # §5.2.3: an empty value is ignored; one leading "." is dropped.
                if attribute_value:
                    domain = attribute_value.removeprefix(".").lower() or None
            case "path":
                # §5.2.4: anything not starting with "/" means the default path.
                path = attribute_value if attribute_value.startswith("/") else None
            case "secure":
                secure = True
            case "httponly":
                httponly = True
            case "partitioned":
                partitioned = True
            case "samesite":
                # RFC 6265bis: an unknown value counts as no SameSite at all.
                samesite = _SAME_SITE_VALUES.get(attribute_value.lower())
            case _:
                extensions.append((attribute, attribute_value if equals else None))
    return cls(
        name=name,
        value=value,
        expires=expires,
        max_age=max_age,
        domain=domain,
        path=path,
        secure=secure,
        httponly=httponly,
        samesite=samesite,
        partitioned=partitioned,
        extensions=tuple(extensions),
    )

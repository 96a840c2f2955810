"""Cookie jars: where a session keeps the cookies servers set (RFC 6265 §5.3, §5.4)."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from http.cookies import BaseCookie, Morsel, SimpleCookie
from typing import Any

from yarl import URL

from transom.client._abstract_cookie_jar import AbstractCookieJar, LooseCookies
from transom.client._cookie_rules import (
    default_path,
    domain_match,
    is_ip_address,
    make_morsel,
    path_match,
)
from transom.protocol.cookies import (
    CookieError,
    InvalidSetCookieError,
    SetCookie,
    format_cookie_header,
    quote_cookie_value,
)
from transom.protocol.dates import parse_cookie_date

__all__ = ["DEFAULT_MAX_COOKIES", "DEFAULT_MAX_COOKIES_PER_DOMAIN", "CookieJar"]

# RFC 6265 §6.1 asks for at least 50 cookies per domain and 3000 in all;
# browsers keep 180 per domain. Beyond these the oldest are dropped, so a
# server cannot grow the jar without bound.
DEFAULT_MAX_COOKIES_PER_DOMAIN = 180
DEFAULT_MAX_COOKIES = 3000

_NO_URL = URL()
_SECURE_SCHEMES = frozenset({"https", "wss"})
_SAVE_FORMAT_VERSION = 1


@dataclasses.dataclass(slots=True)
class _Cookie:
    name: str
    value: str
    domain: str
    path: str
    host_only: bool
    secure: bool = False
    httponly: bool = False
    samesite: str | None = None
    expires: float | None = None
    created: float = 0.0

    def morsel(self) -> Morsel[str]:
        expires = None
        if self.expires is not None:
            expires = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(self.expires))
        return make_morsel(
            self.name,
            self.value,
            self.value,
            domain=self.domain,
            path=self.path,
            secure=self.secure,
            httponly=self.httponly,
            samesite=self.samesite,
            expires=expires,
        )


class CookieJar(AbstractCookieJar):
    """Stores cookies per RFC 6265 and returns those each request may carry.

    Args:
        unsafe: Accept cookies from IP-address hosts (refused by default:
            they cannot be scoped by domain).
        quote_cookie: Quote values given to :meth:`update_cookies` that are
            not plain cookie-octets; when false they are sent as given.
        treat_as_secure_origin: Origins (URLs or strings) that receive
            ``Secure`` cookies over plain HTTP, such as a local test server.
        max_cookies_per_domain: Most cookies kept per domain.
        max_cookies: Most cookies kept in all.
    """

    def __init__(
        self,
        *,
        unsafe: bool = False,
        quote_cookie: bool = True,
        treat_as_secure_origin: URL | str | Iterable[URL | str] | None = None,
        max_cookies_per_domain: int = DEFAULT_MAX_COOKIES_PER_DOMAIN,
        max_cookies: int = DEFAULT_MAX_COOKIES,
    ) -> None:
        self._unsafe = unsafe
        self._quote_cookie = quote_cookie
        if treat_as_secure_origin is None:
            origins: Iterable[URL | str] = ()
        elif isinstance(treat_as_secure_origin, URL | str):
            origins = (treat_as_secure_origin,)
        else:
            origins = treat_as_secure_origin
        self._secure_origins = frozenset(URL(str(origin)).origin() for origin in origins)
        self._max_per_domain = max_cookies_per_domain
        self._max_cookies = max_cookies
        self._cookies: dict[tuple[str, str, str], _Cookie] = {}

    @property
    def quote_cookie(self) -> bool:
        """See :class:`CookieJar`."""
        return self._quote_cookie

    # -- inspection --------------------------------------------------------

    def _live(self) -> list[_Cookie]:
        self._purge(time.time())
        return list(self._cookies.values())

    def __iter__(self) -> Iterator[Morsel[str]]:
        return iter([cookie.morsel() for cookie in self._live()])

    def __len__(self) -> int:
        return len(self._live())

    def __repr__(self) -> str:
        return f"<CookieJar {len(self)} cookies>"

    # -- removal -------------------------------------------------------------

    def _purge(self, now: float) -> None:
        expired = [
            k for k, c in self._cookies.items() if c.expires is not None and c.expires <= now
        ]
        for key in expired:
            del self._cookies[key]

    def clear(self, predicate: Callable[[Morsel[str]], bool] | None = None) -> None:
        """Remove the cookies ``predicate`` selects (all when ``None``)."""
        if predicate is None:
            self._cookies.clear()
            return
        self._purge(time.time())
        doomed = [key for key, cookie in self._cookies.items() if predicate(cookie.morsel())]
        for key in doomed:
            del self._cookies[key]

    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of ``domain`` and its subdomains."""
        domain = domain.lower()
        doomed = [key for key in self._cookies if domain_match(key[0], domain)]
        for key in doomed:
            del self._cookies[key]

    # -- storing -------------------------------------------------------------

    def _refuses(self, host: str) -> bool:
        return not self._unsafe and is_ip_address(host)

    def update_cookies(self, cookies: LooseCookies, response_url: URL = _NO_URL) -> None:
        """Store cookies given by the program.

        Args:
            cookies: Names mapped to values or ``Morsel`` objects (a
                ``SimpleCookie`` works), or ``(name, value)`` pairs.
            response_url: The URL that "set" them; they are host-only cookies
                of its host, or, without a URL (and without a Domain in a
                Morsel), shared with every host.
        """
        host = (response_url.raw_host or "").lower()
        if self._refuses(host):
            return
        pairs = cookies.items() if isinstance(cookies, Mapping) else cookies
        for name, value in pairs:
            if isinstance(value, Morsel):
                self._store(_from_morsel(name, value), response_url, host)
                continue
            wire = value
            if self._quote_cookie:
                try:
                    wire = quote_cookie_value(value)
                except CookieError:
                    wire = value
            self._store(SetCookie(name=name, value=wire), response_url, host)

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        """Store the cookies of ``Set-Cookie`` values received from ``response_url``.

        Values that do not parse are ignored, as RFC 6265 §5.2 requires.
        """
        host = (response_url.raw_host or "").lower()
        if self._refuses(host):
            return
        for header in headers:
            try:
                set_cookie = SetCookie.parse(header)
            except InvalidSetCookieError:
                continue
            self._store(set_cookie, response_url, host)

    def _store(self, set_cookie: SetCookie, url: URL, host: str) -> None:
        # RFC 6265 §5.3: the storage model, step by step.
        now = time.time()
        domain = set_cookie.domain
        if domain:
            # Step 6: a Domain the request host does not match is refused.
            if host and not domain_match(host, domain):
                return
            host_only = False
        else:
            domain, host_only = host, bool(host)
        # Step 7: the default path comes from the request URI.
        path = set_cookie.path or default_path(url.raw_path or "/")
        # Step 3: Max-Age wins over Expires.
        expires: float | None = None
        if set_cookie.max_age is not None:
            expires = now + set_cookie.max_age
        elif set_cookie.expires is not None:
            expires = set_cookie.expires.timestamp()
        key = (domain, path, set_cookie.name)
        if expires is not None and expires <= now:
            self._cookies.pop(key, None)
            return
        old = self._cookies.pop(key, None)
        self._cookies[key] = _Cookie(
            name=set_cookie.name,
            value=set_cookie.value,
            domain=domain,
            path=path,
            host_only=host_only,
            secure=set_cookie.secure,
            httponly=set_cookie.httponly,
            samesite=set_cookie.samesite,
            expires=expires,
            created=old.created if old is not None else now,
        )
        self._enforce_limits(domain, now)

    def _enforce_limits(self, domain: str, now: float) -> None:
        same_domain = [key for key in self._cookies if key[0] == domain]
        if len(same_domain) <= self._max_per_domain and len(self._cookies) <= self._max_cookies:
            return
        self._purge(now)
        same_domain = [key for key in self._cookies if key[0] == domain]
        for key in same_domain[: max(len(same_domain) - self._max_per_domain, 0)]:
            del self._cookies[key]
        # Insertion order is creation order for unchanged cookies: the
        # oldest go first.
        for key in list(self._cookies)[: max(len(self._cookies) - self._max_cookies, 0)]:
            del self._cookies[key]

    # -- retrieving ------------------------------------------------------------

    def _matching(self, request_url: URL) -> list[_Cookie]:
        if not self._cookies:
            return []
        now = time.time()
        host = (request_url.raw_host or "").lower()
        secure = request_url.scheme in _SECURE_SCHEMES or (
            bool(self._secure_origins) and request_url.origin() in self._secure_origins
        )
        request_path = request_url.raw_path or "/"
        selected: list[_Cookie] = []
        expired = False
        # RFC 6265 §5.4 step 1.
        for cookie in self._cookies.values():
            if cookie.expires is not None and cookie.expires <= now:
                expired = True
                continue
            if cookie.domain:
                if cookie.host_only:
                    if host != cookie.domain:
                        continue
                elif not domain_match(host, cookie.domain):
                    continue
            if not path_match(request_path, cookie.path):
                continue
            if cookie.secure and not secure:
                continue
            selected.append(cookie)
        if expired:
            self._purge(now)
        # Step 2: longer paths first, then earlier creation times.
        selected.sort(key=lambda cookie: (-len(cookie.path), cookie.created))
        return selected

    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """The cookies to send to ``request_url`` (RFC 6265 §5.4).

        Returns:
            A ``SimpleCookie``; when two cookies share a name, the one with
            the longer path wins.
        """
        result: SimpleCookie = SimpleCookie()
        for cookie in self._matching(request_url):
            if cookie.name not in result:
                dict.__setitem__(result, cookie.name, cookie.morsel())
        return result

    def cookie_header(self, request_url: URL) -> str:
        """The ``Cookie`` header value for ``request_url`` (``""`` when none)."""
        if not self._cookies:
            return ""
        return format_cookie_header((c.name, c.value) for c in self._matching(request_url))

    # -- persistence -----------------------------------------------------------

    def save(self, file_path: str | os.PathLike[str]) -> None:
        """Write every unexpired cookie to ``file_path`` as JSON."""
        cookies = [dataclasses.asdict(cookie) for cookie in self._live()]
        payload = {"version": _SAVE_FORMAT_VERSION, "cookies": cookies}
        with open(file_path, "w", encoding="utf-8") as file:
            json.dump(payload, file, indent=1)

    def load(self, file_path: str | os.PathLike[str]) -> None:
        """Replace the jar's content with the cookies saved in ``file_path``.

        Raises:
            ValueError: The file is not a saved cookie jar.
        """
        with open(file_path, encoding="utf-8") as file:
            payload = json.load(file)
        if not isinstance(payload, dict) or payload.get("version") != _SAVE_FORMAT_VERSION:
            raise ValueError(f"{os.fspath(file_path)!r} is not a saved cookie jar")
        loaded: dict[tuple[str, str, str], _Cookie] = {}
        fields = {field.name for field in dataclasses.fields(_Cookie)}
        for item in payload["cookies"]:
            cookie = _Cookie(**{k: v for k, v in item.items() if k in fields})
            loaded[(cookie.domain, cookie.path, cookie.name)] = cookie
        self._cookies = loaded
        self._purge(time.time())


def _from_morsel(name: str, morsel: Morsel[str]) -> SetCookie:
    max_age: int | None = None
    raw_max_age: Any = morsel["max-age"]
    if raw_max_age not in ("", None):
        try:
            max_age = max(int(raw_max_age), 0)
        except ValueError:
            max_age = None
    expires = None
    if morsel["expires"] and max_age is None:
        expires = parse_cookie_date(str(morsel["expires"]))
    samesite = str(morsel["samesite"]).capitalize() or None
    return SetCookie(
        name=name,
        value=morsel.coded_value,
        max_age=max_age,
        expires=expires,
        domain=(str(morsel["domain"]).lstrip(".").lower() or None),
        path=str(morsel["path"]) or None,
        secure=bool(morsel["secure"]),
        httponly=bool(morsel["httponly"]),
        samesite=samesite if samesite in ("Strict", "Lax", "None") else None,  # type: ignore[arg-type]
    )

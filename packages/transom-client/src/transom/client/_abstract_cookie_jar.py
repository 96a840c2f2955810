"""What a session needs from a cookie jar, and the jar that keeps nothing."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from http.cookies import BaseCookie, Morsel, SimpleCookie

from yarl import URL

from transom.protocol.cookies import format_cookie_header

__all__ = ["AbstractCookieJar", "DummyCookieJar", "LooseCookies"]

_NO_URL = URL()

LooseCookies = (
    Mapping[str, "str | Morsel[str]"] | Iterable[tuple[str, "str | Morsel[str]"]] | BaseCookie[str]
)


class AbstractCookieJar(ABC, Iterable["Morsel[str]"]):
    """What a session needs from a cookie jar."""

    @property
    @abstractmethod
    def quote_cookie(self) -> bool:
        """Whether values set by the program are quoted when needed."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def clear(self, predicate: Callable[[Morsel[str]], bool] | None = None) -> None:
        """Remove the cookies ``predicate`` selects (all when ``None``)."""

    @abstractmethod
    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of ``domain`` and its subdomains."""

    @abstractmethod
    def update_cookies(self, cookies: LooseCookies, response_url: URL = _NO_URL) -> None:
        """Store cookies given by the program, as if ``response_url`` had set them."""

    @abstractmethod
    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        """Store the cookies of ``Set-Cookie`` values received from ``response_url``."""

    @abstractmethod
    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """The cookies to send to ``request_url``."""

    def cookie_header(self, request_url: URL) -> str:
        """The ``Cookie`` header value for ``request_url`` (``""`` when none)."""
        cookies = self.filter_cookies(request_url)
        return format_cookie_header((name, m.coded_value) for name, m in cookies.items())


class DummyCookieJar(AbstractCookieJar):
    """A jar that keeps nothing: no cookie is stored or sent."""

    @property
    def quote_cookie(self) -> bool:
        """Always true; nothing is ever sent."""
        return True

    def __iter__(self) -> Iterator[Morsel[str]]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def clear(self, predicate: Callable[[Morsel[str]], bool] | None = None) -> None:
        """Nothing to remove."""

    def clear_domain(self, domain: str) -> None:
        """Nothing to remove."""

    def update_cookies(self, cookies: LooseCookies, response_url: URL = _NO_URL) -> None:
        """Discard ``cookies``."""

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        """Discard the cookies."""

    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """Always empty."""
        return SimpleCookie()

    def cookie_header(self, request_url: URL) -> str:
        """Always ``""``."""
        return ""

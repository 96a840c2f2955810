"""Redirect policy as pure functions (RFC 9110 §15.4).

The session asks these functions what the next request of a redirect chain
looks like; none of them performs I/O, so every rule is tested directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from multidict import CIMultiDict
from yarl import URL

from transom.client._errors import InvalidUrlRedirectClientError, NonHttpUrlRedirectClientError

if TYPE_CHECKING:
    from multidict import MultiMapping

__all__ = [
    "DEFAULT_MAX_REDIRECTS",
    "REDIRECT_STATUSES",
    "is_redirect",
    "redirect_headers",
    "redirect_method",
    "redirect_target",
    "same_origin",
]

# Browsers stop after about twenty hops; a longer chain is a loop or abuse,
# and each hop costs a round trip.
DEFAULT_MAX_REDIRECTS: Final = 10

REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})

# Headers that describe a request body: meaningless once the body is dropped.
_BODY_HEADERS: Final = ("Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding")
# Credentials that were meant for the original origin only.
_CREDENTIAL_HEADERS: Final = ("Authorization", "Cookie")

_HTTP_SCHEMES: Final = frozenset({"http", "https", "ws", "wss"})


def is_redirect(status: int, headers: MultiMapping[str]) -> bool:
    """Whether a response with ``status`` and ``headers`` asks to be followed.

    A redirect status without a Location header is a final response that the
    caller gets as is (RFC 9110 §15.4: Location is what makes it followable).
    """
    return status in REDIRECT_STATUSES and "Location" in headers


def redirect_method(status: int, method: str) -> str:
    """The method of the request that follows a ``status`` redirect to ``method``.

    RFC 9110 §15.4.4: a 303 is fetched with GET (HEAD stays HEAD). §15.4.2
    and §15.4.3: user agents historically turn POST into GET on 301 and 302,
    and so does this client. §15.4.8 and §15.4.9: 307 and 308 keep the method
    and its body.
    """
    if status == 303 and method != "HEAD":
        return "GET"
    if status in (301, 302) and method == "POST":
        return "GET"
    return method


def redirect_target(response_url: URL, location: str) -> URL:
    """The absolute URL that ``location`` designates, relative to ``response_url``.

    Raises:
        InvalidUrlRedirectClientError: ``location`` is not a usable URL.
        NonHttpUrlRedirectClientError: It points to a non-HTTP scheme.
    """
    try:
        target = URL(location, encoded=not _needs_encoding(location))
    except ValueError as exc:
        raise InvalidUrlRedirectClientError(location, f"invalid Location: {exc}") from None
    scheme = target.scheme
    if scheme and scheme not in _HTTP_SCHEMES:
        raise NonHttpUrlRedirectClientError(location)
    if not scheme:
        # Relative references, network-path ones ("//host/x") included
        # (RFC 3986 §5.2).
        target = response_url.join(target)
    if not target.host:
        raise InvalidUrlRedirectClientError(location, "the Location has no host")
    # RFC 9110 §10.2.2: a Location without a fragment inherits the original's.
    if not target.raw_fragment and response_url.raw_fragment:
        target = target.with_fragment(response_url.fragment)
    return target


def _needs_encoding(location: str) -> bool:
    return not location.isascii() or " " in location


def same_origin(first: URL, second: URL) -> bool:
    """Whether two absolute URLs share scheme, host and port (RFC 6454 §4)."""
    return (
        first.scheme == second.scheme
        and (first.host or "").lower() == (second.host or "").lower()
        and first.port == second.port
    )


def redirect_headers(
    headers: MultiMapping[str], old_url: URL, new_url: URL, *, keep_body: bool
) -> CIMultiDict[str]:
    """The headers of the request that follows a redirect.

    Args:
        headers: The headers the previous request was built with (the
            caller's, not the ones the client adds such as Host).
        old_url: The URL that answered with the redirect.
        new_url: Where the redirect points.
        keep_body: Whether the body is sent again (307/308); when not, the
            headers describing it are dropped.

    Returns:
        A new header map; ``headers`` is not modified.
    """
    result = CIMultiDict(headers)
    result.popall("Host", None)
    if not keep_body:
        for name in _BODY_HEADERS:
            result.popall(name, None)
    if not same_origin(old_url, new_url):
        # Credentials go to the origin the caller named, never to one a
        # server redirected to (RFC 9110 §15.4, security considerations).
        for name in _CREDENTIAL_HEADERS:
            result.popall(name, None)
    return result

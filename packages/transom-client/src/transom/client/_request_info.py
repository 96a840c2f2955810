"""What a response remembers about the request that produced it."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy
    from yarl import URL

__all__ = ["RequestInfo"]


class RequestInfo(NamedTuple):
    """The request a response answers, as sent.

    Attributes:
        url: The request URL without its fragment.
        method: The request method, upper case.
        headers: The headers sent, including the ones the client added.
        real_url: The URL as given, fragment included.
    """

    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL

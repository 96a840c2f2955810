"""Redirect policy: method rewriting, targets and header stripping."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict
from yarl import URL

from transom.client import InvalidUrlRedirectClientError, NonHttpUrlRedirectClientError
from transom.client._redirects import (
    is_redirect,
    redirect_headers,
    redirect_method,
    redirect_target,
    same_origin,
)


@pytest.mark.parametrize(
    ("status", "method", "expected"),
    [
        (301, "POST", "GET"),
        (302, "POST", "GET"),
        (303, "POST", "GET"),
        (303, "PUT", "GET"),
        (303, "HEAD", "HEAD"),
        (301, "PUT", "PUT"),
        (302, "GET", "GET"),
        (307, "POST", "POST"),
        (308, "PUT", "PUT"),
    ],
)
def test_redirect_method_follows_rfc_9110(status: int, method: str, expected: str) -> None:
    assert redirect_method(status, method) == expected


def test_redirect_status_without_location_is_final() -> None:
    assert not is_redirect(302, CIMultiDict())
    assert is_redirect(302, CIMultiDict(Location="/x"))
    assert not is_redirect(200, CIMultiDict(Location="/x"))


def test_relative_location_resolves_against_the_response_url() -> None:
    base = URL("http://example.com/a/b?q=1")
    assert redirect_target(base, "c") == URL("http://example.com/a/c")
    assert redirect_target(base, "/root") == URL("http://example.com/root")
    assert redirect_target(base, "//other.org/x") == URL("http://other.org/x")


def test_location_without_fragment_keeps_the_original_fragment() -> None:
    assert redirect_target(URL("http://h/a#frag"), "/b") == URL("http://h/b#frag")
    assert redirect_target(URL("http://h/a#frag"), "/b#new") == URL("http://h/b#new")


def test_location_with_non_http_scheme_is_refused() -> None:
    with pytest.raises(NonHttpUrlRedirectClientError):
        redirect_target(URL("http://h/"), "ftp://h/file")


def test_location_without_host_is_refused() -> None:
    with pytest.raises(InvalidUrlRedirectClientError):
        redirect_target(URL("http://h/"), "http:///path")


def test_same_origin_compares_scheme_host_and_port() -> None:
    assert same_origin(URL("http://H/a"), URL("http://h/b"))
    assert not same_origin(URL("http://h/"), URL("https://h/"))
    assert not same_origin(URL("http://h/"), URL("http://h:8080/"))


def test_credentials_are_dropped_across_origins() -> None:
    headers = CIMultiDict(Authorization="Basic x", Cookie="a=1", Accept="*/*")
    result = redirect_headers(headers, URL("http://a/"), URL("http://b/"), keep_body=True)
    assert "Authorization" not in result
    assert "Cookie" not in result
    assert result["Accept"] == "*/*"


def test_credentials_are_kept_within_one_origin() -> None:
    headers = CIMultiDict(Authorization="Basic x", Cookie="a=1")
    result = redirect_headers(headers, URL("http://a/x"), URL("http://a/y"), keep_body=True)
    assert result["Authorization"] == "Basic x"
    assert result["Cookie"] == "a=1"


def test_body_headers_are_dropped_with_the_body() -> None:
    headers = CIMultiDict({"Content-Type": "text/plain", "Content-Length": "3", "X-A": "1"})
    result = redirect_headers(headers, URL("http://a/"), URL("http://a/"), keep_body=False)
    assert dict(result) == {"X-A": "1"}
    assert headers["Content-Type"] == "text/plain"


def test_host_header_is_recomputed_for_the_new_target() -> None:
    headers = CIMultiDict(Host="a")
    assert "Host" not in redirect_headers(
        headers, URL("http://a/"), URL("http://a/"), keep_body=True
    )

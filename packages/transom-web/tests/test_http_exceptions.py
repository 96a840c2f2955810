"""The HTTP exception tree: one class per status, each a raisable Response."""

from __future__ import annotations

import pytest

import transom.web as web
from transom.web import (
    HTTPBadRequest,
    HTTPClientError,
    HTTPError,
    HTTPException,
    HTTPForbidden,
    HTTPFound,
    HTTPInternalServerError,
    HTTPMethodNotAllowed,
    HTTPMove,
    HTTPMovedPermanently,
    HTTPNoContent,
    HTTPNotFound,
    HTTPNotModified,
    HTTPOk,
    HTTPPermanentRedirect,
    HTTPRedirection,
    HTTPRequestEntityTooLarge,
    HTTPResetContent,
    HTTPServerError,
    HTTPSuccessful,
    HTTPUnavailableForLegalReasons,
    Response,
)

STATUSES = {
    "HTTPOk": 200,
    "HTTPCreated": 201,
    "HTTPAccepted": 202,
    "HTTPNonAuthoritativeInformation": 203,
    "HTTPNoContent": 204,
    "HTTPResetContent": 205,
    "HTTPPartialContent": 206,
    "HTTPMultipleChoices": 300,
    "HTTPMovedPermanently": 301,
    "HTTPFound": 302,
    "HTTPSeeOther": 303,
    "HTTPNotModified": 304,
    "HTTPUseProxy": 305,
    "HTTPTemporaryRedirect": 307,
    "HTTPPermanentRedirect": 308,
    "HTTPBadRequest": 400,
    "HTTPUnauthorized": 401,
    "HTTPPaymentRequired": 402,
    "HTTPForbidden": 403,
    "HTTPNotFound": 404,
    "HTTPMethodNotAllowed": 405,
    "HTTPNotAcceptable": 406,
    "HTTPProxyAuthenticationRequired": 407,
    "HTTPRequestTimeout": 408,
    "HTTPConflict": 409,
    "HTTPGone": 410,
    "HTTPLengthRequired": 411,
    "HTTPPreconditionFailed": 412,
    "HTTPRequestEntityTooLarge": 413,
    "HTTPRequestURITooLong": 414,
    "HTTPUnsupportedMediaType": 415,
    "HTTPRequestRangeNotSatisfiable": 416,
    "HTTPExpectationFailed": 417,
    "HTTPMisdirectedRequest": 421,
    "HTTPUnprocessableEntity": 422,
    "HTTPFailedDependency": 424,
    "HTTPUpgradeRequired": 426,
    "HTTPPreconditionRequired": 428,
    "HTTPTooManyRequests": 429,
    "HTTPRequestHeaderFieldsTooLarge": 431,
    "HTTPUnavailableForLegalReasons": 451,
    "HTTPInternalServerError": 500,
    "HTTPNotImplemented": 501,
    "HTTPBadGateway": 502,
    "HTTPServiceUnavailable": 503,
    "HTTPGatewayTimeout": 504,
    "HTTPVersionNotSupported": 505,
    "HTTPVariantAlsoNegotiates": 506,
    "HTTPInsufficientStorage": 507,
    "HTTPNotExtended": 510,
    "HTTPNetworkAuthenticationRequired": 511,
}


@pytest.mark.parametrize(("name", "status"), sorted(STATUSES.items()))
def test_each_class_has_its_status_and_family(name: str, status: int) -> None:
    cls: type[HTTPException] = getattr(web, name)
    assert cls.status_code == status
    family = {2: HTTPSuccessful, 3: HTTPRedirection, 4: HTTPClientError, 5: HTTPServerError}
    assert issubclass(cls, family[status // 100])
    assert issubclass(cls, HTTPException)
    assert issubclass(cls, Exception)
    # It carries a response rather than being one (see the module's docstring).
    assert Response not in cls.__mro__


def test_the_exception_answers_with_its_response() -> None:
    error = HTTPNotFound(text="no such user", headers={"X-Trace": "7"})
    response = error.response
    assert type(response) is Response
    assert (response.status, response.reason, response.text) == (404, "Not Found", "no such user")
    assert response.headers["X-Trace"] == "7"
    assert error.headers is response.headers


def test_changes_through_the_exception_reach_its_response() -> None:
    error = HTTPForbidden()
    error.text = "go away"
    error.content_type = "text/html"
    error.set_cookie("seen", "1", max_age=10)
    error.last_modified = 0
    assert error.response.text == "go away"
    assert error.response.content_type == "text/html"
    assert error.response.cookies["seen"].startswith("seen=1; ")
    assert error.response.headers["Last-Modified"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    error.del_cookie("seen")
    assert "Max-Age=0" in error.cookies["seen"]
    error.body = b"\x00"
    assert (error.body, error.content_length) == (b"\x00", 1)
    error.charset = "latin-1"
    assert error.response.charset == "latin-1"
    error.force_close()
    assert error.response.keep_alive is False


def test_errors_share_a_base() -> None:
    assert issubclass(HTTPClientError, HTTPError)
    assert issubclass(HTTPServerError, HTTPError)
    assert not issubclass(HTTPOk, HTTPError)


def test_the_default_body_names_the_status() -> None:
    error = HTTPNotFound()
    assert error.status == 404
    assert error.reason == "Not Found"
    assert error.text == "404: Not Found"
    assert error.content_type == "text/plain"
    assert str(error) == "Not Found"


def test_text_reason_headers_and_content_type_are_accepted() -> None:
    error = HTTPBadRequest(
        text='{"error": "bad"}',
        reason="Bad Input",
        headers={"X-Trace": "1"},
        content_type="application/json",
    )
    assert error.text == '{"error": "bad"}'
    assert error.reason == "Bad Input"
    assert error.headers["X-Trace"] == "1"
    assert error.content_type == "application/json"


def test_a_body_in_bytes_is_kept() -> None:
    assert HTTPInternalServerError(body=b"\x00raw").body == b"\x00raw"


def test_an_internal_server_error_with_text() -> None:
    assert HTTPInternalServerError(text="database unavailable").text == "database unavailable"


@pytest.mark.parametrize("cls", [HTTPNoContent, HTTPResetContent, HTTPNotModified])
def test_statuses_without_content_have_no_body(cls: type[HTTPException]) -> None:
    assert cls().body == b""
    assert cls(text="ignored").body == b""


def test_a_reason_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        HTTPNotFound(reason="Not\r\nFound")


def test_redirects_set_location() -> None:
    redirect = HTTPFound("/log in?next=/a")
    assert redirect.status == 302
    assert redirect.headers["Location"] == "/log%20in?next=/a"
    assert redirect.location == "/log in?next=/a"
    assert isinstance(redirect, HTTPMove)


@pytest.mark.parametrize("cls", [HTTPFound, HTTPMovedPermanently, HTTPPermanentRedirect])
def test_redirects_require_a_location(cls: type[HTTPMove]) -> None:
    with pytest.raises(ValueError, match="location"):
        cls("")


def test_method_not_allowed_sets_allow() -> None:
    error = HTTPMethodNotAllowed("post", ["GET", "HEAD"])
    assert error.method == "POST"
    assert error.allowed_methods == {"GET", "HEAD"}
    assert error.headers["Allow"] == "GET, HEAD"


def test_request_entity_too_large_explains_the_sizes() -> None:
    error = HTTPRequestEntityTooLarge(max_size=100, actual_size=250)
    assert error.status == 413
    assert (error.max_size, error.actual_size) == (100, 250)
    assert "100" in error.text
    assert "250" in error.text


def test_unavailable_for_legal_reasons_links_the_blocker() -> None:
    error = HTTPUnavailableForLegalReasons("https://example.org/notice")
    assert error.headers["Link"] == '<https://example.org/notice>; rel="blocked-by"'
    assert "Link" not in HTTPUnavailableForLegalReasons(None).headers


def test_an_exception_is_raised_and_caught_as_an_exception() -> None:
    with pytest.raises(HTTPNotFound) as info:
        raise HTTPNotFound(text="no such user")
    assert info.value.text == "no such user"


def test_exceptions_compare_by_identity_and_are_truthy() -> None:
    first, second = HTTPNotFound(), HTTPNotFound()
    assert first != second
    assert first == first
    assert len({first, second}) == 2
    assert bool(first)

"""One exception class per HTTP status, each answered with the `Response` it carries.

A handler or middleware may ``raise HTTPNotFound()`` (or ``return HTTPNotFound()``):
the application answers with the exception's response. Without ``text`` or
``body`` the body is ``"<status>: <reason>"`` in ``text/plain``, except for the
statuses that never carry content (204, 205, 304, RFC 9110 §15.3.5, §15.3.6,
§15.4.5).

The base class and what it offers of its response are in ``_http_exception``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from yarl import URL

from transom.web._http_exception import Headers, HTTPException

__all__ = [
    "HTTPAccepted",
    "HTTPBadGateway",
    "HTTPBadRequest",
    "HTTPClientError",
    "HTTPConflict",
    "HTTPCreated",
    "HTTPError",
    "HTTPException",
    "HTTPExpectationFailed",
    "HTTPFailedDependency",
    "HTTPForbidden",
    "HTTPFound",
    "HTTPGatewayTimeout",
    "HTTPGone",
    "HTTPInsufficientStorage",
    "HTTPInternalServerError",
    "HTTPLengthRequired",
    "HTTPMethodNotAllowed",
    "HTTPMisdirectedRequest",
    "HTTPMove",
    "HTTPMovedPermanently",
    "HTTPMultipleChoices",
    "HTTPNetworkAuthenticationRequired",
    "HTTPNoContent",
    "HTTPNonAuthoritativeInformation",
    "HTTPNotAcceptable",
    "HTTPNotExtended",
    "HTTPNotFound",
    "HTTPNotImplemented",
    "HTTPNotModified",
    "HTTPOk",
    "HTTPPartialContent",
    "HTTPPaymentRequired",
    "HTTPPermanentRedirect",
    "HTTPPreconditionFailed",
    "HTTPPreconditionRequired",
    "HTTPProxyAuthenticationRequired",
    "HTTPRedirection",
    "HTTPRequestEntityTooLarge",
    "HTTPRequestHeaderFieldsTooLarge",
    "HTTPRequestRangeNotSatisfiable",
    "HTTPRequestTimeout",
    "HTTPRequestURITooLong",
    "HTTPResetContent",
    "HTTPSeeOther",
    "HTTPServerError",
    "HTTPServiceUnavailable",
    "HTTPSuccessful",
    "HTTPTemporaryRedirect",
    "HTTPTooManyRequests",
    "HTTPUnauthorized",
    "HTTPUnavailableForLegalReasons",
    "HTTPUnprocessableEntity",
    "HTTPUnsupportedMediaType",
    "HTTPUpgradeRequired",
    "HTTPUseProxy",
    "HTTPVariantAlsoNegotiates",
    "HTTPVersionNotSupported",
]


class HTTPError(HTTPException):
    """Base of the 4xx and 5xx exceptions."""


class HTTPRedirection(HTTPException):
    """Base of the 3xx exceptions."""


class HTTPSuccessful(HTTPException):
    """Base of the 2xx exceptions."""


class HTTPOk(HTTPSuccessful):
    """200 OK."""

    status_code = 200


class HTTPCreated(HTTPSuccessful):
    """201 Created."""

    status_code = 201


class HTTPAccepted(HTTPSuccessful):
    """202 Accepted."""

    status_code = 202


class HTTPNonAuthoritativeInformation(HTTPSuccessful):
    """203 Non-Authoritative Information."""

    status_code = 203


class HTTPNoContent(HTTPSuccessful):
    """204 No Content: never has a body."""

    status_code = 204
    empty_body = True


class HTTPResetContent(HTTPSuccessful):
    """205 Reset Content: never has a body."""

    status_code = 205
    empty_body = True


class HTTPPartialContent(HTTPSuccessful):
    """206 Partial Content."""

    status_code = 206


class HTTPMove(HTTPRedirection):
    """Base of the redirects that carry a ``Location`` header.

    Args:
        location: where to go; must not be empty.

    Raises:
        ValueError: `location` is empty.
    """

    def __init__(
        self,
        location: str | URL,
        *,
        headers: Headers | None = None,
        reason: str | None = None,
        body: bytes | None = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        if not location:
            raise ValueError(f"{type(self).__name__} needs a location to redirect to")
        super().__init__(
            headers=headers, reason=reason, body=body, text=text, content_type=content_type
        )
        # Building a URL percent-encodes anything unsafe, CR and LF included.
        self.headers["Location"] = str(URL(location))
        self.location = location


class HTTPMultipleChoices(HTTPMove):
    """300 Multiple Choices."""

    status_code = 300


class HTTPMovedPermanently(HTTPMove):
    """301 Moved Permanently."""

    status_code = 301


class HTTPFound(HTTPMove):
    """302 Found."""

    status_code = 302


class HTTPSeeOther(HTTPMove):
    """303 See Other: the client follows up with GET."""

    status_code = 303


class HTTPNotModified(HTTPRedirection):
    """304 Not Modified: never has a body."""

    status_code = 304
    empty_body = True


class HTTPUseProxy(HTTPMove):
    """305 Use Proxy (deprecated by RFC 9110 §15.4.6)."""

    status_code = 305


class HTTPTemporaryRedirect(HTTPMove):
    """307 Temporary Redirect: the client repeats the same method."""

    status_code = 307


class HTTPPermanentRedirect(HTTPMove):
    """308 Permanent Redirect: the client repeats the same method."""

    status_code = 308


class HTTPClientError(HTTPError):
    """Base of the 4xx exceptions."""


class HTTPBadRequest(HTTPClientError):
    """400 Bad Request."""

    status_code = 400


class HTTPUnauthorized(HTTPClientError):
    """401 Unauthorized."""

    status_code = 401


class HTTPPaymentRequired(HTTPClientError):
    """402 Payment Required."""

    status_code = 402


class HTTPForbidden(HTTPClientError):
    """403 Forbidden."""

    status_code = 403


class HTTPNotFound(HTTPClientError):
    """404 Not Found."""

    status_code = 404


class HTTPMethodNotAllowed(HTTPClientError):
    """405 Method Not Allowed, with the ``Allow`` header RFC 9110 §15.5.6 requires.

    Args:
        method: the refused method.
        allowed_methods: the methods the resource accepts.
    """

    status_code = 405

    def __init__(
        self,
        method: str,
        allowed_methods: Iterable[str],
        *,
        headers: Headers | None = None,
        reason: str | None = None,
        body: bytes | None = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        allowed = set(allowed_methods)
        super().__init__(
            headers=headers, reason=reason, body=body, text=text, content_type=content_type
        )
        self.headers["Allow"] = ", ".join(sorted(allowed))
        self.method = method.upper()
        self.allowed_methods = allowed


class HTTPNotAcceptable(HTTPClientError):
    """406 Not Acceptable."""

    status_code = 406


class HTTPProxyAuthenticationRequired(HTTPClientError):
    """407 Proxy Authentication Required."""

    status_code = 407


class HTTPRequestTimeout(HTTPClientError):
    """408 Request Timeout."""

    status_code = 408


class HTTPConflict(HTTPClientError):
    """409 Conflict."""

    status_code = 409


class HTTPGone(HTTPClientError):
    """410 Gone."""

    status_code = 410


class HTTPLengthRequired(HTTPClientError):
    """411 Length Required."""

    status_code = 411


class HTTPPreconditionFailed(HTTPClientError):
    """412 Precondition Failed."""

    status_code = 412


class HTTPRequestEntityTooLarge(HTTPClientError):
    """413 Content Too Large.

    Args:
        max_size: the largest body accepted, in bytes.
        actual_size: the size received (or announced), in bytes.
    """

    status_code = 413

    def __init__(self, max_size: float, actual_size: float, **kwargs: Any) -> None:
        kwargs.setdefault(
            "text", f"Maximum request body size {max_size} exceeded, actual body size {actual_size}"
        )
        super().__init__(**kwargs)
        self.max_size = max_size
        self.actual_size = actual_size


class HTTPRequestURITooLong(HTTPClientError):
    """414 URI Too Long."""

    status_code = 414


class HTTPUnsupportedMediaType(HTTPClientError):
    """415 Unsupported Media Type."""

    status_code = 415


class HTTPRequestRangeNotSatisfiable(HTTPClientError):
    """416 Range Not Satisfiable."""

    status_code = 416


class HTTPExpectationFailed(HTTPClientError):
    """417 Expectation Failed."""

    status_code = 417


class HTTPMisdirectedRequest(HTTPClientError):
    """421 Misdirected Request."""

    status_code = 421


class HTTPUnprocessableEntity(HTTPClientError):
    """422 Unprocessable Content."""

    status_code = 422


class HTTPFailedDependency(HTTPClientError):
    """424 Failed Dependency."""

    status_code = 424


class HTTPUpgradeRequired(HTTPClientError):
    """426 Upgrade Required."""

    status_code = 426


class HTTPPreconditionRequired(HTTPClientError):
    """428 Precondition Required."""

    status_code = 428


class HTTPTooManyRequests(HTTPClientError):
    """429 Too Many Requests."""

    status_code = 429


class HTTPRequestHeaderFieldsTooLarge(HTTPClientError):
    """431 Request Header Fields Too Large."""

    status_code = 431


class HTTPUnavailableForLegalReasons(HTTPClientError):
    """451 Unavailable For Legal Reasons (RFC 7725).

    Args:
        link: the URL of the party blocking access, sent as ``Link: <...>;
            rel="blocked-by"``; ``None`` sends no Link header.
    """

    status_code = 451

    def __init__(self, link: str | URL | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.link = None if link is None else URL(link)
        if self.link is not None:
            self.headers["Link"] = f'<{self.link}>; rel="blocked-by"'


class HTTPServerError(HTTPError):
    """Base of the 5xx exceptions."""


class HTTPInternalServerError(HTTPServerError):
    """500 Internal Server Error."""

    status_code = 500


class HTTPNotImplemented(HTTPServerError):
    """501 Not Implemented."""

    status_code = 501


class HTTPBadGateway(HTTPServerError):
    """502 Bad Gateway."""

    status_code = 502


class HTTPServiceUnavailable(HTTPServerError):
    """503 Service Unavailable."""

    status_code = 503


class HTTPGatewayTimeout(HTTPServerError):
    """504 Gateway Timeout."""

    status_code = 504


class HTTPVersionNotSupported(HTTPServerError):
    """505 HTTP Version Not Supported."""

    status_code = 505


class HTTPVariantAlsoNegotiates(HTTPServerError):
    """506 Variant Also Negotiates."""

    status_code = 506


class HTTPInsufficientStorage(HTTPServerError):
    """507 Insufficient Storage."""

    status_code = 507


class HTTPNotExtended(HTTPServerError):
    """510 Not Extended."""

    status_code = 510


class HTTPNetworkAuthenticationRequired(HTTPServerError):
    """511 Network Authentication Required."""

    status_code = 511

"""One request as its caller sees it: each hop of its redirect chain, then the final response.

Every hop builds its headers afresh (cookies and credentials depend on the
URL), goes through :func:`exchange`, and stores the cookies its response
sets. A response that asks to be followed turns into the next hop, as the
redirect policy of ``_redirects`` says; any other ends the chain and is
checked against ``raise_for_status`` before the caller gets it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from multidict import CIMultiDict

from transom.client._errors import TooManyRedirects
from transom.client._exchange import exchange
from transom.client._redirects import (
    is_redirect,
    redirect_headers,
    redirect_method,
    redirect_target,
)
from transom.client._request import build_headers
from transom.client._response import ClientResponse
from transom.protocol.http1 import PreparedRequest, Request

if TYPE_CHECKING:
    from multidict import istr
    from yarl import URL

    from transom.client._abstract_cookie_jar import AbstractCookieJar, LooseCookies
    from transom.client._auth import BasicAuth
    from transom.client._connector import BaseConnector
    from transom.client._exchange import ExchangeOptions
    from transom.client._payload import Payload
    from transom.client._proxy import ProxySettings
    from transom.client._tracing import Trace

__all__ = ["HEAD_CACHE_SIZE", "RaiseForStatus", "send_chain"]

#: How many prepared request heads a session keeps (see _prepared_head).
HEAD_CACHE_SIZE: Final = 256
# The caller's headers of a plain request: none. Only read.
_NO_HEADERS: Final[CIMultiDict[str]] = CIMultiDict()

RaiseForStatus = bool | Callable[[ClientResponse], Awaitable[None]]


async def send_chain(
    connector: BaseConnector,
    jar: AbstractCookieJar,
    method: str,
    url: URL,
    user_headers: CIMultiDict[str],
    payload: Payload | None,
    *,
    coding: str | None,
    base_headers: CIMultiDict[str],
    base_skip: frozenset[istr],
    skip: frozenset[istr],
    auth: BasicAuth | None,
    cookies: LooseCookies | None,
    chunked: bool | None,
    expect100: bool,
    traces: list[Trace],
    allow_redirects: bool,
    max_redirects: int,
    raise_for_status: RaiseForStatus,
    proxy: ProxySettings | None,
    proxy_for_redirect: Callable[[URL], ProxySettings | None] | None,
    options: ExchangeOptions,
) -> ClientResponse:
    """Send a request, follow its redirects, and return the final response head.

    Args:
        connector: Where connections come from.
        jar: Gives each hop its cookies and keeps the ones responses set.
        method: The upper-case request method.
        url: The absolute URL, without credentials.
        user_headers: The caller's checked headers.
        payload: The body, or ``None``.
        coding: The body's Content-Encoding, when the client compressed it.
        base_headers: The session's prepared default headers.
        base_skip: The session's ``skip_auto_headers``.
        skip: Automatic headers to leave out of this request.
        auth: Credentials, sent only to ``url``'s origin.
        cookies: Extra cookies for this request only.
        chunked: Force chunked framing.
        expect100: Wait for ``100 Continue`` before sending the body.
        traces: Tracing hooks, told of each hop.
        allow_redirects: Follow redirects; when not, a redirect is the answer.
        max_redirects: How many redirects to follow at most.
        raise_for_status: ``True`` to raise for a final status >= 400, or an
            async callback given the final response.
        proxy: The proxy of the first hop.
        proxy_for_redirect: Chooses the proxy of each later hop from its
            URL; ``None`` keeps ``proxy`` for every hop.
        options: What :func:`exchange` needs that is the same for every hop.

    Returns:
        The final response, its body still to be read.

    Raises:
        TooManyRedirects: More than ``max_redirects`` redirects.
        InvalidUrlRedirectClientError: A redirect's Location is not usable.
        NonHttpUrlRedirectClientError: A redirect points to a non-HTTP scheme.
        ClientResponseError: From ``raise_for_status``.
    """
    auth_origin = None if auth is None else url.origin()
    history: list[ClientResponse] = []
    # A request that adds nothing of its own to the session's headers: its
    # head depends only on the method, the URL and the cookies.
    plain = (
        not user_headers
        and skip is base_skip
        and payload is None
        and cookies is None
        and not chunked
        and not expect100
        and not traces
    )
    while True:
        hop_auth = auth if auth is not None and url.origin() == auth_origin else None
        prepared: PreparedRequest | None = None
        if plain and hop_auth is None and proxy is None and not jar.cookie_header(url):
            prepared = _prepared_head(options["heads"], base_headers, base_skip, jar, method, url)
            all_headers = prepared.request.headers
        else:
            all_headers = build_headers(
                base_headers,
                base_skip,
                jar,
                url,
                method,
                user_headers,
                skip,
                payload,
                hop_auth,
                cookies,
                coding,
                chunked,
                expect100,
            )
        for trace in traces:
            await trace.send_request_start(method, url, all_headers)
        try:
            response = await exchange(
                connector,
                method,
                url,
                all_headers,
                payload,
                expect100=expect100,
                traces=traces,
                proxy=proxy,
                history=tuple(history),
                options=options,
                prepared=prepared,
            )
        except BaseException as exc:
            for trace in traces:
                await trace.send_request_exception(method, url, all_headers, exc)
            raise
        if "Set-Cookie" in response._raw_headers:
            jar.update_cookies_from_headers(
                response._raw_headers.getall("Set-Cookie"), response.url
            )
        if not allow_redirects or not is_redirect(response.status, response._raw_headers):
            break
        new_method = redirect_method(response.status, method)
        keep_body = new_method == method and payload is not None
        if keep_body and payload is not None and not payload.replayable:
            # A streamed body cannot be sent again: the redirect is the
            # answer.
            break
        history.append(response)
        if len(history) > max_redirects:
            response.release()
            raise TooManyRedirects(
                response.request_info,
                tuple(history),
                status=response.status,
                message=f"Exceeded {max_redirects} redirects",
                headers=response.headers,
            )
        try:
            new_url = redirect_target(response.url, response._raw_headers["Location"])
        except BaseException:
            response.release()
            raise
        _drain_redirect(response)
        for trace in traces:
            await trace.send_request_redirect(method, url, all_headers, response)
        user_headers = redirect_headers(user_headers, url, new_url, keep_body=keep_body)
        if not keep_body:
            payload, coding = None, None
        method, url = new_method, new_url
        if proxy_for_redirect is not None:
            proxy = proxy_for_redirect(url)
    if raise_for_status is True:
        response.raise_for_status()
    elif raise_for_status:
        await raise_for_status(response)
    for trace in traces:
        await trace.send_request_end(method, url, all_headers, response)
    return response


def _prepared_head(
    heads: dict[tuple[str, URL], PreparedRequest],
    base_headers: CIMultiDict[str],
    base_skip: frozenset[istr],
    jar: AbstractCookieJar,
    method: str,
    url: URL,
) -> PreparedRequest:
    """The head of a plain request (see send_chain), serialized once per method and URL.

    ``heads`` is emptied whenever the session's headers change (see
    ``RequestDefaults.base_headers``), and when it reaches
    :data:`HEAD_CACHE_SIZE` entries, so it stays bounded.
    """
    key = (method, url)
    prepared = heads.get(key)
    if prepared is None:
        headers = build_headers(
            base_headers,
            base_skip,
            jar,
            url,
            method,
            _NO_HEADERS,
            base_skip,
            None,
            None,
            None,
            None,
            None,
            False,
        )
        prepared = PreparedRequest(Request(method=method, target=url.raw_path_qs, headers=headers))
        if len(heads) >= HEAD_CACHE_SIZE:
            heads.clear()
        heads[key] = prepared
    return prepared


def _drain_redirect(response: ClientResponse) -> None:
    # A redirect body already received keeps the connection reusable; one
    # still arriving is not worth waiting for.
    if response.content.is_eof():
        response.release()
    else:
        response.close()

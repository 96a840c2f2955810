"""transom.client: an asyncio HTTP client with an aiohttp-shaped ``ClientSession``.

Create a :class:`ClientSession` inside a running event loop, make requests
with it, and close it::

    async with ClientSession() as session:
        async with session.get("https://example.org/") as response:
            text = await response.text()

Every name below is the public API; everything else is private.
"""

from transom.client._abstract_cookie_jar import AbstractCookieJar, DummyCookieJar
from transom.client._auth import BasicAuth
from transom.client._connection_key import ConnectionKey
from transom.client._connector import BaseConnector
from transom.client._cookie_jar import CookieJar
from transom.client._errors import (
    ClientConnectionError,
    ClientConnectionResetError,
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientError,
    ClientHttpProxyError,
    ClientOSError,
    ClientPayloadError,
    ClientProxyConnectionError,
    ClientResponseError,
    ClientSSLError,
    ConnectionTimeoutError,
    ContentTypeError,
    InvalidURL,
    InvalidUrlClientError,
    InvalidUrlRedirectClientError,
    NonHttpUrlClientError,
    NonHttpUrlRedirectClientError,
    RedirectClientError,
    ServerConnectionError,
    ServerDisconnectedError,
    ServerFingerprintMismatch,
    ServerTimeoutError,
    SocketTimeoutError,
    TooManyRedirects,
    UnixClientConnectorError,
    WSServerHandshakeError,
)
from transom.client._form_data import FormData
from transom.client._loop import NoRunningLoopError
from transom.client._request_context import RequestContextManager
from transom.client._request_info import RequestInfo
from transom.client._resolver import (
    AbstractResolver,
    AsyncResolver,
    DefaultResolver,
    ResolveResult,
    ThreadedResolver,
)
from transom.client._response import ClientResponse, HttpVersion
from transom.client._session import ClientSession
from transom.client._stream import EofStream, StreamReader
from transom.client._tcp_connector import TCPConnector
from transom.client._timeouts import DEFAULT_TIMEOUT, ClientTimeout
from transom.client._tls import Fingerprint
from transom.client._tracing import (
    TraceConfig,
    TraceConnectionCreateEndParams,
    TraceConnectionCreateStartParams,
    TraceConnectionQueuedEndParams,
    TraceConnectionQueuedStartParams,
    TraceConnectionReuseconnParams,
    TraceDnsCacheHitParams,
    TraceDnsCacheMissParams,
    TraceDnsResolveHostEndParams,
    TraceDnsResolveHostStartParams,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    TraceRequestRedirectParams,
    TraceRequestStartParams,
)
from transom.client._unix_connector import UnixConnector
from transom.client._websocket import ClientWebSocketResponse, WSContextManager
from transom.protocol.websocket import CloseCode as WSCloseCode
from transom.protocol.websocket import WSMessage, WSMsgType

__all__ = [
    "DEFAULT_TIMEOUT",
    "AbstractCookieJar",
    "AbstractResolver",
    "AsyncResolver",
    "BaseConnector",
    "BasicAuth",
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientConnectorCertificateError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientConnectorSSLError",
    "ClientError",
    "ClientHttpProxyError",
    "ClientOSError",
    "ClientPayloadError",
    "ClientProxyConnectionError",
    "ClientResponse",
    "ClientResponseError",
    "ClientSSLError",
    "ClientSession",
    "ClientTimeout",
    "ClientWebSocketResponse",
    "ConnectionKey",
    "ConnectionTimeoutError",
    "ContentTypeError",
    "CookieJar",
    "DefaultResolver",
    "DummyCookieJar",
    "EofStream",
    "Fingerprint",
    "FormData",
    "HttpVersion",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "NoRunningLoopError",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
    "RedirectClientError",
    "RequestContextManager",
    "RequestInfo",
    "ResolveResult",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "SocketTimeoutError",
    "StreamReader",
    "TCPConnector",
    "ThreadedResolver",
    "TooManyRedirects",
    "TraceConfig",
    "TraceConnectionCreateEndParams",
    "TraceConnectionCreateStartParams",
    "TraceConnectionQueuedEndParams",
    "TraceConnectionQueuedStartParams",
    "TraceConnectionReuseconnParams",
    "TraceDnsCacheHitParams",
    "TraceDnsCacheMissParams",
    "TraceDnsResolveHostEndParams",
    "TraceDnsResolveHostStartParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestRedirectParams",
    "TraceRequestStartParams",
    "UnixClientConnectorError",
    "UnixConnector",
    "WSCloseCode",
    "WSContextManager",
    "WSMessage",
    "WSMsgType",
    "WSServerHandshakeError",
]

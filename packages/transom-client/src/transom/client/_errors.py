"""The client's exceptions: one tree under :class:`ClientError`.

Catch :class:`ClientError` for "anything the client reports"; catch a branch
for one kind of failure. Messages name the host and the cause, never the
peer's raw bytes beyond a short repr. Timeouts are also ``TimeoutError`` and
OS-level failures also ``OSError``, so code written against the standard
exceptions keeps working.
"""

from __future__ import annotations

import os
import ssl
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from multidict import CIMultiDictProxy, MultiMapping
    from yarl import URL

    from transom.client._connection_key import ConnectionKey
    from transom.client._request_info import RequestInfo
    from transom.client._response import ClientResponse
    from transom.client._tls import Fingerprint

__all__ = [
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
    "ClientResponseError",
    "ClientSSLError",
    "ConnectionTimeoutError",
    "ContentTypeError",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
    "RedirectClientError",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "SocketTimeoutError",
    "TooManyRedirects",
    "UnixClientConnectorError",
]


class ClientError(Exception):
    """Base of every error the client raises."""


class ClientResponseError(ClientError):
    """A response arrived, but it is not what the caller can use.

    Args:
        request_info: The request the response answers.
        history: The redirect responses that led here, oldest first.
        status: The response status (0 when none applies).
        message: A short explanation (the reason phrase for a status error).
        headers: The response headers, when known.
    """

    def __init__(
        self,
        request_info: RequestInfo,
        history: Sequence[ClientResponse] = (),
        *,
        status: int = 0,
        message: str = "",
        headers: MultiMapping[str] | CIMultiDictProxy[str] | None = None,
    ) -> None:
        super().__init__(request_info, tuple(history))
        self.request_info = request_info
        self.history: tuple[ClientResponse, ...] = tuple(history)
        self.status = status
        self.message = message
        self.headers = headers

    def __str__(self) -> str:
        return f"{self.status}, message={self.message!r}, url={str(self.request_info.real_url)!r}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, message={self.message!r}, "
            f"url={str(self.request_info.real_url)!r})"
        )


class ContentTypeError(ClientResponseError):
    """``json()`` was called on a response whose Content-Type is not the expected one."""


class TooManyRedirects(ClientResponseError):
    """A redirect chain was longer than ``max_redirects``."""


class WSServerHandshakeError(ClientResponseError):
    """The server refused the WebSocket upgrade, or answered it wrongly."""


class ClientHttpProxyError(ClientResponseError):
    """The proxy refused to open a tunnel (its answer to CONNECT was not 2xx)."""


class ClientConnectionError(ClientError):
    """The connection to the server failed or broke."""


class ClientConnectionResetError(ClientConnectionError, ConnectionResetError):
    """Writing to a connection that the peer or this side already closed."""


class ClientOSError(ClientConnectionError, OSError):
    """An operating-system error on the connection."""


class ClientConnectorError(ClientOSError):
    """A connection to the host could not be established.

    Args:
        connection_key: Which host, port and TLS settings were tried.
        os_error: The underlying error.
    """

    def __init__(self, connection_key: ConnectionKey, os_error: OSError) -> None:
        super().__init__(os_error.errno, os_error.strerror)
        self.args = (connection_key, os_error)
        self._connection_key = connection_key
        self._os_error = os_error

    @property
    def connection_key(self) -> ConnectionKey:
        """The key of the connection that failed."""
        return self._connection_key

    @property
    def os_error(self) -> OSError:
        """The error the operating system (or resolver, or TLS layer) reported."""
        return self._os_error

    @property
    def host(self) -> str:
        """The host that could not be reached."""
        return self._connection_key.host

    @property
    def port(self) -> int | None:
        """The port that could not be reached."""
        return self._connection_key.port

    @property
    def ssl(self) -> ssl.SSLContext | bool | Fingerprint:
        """The TLS setting the connection was attempted with."""
        return self._connection_key.ssl

    def _cause(self) -> str:
        error = self._os_error
        if isinstance(error.errno, int) and error.errno > 0 and type(error) is not OSError:
            # asyncio's "Connect call failed (addr)" hides the reason.
            return os.strerror(error.errno)
        return error.strerror or str(error) or type(error).__name__

    def __str__(self) -> str:
        tls = "default" if self.ssl is True else self.ssl
        return f"Cannot connect to host {self.host}:{self.port} ssl:{tls} [{self._cause()}]"

    # OSError's own pickling rebuilds from (errno, strerror) and loses the key.
    __reduce__ = BaseException.__reduce__


class ClientConnectorDNSError(ClientConnectorError):
    """The host name could not be resolved."""

    def __str__(self) -> str:
        return f"Cannot resolve host {self.host}:{self.port} [{self._cause()}]"


class ClientProxyConnectionError(ClientConnectorError):
    """The proxy could not be reached."""

    def __str__(self) -> str:
        proxy = self._connection_key.proxy
        where = f"{proxy.host}:{proxy.port}" if proxy is not None else f"{self.host}:{self.port}"
        return f"Cannot connect to proxy {where} for {self.host}:{self.port} [{self._cause()}]"


class UnixClientConnectorError(ClientConnectorError):
    """The Unix socket could not be connected to.

    Args:
        path: The socket path.
        connection_key: The key of the request.
        os_error: The underlying error.
    """

    def __init__(self, path: str, connection_key: ConnectionKey, os_error: OSError) -> None:
        super().__init__(connection_key, os_error)
        self.path = path

    def __str__(self) -> str:
        return f"Cannot connect to unix socket {self.path} [{self._cause()}]"


class ClientSSLError(ClientConnectorError):
    """The TLS handshake with the host failed."""

    def __str__(self) -> str:
        return f"TLS handshake with {self.host}:{self.port} failed [{self._cause()}]"


class ClientConnectorSSLError(ClientSSLError, ssl.SSLError):
    """The TLS layer reported an error other than a certificate problem."""


class ClientConnectorCertificateError(ClientSSLError, ssl.CertificateError):
    """The host's certificate could not be verified.

    Args:
        connection_key: Which host, port and TLS settings were tried.
        certificate_error: The verification error.
    """

    def __init__(self, connection_key: ConnectionKey, certificate_error: Exception) -> None:
        os_error = certificate_error if isinstance(certificate_error, OSError) else OSError()
        super().__init__(connection_key, os_error)
        self.args = (connection_key, certificate_error)
        self.certificate_error = certificate_error

    def __str__(self) -> str:
        cause = getattr(self.certificate_error, "verify_message", None) or str(
            self.certificate_error
        )
        return f"Cannot verify the certificate of {self.host}:{self.port} [{cause}]"


class ServerConnectionError(ClientConnectionError):
    """The server end of an established connection failed."""


class ServerDisconnectedError(ServerConnectionError):
    """The server closed the connection before the response was complete.

    Args:
        message: What was happening; a default names the situation.
    """

    def __init__(self, message: str | None = None) -> None:
        self.message = message or "Server disconnected"
        super().__init__(self.message)


class ServerTimeoutError(ServerConnectionError, TimeoutError):
    """A timeout expired while talking to the server."""


class ConnectionTimeoutError(ServerTimeoutError):
    """Getting a connection (``connect`` or ``sock_connect``) took too long."""


class SocketTimeoutError(ServerTimeoutError):
    """No data arrived from the server within ``sock_read``."""


class ServerFingerprintMismatch(ServerConnectionError):
    """The server's certificate does not match the pinned fingerprint.

    Args:
        expected: The pinned SHA-256 digest.
        got: The digest of the certificate the server presented.
        host: The host connected to.
        port: The port connected to.
    """

    def __init__(self, expected: bytes, got: bytes, host: str, port: int | None) -> None:
        super().__init__(expected, got, host, port)
        self.expected = expected
        self.got = got
        self.host = host
        self.port = port

    def __str__(self) -> str:
        return (
            f"Certificate fingerprint mismatch for {self.host}:{self.port}: "
            f"expected {self.expected.hex()}, got {self.got.hex()}"
        )


class ClientPayloadError(ClientError):
    """The response body could not be read completely or decoded."""


class InvalidURL(ClientError, ValueError):
    """The URL cannot be requested.

    Args:
        url: The offending URL.
        description: Why it was refused.
    """

    def __init__(self, url: URL | str | Any, description: str | None = None) -> None:
        super().__init__(url, description)
        self.url = url
        self.description = description

    def __str__(self) -> str:
        if self.description:
            return f"{self.url} - {self.description}"
        return str(self.url)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"


class InvalidUrlClientError(InvalidURL):
    """The request URL is malformed or lacks a host."""


class RedirectClientError(ClientError):
    """A redirect could not be followed."""


class NonHttpUrlClientError(ClientError):
    """The URL's scheme is not one the client speaks (http, https, ws, wss).

    Args:
        url: The offending URL.
    """

    def __init__(self, url: URL | str | Any) -> None:
        super().__init__(url)
        self.url = url

    def __str__(self) -> str:
        return f"{self.url} - the scheme is not http or https"


class InvalidUrlRedirectClientError(InvalidUrlClientError, RedirectClientError):
    """A redirect's Location is malformed."""


class NonHttpUrlRedirectClientError(NonHttpUrlClientError, RedirectClientError):
    """A redirect points to a scheme the client does not speak."""

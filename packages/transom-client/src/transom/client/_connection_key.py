"""The identity of a pooled connection: what must match for one to be reused."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import ssl

    from yarl import URL

    from transom.client._auth import BasicAuth
    from transom.client._tls import Fingerprint

__all__ = ["ConnectionKey"]


class ConnectionKey(NamedTuple):
    """Everything that decides whether an idle connection can serve a request.

    Two requests share a pooled connection only when all fields are equal: the
    same origin (host, port, TLS or not), the same TLS settings (a connection
    verified with one context must not serve a request that asked for another),
    and the same proxy with the same credentials and headers.

    Attributes:
        host: The host name or address from the URL (for a Unix socket, the
            URL's host, since the path is the connector's).
        port: The TCP port, or ``None`` when the URL has none and none applies.
        is_ssl: Whether the connection speaks TLS to the origin.
        ssl: The request's ``ssl`` argument: ``True`` (verify), ``False`` (do
            not verify), an ``ssl.SSLContext`` or a :class:`Fingerprint`.
        proxy: The proxy URL, or ``None`` for a direct connection.
        proxy_auth: Credentials sent to the proxy.
        proxy_headers_hash: A hash of the extra headers sent to the proxy.
    """

    host: str
    port: int | None
    is_ssl: bool
    ssl: ssl.SSLContext | bool | Fingerprint
    proxy: URL | None
    proxy_auth: BasicAuth | None
    proxy_headers_hash: int | None

"""Client timeouts: how long each phase of a request may take."""

from __future__ import annotations

import dataclasses

__all__ = ["DEFAULT_TIMEOUT", "ClientTimeout", "as_timeout"]

# A whole request (connect, send, receive the body) rarely legitimately takes
# longer than five minutes; a hung server must not hold a caller forever.
DEFAULT_TOTAL_TIMEOUT = 300.0
# Connecting one socket (TCP plus TLS handshake) is normally a few round
# trips; thirty seconds covers slow links without hiding a dead host for long.
DEFAULT_SOCK_CONNECT_TIMEOUT = 30.0


@dataclasses.dataclass(frozen=True, slots=True)
class ClientTimeout:
    """Limits, in seconds, on the phases of a request; ``None`` means no limit.

    Attributes:
        total: The whole request: getting a connection, sending, receiving
            the head and reading the body. Raises ``ServerTimeoutError``.
        connect: Getting a connection, including waiting for a free slot in
            the pool and any proxy tunnel. Raises ``ConnectionTimeoutError``.
        sock_connect: Opening one socket to a peer (TCP and TLS handshake).
            Raises ``ConnectionTimeoutError``.
        sock_read: The longest wait for the next bytes from the server, for
            the response head and for each body read. Raises
            ``SocketTimeoutError``.
        ceil_threshold: Kept for call compatibility; timers are exact.
    """

    total: float | None = None
    connect: float | None = None
    sock_read: float | None = None
    sock_connect: float | None = None
    ceil_threshold: float = 5


DEFAULT_TIMEOUT = ClientTimeout(
    total=DEFAULT_TOTAL_TIMEOUT, sock_connect=DEFAULT_SOCK_CONNECT_TIMEOUT
)


def as_timeout(timeout: ClientTimeout | float | None) -> ClientTimeout:
    """A ``timeout=`` argument as a :class:`ClientTimeout`.

    ``None`` means no limit at all; a number of seconds limits the total.
    """
    if timeout is None:
        return ClientTimeout()
    if isinstance(timeout, ClientTimeout):
        return timeout
    return ClientTimeout(total=float(timeout))

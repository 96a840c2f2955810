"""Errors of the WebSocket core.

A :class:`WebSocketProtocolError` ends an open connection: the peer broke a
framing or message rule and the connection is failed with the close code it
carries (RFC 6455 §7.1.7). A :class:`HandshakeError` ends the opening
handshake before any frame: on the server it carries the HTTP status and the
headers to answer with, on the client it names what the server's response
got wrong.
"""

from __future__ import annotations

from transom.protocol._errors import RemoteProtocolError

__all__ = ["HandshakeError", "WebSocketProtocolError"]


class WebSocketProtocolError(RemoteProtocolError):
    """The peer broke RFC 6455 (or RFC 7692) after the handshake.

    By the time this is raised the connection has queued the Close frame that
    fails it; send ``data_to_send()`` and then close the transport.

    Args:
        close_code: The close code sent to the peer: 1002 for a framing or
            protocol error, 1007 for a payload that is not what its type says
            (invalid UTF-8, corrupt compressed data), 1009 for a message over
            the size limit.
        reason: A short explanation, also sent as the Close frame's reason.
    """

    def __init__(self, close_code: int, reason: str) -> None:
        super().__init__(reason)
        self.close_code = close_code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.close_code}, {self.reason!r})"


class HandshakeError(RemoteProtocolError):
    """The opening handshake failed (RFC 6455 §4).

    On the server the request cannot be upgraded: answer with
    :attr:`status_code` (400, or 426 Upgrade Required) and :attr:`headers`,
    then handle the connection as plain HTTP or close it. On the client the
    server's response is not a valid acceptance of the request sent:
    the connection must be closed; :attr:`status_code` is then unused.

    Args:
        reason: A short explanation, safe to send to the peer.
        status_code: The HTTP status a server answers with.
        headers: Header fields the server's error response must carry, for
            example ``Sec-WebSocket-Version: 13`` with a 426.
    """

    def __init__(
        self,
        reason: str,
        *,
        status_code: int = 400,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(reason, status_code=status_code)
        self.headers = headers

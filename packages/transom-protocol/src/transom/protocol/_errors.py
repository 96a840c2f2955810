"""The protocol core's error types.

Every error the sans-I/O core raises is a :class:`ProtocolError`. Which side
misbehaved decides the subclass: :class:`RemoteProtocolError` when the bytes
received from the peer break the protocol, :class:`LocalProtocolError` when
this program asked to send something the protocol does not allow. Both carry
the HTTP status a server should answer with and a short reason that is safe to
send to the peer (it never contains the peer's bytes or a traceback).
"""

from __future__ import annotations

__all__ = ["LocalProtocolError", "ProtocolError", "RemoteProtocolError"]


class ProtocolError(Exception):
    """A violation of a protocol rule.

    Args:
        reason: A short, human-readable explanation, safe to send to the peer.
        status_code: The HTTP status a server answers with when this error ends
            a request (400 unless a more precise status applies: 413, 414, 431,
            501, 505, ...).
    """

    def __init__(self, reason: str, *, status_code: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reason!r}, status_code={self.status_code})"


class LocalProtocolError(ProtocolError):
    """This side tried to do something the protocol forbids.

    Raised before any byte of the offending message is produced, so nothing
    half-written reaches the peer. The caller has a bug to fix (for example a
    header value containing CR or LF).
    """


class RemoteProtocolError(ProtocolError):
    """The peer sent bytes that break the protocol.

    A server answers with :attr:`status_code` and :attr:`reason` and then
    closes the connection, since the framing of anything after the error is
    in doubt.
    """

"""The HTTP/1.1 connection state machine: one state per side, and its rules.

One request/response exchange is a *cycle*. Each side, the client (who sends
the request) and the server (who sends the response), moves through:

Client:
    IDLE --Request--> SEND_BODY --EndOfMessage--> DONE
    SEND_BODY --EndOfMessage, Upgrade or CONNECT proposed--> MIGHT_SWITCH_PROTOCOL
    MIGHT_SWITCH_PROTOCOL --server accepts (101, or 2xx to CONNECT)--> SWITCHED_PROTOCOL
    MIGHT_SWITCH_PROTOCOL --server answers with any other final response--> DONE

Server:
    IDLE --InformationalResponse--> IDLE           (101 accepting an Upgrade: SWITCHED_PROTOCOL)
    IDLE --Response--> SEND_BODY --EndOfMessage--> DONE
    IDLE --2xx Response accepting a CONNECT--> SWITCHED_PROTOCOL

Both sides:
    DONE --keep-alive lost--> MUST_CLOSE
    IDLE, DONE, MUST_CLOSE --ConnectionClosed--> CLOSED
    any state --protocol error or send_failed()--> ERROR
    DONE and DONE, keep-alive still on --start_next_cycle()--> IDLE and IDLE

A server may answer before the request is complete (an early 413 or 417); a
final response that does not accept a proposed switch withdraws the proposal,
so the client side ends in DONE. Keep-alive is lost for good once either
message says ``Connection: close``, an HTTP/1.0 message lacks
``Connection: keep-alive``, a body runs until the connection closes, or a
side fails (RFC 9112 §9.3).

Every method here raises :class:`LocalProtocolError` on an event the current
state does not allow; received events are checked by the parser before they
get here, so a raise always means this side's caller misbehaved.
"""

from __future__ import annotations

import enum
from typing import Final

from transom.protocol._errors import LocalProtocolError

__all__ = ["ConnectionState", "Role", "State", "Switch"]


class Role(enum.Enum):
    """Which end of the connection this side is."""

    #: Sends requests, receives responses.
    CLIENT = "CLIENT"
    #: Receives requests, sends responses.
    SERVER = "SERVER"


class State(enum.Enum):
    """Where one side is in the current request/response cycle."""

    IDLE = "IDLE"
    SEND_BODY = "SEND_BODY"
    DONE = "DONE"
    MUST_CLOSE = "MUST_CLOSE"
    CLOSED = "CLOSED"
    ERROR = "ERROR"
    MIGHT_SWITCH_PROTOCOL = "MIGHT_SWITCH_PROTOCOL"
    SWITCHED_PROTOCOL = "SWITCHED_PROTOCOL"

    def __repr__(self) -> str:
        return f"State.{self.value}"


class Switch(enum.Enum):
    """A protocol switch the client proposed in its request."""

    #: ``Connection: upgrade`` with an ``Upgrade`` field; accepted by 101.
    UPGRADE = "UPGRADE"
    #: A CONNECT request; accepted by any 2xx response.
    CONNECT = "CONNECT"


_IDLE: Final = State.IDLE
_SEND_BODY: Final = State.SEND_BODY
_DONE: Final = State.DONE
_MUST_CLOSE: Final = State.MUST_CLOSE
_CLOSED: Final = State.CLOSED
_ERROR: Final = State.ERROR
_MIGHT_SWITCH: Final = State.MIGHT_SWITCH_PROTOCOL
_SWITCHED: Final = State.SWITCHED_PROTOCOL
_CAN_CLOSE: Final = frozenset({_IDLE, _DONE, _MUST_CLOSE, _CLOSED})


class ConnectionState:
    """Both sides' states for one connection, plus keep-alive and any proposed switch."""

    __slots__ = ("client", "keep_alive", "proposal", "server")

    def __init__(self) -> None:
        self.client = _IDLE
        self.server = _IDLE
        self.keep_alive = True
        self.proposal: Switch | None = None

    def request(self, keep_alive: bool, proposal: Switch | None) -> None:
        """The client's request head went out (or came in)."""
        if self.client is not _IDLE:
            raise LocalProtocolError(f"cannot send a request in state {self.client.value}")
        self.client = _SEND_BODY
        self.proposal = proposal
        if not keep_alive:
            self.keep_alive = False

    def informational(self, status_code: int) -> None:
        """A 1xx response; a 101 accepts the client's proposed Upgrade."""
        if self.server is not _IDLE:
            raise LocalProtocolError(f"cannot send a 1xx response in state {self.server.value}")
        if status_code == 101:
            if self.proposal is not Switch.UPGRADE or self.client is not _MIGHT_SWITCH:
                raise LocalProtocolError(
                    "101 Switching Protocols without a complete Upgrade request"
                )
            self.client = self.server = _SWITCHED

    def response(self, *, switches: bool, keep_alive: bool) -> None:
        """A final response head; ``switches`` when it is a 2xx accepting a CONNECT."""
        if self.server is not _IDLE:
            raise LocalProtocolError(f"cannot send a response in state {self.server.value}")
        if switches:
            if self.client is not _MIGHT_SWITCH:
                raise LocalProtocolError("2xx to CONNECT before the request is complete")
            self.client = self.server = _SWITCHED
            return
        self.proposal = None
        if self.client is _MIGHT_SWITCH:
            self.client = _DONE
        self.server = _SEND_BODY
        if not keep_alive:
            self.keep_alive = False
            self._settle()

    def client_done(self) -> None:
        """The request's EndOfMessage."""
        if self.client is not _SEND_BODY:
            raise LocalProtocolError(f"no request body in progress (state {self.client.value})")
        self.client = _DONE if self.proposal is None else _MIGHT_SWITCH
        if not self.keep_alive:
            self._settle()

    def server_done(self) -> None:
        """The response's EndOfMessage."""
        if self.server is not _SEND_BODY:
            raise LocalProtocolError(f"no response body in progress (state {self.server.value})")
        self.server = _DONE
        if not self.keep_alive:
            self._settle()

    def disable_keep_alive(self) -> None:
        """Keep-alive is lost: finished sides must now close."""
        self.keep_alive = False
        self._settle()

    def closed(self, role: Role) -> None:
        """``role`` closed its sending side."""
        if role is Role.CLIENT:
            if self.client not in _CAN_CLOSE:
                raise LocalProtocolError(f"cannot close in state {self.client.value}")
            self.client = _CLOSED
        else:
            if self.server not in _CAN_CLOSE:
                raise LocalProtocolError(f"cannot close in state {self.server.value}")
            self.server = _CLOSED
        self.disable_keep_alive()

    def failed(self, role: Role) -> None:
        """``role`` broke the protocol or gave up mid-message."""
        if role is Role.CLIENT:
            self.client = _ERROR
        else:
            self.server = _ERROR
        self.disable_keep_alive()

    def start_next_cycle(self) -> None:
        """Both messages are complete and the connection persists: reset to IDLE."""
        if not self.try_next_cycle():
            raise LocalProtocolError(
                f"cannot start a new cycle (client {self.client.value}, "
                f"server {self.server.value}, keep-alive {self.keep_alive})"
            )

    def try_next_cycle(self) -> bool:
        """:meth:`start_next_cycle` when it is allowed; whether it was."""
        if self.client is not _DONE or self.server is not _DONE or not self.keep_alive:
            return False
        self.client = self.server = _IDLE
        self.proposal = None
        return True

    def _settle(self) -> None:
        # Callers on the hot path check keep_alive first, to skip the call.
        if not self.keep_alive:
            if self.client is _DONE:
                self.client = _MUST_CLOSE
            if self.server is _DONE:
                self.server = _MUST_CLOSE

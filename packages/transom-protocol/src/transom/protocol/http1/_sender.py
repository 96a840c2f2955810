"""This end's side of a connection: message heads with their framing, then bodies.

Every method checks everything first and changes state last, so a refused
event leaves the connection as it was and a different one can be sent.
"""

from __future__ import annotations

from typing import Final

from multidict import CIMultiDict

from transom.protocol._errors import LocalProtocolError
from transom.protocol.http1._events import InformationalResponse, Request, Response
from transom.protocol.http1._framing import CONTENT_LENGTH, TRANSFER_ENCODING, Body
from transom.protocol.http1._state import ConnectionState, State, Switch
from transom.protocol.http1._writers import (
    RequestPlan,
    chunk,
    encode_fields,
    last_chunk,
    plan_request,
    plan_response,
    request_line,
    status_line,
)

__all__ = ["PreparedRequest", "Sender"]

_IDLE: Final = State.IDLE
_SEND_BODY: Final = State.SEND_BODY
_NONE: Final = Body.NONE
_LENGTH: Final = Body.LENGTH
_CHUNKED: Final = Body.CHUNKED
_UNTIL_CLOSE: Final = Body.UNTIL_CLOSE
_CONNECTION: Final = "Connection"


class PreparedRequest:
    """A request head checked and serialized once, for sending many times.

    A client that sends the same head again and again (same method, target
    and fields) prepares it once and passes it to
    :meth:`Connection.send <transom.protocol.http1.Connection.send>` in place
    of the :class:`Request`: the state machine advances as for the request,
    and the bytes are the ones serialized here.

    Args:
        request: The head. Its fields are serialized now; changing them
            afterwards changes :attr:`request` but not what is sent.

    Raises:
        LocalProtocolError: As :meth:`Connection.send` would for ``request``.
    """

    __slots__ = ("_head", "_plan", "_request")

    def __init__(self, request: Request) -> None:
        if request.http_version != (1, 1):
            raise LocalProtocolError("Requests are sent as HTTP/1.1")
        self._plan = plan_request(request.method, request.headers)
        self._head = request_line(request.method, request.target) + encode_fields(request.headers)
        self._request = request

    @property
    def request(self) -> Request:
        """The request this head was serialized from."""
        return self._request

    @property
    def head(self) -> bytes:
        """The serialized head: request line, fields and the blank line."""
        return self._head


class Sender:
    """Serializes the messages of one end of a connection.

    Args:
        server: Whether this end is the server.
        state: The connection's state machine, shared with the receiving side.
    """

    __slots__ = ("_body", "_remaining", "_server", "_state")

    def __init__(self, server: bool, state: ConnectionState) -> None:
        self._server = server
        self._state = state
        self._body = _NONE
        self._remaining = 0

    def response_head(
        self,
        event: Response,
        request_method: str | None,
        peer_version: tuple[int, int] | None,
    ) -> bytes:
        """The head of a final response; its body follows through :meth:`data`."""
        status = event.status_code
        self._check_can_respond(status, final=True)
        if event.http_version != (1, 1):
            raise LocalProtocolError("Responses are sent as HTTP/1.1")
        state = self._state
        switches = state.proposal is Switch.CONNECT and 200 <= status < 300
        plan = plan_response(
            status, event.headers, request_method, peer_version, state.keep_alive, switches
        )
        head = status_line(status, event.reason) + encode_fields(event.headers, plan.extra)
        state.response(switches=switches, keep_alive=plan.keep_alive)
        self._body = plan.body
        self._remaining = plan.length
        return head

    def whole_response(
        self,
        status_code: int,
        reason: str,
        headers: CIMultiDict[str],
        body: bytes,
        request_method: str | None,
        peer_version: tuple[int, int] | None,
    ) -> bytes:
        """A final response and its whole body, in one piece."""
        state = self._state
        self._check_can_respond(status_code, final=True)
        if peer_version == (1, 1) and request_method is not None:
            out = self._usual_response(status_code, reason, headers, body, request_method)
            if out is not None:
                return out
        switches = state.proposal is Switch.CONNECT and 200 <= status_code < 300
        # A HEAD answered without the body it describes cannot declare its
        # length: Content-Length: 0 would be a false statement about the GET.
        head_only = request_method == "HEAD"
        plan = plan_response(
            status_code,
            headers,
            request_method,
            peer_version,
            state.keep_alive,
            switches,
            None if head_only and not body else len(body),
        )
        if head_only:
            payload = b""
        elif plan.body is _LENGTH:
            if plan.length != len(body):
                raise LocalProtocolError("Content-Length does not match the body")
            payload = body
        elif plan.body is _CHUNKED:
            payload = chunk(body) + b"0\r\n\r\n"
        else:
            if body:
                raise LocalProtocolError(f"A {status_code} response has no body")
            payload = b""
        head = status_line(status_code, reason) + encode_fields(headers, plan.extra)
        state.response(switches=switches, keep_alive=plan.keep_alive)
        if not switches:
            state.server_done()
        return head + payload if payload else head

    def _usual_response(
        self,
        status_code: int,
        reason: str,
        headers: CIMultiDict[str],
        body: bytes,
        request_method: str,
    ) -> bytes | None:
        """:meth:`whole_response` for the usual answer, or None to take the general path.

        The usual answer is to a request from an HTTP/1.1 client, other than
        HEAD, that proposed no switch, with a status that has a body, framed by
        a ``Content-Length`` the caller left out or set to the body's length,
        and no ``Transfer-Encoding`` or ``Connection`` field: plan_response()
        would add at most ``Content-Length`` and ``Connection: close``.
        """
        state = self._state
        if (
            state.proposal is not None
            or status_code == 204
            or status_code == 304
            or request_method == "HEAD"
            or TRANSFER_ENCODING in headers
            or _CONNECTION in headers
        ):
            return None
        length = str(len(body))
        lengths = headers.getall(CONTENT_LENGTH, None)
        if lengths is None:
            extra = f"Content-Length: {length}\r\n"
        elif len(lengths) == 1 and lengths[0] == length:
            extra = ""
        else:
            return None
        keep_alive = state.keep_alive
        if not keep_alive:
            extra += "Connection: close\r\n"
        head = status_line(status_code, reason) + encode_fields(headers, extra)
        state.response(switches=False, keep_alive=keep_alive)
        state.server_done()
        return head + body if body else head

    def informational(
        self, event: InformationalResponse, peer_version: tuple[int, int] | None
    ) -> bytes:
        """A 1xx response; a 101 switches protocols."""
        status = event.status_code
        self._check_can_respond(status, final=False)
        if event.http_version != (1, 1):
            raise LocalProtocolError("Responses are sent as HTTP/1.1")
        if peer_version != (1, 1):
            # RFC 9110 §15.2: no 1xx to an HTTP/1.0 client.
            raise LocalProtocolError("A 1xx response needs an HTTP/1.1 request")
        headers = event.headers
        if CONTENT_LENGTH in headers or TRANSFER_ENCODING in headers:
            raise LocalProtocolError("A 1xx response cannot declare a body length")
        head = status_line(status, event.reason) + encode_fields(headers)
        self._state.informational(status)
        return head

    def request_head(self, event: Request) -> bytes:
        """The head of a request; its body follows through :meth:`data`."""
        if self._server:
            raise LocalProtocolError("A server cannot send a request")
        if self._state.client is not _IDLE:
            raise LocalProtocolError(f"Cannot send a request in state {self._state.client.value}")
        if event.http_version != (1, 1):
            raise LocalProtocolError("Requests are sent as HTTP/1.1")
        plan = plan_request(event.method, event.headers)
        head = request_line(event.method, event.target) + encode_fields(event.headers)
        self._state.request(plan.keep_alive, plan.proposal)
        self._body = plan.body
        self._remaining = plan.length
        return head

    def prepared_head(self, prepared: PreparedRequest) -> bytes:
        """:meth:`request_head` for a head serialized beforehand."""
        if self._server:
            raise LocalProtocolError("A server cannot send a request")
        if self._state.client is not _IDLE:
            raise LocalProtocolError(f"Cannot send a request in state {self._state.client.value}")
        plan: RequestPlan = prepared._plan
        self._state.request(plan.keep_alive, plan.proposal)
        self._body = plan.body
        self._remaining = plan.length
        return prepared._head

    def data(self, data: bytes) -> bytes:
        """A piece of the body, framed as the head declared."""
        self._check_sending_body()
        body = self._body
        if body is _LENGTH:
            if len(data) > self._remaining:
                raise LocalProtocolError("Data beyond the declared Content-Length")
            self._remaining -= len(data)
            return bytes(data)
        if body is _CHUNKED:
            return chunk(data)
        if body is _UNTIL_CLOSE:
            return bytes(data)
        if data:
            raise LocalProtocolError("This message has no body")
        return b""

    def end(self, trailers: CIMultiDict[str]) -> bytes:
        """The end of the body, with trailers when it is chunked."""
        self._check_sending_body()
        body = self._body
        if body is _LENGTH and self._remaining:
            raise LocalProtocolError(
                f"{self._remaining} bytes short of the declared Content-Length"
            )
        if trailers and body is not _CHUNKED:
            raise LocalProtocolError("Trailers need a chunked body")
        out = last_chunk(trailers) if body is _CHUNKED else b""
        if self._server:
            self._state.server_done()
        else:
            self._state.client_done()
        return out

    def _check_can_respond(self, status_code: int, *, final: bool) -> None:
        if not self._server:
            raise LocalProtocolError("A client cannot send a response")
        if self._state.server is not _IDLE:
            raise LocalProtocolError(f"Cannot send a response in state {self._state.server.value}")
        if type(status_code) is not int:
            raise LocalProtocolError("Status code must be an int")
        if final and not 200 <= status_code <= 999:
            raise LocalProtocolError(
                "Final status must be 200-999; send 1xx as InformationalResponse"
            )
        if not final and not 100 <= status_code <= 199:
            raise LocalProtocolError("Informational status must be 100-199")

    def _check_sending_body(self) -> None:
        ours = self._state.server if self._server else self._state.client
        if ours is not _SEND_BODY:
            raise LocalProtocolError(f"Cannot send body in state {ours.value}")

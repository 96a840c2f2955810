"""HTTP/1.1 as a sans-I/O state machine (RFC 9110, RFC 9112).

One :class:`Connection` per TCP connection, for either role. Bytes received go
in through :meth:`~Connection.receive_data`; :meth:`~Connection.next_event`
turns them into events (:class:`Request` or :class:`Response`, :class:`Data`,
:class:`EndOfMessage`, ...); :meth:`~Connection.send` turns events into bytes
to write. No sockets, no event loop, no clocks.

The parser is strict wherever two implementations reading the same bytes
differently would enable request smuggling: such input raises
:class:`~transom.protocol.RemoteProtocolError` carrying the status a server
answers with.
"""

from transom.protocol.http1._connection import Connection
from transom.protocol.http1._events import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    InformationalResponse,
    NoEvent,
    Request,
    Response,
)
from transom.protocol.http1._limits import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_CHUNK_LINE_SIZE,
    DEFAULT_MAX_HEADER_BLOCK_SIZE,
    DEFAULT_MAX_HEADER_COUNT,
    DEFAULT_MAX_REQUEST_LINE_SIZE,
)
from transom.protocol.http1._sender import PreparedRequest
from transom.protocol.http1._state import Role, State

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_CHUNK_LINE_SIZE",
    "DEFAULT_MAX_HEADER_BLOCK_SIZE",
    "DEFAULT_MAX_HEADER_COUNT",
    "DEFAULT_MAX_REQUEST_LINE_SIZE",
    "NEED_DATA",
    "PAUSED",
    "Connection",
    "ConnectionClosed",
    "Data",
    "EndOfMessage",
    "Event",
    "InformationalResponse",
    "NoEvent",
    "PreparedRequest",
    "Request",
    "Response",
    "Role",
    "State",
]

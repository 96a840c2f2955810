"""transom.protocol: the sans-I/O core shared by the transom server and client.

Nothing in this package performs I/O, touches an event loop or reads a clock:
callers feed it bytes and receive events, or hand it events and receive bytes
to send.
"""

from transom.protocol._errors import LocalProtocolError, ProtocolError, RemoteProtocolError

__all__ = ["LocalProtocolError", "ProtocolError", "RemoteProtocolError"]

"""transom.protocol: the sans-I/O core shared by the transom server and client.

Nothing in this package performs I/O, touches an event loop or reads a clock:
callers feed it bytes and receive events, or hand it events and receive bytes
to send.
"""

# First: it decides, before any compiled module loads, whether they may.
from transom.protocol import _extensions  # noqa: F401  # isort: skip
from transom.protocol._errors import LocalProtocolError, ProtocolError, RemoteProtocolError

__all__ = ["LocalProtocolError", "ProtocolError", "RemoteProtocolError"]

"""Free loopback ports for tests that need a port number before they listen."""

from __future__ import annotations

import socket
from typing import Final

__all__ = ["LOOPBACK_HOST", "unused_port"]

# Test servers listen on the loopback interface only: nothing outside the
# machine can reach them, and no firewall prompt appears.
LOOPBACK_HOST: Final = "127.0.0.1"


def unused_port(host: str = LOOPBACK_HOST) -> int:
    """Return a TCP port on ``host`` that nothing listens on right now.

    The port is free when this returns, but another process may take it before
    the caller binds it. Prefer listening on port 0 (what ``TestServer`` does
    without a ``port``) and reading the port back; use this only for code that
    must be told its port in advance.

    Args:
        host: The address the port is free on.

    Returns:
        The port number.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port

"""``WSMsgType`` and ``WSMessage``: what an asyncio WebSocket's ``receive()`` returns.

These are the shapes ``aiohttp`` gives its users, kept so handlers port by
changing imports: data messages, the control frames an application may
choose to see, and three states that are not frames at all (``CLOSING``,
``CLOSED``, ``ERROR``).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = ["WSMessage", "WSMsgType"]


class WSMsgType(enum.IntEnum):
    """The type of a :class:`WSMessage`.

    The first six are RFC 6455 opcodes; the last three are not on the wire.
    """

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    PING = 0x9
    PONG = 0xA
    CLOSE = 0x8
    #: This side sent a Close frame and waits for the peer's.
    CLOSING = 0x100
    #: The connection is closed; no message follows.
    CLOSED = 0x101
    #: The connection failed; ``data`` is the exception.
    ERROR = 0x102


class WSMessage(NamedTuple):
    """One received message or state change.

    Attributes:
        type: What it is.
        data: ``str`` for TEXT; ``bytes`` for BINARY, PING and PONG; the
            close code (``int``) for CLOSE; the exception for ERROR; None
            otherwise.
        extra: The close reason (``str``) for CLOSE, else None.
    """

    type: WSMsgType
    data: Any
    extra: Any

    def json(self, *, loads: Callable[[Any], Any] = json.loads) -> Any:
        """Decode ``data`` as JSON (for TEXT and BINARY messages)."""
        return loads(self.data)

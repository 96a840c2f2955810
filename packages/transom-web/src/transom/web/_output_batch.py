"""Small messages of one event loop pass, written together after the pass.

An asyncio end that is busy finishes many messages in one pass of the event
loop, each on its own connection: a server its answers, a client its
requests. Written at once, every one of them is a ``send()`` that may wake
the peer's process (on loopback, inside our own system call), one wake-up per
message. Held until the pass ends and then written back to back, they reach
peers that are already awake from the first: far less time is spent in the
kernel per message. The price is a short wait for each message: the rest of
the pass, then one loop callback.

Only whole small messages are held (see :data:`HOLD_LIMIT`); a connection
writes what it holds before anything else reaches its transport, so bytes
never change order. Nothing is held while the loop has a single connection:
there is no other message to write with, and the wait would only add a pass
of the loop (its ``select`` call) to every message.

``transom-web`` and ``transom-client`` carry identical copies of this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    import asyncio

__all__ = ["HOLD_LIMIT", "HeldOutput", "OutputBatch", "Writable"]

#: Messages up to this size are held for the end of the pass; larger ones
#: are written at once (holding them saves nothing measurable).
HOLD_LIMIT: Final = 64 * 1024


class Writable(Protocol):
    """A connection that holds output for the batch."""

    def flush_output(self) -> None:
        """Write what the connection holds to its transport."""


class OutputBatch:
    """The connections holding output in the current pass of one event loop.

    Args:
        loop: The loop whose passes delimit a batch.
    """

    __slots__ = ("_loop", "_members", "_waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: list[Writable] = []
        self._members = 0

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop whose passes delimit a batch."""
        return self._loop

    @property
    def busy(self) -> bool:
        """Whether more than one connection is open: only then is output held."""
        return self._members > 1

    def join(self) -> None:
        """Count one more open connection (see :attr:`busy`)."""
        self._members += 1

    def leave(self) -> None:
        """Count one connection fewer: it closed."""
        self._members -= 1

    def add(self, connection: Writable) -> None:
        """Have ``connection.flush_output()`` called once the current pass ends.

        Call it once per connection, when it starts holding output.
        """
        waiting = self._waiting
        if not waiting:
            self._loop.call_soon(self._flush)
        waiting.append(connection)

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        for connection in waiting:
            try:
                connection.flush_output()
            except Exception as exc:
                # One broken connection must not keep the others' answers back.
                self._loop.call_exception_handler(
                    {
                        "message": "writing held output failed",
                        "exception": exc,
                        "protocol": connection,
                    }
                )


class HeldOutput:
    """The whole small messages one connection holds until its batch is written.

    Args:
        batch: The batch of the connection's loop.
        connection: The connection; its ``flush_output()`` takes what is held
            (with :meth:`take`) and writes it.
    """

    __slots__ = ("_batch", "_connection", "_open", "_pieces")

    def __init__(self, batch: OutputBatch, connection: Writable) -> None:
        self._batch = batch
        self._connection = connection
        self._pieces: list[bytes] = []
        self._open = True
        batch.join()

    def __bool__(self) -> bool:
        return bool(self._pieces)

    def add(self, data: bytes) -> bool:
        """Hold ``data``, a whole message, after what is already held.

        Returns:
            True when it is held (the connection joins the batch if nothing
            was held); False, holding nothing, when it is larger than
            :data:`HOLD_LIMIT` or this is the loop's only open connection:
            the caller writes it now, after what :meth:`take` gives.
        """
        batch = self._batch
        if len(data) > HOLD_LIMIT or batch._members < 2:
            return False
        if not self._pieces:
            batch.add(self._connection)
        self._pieces.append(data)
        return True

    def take(self) -> bytes:
        """Everything held, in order, and hold nothing more (empty when nothing was)."""
        pieces = self._pieces
        if not pieces:
            return b""
        self._pieces = []
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def drop(self) -> None:
        """Forget what is held (the connection is aborted)."""
        self._pieces = []

    def close(self) -> None:
        """Forget what is held and leave the batch's count: the connection is gone."""
        self._pieces = []
        if self._open:
            self._open = False
            self._batch.leave()

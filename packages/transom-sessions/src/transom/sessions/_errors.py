"""Errors a session storage raises to the application's developer."""

from __future__ import annotations

__all__ = ["SessionTooLargeError"]


class SessionTooLargeError(ValueError):
    """A session holds more than a cookie can carry.

    Raised while saving into a cookie storage, so the request fails with a 500 and
    this message in the server log, instead of the browser silently dropping the
    cookie and the user being logged out. Keep the data server-side with
    ``RedisStorage`` (the cookie then carries only an id), or store less.

    Args:
        size: The size the ``Set-Cookie`` value would have, in characters.
        limit: The largest size the storage accepts.
    """

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"session cookie would be {size} characters, over the {limit} browsers keep; "
            "use RedisStorage to keep session data on the server, or store less"
        )
        self.size = size
        self.limit = limit

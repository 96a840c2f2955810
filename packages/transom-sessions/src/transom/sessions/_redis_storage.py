"""A storage that keeps session data in Redis and only a random id in the cookie."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from transom.sessions._storage import AbstractStorage, logger
from transom.web import HTTPServiceUnavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from transom.sessions._session import Session
    from transom.web import Request, StreamResponse

__all__ = ["DEFAULT_EXPIRY", "DEFAULT_KEY_PREFIX", "MAX_IDENTITY_LENGTH", "RedisStorage"]

# A session without max_age lives as long as the browser keeps its cookie,
# which the server cannot observe; the data still needs an end, or abandoned
# sessions pile up in Redis forever. Two weeks is long enough that a browser
# left open over a holiday keeps its session.
DEFAULT_EXPIRY = 14 * 24 * 60 * 60
DEFAULT_KEY_PREFIX = "transom-session:"
# The cookie value becomes part of a Redis key. Ids from the default factory
# are 32 characters; anything far longer did not come from this server and is
# refused before it reaches Redis.
MAX_IDENTITY_LENGTH = 256


def _uuid4_hex() -> str:
    return uuid.uuid4().hex


class RedisStorage(AbstractStorage):
    """Keep session data in Redis; the cookie carries only the session's random id.

    Sessions can hold more than a cookie can, several servers share them through
    one Redis, and :meth:`~transom.sessions.Session.invalidate` (logout) deletes
    the data on the server, so a copied cookie is worthless afterwards. Each save
    sets the key's expiry to the session's ``max_age`` (``default_expiry`` when
    that is ``None``), so abandoned sessions disappear on their own.

    When Redis cannot be reached, the request that needs the session gets a 503
    Service Unavailable (logged on ``transom.sessions``, no details sent to the
    client); later requests work again once Redis is back. Configure retries and
    timeouts on the ``Redis`` client you pass.

    Needs the ``redis`` extra: ``pip install 'transom-sessions[redis]'``.

    Args:
        redis: A ``redis.asyncio.Redis`` client. The application owns it: close it
            on cleanup (for example in ``app.cleanup_ctx``).
        key_prefix: Put before each id to make the Redis key.
        key_factory: Makes new session ids; they must be unguessable and valid
            cookie values. The default gives 32 hex digits (122 random bits).
        default_expiry: Seconds a session without ``max_age`` is kept after each save.
        max_identity_length: Longest cookie value looked up in Redis.
        **kwargs: The cookie and session options of
            :class:`~transom.sessions.AbstractStorage`, including ``encoder`` and
            ``decoder`` (JSON by default).

    Raises:
        ImportError: The ``redis`` package is not installed.
        ValueError: ``default_expiry`` is not positive.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        key_factory: Callable[[], str] = _uuid4_hex,
        default_expiry: int = DEFAULT_EXPIRY,
        max_identity_length: int = MAX_IDENTITY_LENGTH,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        try:
            from redis.exceptions import RedisError
        except ImportError:
            raise ImportError(
                "RedisStorage needs the redis package: pip install 'transom-sessions[redis]'"
            ) from None
        if default_expiry <= 0:
            raise ValueError("default_expiry must be a positive number of seconds")
        self._redis = redis
        self._redis_error: type[Exception] = RedisError
        self._key_prefix = key_prefix
        self._key_factory = key_factory
        self._default_expiry = default_expiry
        self._max_identity_length = max_identity_length

    def new_identity(self) -> str:
        """Return a new session id from ``key_factory``."""
        return self._key_factory()

    def key(self, identity: str) -> str:
        """Return the Redis key a session id is stored under."""
        return self._key_prefix + identity

    async def load_session(self, request: Request) -> Session:
        """Return the session whose id the request's cookie carries, or a new one.

        An unknown or expired id gives a new session.

        Raises:
            HTTPServiceUnavailable: Redis cannot be reached (logged).
        """
        identity = self.load_cookie(request)
        if identity is None:
            return self.new_session()
        if not identity or len(identity) > self._max_identity_length:
            logger.warning("session cookie rejected: not a session id")
            return self.new_session()
        try:
            stored = await self._redis.get(self.key(identity))
        except self._redis_error as exc:
            self._unavailable("loading", exc)
        if stored is None:
            logger.info("session not found in Redis (expired or ended); starting a new one")
            return self.new_session()
        if isinstance(stored, bytes):
            try:
                stored = stored.decode("utf-8")
            except UnicodeDecodeError:
                logger.warning("session rejected: stored data is not UTF-8 text")
                return self.new_session()
        return self.decode_session(stored, identity=identity)

    async def save_session(
        self, request: Request, response: StreamResponse, session: Session
    ) -> None:
        """Store the session under its id and set the cookie; or delete both when empty.

        Also deletes the data of ``session.previous_identity``, in the same
        transaction.

        Raises:
            HTTPServiceUnavailable: Redis cannot be reached (logged).
        """
        expiry = self._default_expiry if session.max_age is None else session.max_age
        stale = [session.previous_identity] if session.previous_identity else []
        keep = not session.empty and expiry > 0
        if keep and session.identity is None:
            session.set_new_identity(self.new_identity())
        elif not keep and session.identity is not None:
            stale.append(session.identity)
        if stale or keep:
            try:
                async with self._redis.pipeline(transaction=True) as pipe:
                    if stale:
                        pipe.delete(*(self.key(identity) for identity in stale))
                    if keep and session.identity is not None:
                        text = self.encode_session(session)
                        pipe.set(self.key(session.identity), text, ex=expiry)
                    await pipe.execute()
            except self._redis_error as exc:
                self._unavailable("saving", exc)
        if keep and session.identity is not None:
            self.save_cookie(request, response, session.identity, max_age=session.max_age)
        else:
            self.delete_cookie(request, response)

    def _unavailable(self, action: str, exc: Exception) -> NoReturn:
        # Details stay in the server log; the client learns only that the
        # service is unavailable for now.
        logger.error("session storage unavailable while %s a session: %r", action, exc)
        raise HTTPServiceUnavailable() from None

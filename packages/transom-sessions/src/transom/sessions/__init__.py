"""transom.sessions: sessions for transom.web applications.

Install the middleware with a storage, then reach the session from handlers::

    from transom import web
    from transom.sessions import EncryptedCookieStorage, get_session, setup

    app = web.Application()
    setup(app, EncryptedCookieStorage(key))

    async def handler(request: web.Request) -> web.Response:
        session = await get_session(request)
        session["visits"] = session.get("visits", 0) + 1
        return web.Response(text=str(session["visits"]))
"""

from transom.sessions._encrypted_cookie_storage import EncryptedCookieStorage
from transom.sessions._errors import SessionTooLargeError
from transom.sessions._middleware import (
    SESSION_KEY,
    STORAGE_KEY,
    get_session,
    new_session,
    session_middleware,
    setup,
)
from transom.sessions._redis_storage import DEFAULT_EXPIRY, RedisStorage
from transom.sessions._session import Session
from transom.sessions._simple_cookie_storage import SimpleCookieStorage
from transom.sessions._storage import (
    DEFAULT_COOKIE_NAME,
    MAX_COOKIE_SIZE,
    AbstractStorage,
    CookieParams,
)

__all__ = [
    "DEFAULT_COOKIE_NAME",
    "DEFAULT_EXPIRY",
    "MAX_COOKIE_SIZE",
    "SESSION_KEY",
    "STORAGE_KEY",
    "AbstractStorage",
    "CookieParams",
    "EncryptedCookieStorage",
    "RedisStorage",
    "Session",
    "SessionTooLargeError",
    "SimpleCookieStorage",
    "get_session",
    "new_session",
    "session_middleware",
    "setup",
]

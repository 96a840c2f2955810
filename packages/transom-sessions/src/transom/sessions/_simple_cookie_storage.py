"""A storage that keeps the session, readable and unsigned, in the cookie: for development."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from transom.sessions._storage import AbstractStorage, logger

if TYPE_CHECKING:
    from transom.sessions._session import Session
    from transom.web import Request, StreamResponse

__all__ = ["SimpleCookieStorage"]


class SimpleCookieStorage(AbstractStorage):
    """Keep the session as plain, unsigned JSON in the cookie. For development only.

    The cookie is the session encoded as JSON, then as URL-safe base64 (a cookie
    value cannot carry JSON's quotes): anyone can read it with a base64 decoder,
    which helps while developing. Anyone can also forge it: the client can write
    any value, any id and any expiry into it. Never use this storage where a
    session decides who the user is or what they may do; use
    :class:`~transom.sessions.EncryptedCookieStorage` or
    :class:`~transom.sessions.RedisStorage` instead.

    Takes the keyword arguments of :class:`~transom.sessions.AbstractStorage`.
    """

    async def load_session(self, request: Request) -> Session:
        """Return the session in the request's cookie, or a new one.

        A cookie that is not base64 of a JSON session gives a new session (logged).
        """
        cookie = self.load_cookie(request)
        if cookie is None:
            return self.new_session()
        try:
            text = base64.urlsafe_b64decode(cookie.encode("ascii")).decode("utf-8")
        except (binascii.Error, UnicodeError, ValueError):
            logger.warning("session cookie rejected: not base64 of UTF-8 text")
            return self.new_session()
        return self.decode_session(text)

    async def save_session(
        self, request: Request, response: StreamResponse, session: Session
    ) -> None:
        """Write the session into the cookie, or expire the cookie when it is empty.

        Raises:
            SessionTooLargeError: The cookie would be larger than browsers keep.
        """
        if session.empty:
            self.delete_cookie(request, response)
            return
        if session.identity is None:
            session.set_new_identity(self.new_identity())
        text = self.encode_session(session)
        value = base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")
        self.save_cookie(request, response, value, max_age=session.max_age)

"""The storage interface: where sessions live between requests, and the cookie that finds them."""

from __future__ import annotations

import abc
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeGuard

from transom.sessions._errors import SessionTooLargeError
from transom.sessions._session import Session

if TYPE_CHECKING:
    from transom.web import Request, StreamResponse

__all__ = [
    "DEFAULT_COOKIE_NAME",
    "MAX_COOKIE_SIZE",
    "AbstractStorage",
    "CookieParams",
    "logger",
]

logger = logging.getLogger("transom.sessions")

DEFAULT_COOKIE_NAME = "TRANSOM_SESSION"
# Browsers keep a cookie only when its name and value fit in 4096 octets
# (RFC 6265 §6.1 asks for at least that much; RFC 6265bis makes it the limit),
# and some proxies and servers cap a whole header line near 4-8 KiB. Holding the
# whole Set-Cookie value to 4096 keeps a session cookie working everywhere.
MAX_COOKIE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class CookieParams:
    """The attributes a storage gives its session cookie.

    Attributes:
        domain: ``Domain``, or ``None`` for a host-only cookie (the safer choice).
        path: ``Path``.
        max_age: ``Max-Age`` in seconds (``Expires`` is sent to match), or ``None``
            for a cookie that ends when the browser closes.
        secure: ``Secure``; ``None`` sets it exactly when the request came over TLS.
        httponly: ``HttpOnly``: scripts cannot read the cookie.
        samesite: ``SameSite``: ``"Strict"``, ``"Lax"``, ``"None"`` or ``None``.
    """

    domain: str | None
    path: str
    max_age: int | None
    secure: bool | None
    httponly: bool
    samesite: str | None


class AbstractStorage(abc.ABC):
    """Base class of session storages; subclass it to keep sessions somewhere new.

    A storage decides where session data lives and what the cookie carries. A
    subclass implements two coroutines:

    - :meth:`load_session` reads the cookie (:meth:`load_cookie`) and returns the
      session it points to, or :meth:`new_session` when there is none or it cannot
      be trusted. It never raises for anything the client sent.
    - :meth:`save_session` writes the session back and sets or deletes the cookie
      (:meth:`save_cookie`, :meth:`delete_cookie`). It is called only when
      ``session.should_save`` is true. An empty session means "delete": remove the
      server-side data and expire the cookie. A session with a ``previous_identity``
      also has that id's server-side data removed.

    :meth:`encode_session` and :meth:`decode_session` turn a session into text and
    back, checking its expiry; :meth:`new_identity` makes ids.

    Args:
        cookie_name: The session cookie's name.
        domain: ``Domain`` of the cookie; ``None`` keeps it to the exact host.
        max_age: Seconds a session lives after each save, in the cookie (``Max-Age``
            and ``Expires``) and on the server; ``None`` for a browser-session
            cookie (servers still cap it, see each storage).
        path: ``Path`` of the cookie.
        secure: ``Secure``; ``None`` (the default) sets it when the request came
            over TLS. Set ``True`` behind a TLS-terminating proxy.
        httponly: ``HttpOnly``; on by default so scripts cannot steal the session.
        samesite: ``SameSite``; ``"Lax"`` by default, which keeps the cookie off
            cross-site subrequests and POSTs (a defence against CSRF).
        encoder: Turns the session's dict into text.
        decoder: Turns that text back into a dict.
        max_cookie_size: Longest ``Set-Cookie`` value accepted, in characters.
        clock: Returns the current time in seconds since the epoch.

    Raises:
        ValueError: ``max_age`` is negative, ``max_cookie_size`` is not positive, or
            ``samesite="None"`` comes with ``secure=False``.
    """

    def __init__(
        self,
        *,
        cookie_name: str = DEFAULT_COOKIE_NAME,
        domain: str | None = None,
        max_age: int | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool = True,
        samesite: str | None = "Lax",
        encoder: Callable[[Any], str] = json.dumps,
        decoder: Callable[[str], Any] = json.loads,
        max_cookie_size: int = MAX_COOKIE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_age is not None and max_age < 0:
            raise ValueError("max_age must be None or a number of seconds >= 0")
        if max_cookie_size <= 0:
            raise ValueError("max_cookie_size must be positive")
        if samesite is not None and samesite.lower() == "none" and secure is False:
            raise ValueError("SameSite=None needs a Secure cookie; browsers reject it otherwise")
        self._cookie_name = cookie_name
        self._cookie_params = CookieParams(
            domain=domain,
            path=path,
            max_age=max_age,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )
        self._encoder = encoder
        self._decoder = decoder
        self._max_cookie_size = max_cookie_size
        self._clock = clock

    @property
    def cookie_name(self) -> str:
        """The session cookie's name."""
        return self._cookie_name

    @property
    def cookie_params(self) -> CookieParams:
        """The attributes the session cookie is sent with."""
        return self._cookie_params

    @property
    def max_age(self) -> int | None:
        """Seconds a session lives after each save, or ``None``."""
        return self._cookie_params.max_age

    def now(self) -> int:
        """The current time from the storage's clock, in whole seconds since the epoch."""
        return int(self._clock())

    @abc.abstractmethod
    async def load_session(self, request: Request) -> Session:
        """Return the session the request's cookie points to, or a new one.

        Raises:
            HTTPException: The storage cannot be reached (for example
                ``HTTPServiceUnavailable``); never for what the client sent.
        """

    @abc.abstractmethod
    async def save_session(
        self, request: Request, response: StreamResponse, session: Session
    ) -> None:
        """Store ``session`` and set (or expire) the cookie on ``response``.

        Raises:
            SessionTooLargeError: The cookie would be larger than browsers keep.
            HTTPException: The storage cannot be reached.
        """

    def new_session(self) -> Session:
        """Return a fresh, empty session with a new identity and the storage's max_age."""
        return Session(self.new_identity(), new=True, created=self.now(), max_age=self.max_age)

    def load_cookie(self, request: Request) -> str | None:
        """Return the value of the session cookie the request carries, if any."""
        value: str | None = request.cookies.get(self._cookie_name)
        return value

    def save_cookie(
        self,
        request: Request,
        response: StreamResponse,
        value: str,
        *,
        max_age: int | None,
    ) -> None:
        """Set the session cookie on ``response`` with the storage's attributes.

        Args:
            request: The request being answered (it decides ``Secure`` by default).
            response: The response to carry the ``Set-Cookie`` field.
            value: The cookie value; printable ASCII without ``;``, ``"`` or ``\\``.
            max_age: ``Max-Age`` (with a matching ``Expires``), or ``None``.

        Raises:
            SessionTooLargeError: The ``Set-Cookie`` value would be longer than
                ``max_cookie_size``.
        """
        name = self._cookie_name
        # The protocol layer refuses a name and value over its own limit with a
        # generic cookie error; report the session-specific cause first.
        if len(name) + 1 + len(value) > self._max_cookie_size:
            raise SessionTooLargeError(len(name) + 1 + len(value), self._max_cookie_size)
        params = self._cookie_params
        expires = None
        if max_age is not None:
            expires = datetime.fromtimestamp(self.now() + max_age, UTC)
        response.set_cookie(
            name,
            value,
            expires=expires,
            max_age=max_age,
            domain=params.domain,
            path=params.path,
            secure=self._secure(request),
            httponly=params.httponly,
            samesite=params.samesite,
        )
        size = len(response.cookies[name])
        if size > self._max_cookie_size:
            raise SessionTooLargeError(size, self._max_cookie_size)

    def delete_cookie(self, request: Request, response: StreamResponse) -> None:
        """Have the client drop the session cookie (an empty, already expired one)."""
        params = self._cookie_params
        response.del_cookie(
            self._cookie_name,
            domain=params.domain,
            path=params.path,
            secure=self._secure(request),
            httponly=params.httponly,
            samesite=params.samesite,
        )

    def new_identity(self) -> str:
        """Return a fresh, unguessable session id (122 random bits)."""
        return uuid.uuid4().hex

    def encode_session(self, session: Session) -> str:
        """Encode the session, its id and its times as text with the storage's encoder.

        An ``expires`` time (now plus the session's ``max_age``) goes along, so that
        the session's lifetime is enforced on the server, not left to the browser.
        """
        payload: dict[str, Any] = {
            "id": session.identity,
            "created": session.created,
            "session": dict(session),
        }
        if session.max_age != self.max_age:
            payload["max_age"] = session.max_age
        if session.max_age is not None:
            payload["expires"] = self.now() + session.max_age
        return self._encoder(payload)

    def decode_session(self, text: str, *, identity: str | None = None) -> Session:
        """Rebuild a session from what :meth:`encode_session` produced.

        Args:
            text: The encoded session.
            identity: The id it was stored under; ``None`` to take the one inside.

        Returns:
            The stored session; or a new, empty one (with a log line) when the text
            does not decode to a session or the session has expired. Never raises
            for what the client sent.
        """
        try:
            payload = self._decoder(text)
        except Exception as exc:
            # The decoder is pluggable, so any failure is possible; all of them
            # mean the stored text is unusable, never a server error.
            logger.warning("session rejected: cannot decode it (%s)", type(exc).__name__)
            return self.new_session()
        if not isinstance(payload, dict):
            logger.warning("session rejected: not an object")
            return self.new_session()
        if identity is None:
            identity = payload.get("id")
        created = payload.get("created")
        data = payload.get("session")
        expires = payload.get("expires")
        max_age = payload.get("max_age", self.max_age)
        if not (
            isinstance(identity, str)
            and _is_int(created)
            and isinstance(data, dict)
            and (expires is None or _is_int(expires))
            and (max_age is None or (_is_int(max_age) and max_age >= 0))
        ):
            logger.warning("session rejected: malformed")
            return self.new_session()
        if expires is not None and expires <= self.now():
            logger.info("session expired; starting a new one")
            return self.new_session()
        return Session(identity, data=data, new=False, created=created, max_age=max_age)

    def _secure(self, request: Request) -> bool:
        secure = self._cookie_params.secure
        return request.secure if secure is None else secure


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)

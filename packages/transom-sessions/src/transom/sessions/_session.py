"""The session: a dict the storage keeps between requests, plus when and under which id."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

__all__ = ["Session"]


class Session(MutableMapping[str, Any]):
    """The data one client carries from request to request.

    A session behaves as a ``dict`` of JSON-serialisable values (with the default
    encoders) and tracks what its storage needs to decide whether, and how, to write it
    back: it is saved at the end of the request only when it changed, or when it is new
    and holds data. Setting or deleting a key marks it changed; mutating a value in
    place (``session["cart"].append(item)``) does not, so call :meth:`changed` after
    doing that.

    Handlers get sessions from :func:`~transom.sessions.get_session` and
    :func:`~transom.sessions.new_session`; only storages construct them.

    Args:
        identity: The id the storage knows this session by; ``None`` lets the storage
            give it one when it first saves it.
        data: The values the session starts with.
        new: Whether the client has not presented this session before.
        created: When the session was first created, in whole seconds since the epoch.
        max_age: How many seconds the session lives after each save, or ``None`` for
            a session that ends when the browser closes.
    """

    __slots__ = (
        "_changed",
        "_created",
        "_data",
        "_identity",
        "_max_age",
        "_new",
        "_previous_identity",
    )

    def __init__(
        self,
        identity: str | None,
        *,
        data: Mapping[str, Any] | None = None,
        new: bool,
        created: int,
        max_age: int | None = None,
    ) -> None:
        self._identity = identity
        self._data: dict[str, Any] = dict(data) if data else {}
        self._new = new
        self._created = created
        self._max_age = max_age
        self._changed = False
        self._previous_identity: str | None = None

    @property
    def identity(self) -> str | None:
        """The id the storage keeps this session under.

        A new session gets a fresh id from its storage, never one the client chose.
        After :meth:`invalidate` it is ``None`` until the storage saves the session
        under a new id.
        """
        return self._identity

    @property
    def new(self) -> bool:
        """``True`` when the client did not present this session: it is fresh."""
        return self._new

    @property
    def created(self) -> int:
        """When the session was created, in whole seconds since the epoch (UTC)."""
        return self._created

    @property
    def max_age(self) -> int | None:
        """Seconds the session lives after each save; ``None`` ends it with the browser.

        Setting it (for example longer for a "remember me" login) marks the session
        changed. A storage that enforces its own lifetime on what it reads back (the
        Fernet TTL of :class:`~transom.sessions.EncryptedCookieStorage`) still refuses a
        session older than the storage's ``max_age``.
        """
        return self._max_age

    @max_age.setter
    def max_age(self, value: int | None) -> None:
        if value is not None and value < 0:
            raise ValueError("max_age must be None or a number of seconds >= 0")
        self._max_age = value
        self._changed = True

    @property
    def empty(self) -> bool:
        """``True`` when the session holds no values."""
        return not self._data

    @property
    def is_changed(self) -> bool:
        """Whether the session was changed (or invalidated) during this request."""
        return self._changed

    @property
    def should_save(self) -> bool:
        """Whether the storage must write the session back at the end of the request.

        True when it changed, or when it is new and holds data. A storage's
        ``save_session`` is called only when this is true.
        """
        return self._changed or (self._new and bool(self._data))

    @property
    def previous_identity(self) -> str | None:
        """An id whose server-side data the storage must delete when it saves, if any.

        Set by :meth:`invalidate` and by :func:`~transom.sessions.new_session`: the old
        id must stop working, so that an id an attacker planted before login (session
        fixation) or one copied before logout is useless afterwards.
        """
        return self._previous_identity

    def changed(self) -> None:
        """Mark the session changed so that it is saved, after an in-place mutation."""
        self._changed = True

    def invalidate(self) -> None:
        """End the session: clear its values, and have the storage forget its id.

        At the end of the request the storage deletes the server-side data and expires
        the cookie. Values set after this call start a new session with a new id.
        """
        self._data.clear()
        self._changed = True
        if not self._new and self._identity is not None:
            self._previous_identity = self._identity
        self._identity = None
        self._new = True

    def set_new_identity(self, identity: str) -> None:
        """Give a new session its id; for storages, when they first save it.

        Raises:
            RuntimeError: The session is not new: an existing session keeps its id.
        """
        if not self._new:
            raise RuntimeError("cannot change the identity of a session the client already has")
        self._identity = identity

    def _replace(self, previous: Session) -> None:
        # Called on a fresh session that takes the place of ``previous``: the old id
        # must die with it, even when nothing is ever stored in the fresh one.
        if previous._new:
            self._previous_identity = previous._previous_identity
        else:
            self._previous_identity = previous._identity
        self._changed = True

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value
        self._changed = True

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._changed = True

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        state = "new" if self._new else "existing"
        return f"<Session {state} identity={self._identity!r} {self._data!r}>"

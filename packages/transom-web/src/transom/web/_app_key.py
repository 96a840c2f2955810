"""Typed keys for application state."""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["AppKey", "NotAppKeyWarning"]

_T = TypeVar("_T")


class NotAppKeyWarning(UserWarning):
    """A plain string was used as a key into an `Application`'s state.

    String keys still work; an `AppKey` gives the value a type that checkers follow
    and cannot collide with another library's key of the same spelling.
    """


class AppKey(Generic[_T]):
    """A key into `Application` state that carries the type of its value.

    Two keys are the same key only if they are the same object: two libraries that
    both create ``AppKey("db")`` never overwrite each other.

    Args:
        name: a label shown in ``repr`` and error messages.
        t: the type of the value, for ``repr`` only (the static type comes from the
            annotation ``AppKey[int]``).
    """

    __slots__ = ("__orig_class__", "_name", "_type")

    def __init__(self, name: str, t: type[_T] | None = None) -> None:
        self._name = name
        self._type = t

    @property
    def name(self) -> str:
        """The label given at construction."""
        return self._name

    def __repr__(self) -> str:
        if self._type is None:
            return f"<AppKey({self._name})>"
        type_name = getattr(self._type, "__qualname__", repr(self._type))
        return f"<AppKey({self._name}, type={type_name})>"

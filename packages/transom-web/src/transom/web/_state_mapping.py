"""The dict-like state of requests and responses.

Applications keep per-request and per-response values in the object itself,
``request["user"] = user``, as in aiohttp. :class:`StateMapping` gives a
class a ``MutableMapping``'s methods over its ``_state`` dict. It is compiled,
so it cannot inherit the ``MutableMapping`` mixins; it is registered as one
instead, and writes the methods out.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, MutableMapping, ValuesView
from typing import Any

from transom.web._compiler_hints import mypyc_attr

__all__ = ["StateMapping"]


@mypyc_attr(allow_interpreted_subclasses=True)
class StateMapping:
    """A mutable mapping over ``self._state``; always truthy, equal only to itself."""

    __slots__ = ("_state",)

    _state: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self._state[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def __delitem__(self, key: str) -> None:
        del self._state[key]

    def __len__(self) -> int:
        return len(self._state)

    def __iter__(self) -> Iterator[str]:
        return iter(self._state)

    def __contains__(self, key: object) -> bool:
        return key in self._state

    def __bool__(self) -> bool:
        # The object is there whether or not its state holds anything.
        return True

    def keys(self) -> KeysView[str]:
        return self._state.keys()

    def values(self) -> ValuesView[Any]:
        return self._state.values()

    def items(self) -> ItemsView[str, Any]:
        return self._state.items()

    def get(self, key: str, default: Any = None) -> Any:
        return self._state.get(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        return self._state.pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        return self._state.popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        return self._state.setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._state.update(*args, **kwargs)

    def clear(self) -> None:
        self._state.clear()


MutableMapping.register(StateMapping)

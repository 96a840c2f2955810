"""Hints for mypyc, which compiles some of transom.web's modules.

:func:`mypyc_attr` is read by the compiler from the source; at run time it
does nothing, and it is there even when ``mypy_extensions`` is not installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["mypyc_attr"]

_T = TypeVar("_T")

try:
    from mypy_extensions import mypyc_attr
except ImportError:  # pragma: no cover - only the compiler reads the hint

    def mypyc_attr(*attrs: str, **kwattrs: Any) -> Callable[[_T], _T]:  # type: ignore[misc]
        """Return the class unchanged."""
        return lambda cls: cls

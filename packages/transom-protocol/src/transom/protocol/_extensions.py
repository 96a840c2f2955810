"""The optional compiled speed-ups, when they may be used.

``TRANSOM_NO_EXTENSIONS`` set to anything but an empty string or ``0`` keeps
every module on its pure-Python path, as when the extension was never built.
Both paths accept and refuse the same input; only speed differs.

A module with a compiled twin takes it from :data:`speedups`::

    _decode: Decoder | None = None if speedups is None else speedups.decode_chunks
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["EXTENSIONS_ALLOWED", "speedups"]

#: False when the environment asks for pure Python only.
EXTENSIONS_ALLOWED = os.environ.get("TRANSOM_NO_EXTENSIONS", "") in ("", "0")


def _load() -> ModuleType | None:
    if not EXTENSIONS_ALLOWED:
        return None
    try:
        from transom.protocol import _speedups
    except ImportError:  # pragma: no cover - built without a C compiler
        return None
    return _speedups


#: ``transom.protocol._speedups`` (typed by its ``.pyi``), or None when the
#: environment refuses it or it was not built (no C compiler at install).
speedups: ModuleType | None = _load()

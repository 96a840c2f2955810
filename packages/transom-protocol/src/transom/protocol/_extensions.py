"""The optional compiled speed-ups, when they may be used.

transom has two kinds, both built at install time when a C compiler is at hand:

- ``transom.protocol._speedups``, hand-written C scanners. A module with a
  compiled twin takes it from :data:`speedups`::

      _decode: Decoder | None = None if speedups is None else speedups.decode_chunks

- modules of the hot path compiled by mypyc from their own source (the list is
  in each distribution's ``pyproject.toml``). The source ships beside the
  compiled module, and Python imports the compiled one.

``TRANSOM_NO_EXTENSIONS`` set to anything but an empty string or ``0`` keeps
every module on its pure-Python path, as when nothing was compiled: the
scanners are not used, and each mypyc-compiled ``transom`` module is imported
from its source. Both paths accept and refuse the same input; only speed
differs. The variable is read once, when ``transom.protocol`` is first
imported.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
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


class _SourceFirstFinder:
    """Imports a compiled ``transom`` module from the ``.py`` source beside it.

    On ``sys.meta_path`` only when extensions are refused. A compiled module
    with no source beside it (the C scanners, mypyc's shared library) is left
    to the usual finders, and so is everything outside ``transom``.
    """

    @classmethod
    def find_spec(
        cls, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if not name.startswith("transom.") or path is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            return None
        assert spec.origin is not None
        source = Path(spec.origin).with_name(f"{name.rpartition('.')[2]}.py")
        if not source.is_file():
            return None
        return importlib.util.spec_from_file_location(name, source)


if not EXTENSIONS_ALLOWED:
    sys.meta_path.insert(0, _SourceFirstFinder)

#: ``transom.protocol._speedups`` (typed by its ``.pyi``), or None when the
#: environment refuses it or it was not built (no C compiler at install).
speedups: ModuleType | None = _load()

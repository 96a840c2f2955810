"""The content-coding names and the optional libraries behind them.

``gzip`` and ``deflate`` use the standard library's zlib. ``br`` needs the
``brotli`` package (extra ``transom-protocol[brotli]``) and ``zstd`` needs
``compression.zstd`` (Python 3.14) or its backport (extra
``transom-protocol[zstd]``). Both are imported on first use, never at import
time, so an application that does not use them does not pay for them.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

__all__ = [
    "PREFERENCE_ORDER",
    "available_encodings",
    "load_brotli",
    "load_zstd",
    "missing_library_reason",
    "normalize_coding",
]

# The order a server offers codings in when the client rates them equally:
# the best ratio for dynamic content first, deflate last (historically some
# clients expected raw deflate where RFC 9110 §8.4.1.2 says zlib).
PREFERENCE_ORDER = ("br", "zstd", "gzip", "deflate")

# RFC 9110 §8.4.1.3: a recipient should treat "x-gzip" as "gzip".
_ALIASES = {"x-gzip": "gzip"}


def normalize_coding(coding: str) -> str:
    """Return the canonical lowercase name of a content-coding (RFC 9110 §8.4.1)."""
    name = coding.strip(" \t").lower()
    return _ALIASES.get(name, name)


def load_brotli() -> ModuleType | None:
    """Return the ``brotli`` module, or ``None`` when it is missing or too old.

    Version 1.2 added the output limit that the decompression cap needs
    (``Decompressor.process(..., output_buffer_limit=...)``); an older module
    counts as missing, because it cannot decode a body safely.
    """
    try:
        module = importlib.import_module("brotli")
    except ImportError:
        return None
    if not hasattr(module.Decompressor, "can_accept_more_data"):
        return None
    return module


def load_zstd() -> ModuleType | None:
    """Return ``compression.zstd`` (3.14+) or ``backports.zstd``, or ``None``."""
    name = "compression.zstd" if sys.version_info >= (3, 14) else "backports.zstd"
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def missing_library_reason(coding: str) -> str:
    """Explain why ``coding`` cannot be used, naming what to install."""
    if coding == "br":
        return "content-coding 'br' needs brotli>=1.2: install transom-protocol[brotli]"
    if coding == "zstd":
        return "content-coding 'zstd' needs backports.zstd: install transom-protocol[zstd]"
    shown = coding if len(coding) <= 40 else coding[:37] + "..."
    return f"unsupported content-coding {shown!r}"


def available_encodings() -> tuple[str, ...]:
    """Return the codings this installation can decode and encode, best first.

    Always ``gzip`` and ``deflate``; ``br`` and ``zstd`` when their libraries
    import. The order is the server's preference used by
    ``negotiate_encoding`` when none is given.
    """
    present = {"gzip", "deflate"}
    if load_brotli() is not None:
        present.add("br")
    if load_zstd() is not None:
        present.add("zstd")
    return tuple(coding for coding in PREFERENCE_ORDER if coding in present)

"""Whether the optional compiled speed-ups may be used.

``TRANSOM_NO_EXTENSIONS`` set to anything but an empty string or ``0`` keeps
every module on its pure-Python path, as when the extension was never built.
Both paths accept and refuse the same input; only speed differs.
"""

from __future__ import annotations

import os

__all__ = ["EXTENSIONS_ALLOWED"]

#: False when the environment asks for pure Python only.
EXTENSIONS_ALLOWED = os.environ.get("TRANSOM_NO_EXTENSIONS", "") in ("", "0")

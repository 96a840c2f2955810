"""Multipart boundaries: validation and safe generation (RFC 2046 §5.1.1)."""

from __future__ import annotations

import re
import secrets

from transom.protocol.mediatype._parameters import short_repr

__all__ = ["MAX_BOUNDARY_LENGTH", "check_boundary", "generate_boundary"]

#: RFC 2046 §5.1.1: ``boundary := 0*69<bchars> bcharsnospace``.
MAX_BOUNDARY_LENGTH = 70

# bcharsnospace := DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." /
#                  "/" / ":" / "=" / "?"; bchars adds " ", never as the last one.
_BOUNDARY_RE = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")

# 16 random bytes (128 bits) make a collision with content negligible; hex
# digits are tokens and bcharsnospace alike, so the boundary needs no quoting
# in Content-Type and no escaping anywhere.
_RANDOM_BYTES = 16


def generate_boundary() -> str:
    """Return a fresh random boundary: 32 hex digits from :mod:`secrets`."""
    return secrets.token_hex(_RANDOM_BYTES)


def check_boundary(boundary: str | bytes) -> str | None:
    """Return why *boundary* is not a valid RFC 2046 boundary, or None if it is."""
    if isinstance(boundary, bytes):
        if not boundary.isascii():
            return "multipart boundary must be ASCII"
        boundary = boundary.decode("ascii")
    if not boundary:
        return "multipart boundary is empty"
    if len(boundary) > MAX_BOUNDARY_LENGTH:
        return f"multipart boundary is longer than {MAX_BOUNDARY_LENGTH} characters"
    if _BOUNDARY_RE.fullmatch(boundary) is None:
        return f"multipart boundary {short_repr(boundary)} has characters RFC 2046 forbids"
    return None

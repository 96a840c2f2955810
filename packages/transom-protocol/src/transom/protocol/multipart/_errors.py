"""Errors of the multipart codec."""

from __future__ import annotations

from transom.protocol._errors import LocalProtocolError, RemoteProtocolError

__all__ = ["MultipartEncodeError", "MultipartError"]


class MultipartError(RemoteProtocolError):
    """A multipart body or a Content-Disposition value from the peer is malformed.

    The status is 400 for a framing or syntax error and 413 when a limit is
    exceeded (too many parts, part headers too large, body too large).
    """


class MultipartEncodeError(LocalProtocolError):
    """The caller asked to encode something multipart cannot carry.

    For example a boundary outside the RFC 2046 alphabet, or a field name
    holding CR or LF. Raised before any byte of the offending part is produced.
    """

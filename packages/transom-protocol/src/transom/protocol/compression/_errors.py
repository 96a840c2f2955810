"""Errors raised while decoding and encoding content-codings."""

from __future__ import annotations

from transom.protocol._errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "DecodingError",
    "DecompressionLimitError",
    "EncodingError",
    "UnsupportedEncodingError",
]


class DecodingError(RemoteProtocolError):
    """The peer's body is not valid data for its content-coding.

    Corrupt, truncated, or followed by bytes after the end of the compressed
    stream. Status 400.
    """


class DecompressionLimitError(RemoteProtocolError):
    """The decoded body grew past the cap set for one message.

    Raised as soon as the output passes the cap, before the excess is handed
    to the caller, so a compression bomb costs at most the cap in memory. It
    is a remote error because the peer chose to send that much; status 413
    (Content Too Large, RFC 9110 §15.5.14).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason, status_code=413)


class UnsupportedEncodingError(RemoteProtocolError):
    """The peer used a content-coding this program cannot decode.

    Either unknown, or needing an optional library that is not installed.
    Status 415 (Unsupported Media Type, RFC 9110 §15.5.16).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason, status_code=415)


class EncodingError(LocalProtocolError):
    """This program asked for an encoder it cannot have, or misused one.

    An unknown or unavailable coding, a level out of range, or data given to
    an encoder after :meth:`finish`. Status 500: the fault is this program's.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason, status_code=500)

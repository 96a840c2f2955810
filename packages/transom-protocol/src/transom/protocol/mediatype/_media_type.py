"""Media types: the value of ``Content-Type`` (RFC 9110 §8.3.1)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from transom.protocol._errors import LocalProtocolError, RemoteProtocolError
from transom.protocol.mediatype._parameters import (
    ParameterSyntaxError,
    is_token,
    parse_parameters,
    quote_string,
    short_repr,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["MediaType", "MediaTypeError"]

# media-type = type "/" subtype parameters; type and subtype are tokens
# (RFC 9110 §8.3.1). Leading whitespace is tolerated like the OWS around a
# field value.
_ESSENCE_RE = re.compile(r"[ \t]*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)/([!#$%&'*+\-.^_`|~0-9A-Za-z]+)")


class MediaTypeError(RemoteProtocolError):
    """A media type received from the peer does not parse.

    The status is 400: a request whose ``Content-Type`` cannot be read is
    malformed.
    """


class MediaType:
    """A parsed media type such as ``text/html; charset=utf-8``.

    Immutable and hashable. Type, subtype and parameter names are lowercased
    (they are case-insensitive, RFC 9110 §8.3.1); parameter values keep their
    case, since most are case-sensitive (a multipart boundary is).

    Args:
        type: The top-level type, e.g. ``"text"``.
        subtype: The subtype, e.g. ``"html"``.
        params: Parameters in order; names must be tokens, values must not
            contain control characters.

    Raises:
        LocalProtocolError: A name is not a token or a value cannot be
            written in a header.
    """

    __slots__ = ("_hash", "params", "subtype", "type")

    type: str
    subtype: str
    params: Mapping[str, str]
    _hash: int | None

    def __init__(
        self,
        type: str,
        subtype: str,
        params: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    ) -> None:
        items = list(params.items() if isinstance(params, Mapping) else params)
        if not is_token(type) or not is_token(subtype):
            raise LocalProtocolError(f"media type {type!r}/{subtype!r} is not token/token")
        normalized: dict[str, str] = {}
        for name, value in items:
            if not is_token(name):
                raise LocalProtocolError(f"media type parameter name {name!r} is not a token")
            if not value.isascii() or not value.isprintable():
                raise LocalProtocolError(f"media type parameter {name!r} must be printable ASCII")
            normalized[name.lower()] = value
        self._set(type.lower(), subtype.lower(), normalized)

    @classmethod
    def parse(cls, value: str) -> MediaType:
        """Parse a ``Content-Type`` field value.

        Args:
            value: The field value, e.g. ``'multipart/form-data; boundary="x y"'``.

        Returns:
            The media type, with quoted parameter values unescaped.

        Raises:
            MediaTypeError: *value* is not ``type/subtype`` followed by
                well-formed parameters, or it repeats a parameter.
        """
        match = _ESSENCE_RE.match(value)
        if match is None:
            raise MediaTypeError(f"invalid media type {short_repr(value)}: expected type/subtype")
        try:
            params = parse_parameters(value, match.end())
        except ParameterSyntaxError as error:
            raise MediaTypeError(
                f"invalid media type {short_repr(value)}: {error.reason}"
            ) from None
        media_type = cls.__new__(cls)
        media_type._set(match.group(1).lower(), match.group(2).lower(), dict(params))
        return media_type

    def _set(self, type: str, subtype: str, params: dict[str, str]) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "type", type)
        setattr_(self, "subtype", subtype)
        setattr_(self, "params", MappingProxyType(params))
        setattr_(self, "_hash", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"MediaType is immutable; cannot set {name!r}")

    @property
    def essence(self) -> str:
        """``type/subtype`` without parameters, lowercased."""
        return f"{self.type}/{self.subtype}"

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter lowercased (RFC 9110 §8.3.2), or None."""
        charset = self.params.get("charset")
        return None if charset is None else charset.lower()

    @property
    def boundary(self) -> str | None:
        """The ``boundary`` parameter of a multipart type (RFC 2046 §5.1.1), or None."""
        return self.params.get("boundary")

    def __str__(self) -> str:
        parts = [self.essence]
        for name, value in self.params.items():
            if is_token(value):
                parts.append(f"{name}={value}")
            else:
                # Validated printable ASCII at construction, so quoting succeeds.
                parts.append(f"{name}={quote_string(value)}")
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"MediaType({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MediaType):
            return NotImplemented
        return (
            self.type == other.type
            and self.subtype == other.subtype
            and dict(self.params) == dict(other.params)
        )

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(
                self, "_hash", hash((self.type, self.subtype, frozenset(self.params.items())))
            )
        assert self._hash is not None
        return self._hash

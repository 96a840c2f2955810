"""Content-Disposition values (RFC 6266) with RFC 8187 extended parameters.

One class serves both uses of the field:

- a multipart/form-data part header (RFC 7578 §4.2), where ``filename*``
  must not be sent and a non-ASCII name or filename travels as UTF-8 inside
  the quoted-string (RFC 7578 §5.1.3), and
- an HTTP response header (``attachment; filename=...``), which must stay
  ASCII: a non-ASCII filename goes in ``filename*=UTF-8''...`` with an ASCII
  ``filename`` fallback for recipients that ignore ``filename*``
  (RFC 6266 §4.3, Appendix D).

:meth:`ContentDisposition.format` picks the style from the disposition type.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote_to_bytes

from transom.protocol.mediatype._parameters import (
    ParameterSyntaxError,
    is_token,
    parse_parameters,
    quote_string,
    short_repr,
)
from transom.protocol.multipart._errors import MultipartEncodeError, MultipartError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["ContentDisposition"]

# disposition-type = "inline" / "attachment" / disp-ext-type; disp-ext-type = token
# (RFC 6266 §4.1), after optional leading whitespace.
_TYPE_RE = re.compile(r"[ \t]*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)")

# ext-value   = charset "'" [ language ] "'" value-chars
# mime-charsetc = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "+" / "-" / "^" / "_" /
#                 "`" / "{" / "}" / "~"
# value-chars = *( pct-encoded / attr-char )
# attr-char   = ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" /
#               "`" / "|" / "~"                                          (RFC 8187 §3.2.1)
_EXT_VALUE_RE = re.compile(
    r"([0-9A-Za-z!#$%&+\-^_`{}~]+)'([0-9A-Za-z\-]*)'"
    r"((?:%[0-9A-Fa-f]{2}|[0-9A-Za-z!#$&+\-.^_`|~])*)"
)
_ATTR_CHAR_PUNCTUATION = "!#$&+-.^_`|~"

# RFC 8187 §3.2.1: recipients must support UTF-8 and ISO-8859-1; US-ASCII is
# their common subset. Other charsets are refused rather than guessed at.
_EXT_CHARSETS = frozenset({"utf-8", "iso8859-1", "ascii"})

_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

# RFC 6266 Appendix D: the ASCII fallback avoids "%" (some recipients
# percent-decode it) and "\" (some do not unescape it); '"' is avoided too
# since recipients differ on quoted-pair handling.
_FALLBACK_AVOID = frozenset('%\\"')


class ContentDisposition:
    """A disposition type with parameters, e.g. ``form-data; name="file"``.

    Immutable. The type and parameter names are lowercased. Extended
    parameters (``filename*``) are decoded on parsing and stored under the
    plain name, replacing the plain form (RFC 6266 §4.3); :meth:`format`
    writes the extended form again when the value needs it.

    Args:
        type: The disposition type: ``"form-data"``, ``"attachment"``,
            ``"inline"`` or another token.
        params: Parameters in order. Names are tokens without the trailing
            ``*``; values may be any text without control characters.

    Raises:
        MultipartEncodeError: The type or a name is not a token, a name ends
            with ``*``, or a value holds a control character (CR, LF, NUL...).
    """

    __slots__ = ("params", "type")

    type: str
    params: Mapping[str, str]

    def __init__(
        self,
        type: str,
        params: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    ) -> None:
        if not is_token(type):
            raise MultipartEncodeError(f"disposition type {short_repr(type)} is not a token")
        normalized: dict[str, str] = {}
        for name, value in params.items() if isinstance(params, Mapping) else params:
            if not is_token(name) or name.endswith("*"):
                raise MultipartEncodeError(
                    f"disposition parameter name {short_repr(name)} must be a token without '*'"
                )
            if _CONTROL_RE.search(value):
                raise MultipartEncodeError(
                    f"disposition parameter {name!r} contains a control character"
                )
            normalized[name.lower()] = value
        object.__setattr__(self, "type", type.lower())
        object.__setattr__(self, "params", MappingProxyType(normalized))

    @classmethod
    def form_data(cls, name: str, filename: str | None = None) -> ContentDisposition:
        """Return ``form-data; name=...[; filename=...]`` (RFC 7578 §4.2)."""
        params = {"name": name} if filename is None else {"name": name, "filename": filename}
        return cls("form-data", params)

    @classmethod
    def parse(cls, value: str) -> ContentDisposition:
        """Parse a Content-Disposition field value.

        Args:
            value: The field value, e.g. ``"attachment; filename*=UTF-8''%E2%82%AC.txt"``.

        Returns:
            The parsed disposition, extended values decoded.

        Raises:
            MultipartError: *value* breaks the RFC 6266 grammar, repeats a
                parameter, or carries an extended value that is malformed,
                in an unsupported charset or decodes to control characters.
        """
        match = _TYPE_RE.match(value)
        if match is None:
            raise MultipartError(f"invalid Content-Disposition {short_repr(value)}")
        try:
            raw = parse_parameters(value, match.end())
        except ParameterSyntaxError as error:
            raise MultipartError(
                f"invalid Content-Disposition {short_repr(value)}: {error.reason}"
            ) from None
        params: dict[str, str] = {}
        extended: dict[str, str] = {}
        for name, param_value in raw:
            if name.endswith("*") and len(name) > 1:
                extended[name[:-1]] = _decode_ext_value(name, param_value)
            else:
                params[name] = param_value
        params.update(extended)
        disposition = cls.__new__(cls)
        object.__setattr__(disposition, "type", match.group(1).lower())
        object.__setattr__(disposition, "params", MappingProxyType(params))
        return disposition

    @property
    def name(self) -> str | None:
        """The ``name`` parameter (a form field's name), or None."""
        return self.params.get("name")

    @property
    def filename(self) -> str | None:
        """The ``filename`` parameter, decoded from ``filename*`` if that was sent, or None."""
        return self.params.get("filename")

    def format(self) -> str:
        """Return the field value to send.

        For ``form-data`` every value is a quoted-string and non-ASCII text
        stays as is (the part header is encoded as UTF-8, RFC 7578 §5.1.3).
        For other types the result is ASCII: a value that is not printable
        ASCII is sent as an RFC 8187 ``name*=UTF-8''...`` extended value, and
        ``filename`` also gets an ASCII fallback (RFC 6266 §4.3).
        """
        parts = [self.type]
        form_data = self.type == "form-data"
        for name, value in self.params.items():
            if form_data or (value.isascii() and not _FALLBACK_AVOID.intersection(value)):
                parts.append(f"{name}={quote_string(value)}")
                continue
            if name == "filename":
                parts.append(f"filename={quote_string(_ascii_fallback(value))}")
            parts.append(f"{name}*={_encode_ext_value(value)}")
        return "; ".join(parts)

    __str__ = format

    def __repr__(self) -> str:
        return f"ContentDisposition({self.type!r}, {dict(self.params)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContentDisposition):
            return NotImplemented
        return self.type == other.type and dict(self.params) == dict(other.params)

    def __hash__(self) -> int:
        return hash((self.type, frozenset(self.params.items())))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ContentDisposition is immutable; cannot set {name!r}")


def _decode_ext_value(name: str, value: str) -> str:
    match = _EXT_VALUE_RE.fullmatch(value)
    if match is None:
        raise MultipartError(f"malformed extended value for {name!r} (RFC 8187)")
    charset, _language, encoded = match.groups()
    try:
        codec = codecs.lookup(charset).name
    except LookupError:
        codec = None
    if codec not in _EXT_CHARSETS:
        raise MultipartError(f"unsupported charset {short_repr(charset)} in {name!r}")
    try:
        decoded = unquote_to_bytes(encoded).decode(codec)
    except UnicodeDecodeError:
        raise MultipartError(f"{name!r} is not valid {charset}") from None
    if _CONTROL_RE.search(decoded):
        raise MultipartError(f"{name!r} decodes to a control character")
    return decoded


def _encode_ext_value(value: str) -> str:
    return "UTF-8''" + quote(value, safe=_ATTR_CHAR_PUNCTUATION, encoding="utf-8")


def _ascii_fallback(value: str) -> str:
    # Decompose so "é" keeps its base letter "e", drop the combining marks,
    # and replace whatever is still not plain printable ASCII with "_".
    chars = []
    for char in unicodedata.normalize("NFKD", value):
        if unicodedata.combining(char):
            continue
        if " " <= char <= "~" and char not in _FALLBACK_AVOID:
            chars.append(char)
        else:
            chars.append("_")
    return "".join(chars)

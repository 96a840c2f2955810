"""``application/x-www-form-urlencoded`` bodies: parse and encode.

The format is the WHATWG URL Standard's (section 5): fields separated by
``&``, name and value by the first ``=``, ``+`` for a space and ``%XX`` for a
byte. Parsing is stricter than the standard in one way: a ``%`` not followed
by two hex digits is an error rather than kept literally, since a body that
has it was not produced by an encoder and guessing hides bugs.

:class:`UrlencodedParser` takes the body in chunks and holds only the field
being read; :func:`parse_urlencoded` is the one-shot form.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote_plus, unquote_to_bytes

from transom.protocol._errors import LocalProtocolError, RemoteProtocolError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "DEFAULT_MAX_FIELDS",
    "DEFAULT_MAX_SIZE",
    "UrlencodedError",
    "UrlencodedParser",
    "encode_urlencoded",
    "parse_urlencoded",
]

#: Fields per body. A security limit: every field costs a tuple and two
#: strings; 1000 is far above real forms and matches the usual server default.
DEFAULT_MAX_FIELDS = 1000

#: Bytes per body. The parsed fields are held in memory, so this bounds
#: memory; 1 MiB is generous for typed-in forms (files go in multipart).
DEFAULT_MAX_SIZE = 1024 * 1024

# "%" not followed by two hex digits.
_BAD_PERCENT_RE = re.compile(rb"%(?![0-9A-Fa-f]{2})")

# Bytes every ASCII-compatible charset maps to themselves; the format needs
# them to find fields before decoding.
_SYNTAX_CHARACTERS = "&=+%"


class UrlencodedError(RemoteProtocolError):
    """A urlencoded body from the peer is malformed or exceeds a limit.

    The status is 400 for bad percent-encoding or bytes invalid in the
    charset, 413 when a limit is exceeded and 415 for a charset that is
    unknown or not ASCII-compatible.
    """


class UrlencodedParser:
    """Parse a urlencoded body fed in chunks into ``(name, value)`` pairs.

    Call :meth:`feed` with each chunk and collect the fields it returns,
    then :meth:`feed_eof` for the last field. After an error the parser is
    unusable.

    Args:
        encoding: The charset of the percent-decoded bytes, usually the
            ``charset`` of the request's Content-Type; UTF-8 by default.
        max_fields: Most fields accepted; more raise :class:`UrlencodedError`
            (413).
        max_size: Most bytes in the body; more raise :class:`UrlencodedError`
            (413).
        keep_blank_values: Whether fields with an empty value are returned.

    Raises:
        UrlencodedError: *encoding* is unknown or not ASCII-compatible (415).
    """

    __slots__ = (
        "_charset",
        "_codec",
        "_fields",
        "_keep_blank_values",
        "_max_fields",
        "_max_size",
        "_pending",
        "_received",
    )

    def __init__(
        self,
        *,
        encoding: str = "utf-8",
        max_fields: int = DEFAULT_MAX_FIELDS,
        max_size: int = DEFAULT_MAX_SIZE,
        keep_blank_values: bool = True,
    ) -> None:
        self._charset = encoding
        self._codec = _check_encoding(encoding)
        self._max_fields = max_fields
        self._max_size = max_size
        self._keep_blank_values = keep_blank_values
        self._pending = bytearray()
        self._received = 0
        self._fields = 0

    def feed(self, data: bytes) -> list[tuple[str, str]]:
        """Parse the next chunk; return the fields it completes, in order.

        Raises:
            UrlencodedError: The body is malformed or exceeds a limit.
        """
        self._received += len(data)
        if self._received > self._max_size:
            raise UrlencodedError(
                f"urlencoded body is larger than {self._max_size} bytes", status_code=413
            )
        pending = self._pending
        last_amp = data.rfind(b"&")
        if last_amp < 0:
            # Only a field's start so far: keep it (bounded by max_size).
            pending += data
            return []
        pending += memoryview(data)[:last_amp]
        complete = bytes(pending)
        pending.clear()
        pending += memoryview(data)[last_amp + 1 :]
        return self._parse(complete)

    def feed_eof(self) -> list[tuple[str, str]]:
        """Parse the last field, if any, and return it.

        Raises:
            UrlencodedError: The last field is malformed or exceeds a limit.
        """
        pending = bytes(self._pending)
        self._pending.clear()
        return self._parse(pending)

    def _parse(self, data: bytes) -> list[tuple[str, str]]:
        fields: list[tuple[str, str]] = []
        decode = self._decode
        for field in data.split(b"&"):
            # WHATWG URL Standard §5.1: empty sequences between "&" are skipped.
            if not field:
                continue
            self._fields += 1
            if self._fields > self._max_fields:
                raise UrlencodedError(
                    f"urlencoded body has more than {self._max_fields} fields", status_code=413
                )
            name, _, value = field.partition(b"=")
            if value or self._keep_blank_values:
                fields.append((decode(name), decode(value)))
        return fields

    def _decode(self, raw: bytes) -> str:
        if b"+" in raw:
            raw = raw.replace(b"+", b" ")
        if b"%" in raw:
            if _BAD_PERCENT_RE.search(raw):
                raise UrlencodedError("bad percent-encoding in urlencoded body")
            raw = unquote_to_bytes(raw)
        try:
            return raw.decode(self._codec)
        except UnicodeDecodeError:
            raise UrlencodedError(f"urlencoded field is not valid {self._charset}") from None


def parse_urlencoded(
    data: bytes | str,
    *,
    encoding: str = "utf-8",
    max_fields: int = DEFAULT_MAX_FIELDS,
    max_size: int = DEFAULT_MAX_SIZE,
    keep_blank_values: bool = True,
) -> list[tuple[str, str]]:
    """Parse a whole urlencoded body.

    Args:
        data: The body; ``str`` is first encoded with *encoding*.
        encoding: See :class:`UrlencodedParser`.
        max_fields: See :class:`UrlencodedParser`.
        max_size: See :class:`UrlencodedParser`.
        keep_blank_values: See :class:`UrlencodedParser`.

    Returns:
        ``(name, value)`` pairs in body order, repeated names kept.

    Raises:
        UrlencodedError: The body is malformed, exceeds a limit, or the
            charset is not usable.
    """
    parser = UrlencodedParser(
        encoding=encoding,
        max_fields=max_fields,
        max_size=max_size,
        keep_blank_values=keep_blank_values,
    )
    if isinstance(data, str):
        try:
            data = data.encode(parser._codec)
        except UnicodeEncodeError:
            raise UrlencodedError(f"urlencoded text is not encodable as {encoding}") from None
    fields = parser.feed(data)
    fields.extend(parser.feed_eof())
    return fields


def encode_urlencoded(
    fields: Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]],
    *,
    encoding: str = "utf-8",
) -> bytes:
    """Encode fields as an urlencoded body (WHATWG URL Standard §5.2).

    Args:
        fields: ``(name, value)`` pairs or a mapping; ``bytes`` values are
            percent-encoded as they are.
        encoding: The charset for ``str`` names and values.

    Returns:
        The ASCII body, e.g. ``b"name=J%C3%BCrgen&q=a+b"``.

    Raises:
        LocalProtocolError: *encoding* is unusable, or a name or value
            cannot be encoded in it.
    """
    try:
        codec = _check_encoding(encoding)
    except UrlencodedError as error:
        raise LocalProtocolError(error.reason) from None
    items = fields.items() if isinstance(fields, Mapping) else fields
    try:
        return "&".join(
            f"{_quote(name, codec)}={_quote(value, codec)}" for name, value in items
        ).encode("ascii")
    except UnicodeEncodeError:
        raise LocalProtocolError(f"urlencoded field is not encodable as {encoding}") from None


def _quote(text: str | bytes, encoding: str) -> str:
    # Unreserved bytes stay, space becomes "+", everything else "%XX"
    # (WHATWG URL Standard §5.2, which also leaves "*"; both decode the same).
    if isinstance(text, bytes):
        return quote_plus(text, safe="")
    return quote_plus(text, safe="", encoding=encoding)


def _check_encoding(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise UrlencodedError(f"unknown charset {encoding[:40]!r}", status_code=415) from None
    try:
        compatible = _SYNTAX_CHARACTERS.encode(name) == _SYNTAX_CHARACTERS.encode("ascii")
    except UnicodeError:
        compatible = False
    if not compatible:
        # UTF-16 and the like would hide "&" and "=" inside multi-byte units.
        raise UrlencodedError(f"charset {encoding[:40]!r} is not ASCII-compatible", status_code=415)
    return name

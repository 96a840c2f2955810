"""Grammar of the handshake's header values.

``Connection``, ``Upgrade`` and ``Sec-WebSocket-Protocol`` are comma lists
of tokens (RFC 9110 §5.6.1, §7.8; RFC 6455 §4.3). ``Sec-WebSocket-Extensions``
is a list of extensions with parameters (RFC 6455 §9.1)::

    extension-list = 1#extension
    extension      = extension-token *( ";" extension-param )
    extension-param = token [ "=" ( token / quoted-string ) ]

A quoted parameter value must still be a token once unquoted. A field may
arrive on several header lines; they form one list, in order. Empty list
elements are skipped (RFC 9110 §5.6.1.2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from transom.protocol.websocket._errors import HandshakeError

__all__ = ["Extension", "format_extensions", "parse_extensions", "parse_token_list"]

# RFC 9110 §5.6.2: token = 1*tchar.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 §5.6.4: quoted-string with quoted-pair.
_QUOTED_STRING = re.compile(r'"((?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[\t\x20-\x7e\x80-\xff])*)"')
_QUOTED_PAIR = re.compile(r"\\(.)")

Extension = tuple[str, tuple[tuple[str, str | None], ...]]
"""One extension of a list: its name and its ``(parameter, value)`` pairs,
the value None for a parameter given without ``=``."""


def parse_token_list(values: Iterable[str], field: str) -> list[str]:
    """Read a comma list of tokens spread over header lines.

    Args:
        values: The field's values, one per header line.
        field: The field's name, for the error message.

    Returns:
        The tokens in order, case preserved.

    Raises:
        HandshakeError: (400) an element is not a token.
    """
    tokens = []
    for value in values:
        for element in value.split(","):
            element = element.strip(" \t")
            if not element:
                continue
            if _TOKEN.fullmatch(element) is None:
                raise HandshakeError(f"invalid {field} header")
            tokens.append(element)
    return tokens


def parse_extensions(values: Iterable[str]) -> list[Extension]:
    """Read a ``Sec-WebSocket-Extensions`` field spread over header lines.

    Raises:
        HandshakeError: (400) the value does not follow RFC 6455 §9.1.
    """
    extensions: list[Extension] = []
    for value in values:
        extensions.extend(_parse_extension_line(value))
    return extensions


def _parse_extension_line(value: str) -> list[Extension]:
    extensions: list[Extension] = []
    position = 0
    end = len(value)
    while True:
        # Skip whitespace and empty list elements.
        while position < end and value[position] in " \t,":
            position += 1
        if position == end:
            return extensions
        name, position = _expect_token(value, position)
        params: list[tuple[str, str | None]] = []
        position = _skip_whitespace(value, position)
        while position < end and value[position] == ";":
            position = _skip_whitespace(value, position + 1)
            param, position = _expect_token(value, position)
            position = _skip_whitespace(value, position)
            param_value: str | None = None
            if position < end and value[position] == "=":
                position = _skip_whitespace(value, position + 1)
                param_value, position = _expect_param_value(value, position)
                position = _skip_whitespace(value, position)
            params.append((param, param_value))
        if position < end and value[position] != ",":
            raise _syntax_error()
        extensions.append((name, tuple(params)))


def _skip_whitespace(value: str, position: int) -> int:
    end = len(value)
    while position < end and value[position] in " \t":
        position += 1
    return position


def _expect_token(value: str, position: int) -> tuple[str, int]:
    match = _TOKEN.match(value, position)
    if match is None:
        raise _syntax_error()
    return match.group(), match.end()


def _expect_param_value(value: str, position: int) -> tuple[str, int]:
    match = _TOKEN.match(value, position)
    if match is not None:
        return match.group(), match.end()
    match = _QUOTED_STRING.match(value, position)
    if match is None:
        raise _syntax_error()
    unquoted = _QUOTED_PAIR.sub(r"\1", match.group(1))
    # RFC 6455 §9.1: a quoted value must be a token once unescaped.
    if _TOKEN.fullmatch(unquoted) is None:
        raise _syntax_error()
    return unquoted, match.end()


def _syntax_error() -> HandshakeError:
    return HandshakeError("invalid Sec-WebSocket-Extensions header")


def format_extensions(extensions: Sequence[Extension]) -> str:
    """Write extensions as one ``Sec-WebSocket-Extensions`` value.

    Names, parameters and values must be tokens; values are written bare.
    """
    parts = []
    for name, params in extensions:
        items = [name]
        items.extend(param if value is None else f"{param}={value}" for param, value in params)
        parts.append("; ".join(items))
    return ", ".join(parts)

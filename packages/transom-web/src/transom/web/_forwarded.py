"""The ``Forwarded`` request field (RFC 7239)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["parse_forwarded"]

# RFC 7239 §4:
#   Forwarded         = 1#forwarded-element
#   forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
#   forwarded-pair    = token "=" value
#   value             = token / quoted-string
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
_PAIR_RE: Final = re.compile(rf"[ \t]*({_TOKEN})=({_TOKEN}|{_QUOTED})[ \t]*")
_ESCAPE_RE: Final = re.compile(r"\\(.)")


def parse_forwarded(fields: list[str]) -> tuple[Mapping[str, str], ...]:
    """Parse every ``Forwarded`` field line into one mapping per proxy hop.

    Parameter names are lowercased (RFC 7239 §4: case-insensitive) and quoted
    values unescaped. The field is written by proxies a client can talk
    through, so a malformed element is skipped rather than trusted: parsing
    resumes at the next comma.

    Args:
        fields: The field lines in order (``headers.getall("Forwarded", [])``).

    Returns:
        One read-only mapping per element, nearest client first.
    """
    elements: list[Mapping[str, str]] = []
    for field in fields:
        position = 0
        length = len(field)
        while position <= length:
            pairs: dict[str, str] = {}
            valid = True
            while True:
                match = _PAIR_RE.match(field, position)
                if match is not None:
                    name, value = match.groups()
                    if value.startswith('"'):
                        value = _ESCAPE_RE.sub(r"\1", value[1:-1])
                    pairs.setdefault(name.lower(), value)
                    position = match.end()
                else:
                    # An empty pair is allowed between semicolons.
                    while position < length and field[position] in " \t":
                        position += 1
                if position < length and field[position] == ";":
                    position += 1
                    continue
                break
            if position < length and field[position] != ",":
                valid = False
                next_comma = field.find(",", position)
                position = length if next_comma < 0 else next_comma
            if valid and pairs:
                elements.append(MappingProxyType(pairs))
            position += 1
    return tuple(elements)

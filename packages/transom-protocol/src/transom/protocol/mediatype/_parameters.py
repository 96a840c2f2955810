"""The header-parameter grammar shared by media types and Content-Disposition.

RFC 9110 §5.6.6 defines parameters as ``*( OWS ";" OWS [ name "=" value ] )``
where a value is a token (§5.6.2) or a quoted-string (§5.6.4). The same
grammar carries ``Content-Type`` parameters and, with RFC 8187 extended
values on top, ``Content-Disposition`` parameters (RFC 6266 §4.1).

Parsing is lenient only about whitespace (around ``;`` and ``=``); anything
else that breaks the grammar raises :class:`ParameterSyntaxError`, which the
public codecs translate into their own error type.
"""

from __future__ import annotations

import re

__all__ = [
    "TOKEN_RE",
    "ParameterSyntaxError",
    "is_token",
    "parse_parameters",
    "quote_string",
    "short_repr",
]

# token = 1*tchar; tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#                          "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA      (RFC 9110 §5.6.2)
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
TOKEN_RE = re.compile(_TOKEN)

# quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
# qdtext        = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
# quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )                  (RFC 9110 §5.6.4)
# obs-text is %x80-FF on the wire; values decoded as UTF-8 (multipart part
# headers, RFC 7578 §5.1.3) reach us as any non-ASCII character.
_OBS_TEXT = "\x80-\U0010ffff"
_QUOTED_STRING = rf'"(?:[\t !\x23-\x5b\x5d-\x7e{_OBS_TEXT}]|\\[\t \x21-\x7e{_OBS_TEXT}])*"'

# One parameter slot: OWS ";" OWS [ name BWS "=" BWS value ] OWS. RFC 9110 has
# no whitespace around "=", but senders add it and it is unambiguous.
_PARAMETER_RE = re.compile(
    rf"[ \t]*;[ \t]*(?:({_TOKEN})[ \t]*=[ \t]*({_TOKEN}|{_QUOTED_STRING}))?[ \t]*"
)
# RFC 9110 §5.6.4 drops the backslash of every quoted-pair. Browsers follow
# the HTML form encoding instead, which writes '"' as %22 and leaves "\"
# alone, so a Windows path arrives as "C:\dir\file". Unescaping only the two
# pairs a sender must write (\\ and \") reads both kinds of sender right.
_QUOTED_PAIR_RE = re.compile(r'\\([\\"])')

# Characters a quoted-string cannot carry, even escaped: CTLs other than HTAB.
_UNQUOTABLE_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class ParameterSyntaxError(Exception):
    """A parameter list broke the grammar; *reason* says how.

    Internal: the public codecs catch it and raise their own error type.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def short_repr(value: str, limit: int = 40) -> str:
    """Return a repr of *value* cut to *limit* characters, for error messages."""
    if len(value) <= limit:
        return repr(value)
    return repr(value[:limit]) + "..."


def is_token(value: str) -> bool:
    """Return whether *value* is a non-empty RFC 9110 token."""
    return TOKEN_RE.fullmatch(value) is not None


def parse_parameters(text: str, pos: int) -> list[tuple[str, str]]:
    r"""Parse the parameters of *text* from *pos* to its end.

    Args:
        text: A header field value.
        pos: Where the parameter list starts (at the first ``;`` or at
            trailing whitespace).

    Returns:
        ``(name, value)`` pairs in order, names lowercased (parameter names
        are case-insensitive, RFC 9110 §5.6.6), quoted values unescaped
        (``\\`` and ``\"`` only: any other backslash is kept as sent).

    Raises:
        ParameterSyntaxError: The list breaks the grammar or repeats a name.
    """
    params: list[tuple[str, str]] = []
    seen: set[str] = set()
    end = len(text)
    while pos < end:
        match = _PARAMETER_RE.match(text, pos)
        if match is None:
            raise ParameterSyntaxError(f"invalid parameter at offset {pos}")
        pos = match.end()
        name, value = match.group(1, 2)
        if name is None:
            continue
        name = name.lower()
        if name in seen:
            # A repeated parameter is ambiguous (RFC 6266 §4.1); refuse rather
            # than guess which one the sender meant.
            raise ParameterSyntaxError(f"repeated parameter {name!r}")
        seen.add(name)
        if value[0] == '"':
            value = value[1:-1]
            if "\\" in value:
                value = _QUOTED_PAIR_RE.sub(r"\1", value)
        params.append((name, value))
    return params


def quote_string(value: str) -> str:
    """Return *value* as a quoted-string (RFC 9110 §5.6.4).

    Raises:
        ParameterSyntaxError: *value* holds a control character (other than
            HTAB), which no quoted-string can carry.
    """
    if _UNQUOTABLE_RE.search(value):
        raise ParameterSyntaxError("control character in parameter value")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

"""The HTTP/1.1 message grammar as compiled regular expressions.

Each fragment quotes the ABNF it implements. Message heads are matched as
``str`` decoded from latin-1 (every byte maps to the code point of the same
value, so the character classes below read exactly as byte ranges); chunk
lines are matched as ``bytes``.
"""

from __future__ import annotations

import re

__all__ = [
    "AUTHORITY_FORM",
    "CHUNK_LINE",
    "FIELD_LINE",
    "FIELD_LINES",
    "FIELD_LINE_PREFIX",
    "FIELD_NAMES",
    "FIELD_VALUE_FORBIDDEN",
    "HOST",
    "REQUEST_LINE",
    "REQUEST_LINE_PREFIX",
    "SCHEME_PREFIX",
    "STATUS_LINE",
    "STATUS_LINE_PREFIX",
    "TOKEN",
]

# tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA         (RFC 9110 §5.6.2)
_TCHAR = r"[-!#$%&'*+.^_`|~0-9A-Za-z]"
_TOKEN = _TCHAR + "+"
# field-vchar = VCHAR / obs-text                               (RFC 9110 §5.5)
_FIELD_VCHAR = r"[\x21-\x7e\x80-\xff]"
# OWS = *( SP / HTAB )                                          (RFC 9110 §5.6.3)
_OWS = r"[ \t]*"

TOKEN = re.compile(_TOKEN)

# request-line = method SP request-target SP HTTP-version      (RFC 9112 §3)
# method = token; HTTP-version = "HTTP/" DIGIT "." DIGIT        (RFC 9112 §2.3)
# The request-target is any run of VCHAR here; its form is checked separately
# (RFC 9112 §3.2). Non-ASCII bytes are not allowed in a target (RFC 3986 §2).
REQUEST_LINE = re.compile(rf"({_TOKEN}) ([\x21-\x7e]+) HTTP/([0-9]\.[0-9])\r\n")


def _prefixes(*parts: str) -> str:
    """A pattern for any prefix of the sequence ``parts`` (each a sub-pattern)."""
    pattern = ""
    for part in reversed(parts):
        pattern = f"(?:{part}{pattern})?"
    return pattern


_HTTP_VERSION_PARTS = ("H", "T", "T", "P", "/", "[0-9]", r"\.", "[0-9]")

# What a request line can look like before its CRLF has arrived, so garbage is
# refused without waiting for the line to end.
REQUEST_LINE_PREFIX = re.compile(
    _prefixes(rf"{_TCHAR}+", " ", r"[\x21-\x7e]+", " ", *_HTTP_VERSION_PARTS, "\r")
)

# status-line = HTTP-version SP status-code SP [ reason-phrase ]  (RFC 9112 §4)
# reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
# A missing SP before an empty reason is tolerated: it cannot change framing.
STATUS_LINE = re.compile(r"HTTP/([0-9]\.[0-9]) ([0-9]{3})(?: ([\t \x21-\x7e\x80-\xff]*))?\r\n")
STATUS_LINE_PREFIX = re.compile(
    _prefixes(
        *_HTTP_VERSION_PARTS,
        " ",
        "[0-9]",
        "[0-9]",
        "[0-9]",
        r"(?: [\t \x21-\x7e\x80-\xff]*\r?|\r)",
    )
)

# field-line = field-name ":" OWS field-value OWS               (RFC 9112 §5)
# field-value = *field-content
# field-content = field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ]
# The value is one greedy run ending on a field-vchar (or nothing), which the
# regex engine matches with a single step back, then the trailing OWS.
_FIELD_VALUE = r"([\t \x21-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff]|)"
FIELD_LINE = re.compile(rf"({_TOKEN}):{_OWS}{_FIELD_VALUE}{_OWS}\r\n")
# The same, matched over a whole block of lines at once: each match runs from
# the LF that ends the previous line to the CR of its own (followed by its
# LF, which the next match starts with), so matches start
# only at line starts; a line that fails to match leaves the number of matches
# short of the number of lines, and the block is refused.
FIELD_LINES = re.compile(rf"\n({_TOKEN}):{_OWS}{_FIELD_VALUE}{_OWS}\r(?=\n)")
# An unfinished field line: a name, then (once the colon is there) any value.
# A lone CR may be the start of the blank line that ends the section.
FIELD_LINE_PREFIX = re.compile(rf"{_TCHAR}+(?::[\t \x21-\x7e\x80-\xff]*\r?)?|\r?")

# Many field names joined with "\n", checked in one call when serializing.
FIELD_NAMES = re.compile(rf"{_TOKEN}(?:\n{_TOKEN})*")
# Characters a serialized field value must never contain: CTLs other than HTAB
# (CR, LF and NUL among them) and DEL (RFC 9110 §5.5). LF is left out because
# values are checked joined with LF; the caller counts the LFs instead.
FIELD_VALUE_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF         (RFC 9112 §7.1)
# chunk-size = 1*HEXDIG
# chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
# chunk-ext-val = token / quoted-string
# quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE       (RFC 9110 §5.6.4)
_QUOTED_STRING = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
_BTOKEN = _TOKEN.encode("ascii")
CHUNK_LINE = re.compile(
    rb"([0-9A-Fa-f]+)(?:[ \t]*;[ \t]*"
    + _BTOKEN
    + rb"(?:[ \t]*=[ \t]*(?:"
    + _BTOKEN
    + rb"|"
    + _QUOTED_STRING
    + rb"))?)*"
)

# Host = uri-host [ ":" port ]                                   (RFC 9110 §7.2)
# uri-host = IP-literal / IPv4address / reg-name                 (RFC 3986 §3.2.2)
_IP_LITERAL = r"\[[0-9A-Za-z:.\-_~!$&'()*+,;=]+\]"
_REG_NAME = r"[0-9A-Za-z\-._~%!$&'()*+,;=]*"
HOST = re.compile(rf"(?:{_IP_LITERAL}|{_REG_NAME})(?::[0-9]*)?")
# authority-form = uri-host ":" port                             (RFC 9112 §3.2.3)
AUTHORITY_FORM = re.compile(rf"(?:{_IP_LITERAL}|[0-9A-Za-z\-._~%!$&'()*+,;=]+):[0-9]+")
# absolute-form = absolute-URI; scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
SCHEME_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*:")

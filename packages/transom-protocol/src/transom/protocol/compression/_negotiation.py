"""Choosing a response's content-coding from ``Accept-Encoding`` (RFC 9110 §12.5.3)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from transom.protocol.compression._libraries import available_encodings, normalize_coding

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["negotiate_encoding", "parse_accept_encoding"]

#   Accept-Encoding  = #( codings [ weight ] )
#   codings          = content-coding / "identity" / "*"
#   content-coding   = token
_CODING = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#   weight = OWS ";" OWS "q=" qvalue                        (RFC 9110 §12.4.2)
#   qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
_OWS = " \t"


def parse_accept_encoding(value: str) -> tuple[tuple[str, float], ...]:
    """Parse an ``Accept-Encoding`` field value into ``(coding, qvalue)`` pairs.

    Lenient in what it skips, strict in what it trusts: an element whose
    coding is not a token is dropped; an element whose ``q`` is not a valid
    qvalue gets 0, so a malformed weight never makes a coding acceptable that
    the client may not want. Parameters other than ``q`` are ignored.

    Args:
        value: The field value, for example ``"gzip, br;q=0.8, *;q=0"``.

    Returns:
        The elements in order, codings lowercased (``x-gzip`` read as
        ``gzip``), qvalues between 0 and 1.
    """
    elements = []
    for element in value.split(","):
        coding, *parameters = element.split(";")
        coding = coding.strip(_OWS)
        if not _CODING.fullmatch(coding):
            continue
        weight = 1.0
        for parameter in parameters:
            name, _, raw = parameter.partition("=")
            if name.strip(_OWS).lower() == "q":
                raw = raw.strip(_OWS)
                weight = float(raw) if _QVALUE.fullmatch(raw) else 0.0
        elements.append((normalize_coding(coding), weight))
    return tuple(elements)


def negotiate_encoding(
    accept_encoding: str | None,
    available: Sequence[str] | None = None,
) -> str | None:
    """Choose the content-coding for a response (RFC 9110 §12.5.3).

    Each available coding gets the client's qvalue for it: its own element
    if listed (the first one, if listed twice), else that of ``*``, else 0.
    The highest qvalue above 0 wins, and ties go to the earlier coding in
    ``available`` (``identity``, when not there, ranks last). ``identity``
    takes part like any coding when the client lists it or ``*``; otherwise
    it has no qvalue but is still acceptable, so it is the fallback when no
    coding is.

    Args:
        accept_encoding: The request's field value, or ``None`` when absent.
            An absent field returns ``None``: the RFC deems any coding
            acceptable then, but clients that send no ``Accept-Encoding`` are
            commonly those that decode none. An empty value means identity.
        available: The codings this server can produce, in its order of
            preference; ``identity`` may be among them. Defaults to
            ``available_encodings()``.

    Returns:
        The chosen coding name (lowercased), or ``None`` to send the body
        without a coding. ``None`` also when nothing at all is acceptable,
        identity included (``identity;q=0`` with no acceptable coding): the
        RFC lets the server send identity then rather than refuse, and the
        caller may answer 406 instead if it prefers.
    """
    if accept_encoding is None:
        return None
    weights: dict[str, float] = {}
    for coding, weight in parse_accept_encoding(accept_encoding):
        weights.setdefault(coding, weight)
    wildcard = weights.get("*")
    offered = available_encodings() if available is None else available
    candidates = [normalize_coding(coding) for coding in offered]
    if "identity" not in candidates:
        candidates.append("identity")
    best: str | None = None
    best_weight = 0.0
    for coding in candidates:
        if coding in weights:
            weight = weights[coding]
        elif wildcard is not None:
            weight = wildcard
        else:
            # Not acceptable; or identity, which stays the fallback.
            continue
        if weight > best_weight:
            best, best_weight = coding, weight
    return None if best == "identity" else best

"""Address ordering for connection racing (RFC 8305 §4)."""

from __future__ import annotations

import socket

from transom.client import ResolveResult
from transom.client._happy_eyeballs import interleave


def address(host: str) -> ResolveResult:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return ResolveResult(hostname="h", host=host, port=80, family=family, proto=6, flags=0)


def test_families_alternate_starting_with_the_first() -> None:
    answers = [
        address("::1"),
        address("::2"),
        address("1.1.1.1"),
        address("2.2.2.2"),
        address("::3"),
    ]
    ordered = [a["host"] for a in interleave(answers)]
    assert ordered == ["::1", "1.1.1.1", "::2", "2.2.2.2", "::3"]


def test_first_family_count_leads() -> None:
    answers = [address("::1"), address("::2"), address("1.1.1.1")]
    assert [a["host"] for a in interleave(answers, 2)] == ["::1", "::2", "1.1.1.1"]


def test_single_family_keeps_its_order() -> None:
    answers = [address("1.1.1.1"), address("2.2.2.2")]
    assert interleave(answers) == answers
    assert interleave([]) == []

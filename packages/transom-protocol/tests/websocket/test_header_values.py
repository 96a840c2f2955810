"""Syntax of the handshake's list headers (RFC 9110 §5.6, RFC 6455 §9.1)."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from transom.protocol.websocket import HandshakeError, server_handshake


def handshake(*extensions: str, protocols: str = "") -> tuple[str | None, str | None]:
    headers = CIMultiDict(
        [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"),
        ]
    )
    for value in extensions:
        headers.add("Sec-WebSocket-Extensions", value)
    if protocols:
        headers["Sec-WebSocket-Protocol"] = protocols
    result = server_handshake(headers, protocols=["chat"], compress=True)
    answer = dict(result.headers).get("Sec-WebSocket-Extensions")
    return answer, result.subprotocol


@pytest.mark.parametrize(
    "value",
    [
        "permessage-deflate;server_max_window_bits=10",
        "permessage-deflate ; server_max_window_bits = 10",
        "permessage-deflate;\tserver_max_window_bits=\t10\t",
        ", ,permessage-deflate; server_max_window_bits=10,",
        'permessage-deflate; server_max_window_bits="1\\0"',
    ],
)
def test_extension_whitespace_empty_elements_and_quoting(value: str) -> None:
    assert handshake(value) == ("permessage-deflate; server_max_window_bits=10", None)


def test_extension_offers_may_span_header_lines() -> None:
    answer, _ = handshake("x-first; a=b", "permessage-deflate; client_no_context_takeover")
    assert answer == "permessage-deflate; client_no_context_takeover"


@pytest.mark.parametrize(
    "value",
    [
        "permessage-deflate;",
        "permessage-deflate; =10",
        "permessage-deflate; server_max_window_bits=",
        'permessage-deflate; server_max_window_bits="10',
        'permessage-deflate; server_max_window_bits="1 0"',
        'permessage-deflate; server_max_window_bits=""',
        "permessage-deflate server_max_window_bits",
        "permessage deflate",
        "perm\u00e9ssage-deflate",
        "; server_max_window_bits=10",
        "permessage-deflate; a=b=c",
    ],
)
def test_malformed_extension_header_is_a_bad_request(value: str) -> None:
    with pytest.raises(HandshakeError) as caught:
        handshake(value)
    assert caught.value.status_code == 400


@pytest.mark.parametrize(
    ("value", "chosen"),
    [
        ("chat", "chat"),
        (" other ,chat ", "chat"),
        (",,chat", "chat"),
        ("CHAT", None),
    ],
)
def test_subprotocol_list_syntax(value: str, chosen: str | None) -> None:
    assert handshake(protocols=value) == (None, chosen)

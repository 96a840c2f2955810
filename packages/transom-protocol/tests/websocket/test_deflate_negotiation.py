"""Negotiating permessage-deflate (RFC 7692 §5, §7.1) through the handshake functions."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from transom.protocol.websocket import (
    HandshakeError,
    PerMessageDeflate,
    accept_key,
    client_handshake_request,
    server_handshake,
    validate_server_response,
)

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def offer(
    *values: str, compress: bool | PerMessageDeflate = True
) -> tuple[str | None, tuple[PerMessageDeflate, ...]]:
    headers = CIMultiDict(
        [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", KEY),
            ("Sec-WebSocket-Version", "13"),
        ]
    )
    for value in values:
        headers.add("Sec-WebSocket-Extensions", value)
    result = server_handshake(headers, compress=compress)
    answers = [v for k, v in result.headers if k == "Sec-WebSocket-Extensions"]
    assert len(answers) <= 1
    return (answers[0] if answers else None), result.extensions


@pytest.mark.parametrize(
    ("offered", "answer", "agreed"),
    [
        pytest.param("permessage-deflate", "permessage-deflate", PerMessageDeflate(), id="bare"),
        pytest.param(
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate",
            PerMessageDeflate(),
            id="client-window-without-value",
        ),
        pytest.param(
            "permessage-deflate; client_max_window_bits=9",
            "permessage-deflate; client_max_window_bits=9",
            PerMessageDeflate(client_max_window_bits=9),
            id="client-window-9",
        ),
        pytest.param(
            "permessage-deflate; client_max_window_bits=8",
            "permessage-deflate; client_max_window_bits=8",
            PerMessageDeflate(client_max_window_bits=8),
            id="client-window-8",
        ),
        pytest.param(
            "permessage-deflate; server_max_window_bits=10",
            "permessage-deflate; server_max_window_bits=10",
            PerMessageDeflate(server_max_window_bits=10),
            id="server-window-10",
        ),
        pytest.param(
            'permessage-deflate; server_max_window_bits="10"',
            "permessage-deflate; server_max_window_bits=10",
            PerMessageDeflate(server_max_window_bits=10),
            id="quoted-value",
        ),
        pytest.param(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            PerMessageDeflate(server_no_context_takeover=True, client_no_context_takeover=True),
            id="no-context-takeover",
        ),
        pytest.param(
            "Permessage-Deflate; Server_No_Context_Takeover",
            "permessage-deflate; server_no_context_takeover",
            PerMessageDeflate(server_no_context_takeover=True),
            id="names-in-any-case",
        ),
        pytest.param(
            "x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=12",
            "permessage-deflate; server_max_window_bits=12",
            PerMessageDeflate(server_max_window_bits=12),
            id="unknown-extension-skipped",
        ),
        pytest.param(
            "permessage-deflate; unknown, permessage-deflate; client_max_window_bits=10",
            "permessage-deflate; client_max_window_bits=10",
            PerMessageDeflate(client_max_window_bits=10),
            id="second-offer-after-declined-first",
        ),
        pytest.param(
            "permessage-deflate; server_max_window_bits=8, permessage-deflate",
            "permessage-deflate",
            PerMessageDeflate(),
            id="window-8-for-server-declined",
        ),
    ],
)
def test_server_accepts_the_first_acceptable_offer(
    offered: str, answer: str, agreed: PerMessageDeflate
) -> None:
    assert offer(offered) == (answer, (agreed,))


@pytest.mark.parametrize(
    "offered",
    [
        "permessage-deflate; unknown_parameter",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=yes",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=08",
        "permessage-deflate; client_max_window_bits=0x0f",
        "permessage-deflate; client_max_window_bits=10; client_max_window_bits=11",
        "deflate-frame",
    ],
)
def test_server_declines_invalid_offers(offered: str) -> None:
    assert offer(offered) == (None, ())


def test_server_without_compression_ignores_offers() -> None:
    assert offer("permessage-deflate", compress=False) == (None, ())


def test_server_without_compression_ignores_malformed_offers() -> None:
    assert offer("permessage-deflate; =", compress=False) == (None, ())


@pytest.mark.parametrize(
    ("offered", "server_wants", "answer", "agreed"),
    [
        pytest.param(
            "permessage-deflate",
            PerMessageDeflate(server_no_context_takeover=True, client_no_context_takeover=True),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            PerMessageDeflate(server_no_context_takeover=True, client_no_context_takeover=True),
            id="no-context-takeover-unasked",
        ),
        pytest.param(
            "permessage-deflate",
            PerMessageDeflate(server_max_window_bits=11),
            "permessage-deflate; server_max_window_bits=11",
            PerMessageDeflate(server_max_window_bits=11),
            id="smaller-server-window-unasked",
        ),
        pytest.param(
            "permessage-deflate; server_max_window_bits=10",
            PerMessageDeflate(server_max_window_bits=12),
            "permessage-deflate; server_max_window_bits=10",
            PerMessageDeflate(server_max_window_bits=10),
            id="client-asks-for-smaller-server-window",
        ),
        pytest.param(
            "permessage-deflate; client_max_window_bits",
            PerMessageDeflate(client_max_window_bits=10),
            "permessage-deflate; client_max_window_bits=10",
            PerMessageDeflate(client_max_window_bits=10),
            id="client-window-limited",
        ),
        pytest.param(
            "permessage-deflate",
            PerMessageDeflate(client_max_window_bits=10),
            "permessage-deflate",
            PerMessageDeflate(),
            id="client-window-not-limited-when-not-offered",
        ),
        pytest.param(
            "permessage-deflate; server_max_window_bits=9",
            PerMessageDeflate(server_max_window_bits=8),
            None,
            None,
            id="server-window-8-impossible",
        ),
    ],
)
def test_server_adds_its_own_demands(
    offered: str,
    server_wants: PerMessageDeflate,
    answer: str | None,
    agreed: PerMessageDeflate | None,
) -> None:
    assert offer(offered, compress=server_wants) == (answer, () if agreed is None else (agreed,))


@pytest.mark.parametrize(
    ("wanted", "header"),
    [
        pytest.param(True, "permessage-deflate; client_max_window_bits", id="default"),
        pytest.param(
            PerMessageDeflate(
                server_no_context_takeover=True,
                client_no_context_takeover=True,
                server_max_window_bits=10,
                client_max_window_bits=9,
            ),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=10; client_max_window_bits=9",
            id="everything",
        ),
    ],
)
def test_client_offer(wanted: bool | PerMessageDeflate, header: str) -> None:
    handshake = client_handshake_request(compress=wanted)
    assert ("Sec-WebSocket-Extensions", header) in handshake.headers


def answer(value: str, wanted: bool | PerMessageDeflate = True) -> tuple[PerMessageDeflate, ...]:
    handshake = client_handshake_request(compress=wanted)
    headers = CIMultiDict(
        [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept_key(handshake.key)),
            ("Sec-WebSocket-Extensions", value),
        ]
    )
    return validate_server_response(handshake, 101, headers).extensions


@pytest.mark.parametrize(
    ("value", "wanted", "agreed"),
    [
        pytest.param("permessage-deflate", True, PerMessageDeflate(), id="bare"),
        pytest.param(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            True,
            PerMessageDeflate(server_no_context_takeover=True, client_no_context_takeover=True),
            id="no-context-takeover-unasked",
        ),
        pytest.param(
            "permessage-deflate; server_max_window_bits=9; client_max_window_bits=8",
            True,
            PerMessageDeflate(server_max_window_bits=9, client_max_window_bits=8),
            id="smaller-windows-unasked",
        ),
        pytest.param(
            "permessage-deflate; server_max_window_bits=9",
            PerMessageDeflate(server_max_window_bits=10),
            PerMessageDeflate(server_max_window_bits=9),
            id="server-window-below-offer",
        ),
        pytest.param(
            "permessage-deflate",
            PerMessageDeflate(client_no_context_takeover=True, client_max_window_bits=11),
            PerMessageDeflate(client_no_context_takeover=True, client_max_window_bits=11),
            id="client-keeps-its-own-promises",
        ),
    ],
)
def test_client_accepts_valid_answers(
    value: str, wanted: bool | PerMessageDeflate, agreed: PerMessageDeflate
) -> None:
    assert answer(value, wanted) == (agreed,)


@pytest.mark.parametrize(
    ("value", "wanted"),
    [
        pytest.param("x-unknown", True, id="unknown-extension"),
        pytest.param("permessage-deflate, permessage-deflate", True, id="accepted-twice"),
        pytest.param("permessage-deflate; unknown", True, id="unknown-parameter"),
        pytest.param("permessage-deflate; server_max_window_bits", True, id="window-without-value"),
        pytest.param(
            "permessage-deflate; client_max_window_bits", True, id="client-window-without-value"
        ),
        pytest.param("permessage-deflate; server_max_window_bits=16", True, id="window-16"),
        pytest.param(
            "permessage-deflate",
            PerMessageDeflate(server_no_context_takeover=True),
            id="no-context-takeover-ignored",
        ),
        pytest.param(
            "permessage-deflate",
            PerMessageDeflate(server_max_window_bits=10),
            id="server-window-ignored",
        ),
        pytest.param(
            "permessage-deflate; server_max_window_bits=11",
            PerMessageDeflate(server_max_window_bits=10),
            id="server-window-above-offer",
        ),
        pytest.param(
            "permessage-deflate; client_max_window_bits=12",
            PerMessageDeflate(client_max_window_bits=11),
            id="client-window-above-offer",
        ),
        pytest.param("permessage-deflate;", True, id="syntax-error"),
    ],
)
def test_client_refuses_invalid_answers(value: str, wanted: bool | PerMessageDeflate) -> None:
    with pytest.raises(HandshakeError):
        answer(value, wanted)

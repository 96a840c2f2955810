"""The opening handshake (RFC 6455 §4): server checks, client request and checks."""

from __future__ import annotations

import base64

import pytest
from multidict import CIMultiDict

from transom.protocol.websocket import (
    WEBSOCKET_VERSION,
    ClientHandshake,
    HandshakeError,
    HandshakeResult,
    PerMessageDeflate,
    accept_key,
    client_handshake_request,
    server_handshake,
    validate_server_response,
)

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def request(*extra: tuple[str, str], drop: str = "") -> CIMultiDict[str]:
    headers = CIMultiDict(
        [
            ("Host", "server.example.com"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", KEY),
            ("Sec-WebSocket-Version", "13"),
        ]
    )
    if drop:
        del headers[drop]
    headers.extend(extra)
    return headers


def test_accept_key_of_the_rfc_example() -> None:
    # RFC 6455 §1.3.
    assert accept_key(KEY) == ACCEPT


def test_server_accepts_the_rfc_example_request() -> None:
    result = server_handshake(request())
    assert result == HandshakeResult(
        headers=(
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", ACCEPT),
        ),
        subprotocol=None,
        extensions=(),
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Upgrade", "WebSocket"),
        ("Upgrade", "h2c, websocket"),
        ("Connection", "keep-alive, Upgrade"),
        ("Connection", "upgrade"),
    ],
)
def test_server_accepts_token_lists_in_any_case(field: str, value: str) -> None:
    headers = request(drop=field)
    headers[field] = value
    assert server_handshake(headers).headers[2] == ("Sec-WebSocket-Accept", ACCEPT)


def test_connection_tokens_may_span_header_lines() -> None:
    headers = request((("Connection", "keep-alive")), drop="Connection")
    headers.add("Connection", "Upgrade")
    assert server_handshake(headers).subprotocol is None


@pytest.mark.parametrize(
    ("headers", "status", "response_headers"),
    [
        pytest.param(
            request(drop="Upgrade"),
            426,
            (("Upgrade", "websocket"), ("Connection", "Upgrade")),
            id="no-upgrade",
        ),
        pytest.param(
            request(("Upgrade", "h2c"), drop="Upgrade"),
            426,
            (("Upgrade", "websocket"), ("Connection", "Upgrade")),
            id="upgrade-to-something-else",
        ),
        pytest.param(
            request(drop="Connection"),
            426,
            (("Upgrade", "websocket"), ("Connection", "Upgrade")),
            id="no-connection-upgrade",
        ),
        pytest.param(
            request(("Sec-WebSocket-Version", "8"), drop="Sec-WebSocket-Version"),
            426,
            (("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")),
            id="version-8",
        ),
        pytest.param(request(drop="Sec-WebSocket-Version"), 400, (), id="no-version"),
        pytest.param(request(("Sec-WebSocket-Version", "13")), 400, (), id="two-versions"),
        pytest.param(request(drop="Sec-WebSocket-Key"), 400, (), id="no-key"),
        pytest.param(request(("Sec-WebSocket-Key", KEY)), 400, (), id="two-keys"),
        pytest.param(
            request(("Sec-WebSocket-Key", "not base64!"), drop="Sec-WebSocket-Key"),
            400,
            (),
            id="key-not-base64",
        ),
        pytest.param(
            request(
                ("Sec-WebSocket-Key", base64.b64encode(b"x" * 15).decode()),
                drop="Sec-WebSocket-Key",
            ),
            400,
            (),
            id="key-of-15-bytes",
        ),
        pytest.param(
            request(("Sec-WebSocket-Protocol", "chat, not a token")),
            400,
            (),
            id="protocol-not-a-token",
        ),
    ],
)
def test_server_refuses_bad_requests(
    headers: CIMultiDict[str], status: int, response_headers: tuple[tuple[str, str], ...]
) -> None:
    with pytest.raises(HandshakeError) as caught:
        server_handshake(headers, protocols=["chat"])
    assert caught.value.status_code == status
    assert caught.value.headers == response_headers


@pytest.mark.parametrize(
    ("offered", "supported", "chosen"),
    [
        (["chat", "superchat"], ["superchat", "chat"], "chat"),
        (["superchat", "chat"], ["chat"], "chat"),
        (["v2.json"], ["v1.json"], None),
        ([], ["chat"], None),
        (["chat"], [], None),
    ],
)
def test_server_picks_the_clients_first_supported_subprotocol(
    offered: list[str], supported: list[str], chosen: str | None
) -> None:
    extra = [("Sec-WebSocket-Protocol", p) for p in offered]
    result = server_handshake(request(*extra), protocols=supported)
    assert result.subprotocol == chosen
    protocol_headers = [v for k, v in result.headers if k == "Sec-WebSocket-Protocol"]
    assert protocol_headers == ([] if chosen is None else [chosen])


def test_client_request_headers() -> None:
    handshake = client_handshake_request(protocols=["chat", "superchat"], key=KEY)
    assert handshake == ClientHandshake(
        key=KEY,
        headers=(
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", KEY),
            ("Sec-WebSocket-Version", WEBSOCKET_VERSION),
            ("Sec-WebSocket-Protocol", "chat, superchat"),
        ),
        protocols=("chat", "superchat"),
        compress=None,
    )


def test_client_key_is_16_random_bytes_in_base64() -> None:
    first = client_handshake_request().key
    assert len(base64.b64decode(first, validate=True)) == 16
    assert client_handshake_request().key != first


@pytest.mark.parametrize("protocol", ["", "two words", "a,b"])
def test_client_refuses_subprotocols_that_are_not_tokens(protocol: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        client_handshake_request(protocols=[protocol])


def response(handshake: ClientHandshake, *extra: tuple[str, str]) -> CIMultiDict[str]:
    headers = CIMultiDict(
        [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept_key(handshake.key)),
        ]
    )
    headers.extend(extra)
    return headers


def test_client_accepts_a_valid_response() -> None:
    handshake = client_handshake_request(protocols=["chat"])
    result = validate_server_response(
        handshake, 101, response(handshake, ("Sec-WebSocket-Protocol", "chat"))
    )
    assert result == HandshakeResult(headers=(), subprotocol="chat", extensions=())


@pytest.mark.parametrize(
    ("status", "change"),
    [
        pytest.param(200, {}, id="status-200"),
        pytest.param(101, {"Upgrade": None}, id="no-upgrade"),
        pytest.param(101, {"Connection": "keep-alive"}, id="no-connection-upgrade"),
        pytest.param(101, {"Sec-WebSocket-Accept": ACCEPT}, id="wrong-accept"),
        pytest.param(101, {"Sec-WebSocket-Accept": None}, id="no-accept"),
        pytest.param(101, {"Sec-WebSocket-Protocol": "other"}, id="protocol-not-offered"),
        pytest.param(101, {"Sec-WebSocket-Protocol": "chat, chat"}, id="two-protocols"),
        pytest.param(
            101, {"Sec-WebSocket-Extensions": "permessage-deflate"}, id="extension-not-offered"
        ),
    ],
)
def test_client_refuses_bad_responses(status: int, change: dict[str, str | None]) -> None:
    handshake = client_handshake_request(protocols=["chat"], key="x3JJHMbDL1EzLkh9GBhXDw==")
    headers = response(handshake)
    for field, value in change.items():
        headers.popall(field, None)
        if value is not None:
            headers[field] = value
    with pytest.raises(HandshakeError):
        validate_server_response(handshake, status, headers)


@pytest.mark.parametrize(
    ("client_compress", "server_compress", "agreed"),
    [
        pytest.param(False, True, (), id="client-does-not-offer"),
        pytest.param(True, False, (), id="server-declines"),
        pytest.param(True, True, (PerMessageDeflate(),), id="both-default"),
        pytest.param(
            PerMessageDeflate(client_no_context_takeover=True, server_max_window_bits=10),
            PerMessageDeflate(server_no_context_takeover=True, client_max_window_bits=12),
            (
                PerMessageDeflate(
                    server_no_context_takeover=True,
                    client_no_context_takeover=True,
                    server_max_window_bits=10,
                    client_max_window_bits=12,
                ),
            ),
            id="both-with-demands",
        ),
    ],
)
def test_both_sides_agree_on_the_same_terms(
    client_compress: bool | PerMessageDeflate,
    server_compress: bool | PerMessageDeflate,
    agreed: tuple[PerMessageDeflate, ...],
) -> None:
    handshake = client_handshake_request(protocols=["b", "a"], compress=client_compress)
    server_result = server_handshake(
        CIMultiDict(handshake.headers), protocols=["a", "b"], compress=server_compress
    )
    client_result = validate_server_response(handshake, 101, CIMultiDict(server_result.headers))
    assert server_result.subprotocol == client_result.subprotocol == "b"
    assert server_result.extensions == client_result.extensions == agreed


def test_handshake_error_is_a_remote_protocol_error_with_status() -> None:
    from transom.protocol import RemoteProtocolError

    error = HandshakeError("nope", status_code=426, headers=(("Upgrade", "websocket"),))
    assert isinstance(error, RemoteProtocolError)
    assert (error.reason, error.status_code, error.headers) == (
        "nope",
        426,
        (("Upgrade", "websocket"),),
    )

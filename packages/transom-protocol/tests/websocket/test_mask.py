"""Masking of client frames (RFC 6455 §5.3), checked against a plain XOR."""

from __future__ import annotations

import itertools

import pytest

from transom.protocol.websocket import NEED_DATA, BytesMessage, Role, WebSocketConnection

KEY = b"\x9a\x01\xff\x5c"


def xor(payload: bytes, key: bytes) -> bytes:
    return bytes(b ^ k for b, k in zip(payload, itertools.cycle(key), strict=False))


def payload_of(length: int) -> bytes:
    return bytes(i * 7 % 256 for i in range(length))


# Lengths around the switch between the two masking strategies and around
# the 4-byte period of the key.
LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 125, 126, 127, 128, 1023, 1024, 1025, 1027, 65535, 65536, 70001]


@pytest.mark.parametrize("length", LENGTHS)
def test_client_frames_are_masked_with_the_key(length: int) -> None:
    client = WebSocketConnection(Role.CLIENT, mask_key_factory=lambda size: KEY)
    sent = client.send_bytes(payload_of(length))
    header_size = 2 if length < 126 else 4 if length < 0x10000 else 10
    assert sent[1] & 0x80
    assert sent[header_size : header_size + 4] == KEY
    assert sent[header_size + 4 :] == xor(payload_of(length), KEY)


@pytest.mark.parametrize("length", LENGTHS)
def test_server_unmasks_what_the_client_masked(length: int) -> None:
    client = WebSocketConnection(Role.CLIENT, mask_key_factory=lambda size: KEY)
    server = WebSocketConnection(Role.SERVER, max_message_size=None)
    server.receive_data(client.send_bytes(payload_of(length)))
    assert server.next_event() == BytesMessage(payload_of(length))
    assert server.next_event() is NEED_DATA


def test_each_client_frame_asks_for_a_fresh_key() -> None:
    sizes: list[int] = []

    def factory(size: int) -> bytes:
        sizes.append(size)
        return KEY

    client = WebSocketConnection(Role.CLIENT, mask_key_factory=factory)
    client.send_text("a")
    client.send_ping()
    assert sizes == [4, 4]


def test_server_frames_are_not_masked() -> None:
    server = WebSocketConnection(Role.SERVER)
    assert server.send_bytes(b"abc") == b"\x82\x03abc"


def test_every_length_across_the_strategy_boundaries_round_trips() -> None:
    client = WebSocketConnection(Role.CLIENT, mask_key_factory=lambda _: KEY)
    server = WebSocketConnection(Role.SERVER)
    for length in range(1100):
        payload = payload_of(length)
        frame = client.send_bytes(payload)
        header = len(frame) - 4 - length
        assert frame[header + 4 :] == xor(payload, KEY), length
        server.receive_data(frame)
        assert server.next_event() == BytesMessage(payload), length

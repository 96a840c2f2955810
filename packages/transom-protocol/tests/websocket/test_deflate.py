"""permessage-deflate on the wire (RFC 7692 §6, §7.2), with the RFC's own examples."""

from __future__ import annotations

import zlib

import pytest

from transom.protocol.websocket import (
    NEED_DATA,
    BytesMessage,
    Event,
    PerMessageDeflate,
    Ping,
    Role,
    TextMessage,
    WebSocketConnection,
    WebSocketProtocolError,
)


def drain(connection: WebSocketConnection, data: bytes) -> list[Event]:
    connection.receive_data(data)
    events: list[Event] = []
    for _ in range(100):
        event = connection.next_event()
        if event is NEED_DATA:
            return events
        events.append(event)
    raise AssertionError("too many events")


DEFAULT = PerMessageDeflate()


def client_with(deflate: PerMessageDeflate = DEFAULT) -> WebSocketConnection:
    return WebSocketConnection(Role.CLIENT, extensions=[deflate])


def server_with(deflate: PerMessageDeflate = DEFAULT, **options: object) -> WebSocketConnection:
    return WebSocketConnection(Role.SERVER, extensions=[deflate], **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "wire",
    [
        # RFC 7692 §7.2.3.1: "Hello" compressed in one frame.
        pytest.param(bytes.fromhex("c107f248cdc9c90700"), id="7.2.3.1-one-frame"),
        # §7.2.3.1: the same, fragmented.
        pytest.param(bytes.fromhex("4103f248cd8004c9c90700"), id="7.2.3.1-fragmented"),
        # §7.2.3.3: a stored (uncompressed) DEFLATE block.
        pytest.param(bytes.fromhex("c10b000500faff48656c6c6f00"), id="7.2.3.3-stored-block"),
        # §7.2.3.4: a block with BFINAL set.
        pytest.param(bytes.fromhex("c108f348cdc9c9070000"), id="7.2.3.4-bfinal"),
        # §7.2.3.5: two DEFLATE blocks in one message.
        pytest.param(bytes.fromhex("c10df24805000000ffffcac9c90700"), id="7.2.3.5-two-blocks"),
    ],
)
def test_rfc_7692_examples_inflate_to_hello(wire: bytes) -> None:
    assert drain(client_with(), wire) == [TextMessage("Hello")]


def test_rfc_7692_context_takeover_example() -> None:
    # §7.2.3.2: the second "Hello" refers back to the first.
    client = client_with()
    wire = bytes.fromhex("c107f248cdc9c90700c105f200110000")
    assert drain(client, wire) == [TextMessage("Hello"), TextMessage("Hello")]


def test_message_after_a_final_deflate_block_starts_a_new_stream() -> None:
    client = client_with()
    wire = bytes.fromhex("c108f348cdc9c9070000c107f248cdc9c90700")
    assert drain(client, wire) == [TextMessage("Hello"), TextMessage("Hello")]


def test_compressed_frames_match_the_rfc_examples() -> None:
    server = server_with()
    assert server.send_text("Hello") == bytes.fromhex("c107f248cdc9c90700")
    assert server.send_text("Hello") == bytes.fromhex("c105f200110000")


def test_without_context_takeover_each_message_stands_alone() -> None:
    server = server_with(PerMessageDeflate(server_no_context_takeover=True))
    first = server.send_text("Hello")
    assert server.send_text("Hello") == first
    client = client_with(PerMessageDeflate(server_no_context_takeover=True))
    assert drain(client, first + first) == [TextMessage("Hello"), TextMessage("Hello")]


def test_with_context_takeover_repeats_get_smaller() -> None:
    client = client_with()
    message = b"abcdefghij" * 50
    first = client.send_bytes(message)
    second = client.send_bytes(message)
    assert len(second) < len(first)
    assert drain(server_with(), first + second) == [BytesMessage(message), BytesMessage(message)]


@pytest.mark.parametrize("bits", [8, 9, 12, 15])
@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_round_trip_with_window_bits(bits: int, no_context_takeover: bool) -> None:
    deflate = PerMessageDeflate(
        server_no_context_takeover=no_context_takeover,
        client_no_context_takeover=no_context_takeover,
        server_max_window_bits=bits,
        client_max_window_bits=bits,
    )
    client, server = client_with(deflate), server_with(deflate)
    messages = [bytes(range(256)) * 20, b"", b"tail" * 300, bytes(range(256)) * 20]
    wire = b"".join(client.send_bytes(m) for m in messages)
    assert drain(server, wire) == [BytesMessage(m) for m in messages]
    wire = b"".join(server.send_bytes(m) for m in messages)
    assert drain(client, wire) == [BytesMessage(m) for m in messages]


def test_window_of_8_bits_is_readable_by_a_strict_inflater() -> None:
    server = server_with(PerMessageDeflate(server_max_window_bits=8))
    message = b"0123456789" * 100
    frame = server.send_bytes(message)
    payload = frame[4:]  # 2-byte length header
    inflater = zlib.decompressobj(-8)
    assert inflater.decompress(payload + b"\x00\x00\xff\xff") == message


def test_rsv1_only_on_the_first_frame_of_a_message() -> None:
    client = client_with()
    first = client.send_text("Hel", final=False)
    second = client.send_text("lo")
    assert first[0] == 0x41
    assert second[0] == 0x80
    assert drain(server_with(), first + second) == [TextMessage("Hello")]


def test_control_frames_are_never_compressed() -> None:
    client = client_with()
    ping = client.send_ping(b"aaaaaaaaaa")
    assert ping[0] == 0x89
    assert drain(server_with(), ping) == [Ping(b"aaaaaaaaaa")]


def test_uncompressed_messages_are_accepted_when_deflate_is_agreed() -> None:
    client = WebSocketConnection(Role.CLIENT)
    wire = (
        client.send_text("plain") + client.send_bytes(b"x", final=False) + client.send_bytes(b"y")
    )
    assert drain(server_with(), wire) == [TextMessage("plain"), BytesMessage(b"xy")]


def test_uncompressed_message_over_the_limit_fails_with_deflate_agreed() -> None:
    client = WebSocketConnection(Role.CLIENT)
    server = server_with(max_message_size=10)
    with pytest.raises(WebSocketProtocolError) as caught:
        drain(server, client.send_bytes(b"x" * 11))
    assert caught.value.close_code == 1009


def test_compression_bomb_is_stopped_at_the_limit() -> None:
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = bomb.compress(b"\x00" * 50_000_000) + bomb.flush(zlib.Z_SYNC_FLUSH)
    assert len(payload) < 100_000
    # A client's compressed binary message, framed by hand.
    header = bytes([0xC2, 0x80 | 127]) + (len(payload) - 4).to_bytes(8, "big")
    frame = header + b"\x00\x00\x00\x00" + payload[:-4]
    server = server_with(max_message_size=1_000_000)
    with pytest.raises(WebSocketProtocolError) as caught:
        drain(server, frame)
    assert caught.value.close_code == 1009


def test_inflated_size_is_counted_across_fragments() -> None:
    client = client_with()
    wire = client.send_bytes(b"a" * 600, final=False) + client.send_bytes(b"b" * 600)
    with pytest.raises(WebSocketProtocolError) as caught:
        drain(server_with(max_message_size=1000), wire)
    assert caught.value.close_code == 1009


def test_corrupt_compressed_data_is_invalid_payload() -> None:
    frame = bytes([0xC1, 0x84]) + b"\x00\x00\x00\x00" + b"\xff\xff\xff\xff"
    with pytest.raises(WebSocketProtocolError) as caught:
        drain(server_with(), frame)
    assert caught.value.close_code == 1007


def test_compressed_text_is_checked_as_utf8() -> None:
    deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
    payload = (deflater.compress(b"ok\xff") + deflater.flush(zlib.Z_SYNC_FLUSH))[:-4]
    frame = bytes([0xC1, len(payload)]) + payload
    with pytest.raises(WebSocketProtocolError) as caught:
        drain(client_with(), frame)
    assert caught.value.close_code == 1007


@pytest.mark.parametrize("bits", [7, 16])
def test_window_bits_out_of_range_are_refused(bits: int) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        PerMessageDeflate(server_max_window_bits=bits)
    with pytest.raises(ValueError):  # noqa: PT011
        PerMessageDeflate(client_max_window_bits=bits)

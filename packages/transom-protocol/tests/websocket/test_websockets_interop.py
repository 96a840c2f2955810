"""Interop with the ``websockets`` library: its frames, compression and handshakes."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate as TheirDeflate,
)
from websockets.frames import Close, Frame
from websockets.frames import Opcode as TheirOpcode
from websockets.http11 import Request, Response
from websockets.protocol import Protocol, Side, State
from websockets.server import ServerProtocol
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from transom.protocol.websocket import (
    NEED_DATA,
    BytesMessage,
    CloseReceived,
    Event,
    PerMessageDeflate,
    Ping,
    Pong,
    Role,
    TextMessage,
    WebSocketConnection,
    client_handshake_request,
    server_handshake,
    validate_server_response,
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


def their_frames(frames: list[Frame], *, mask: bool, deflate: TheirDeflate | None = None) -> bytes:
    extensions = [] if deflate is None else [deflate]
    return b"".join(frame.serialize(mask=mask, extensions=extensions) for frame in frames)


FRAME_VECTORS = [
    pytest.param([Frame(TheirOpcode.TEXT, b"Hello")], [TextMessage("Hello")], id="text"),
    pytest.param(
        [Frame(TheirOpcode.BINARY, bytes(range(256)) * 300)],
        [BytesMessage(bytes(range(256)) * 300)],
        id="binary-64-bit-length",
    ),
    pytest.param(
        [Frame(TheirOpcode.BINARY, b"b" * 200)], [BytesMessage(b"b" * 200)], id="16-bit-length"
    ),
    pytest.param(
        [
            Frame(TheirOpcode.TEXT, b"caf", fin=False),
            Frame(TheirOpcode.PING, b"mid"),
            Frame(TheirOpcode.CONT, "é".encode()),
        ],
        [Ping(b"mid"), TextMessage("café")],
        id="fragmented-with-ping",
    ),
    pytest.param([Frame(TheirOpcode.PONG, b"")], [Pong(b"")], id="pong"),
    pytest.param(
        [Frame(TheirOpcode.CLOSE, Close(4001, "gone").serialize())],
        [CloseReceived(4001, "gone")],
        id="close",
    ),
]


@pytest.mark.parametrize(("frames", "expected"), FRAME_VECTORS)
def test_their_client_frames_parse_on_our_server(
    frames: list[Frame], expected: list[Event]
) -> None:
    server = WebSocketConnection(Role.SERVER)
    assert drain(server, their_frames(frames, mask=True)) == expected


@pytest.mark.parametrize(("frames", "expected"), FRAME_VECTORS)
def test_their_server_frames_parse_on_our_client(
    frames: list[Frame], expected: list[Event]
) -> None:
    client = WebSocketConnection(Role.CLIENT)
    assert drain(client, their_frames(frames, mask=False)) == expected


@pytest.mark.parametrize("side", [Side.SERVER, Side.CLIENT])
def test_our_frames_parse_in_their_protocol(side: Side) -> None:
    ours = WebSocketConnection(Role.CLIENT if side is Side.SERVER else Role.SERVER)
    theirs = Protocol(side, state=State.OPEN, max_size=None)
    theirs.receive_data(
        ours.send_text("Hello")
        + ours.send_bytes(b"x" * 70_000)
        + ours.send_bytes(b"ab", final=False)
        + ours.send_bytes(b"cd")
        + ours.send_ping(b"p")
    )
    frames = [(f.opcode, f.data, f.fin) for f in theirs.events_received() if isinstance(f, Frame)]
    assert frames == [
        (TheirOpcode.TEXT, b"Hello", True),
        (TheirOpcode.BINARY, b"x" * 70_000, True),
        (TheirOpcode.BINARY, b"ab", False),
        (TheirOpcode.CONT, b"cd", True),
        (TheirOpcode.PING, b"p", True),
    ]


DEFLATE_VECTORS = [
    pytest.param(PerMessageDeflate(), id="takeover"),
    pytest.param(
        PerMessageDeflate(server_no_context_takeover=True, client_no_context_takeover=True),
        id="no-takeover",
    ),
    pytest.param(
        PerMessageDeflate(server_max_window_bits=10, client_max_window_bits=9), id="small-windows"
    ),
]


def their_deflate(agreed: PerMessageDeflate, side: Side) -> TheirDeflate:
    if side is Side.SERVER:
        return TheirDeflate(
            remote_no_context_takeover=agreed.client_no_context_takeover,
            local_no_context_takeover=agreed.server_no_context_takeover,
            remote_max_window_bits=agreed.client_max_window_bits,
            local_max_window_bits=agreed.server_max_window_bits,
        )
    return TheirDeflate(
        remote_no_context_takeover=agreed.server_no_context_takeover,
        local_no_context_takeover=agreed.client_no_context_takeover,
        remote_max_window_bits=agreed.server_max_window_bits,
        local_max_window_bits=agreed.client_max_window_bits,
    )


MESSAGES = [b"Hello" * 40, b"Hello" * 40, bytes(range(256)) * 10, b""]


@pytest.mark.parametrize("agreed", DEFLATE_VECTORS)
def test_their_compressed_frames_inflate_on_our_side(agreed: PerMessageDeflate) -> None:
    deflate = their_deflate(agreed, Side.SERVER)
    frames = [Frame(TheirOpcode.BINARY, m) for m in MESSAGES]
    frames += [Frame(TheirOpcode.TEXT, b"frag", fin=False), Frame(TheirOpcode.CONT, b"mented")]
    client = WebSocketConnection(Role.CLIENT, extensions=[agreed])
    expected: list[Event] = [BytesMessage(m) for m in MESSAGES]
    assert drain(client, their_frames(frames, mask=False, deflate=deflate)) == [
        *expected,
        TextMessage("fragmented"),
    ]


@pytest.mark.parametrize("agreed", DEFLATE_VECTORS)
def test_our_compressed_frames_inflate_on_their_side(agreed: PerMessageDeflate) -> None:
    client = WebSocketConnection(Role.CLIENT, extensions=[agreed])
    theirs = Protocol(Side.SERVER, state=State.OPEN, max_size=None)
    theirs.extensions = [their_deflate(agreed, Side.SERVER)]
    wire = b"".join(client.send_bytes(m) for m in MESSAGES)
    wire += client.send_text("frag", final=False) + client.send_text("mented")
    theirs.receive_data(wire)
    data = [f.data for f in theirs.events_received() if isinstance(f, Frame)]
    assert data == [*MESSAGES, b"frag", b"mented"]


def test_their_client_handshake_against_our_server() -> None:
    theirs = ClientProtocol(
        parse_uri("ws://example.com/chat"),
        subprotocols=[Subprotocol("v2"), Subprotocol("v1")],
        extensions=[ClientPerMessageDeflateFactory(client_max_window_bits=12)],
    )
    request = theirs.connect()
    theirs.send_request(request)
    result = server_handshake(
        CIMultiDict(request.headers.raw_items()), protocols=["v1", "v2"], compress=True
    )
    head = "HTTP/1.1 101 Switching Protocols\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in result.headers
    )
    theirs.receive_data((head + "\r\n").encode())
    [response] = theirs.events_received()
    assert isinstance(response, Response)
    assert theirs.handshake_exc is None
    assert theirs.state is State.OPEN
    assert theirs.subprotocol == result.subprotocol == "v2"
    assert result.extensions == (PerMessageDeflate(client_max_window_bits=12),)
    assert len(theirs.extensions) == 1


@pytest.mark.parametrize(
    "compress",
    [
        pytest.param(True, id="default"),
        pytest.param(
            PerMessageDeflate(server_no_context_takeover=True, server_max_window_bits=11),
            id="demands",
        ),
    ],
)
def test_our_client_handshake_against_their_server(compress: bool | PerMessageDeflate) -> None:
    handshake = client_handshake_request(protocols=["v1", "v2"], compress=compress)
    theirs = ServerProtocol(
        subprotocols=[Subprotocol("v2")], extensions=[ServerPerMessageDeflateFactory()]
    )
    head = "GET /chat HTTP/1.1\r\nHost: example.com\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in handshake.headers
    )
    theirs.receive_data((head + "\r\n").encode())
    [request] = theirs.events_received()
    assert isinstance(request, Request)
    response = theirs.accept(request)
    assert response.status_code == 101
    result = validate_server_response(
        handshake, response.status_code, CIMultiDict(response.headers.raw_items())
    )
    assert result.subprotocol == "v2"
    assert len(result.extensions) == 1
    # The agreed terms work in both directions with their extension object.
    [their_extension] = theirs.extensions
    assert isinstance(their_extension, TheirDeflate)
    client = WebSocketConnection(Role.CLIENT, extensions=result.extensions)
    frame = Frame(TheirOpcode.TEXT, b"compressed hello " * 5).serialize(
        mask=False, extensions=[their_extension]
    )
    assert drain(client, frame) == [TextMessage("compressed hello " * 5)]

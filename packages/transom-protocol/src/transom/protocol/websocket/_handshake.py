"""The opening handshake (RFC 6455 §4), as pure functions over headers.

The server calls :func:`server_handshake` with the upgrade request's
headers and sends a 101 response with the headers it returns, or the
status and headers of the :class:`HandshakeError` it raises. The client
calls :func:`client_handshake_request`, sends its headers with a GET, and
passes the response to :func:`validate_server_response`. Neither touches
the method, target, ``Host`` or ``Origin``: the HTTP layer and the
application own those.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

from multidict import MultiMapping

from transom.protocol.websocket._deflate import PerMessageDeflate
from transom.protocol.websocket._deflate_negotiation import (
    accept_offers,
    make_offer,
    parse_response,
)
from transom.protocol.websocket._errors import HandshakeError
from transom.protocol.websocket._header_values import (
    format_extensions,
    parse_extensions,
    parse_token_list,
)

__all__ = [
    "WEBSOCKET_VERSION",
    "ClientHandshake",
    "HandshakeResult",
    "accept_key",
    "client_handshake_request",
    "server_handshake",
    "validate_server_response",
]

#: The only protocol version RFC 6455 defines (§4.1, §11.6).
WEBSOCKET_VERSION = "13"

# RFC 6455 §1.3: the GUID appended to the key before hashing.
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class HandshakeResult:
    """What an opening handshake agreed.

    Attributes:
        headers: On the server, the header fields to send with the 101
            response; empty on the client.
        subprotocol: The agreed ``Sec-WebSocket-Protocol``, or None.
        extensions: The agreed extensions, to pass on to
            ``WebSocketConnection(extensions=...)``: empty, or one
            :class:`PerMessageDeflate`.
    """

    headers: Headers
    subprotocol: str | None
    extensions: tuple[PerMessageDeflate, ...]


@dataclass(frozen=True, slots=True)
class ClientHandshake:
    """A client's upgrade request, kept to check the server's answer.

    Attributes:
        key: The ``Sec-WebSocket-Key`` sent.
        headers: The header fields to send with the GET request (``Host``
            and ``Origin`` are the caller's).
        protocols: The subprotocols offered, in order of preference.
        compress: The permessage-deflate parameters offered, or None.
    """

    key: str
    headers: Headers
    protocols: tuple[str, ...]
    compress: PerMessageDeflate | None


def accept_key(key: str) -> str:
    """Compute ``Sec-WebSocket-Accept`` for a ``Sec-WebSocket-Key`` (RFC 6455 §4.2.2)."""
    digest = hashlib.sha1((key + _GUID).encode("ascii"), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii")


def _has_token(headers: MultiMapping[str], field: str, token: str) -> bool:
    try:
        values = parse_token_list(headers.getall(field, ()), field)
    except HandshakeError:
        return False
    return any(value.lower() == token for value in values)


def _single(headers: MultiMapping[str], field: str) -> str | None:
    values = headers.getall(field, ())
    if len(values) > 1:
        raise HandshakeError(f"more than one {field} header")
    return values[0].strip(" \t") if values else None


def _offer(compress: bool | PerMessageDeflate) -> PerMessageDeflate | None:
    if compress is True:
        return PerMessageDeflate()
    return compress or None


def server_handshake(
    request_headers: MultiMapping[str],
    *,
    protocols: Sequence[str] = (),
    compress: bool | PerMessageDeflate = False,
) -> HandshakeResult:
    """Check an upgrade request and build the 101 response's headers.

    Args:
        request_headers: The request's header fields, case-insensitive
            (such as a ``CIMultiDict``).
        protocols: The subprotocols this server speaks. The first one the
            client offers that is in this list is chosen (the client lists
            them by preference, RFC 6455 §4.1); none is chosen when they
            share none.
        compress: Whether to accept permessage-deflate: True for the
            client's terms, or a :class:`PerMessageDeflate` with the
            server's own demands (no context takeover, smaller windows).

    Returns:
        The response headers, the chosen subprotocol and the agreed
        extensions.

    Raises:
        HandshakeError: 426 without ``Upgrade: websocket`` and
            ``Connection: upgrade`` or with a version other than 13 (its
            ``headers`` then name what the server supports); 400 for a
            missing or malformed ``Sec-WebSocket-Key``, a missing version,
            or malformed protocol or extension headers.
    """
    # RFC 6455 §4.2.1 items 3 and 4; RFC 9110 §15.5.22 wants an Upgrade
    # header in a 426 response.
    if not _has_token(request_headers, "Upgrade", "websocket"):
        raise HandshakeError(
            "expected Upgrade: websocket",
            status_code=426,
            headers=(("Upgrade", "websocket"), ("Connection", "Upgrade")),
        )
    if not _has_token(request_headers, "Connection", "upgrade"):
        raise HandshakeError(
            "expected Connection: upgrade",
            status_code=426,
            headers=(("Upgrade", "websocket"), ("Connection", "Upgrade")),
        )
    # Item 6 and §4.4: answer an unknown version with the ones supported.
    version = _single(request_headers, "Sec-WebSocket-Version")
    if version is None:
        raise HandshakeError("missing Sec-WebSocket-Version header")
    if version != WEBSOCKET_VERSION:
        raise HandshakeError(
            "unsupported WebSocket version",
            status_code=426,
            headers=(
                ("Upgrade", "websocket"),
                ("Sec-WebSocket-Version", WEBSOCKET_VERSION),
            ),
        )
    # Item 5: a base64-encoded 16-byte value.
    key = _single(request_headers, "Sec-WebSocket-Key")
    if key is None:
        raise HandshakeError("missing Sec-WebSocket-Key header")
    try:
        raw_key = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raw_key = b""
    if len(raw_key) != 16:
        raise HandshakeError("invalid Sec-WebSocket-Key header")

    headers: list[tuple[str, str]] = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept_key(key)),
    ]
    subprotocol = None
    offered_protocols = parse_token_list(
        request_headers.getall("Sec-WebSocket-Protocol", ()), "Sec-WebSocket-Protocol"
    )
    for protocol in offered_protocols:
        if protocol in protocols:
            subprotocol = protocol
            headers.append(("Sec-WebSocket-Protocol", protocol))
            break
    extensions: tuple[PerMessageDeflate, ...] = ()
    wanted = _offer(compress)
    if wanted is not None:
        # Read only by a server that negotiates extensions: one that does not
        # has no use for the header, malformed or not.
        offers = parse_extensions(request_headers.getall("Sec-WebSocket-Extensions", ()))
        accepted = accept_offers(offers, wanted)
        if accepted is not None:
            agreed, element = accepted
            extensions = (agreed,)
            headers.append(("Sec-WebSocket-Extensions", format_extensions([element])))
    return HandshakeResult(tuple(headers), subprotocol, extensions)


def client_handshake_request(
    *,
    protocols: Sequence[str] = (),
    compress: bool | PerMessageDeflate = False,
    key: str | None = None,
) -> ClientHandshake:
    """Build the headers of a client's upgrade request (RFC 6455 §4.1).

    Args:
        protocols: Subprotocols to offer, most preferred first; each must be
            a token.
        compress: Whether to offer permessage-deflate: True with default
            parameters, or a :class:`PerMessageDeflate` to ask for no
            context takeover or smaller windows.
        key: The ``Sec-WebSocket-Key`` to send; by default 16 random bytes,
            base64-encoded, as the RFC requires. Give one only in tests.

    Returns:
        The request to send and remember for :func:`validate_server_response`.

    Raises:
        ValueError: A subprotocol that is not a token.
    """
    if key is None:
        key = base64.b64encode(os.urandom(16)).decode("ascii")
    try:
        checked = parse_token_list(protocols, "Sec-WebSocket-Protocol")
    except HandshakeError:
        checked = []
    if len(checked) != len(protocols):
        raise ValueError("each subprotocol must be one HTTP token")
    headers: list[tuple[str, str]] = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", WEBSOCKET_VERSION),
    ]
    if protocols:
        headers.append(("Sec-WebSocket-Protocol", ", ".join(protocols)))
    offer = _offer(compress)
    if offer is not None:
        headers.append(("Sec-WebSocket-Extensions", format_extensions([make_offer(offer)])))
    return ClientHandshake(key, tuple(headers), tuple(protocols), offer)


def validate_server_response(
    handshake: ClientHandshake, status_code: int, response_headers: MultiMapping[str]
) -> HandshakeResult:
    """Check the server's answer to a client's upgrade request (RFC 6455 §4.1).

    Args:
        handshake: What :func:`client_handshake_request` returned.
        status_code: The response's status.
        response_headers: The response's header fields, case-insensitive.

    Returns:
        The agreed subprotocol and extensions (``headers`` is empty).

    Raises:
        HandshakeError: The status is not 101, ``Upgrade``, ``Connection``
            or ``Sec-WebSocket-Accept`` is wrong, or the server chose a
            subprotocol or extension that was not offered.
    """
    if status_code != 101:
        raise HandshakeError(f"expected status 101, got {status_code}")
    if not _has_token(response_headers, "Upgrade", "websocket"):
        raise HandshakeError("expected Upgrade: websocket")
    if not _has_token(response_headers, "Connection", "upgrade"):
        raise HandshakeError("expected Connection: upgrade")
    if _single(response_headers, "Sec-WebSocket-Accept") != accept_key(handshake.key):
        raise HandshakeError("invalid Sec-WebSocket-Accept header")
    chosen = parse_token_list(
        response_headers.getall("Sec-WebSocket-Protocol", ()), "Sec-WebSocket-Protocol"
    )
    if len(chosen) > 1 or (chosen and chosen[0] not in handshake.protocols):
        raise HandshakeError("server chose a subprotocol that was not offered")
    agreed = parse_response(
        parse_extensions(response_headers.getall("Sec-WebSocket-Extensions", ())),
        handshake.compress,
    )
    return HandshakeResult((), chosen[0] if chosen else None, () if agreed is None else (agreed,))

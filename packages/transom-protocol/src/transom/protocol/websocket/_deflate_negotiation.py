"""Negotiating permessage-deflate in the opening handshake (RFC 7692 §5, §7.1).

The client offers the extension with parameters; the server accepts the
first offer it can honour, answering with the parameters in force, or
declines them all by leaving the extension out of its response. The client
checks that the answer is one its offer allowed.
"""

from __future__ import annotations

from collections.abc import Sequence

from transom.protocol.websocket._deflate import PerMessageDeflate
from transom.protocol.websocket._errors import HandshakeError
from transom.protocol.websocket._header_values import Extension

__all__ = ["EXTENSION_NAME", "accept_offers", "make_offer", "parse_response"]

EXTENSION_NAME = "permessage-deflate"

_PARAMETERS = frozenset(
    {
        "server_no_context_takeover",
        "client_no_context_takeover",
        "server_max_window_bits",
        "client_max_window_bits",
    }
)
# RFC 7692 §7.1.2: the value is 8 to 15 written without leading zeros.
_WINDOW_BITS_VALUES = {str(bits): bits for bits in range(8, 16)}

_Params = dict[str, str | None]


def _read_params(params: Sequence[tuple[str, str | None]]) -> _Params | None:
    """Check one element's parameters; None when they break RFC 7692 §7.1."""
    seen: _Params = {}
    for name, value in params:
        lowered = name.lower()
        if lowered not in _PARAMETERS or lowered in seen:
            return None
        if lowered.endswith("context_takeover"):
            if value is not None:
                return None
        elif value is not None and value not in _WINDOW_BITS_VALUES:
            return None
        seen[lowered] = value
    # server_max_window_bits always carries a value (§7.1.2.1).
    if "server_max_window_bits" in seen and seen["server_max_window_bits"] is None:
        return None
    return seen


def _bits(value: str | None) -> int:
    return 15 if value is None else _WINDOW_BITS_VALUES[value]


def make_offer(wanted: PerMessageDeflate) -> Extension:
    """The client's offer for the parameters it wants.

    ``client_max_window_bits`` is always sent, bare when 15, to tell the
    server this client can use a smaller window (§7.1.2.2).
    """
    params: list[tuple[str, str | None]] = []
    if wanted.server_no_context_takeover:
        params.append(("server_no_context_takeover", None))
    if wanted.client_no_context_takeover:
        params.append(("client_no_context_takeover", None))
    if wanted.server_max_window_bits < 15:
        params.append(("server_max_window_bits", str(wanted.server_max_window_bits)))
    client_bits = wanted.client_max_window_bits
    params.append(("client_max_window_bits", None if client_bits == 15 else str(client_bits)))
    return EXTENSION_NAME, tuple(params)


def accept_offers(
    offers: Sequence[Extension], wanted: PerMessageDeflate
) -> tuple[PerMessageDeflate, Extension] | None:
    """Pick the first permessage-deflate offer the server can accept.

    An offer is declined (never an error, RFC 7692 §5) when it has an
    unknown, repeated or invalid parameter, or asks the server for a
    256-byte window, which zlib cannot compress with.

    Args:
        offers: The client's ``Sec-WebSocket-Extensions``, parsed.
        wanted: The server's own preferences: no context takeover on either
            side, or smaller windows.

    Returns:
        The agreed parameters and the response element, or None when every
        offer was declined.
    """
    for name, raw_params in offers:
        if name.lower() != EXTENSION_NAME:
            continue
        params = _read_params(raw_params)
        if params is None:
            continue
        server_bits = min(
            _bits(params.get("server_max_window_bits")), wanted.server_max_window_bits
        )
        if server_bits == 8:
            continue
        response: list[tuple[str, str | None]] = []
        server_no_takeover = (
            "server_no_context_takeover" in params or wanted.server_no_context_takeover
        )
        client_no_takeover = (
            "client_no_context_takeover" in params or wanted.client_no_context_takeover
        )
        if server_no_takeover:
            response.append(("server_no_context_takeover", None))
        if client_no_takeover:
            response.append(("client_no_context_takeover", None))
        # An offered server_max_window_bits is accepted only by echoing a
        # value at most as large (§7.1.2.1); the server may also send it
        # unasked to shrink its own window.
        if "server_max_window_bits" in params or server_bits < 15:
            response.append(("server_max_window_bits", str(server_bits)))
        client_bits = 15
        if "client_max_window_bits" in params:
            client_bits = min(
                _bits(params["client_max_window_bits"]), wanted.client_max_window_bits
            )
            if client_bits < 15:
                response.append(("client_max_window_bits", str(client_bits)))
        # Without client_max_window_bits in the offer the response must not
        # limit the client's window (§7.1.2.2); the server inflates with 15.
        agreed = PerMessageDeflate(
            server_no_context_takeover=server_no_takeover,
            client_no_context_takeover=client_no_takeover,
            server_max_window_bits=server_bits,
            client_max_window_bits=client_bits,
        )
        return agreed, (EXTENSION_NAME, tuple(response))
    return None


def parse_response(
    response: Sequence[Extension], offered: PerMessageDeflate | None
) -> PerMessageDeflate | None:
    """Check the server's ``Sec-WebSocket-Extensions`` against the offer.

    Args:
        response: The server's extensions, parsed.
        offered: What the client offered (see :func:`make_offer`), or None
            when it offered nothing.

    Returns:
        The agreed parameters, or None when the server declined.

    Raises:
        HandshakeError: The server accepted an extension that was not
            offered, accepted permessage-deflate twice, or answered with
            parameters the offer does not allow (RFC 7692 §7.1).
    """
    if not response:
        return None
    if offered is None or len(response) > 1 or response[0][0].lower() != EXTENSION_NAME:
        raise HandshakeError("server accepted an extension that was not offered")
    params = _read_params(response[0][1])
    if params is None:
        raise HandshakeError("invalid permessage-deflate parameters from server")
    if offered.server_no_context_takeover and "server_no_context_takeover" not in params:
        raise HandshakeError("server did not accept server_no_context_takeover")
    server_bits = _bits(params.get("server_max_window_bits"))
    if offered.server_max_window_bits < 15 and (
        "server_max_window_bits" not in params or server_bits > offered.server_max_window_bits
    ):
        raise HandshakeError("server_max_window_bits does not match the offer")
    client_bits = offered.client_max_window_bits
    if "client_max_window_bits" in params:
        value = params["client_max_window_bits"]
        # In a response the parameter must carry a value, no larger than
        # the one offered (§7.1.2.2).
        if value is None or _bits(value) > client_bits:
            raise HandshakeError("client_max_window_bits does not match the offer")
        client_bits = _bits(value)
    return PerMessageDeflate(
        server_no_context_takeover="server_no_context_takeover" in params,
        client_no_context_takeover=(
            "client_no_context_takeover" in params or offered.client_no_context_takeover
        ),
        server_max_window_bits=server_bits,
        client_max_window_bits=client_bits,
    )

"""Payload masking (RFC 6455 §5.3).

Masking XORs the payload with a 4-byte key repeated. It is its own inverse,
so one function both masks and unmasks. The compiled extension of
transom-protocol does it eight bytes at a time when it is built. Python has
no vectorised XOR on bytes, so the pure-Python path uses two strategies, each
the faster one in its range (both measured by
``benchmarks/bench_websocket_frames.py``):

- short payloads: read payload and repeated key as two big integers, XOR
  them, write the result back. ``int.from_bytes`` costs O(n) with a large
  constant, so this loses past about a kilobyte. Up to 127 bytes (every
  control frame, most chat and RPC messages) the repeated key is made by
  one multiplication with a precomputed integer instead of from bytes.
- long payloads: the bytes at positions ``i, i+4, i+8, ...`` are all XORed
  with the same key byte ``key[i]``, which is exactly what ``bytes.translate``
  with a 256-byte table does. Four strided slices, four translations and
  four strided assignments run at C speed.
"""

from __future__ import annotations

from collections.abc import Callable

from transom.protocol._extensions import speedups

__all__ = ["apply_mask"]

# Below this length the integer method wins, above it the translation tables.
_TRANSLATE_THRESHOLD = 1024

# Below this length the repeated key comes from the tables below.
_SMALL = 128
# _REPEAT[n] has a 1 at the start of every 4-byte slot of an n-byte integer
# (little-endian), so key * _REPEAT[n] is the key repeated, with no carries;
# _LOW[n] keeps the n low bytes.
_REPEAT = tuple(sum(1 << (32 * i) for i in range((n + 3) // 4)) for n in range(_SMALL))
_LOW = tuple((1 << (8 * n)) - 1 for n in range(_SMALL))

# _XOR_TABLES[k] maps every byte b to b ^ k.
_XOR_TABLES = tuple(bytes(b ^ k for b in range(256)) for k in range(256))


def _apply_mask(payload: bytes | bytearray, key: bytes | bytearray) -> bytes:
    """Return ``payload`` XORed with the 4-byte ``key`` repeated.

    Args:
        payload: The bytes to mask or unmask.
        key: The 4-byte masking key.

    Returns:
        A new ``bytes`` object of the same length.
    """
    length = len(payload)
    if length < _SMALL:
        key_repeated = int.from_bytes(key, "little") * _REPEAT[length]
        masked = (int.from_bytes(payload, "little") ^ key_repeated) & _LOW[length]
        return masked.to_bytes(length, "little")
    if length < _TRANSLATE_THRESHOLD:
        repeated = (key * ((length >> 2) + 1))[:length]
        masked = int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")
        return masked.to_bytes(length, "little")
    out = bytearray(length)
    tables = _XOR_TABLES
    out[0::4] = payload[0::4].translate(tables[key[0]])
    out[1::4] = payload[1::4].translate(tables[key[1]])
    out[2::4] = payload[2::4].translate(tables[key[2]])
    out[3::4] = payload[3::4].translate(tables[key[3]])
    return bytes(out)


apply_mask: Callable[[bytes | bytearray, bytes | bytearray], bytes] = (
    _apply_mask if speedups is None else speedups.apply_mask
)

import gzip
import itertools
import tracemalloc
import zlib
from collections.abc import Callable

import brotli
import pytest
from backports import zstd
from hypothesis import given, settings
from hypothesis import strategies as st

from transom.protocol import RemoteProtocolError
from transom.protocol.compression import (
    DEFAULT_MAX_CODINGS,
    DEFAULT_MAX_DECOMPRESSED_SIZE,
    Decoder,
    DecodingError,
    DecompressionLimitError,
    UnsupportedEncodingError,
    make_decoder,
)

TEXT = b"The quick brown fox jumps over the lazy dog. " * 200


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


# Each coding's bytes come from an independent encoder, not from ours.
ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": zstd.compress,
}
VECTORS = [
    pytest.param("gzip", gzip.compress(TEXT), TEXT, id="gzip"),
    pytest.param("GZIP", gzip.compress(TEXT), TEXT, id="gzip-uppercase"),
    pytest.param("x-gzip", gzip.compress(TEXT), TEXT, id="x-gzip"),
    pytest.param("gzip", gzip.compress(b"a") + gzip.compress(b"b"), b"ab", id="gzip-two-members"),
    pytest.param("gzip", gzip.compress(b""), b"", id="gzip-empty-content"),
    pytest.param("deflate", zlib.compress(TEXT), TEXT, id="deflate-zlib"),
    pytest.param("deflate", raw_deflate(TEXT), TEXT, id="deflate-raw"),
    pytest.param("deflate", zlib.compress(b""), b"", id="deflate-zlib-empty"),
    pytest.param("deflate", raw_deflate(b"x"), b"x", id="deflate-raw-one-byte"),
    pytest.param("br", brotli.compress(TEXT), TEXT, id="br"),
    pytest.param("br", brotli.compress(b""), b"", id="br-empty-content"),
    pytest.param("zstd", zstd.compress(TEXT), TEXT, id="zstd"),
    pytest.param("zstd", zstd.compress(b"a") + zstd.compress(b"b"), b"ab", id="zstd-two-frames"),
    pytest.param("identity", TEXT, TEXT, id="identity"),
    pytest.param("", TEXT, TEXT, id="no-coding"),
    pytest.param(" , identity ,", TEXT, TEXT, id="identity-with-empty-elements"),
    pytest.param("gzip, br", brotli.compress(gzip.compress(TEXT)), TEXT, id="gzip-then-br"),
    pytest.param("identity, deflate, ,gzip", gzip.compress(zlib.compress(TEXT)), TEXT, id="stack"),
]


def decode_all(decoder: Decoder, chunks: list[bytes]) -> bytes:
    return b"".join(decoder.decompress(chunk) for chunk in chunks) + decoder.flush()


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    return [data[start:end] for start, end in itertools.pairwise(points)]


@pytest.mark.parametrize(("coding", "encoded", "expected"), VECTORS)
def test_each_coding_decodes_in_one_chunk(coding: str, encoded: bytes, expected: bytes) -> None:
    decoder = make_decoder(coding)

    assert decode_all(decoder, [encoded]) == expected
    assert decoder.eof


@pytest.mark.parametrize(("coding", "encoded", "expected"), VECTORS)
def test_each_coding_decodes_byte_by_byte(coding: str, encoded: bytes, expected: bytes) -> None:
    chunks = [encoded[index : index + 1] for index in range(len(encoded))]
    assert decode_all(make_decoder(coding), chunks) == expected


@given(
    st.sampled_from(sorted(ENCODERS)),
    st.binary(max_size=2000),
    st.lists(st.integers(min_value=0), max_size=8),
)
@settings(max_examples=200)
def test_arbitrary_chunking_does_not_change_the_result(
    coding: str, body: bytes, cuts: list[int]
) -> None:
    encoded = ENCODERS[coding](body)
    assert decode_all(make_decoder(coding), split(encoded, cuts)) == body


@given(st.binary(max_size=500), st.lists(st.integers(min_value=0), max_size=6))
@settings(max_examples=100)
def test_raw_deflate_decodes_whatever_its_first_bytes_look_like(
    body: bytes, cuts: list[int]
) -> None:
    encoded = raw_deflate(body)
    assert decode_all(make_decoder("deflate"), split(encoded, cuts)) == body


def test_empty_chunks_are_harmless() -> None:
    decoder = make_decoder("gzip")
    encoded = gzip.compress(TEXT)
    assert decode_all(decoder, [b"", encoded[:10], b"", encoded[10:], b""]) == TEXT


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd", "gzip, br"])
def test_an_empty_body_decodes_to_nothing(coding: str) -> None:
    decoder = make_decoder(coding)
    assert decoder.flush() == b""


def test_eof_turns_true_when_the_stream_ends() -> None:
    encoded = zlib.compress(TEXT)
    decoder = make_decoder("deflate")

    decoder.decompress(encoded[:-1])
    assert not decoder.eof
    decoder.decompress(encoded[-1:])
    assert decoder.eof


GZIP_TEXT = gzip.compress(TEXT)
BAD_CRC = GZIP_TEXT[:-8] + bytes([GZIP_TEXT[-8] ^ 0xFF]) + GZIP_TEXT[-7:]
MALFORMED = [
    pytest.param("gzip", b"not gzip at all", "gzip data is corrupt", id="gzip-bad-magic"),
    pytest.param("gzip", BAD_CRC, "gzip data is corrupt", id="gzip-bad-crc"),
    pytest.param("gzip", GZIP_TEXT[:-3], "ended before its end marker", id="gzip-truncated"),
    pytest.param("gzip", GZIP_TEXT[:5], "ended before its end marker", id="gzip-header-only"),
    pytest.param("gzip", GZIP_TEXT + b"junk", "gzip data is corrupt", id="gzip-trailing-junk"),
    pytest.param("gzip", GZIP_TEXT + b"\x1f", "ended before", id="gzip-trailing-partial-member"),
    pytest.param("deflate", b"\xff\xff\xff\xff", "deflate data is corrupt", id="deflate-junk"),
    pytest.param("deflate", b"x", "ended before its end marker", id="deflate-one-byte"),
    pytest.param(
        "deflate", zlib.compress(TEXT)[:-1], "ended before its end marker", id="deflate-truncated"
    ),
    pytest.param(
        "deflate",
        zlib.compress(TEXT) + b"x",
        "data after the end of the deflate stream",
        id="deflate-trailing-data",
    ),
    pytest.param(
        "deflate",
        zlib.compress(TEXT)[:-1] + bytes([zlib.compress(TEXT)[-1] ^ 1]),
        "deflate data is corrupt",
        id="deflate-bad-adler32",
    ),
    pytest.param("br", b"\xff\xff\xff\xff\xff\xff", "br data is corrupt", id="br-junk"),
    pytest.param(
        "br", brotli.compress(TEXT)[:-2], "ended before its end marker", id="br-truncated"
    ),
    pytest.param("br", brotli.compress(b"x") + b"junk", "br data is corrupt", id="br-trailing"),
    pytest.param("zstd", b"not zstd at all", "zstd data is corrupt", id="zstd-junk"),
    pytest.param(
        "zstd", zstd.compress(TEXT)[:-2], "ended before its end marker", id="zstd-truncated"
    ),
    pytest.param(
        "zstd", zstd.compress(TEXT) + b"junk!", "zstd data is corrupt", id="zstd-trailing-junk"
    ),
    pytest.param(
        "gzip, br", brotli.compress(b"not gzip"), "gzip data is corrupt", id="stack-inner-corrupt"
    ),
]


@pytest.mark.parametrize(("coding", "encoded", "reason"), MALFORMED)
def test_malformed_data_raises_decoding_error(coding: str, encoded: bytes, reason: str) -> None:
    decoder = make_decoder(coding)

    with pytest.raises(DecodingError, match=reason) as caught:
        decode_all(decoder, [encoded])
    assert caught.value.status_code == 400
    assert isinstance(caught.value, RemoteProtocolError)


@pytest.mark.parametrize(("coding", "encoded", "reason"), MALFORMED)
def test_malformed_data_raises_decoding_error_when_fed_in_pieces(
    coding: str, encoded: bytes, reason: str
) -> None:
    chunks = [encoded[index : index + 3] for index in range(0, len(encoded), 3)]
    with pytest.raises(DecodingError):
        decode_all(make_decoder(coding), chunks)


def test_zstd_frame_needing_a_window_over_8_mib_is_refused() -> None:
    # RFC 9659: a "zstd" content-coding never needs more than an 8 MiB window.
    options: dict[int, int] = {
        zstd.CompressionParameter.window_log: 25,
        zstd.CompressionParameter.compression_level: 1,
    }
    encoded = zstd.compress(b"\0" * (32 << 20), options=options)

    with pytest.raises(DecodingError, match="zstd data is corrupt"):
        make_decoder("zstd", max_size=None).decompress(encoded)


BOMB_CODINGS = ["gzip", "deflate", "br", "zstd"]


def bomb(coding: str, size: int) -> bytes:
    block = b"\0" * (1 << 20)
    if coding == "br":
        compressor = brotli.Compressor(quality=1)
        pieces = [compressor.process(block) for _ in range(size >> 20)]
        pieces.append(compressor.finish())
        return b"".join(pieces)
    if coding == "zstd":
        zstd_compressor = zstd.ZstdCompressor(level=1)
        body = b"".join(zstd_compressor.compress(block) for _ in range(size >> 20))
        return body + zstd_compressor.flush()
    wbits = 31 if coding == "gzip" else 15
    zlib_compressor = zlib.compressobj(1, zlib.DEFLATED, wbits)
    body = b"".join(zlib_compressor.compress(block) for _ in range(size >> 20))
    return body + zlib_compressor.flush()


@pytest.mark.parametrize("coding", BOMB_CODINGS)
def test_output_passing_the_cap_raises_413_during_decompress(coding: str) -> None:
    decoder = make_decoder(coding, max_size=1 << 20)

    with pytest.raises(DecompressionLimitError, match=f"decoded {coding} body is larger") as caught:
        decoder.decompress(bomb(coding, 8 << 20))
    assert caught.value.status_code == 413
    assert isinstance(caught.value, RemoteProtocolError)


@pytest.mark.parametrize("coding", BOMB_CODINGS)
def test_a_bomb_costs_about_the_cap_in_memory_not_its_full_size(coding: str) -> None:
    encoded = bomb(coding, 128 << 20)
    decoder = make_decoder(coding, max_size=2 << 20)

    tracemalloc.start()
    try:
        with pytest.raises(DecompressionLimitError):
            decoder.decompress(encoded)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


@pytest.mark.parametrize("coding", BOMB_CODINGS)
def test_the_cap_is_exact(coding: str) -> None:
    encoded = ENCODERS[coding](TEXT)

    assert decode_all(make_decoder(coding, max_size=len(TEXT)), [encoded]) == TEXT
    with pytest.raises(DecompressionLimitError):
        decode_all(make_decoder(coding, max_size=len(TEXT) - 1), [encoded])


@pytest.mark.parametrize("coding", BOMB_CODINGS)
def test_the_cap_counts_across_chunks_and_raises_at_the_chunk_that_passes_it(
    coding: str,
) -> None:
    encoded = ENCODERS[coding](TEXT)
    decoder = make_decoder(coding, max_size=len(TEXT) // 2)
    received = 0

    for index in range(0, len(encoded), 16):
        try:
            received += len(decoder.decompress(encoded[index : index + 16]))
        except DecompressionLimitError:
            break
    else:
        pytest.fail("the cap was never passed")
    assert received <= len(TEXT) // 2


def test_a_stack_caps_every_stage() -> None:
    # The outer br layer alone decodes to a gzip stream of about 64 KiB.
    inner = bomb("gzip", 64 << 20)
    encoded = brotli.compress(inner, quality=1)
    decoder = make_decoder("gzip, br", max_size=16 << 10)

    with pytest.raises(DecompressionLimitError, match="decoded br body"):
        decoder.decompress(encoded)


def test_no_cap_decodes_past_the_default() -> None:
    size = DEFAULT_MAX_DECOMPRESSED_SIZE + (1 << 20)
    decoder = make_decoder("zstd", max_size=None)
    assert len(decode_all(decoder, [bomb("zstd", size)])) == size


def test_identity_passes_bytes_through_without_a_cap() -> None:
    decoder = make_decoder("identity", max_size=1)
    assert decoder.decompress(b"more than one byte") == b"more than one byte"
    assert decoder.eof


@pytest.mark.parametrize(
    ("content_encoding", "reason"),
    [
        ("compress", "unsupported content-coding 'compress'"),
        ("x-compress", "unsupported content-coding 'x-compress'"),
        ("gzip, bogus", "unsupported content-coding 'bogus'"),
        ("*", "unsupported content-coding '\\*'"),
        ("a" * 100, "unsupported content-coding 'aaaa"),
        (", ".join(["gzip"] * (DEFAULT_MAX_CODINGS + 1)), "more than 5 content-codings"),
    ],
)
def test_unsupported_codings_raise_415(content_encoding: str, reason: str) -> None:
    with pytest.raises(UnsupportedEncodingError, match=reason) as caught:
        make_decoder(content_encoding)
    assert caught.value.status_code == 415
    assert len(caught.value.reason) < 100


def test_stack_depth_limit_can_be_raised() -> None:
    encoded = gzip.compress(gzip.compress(gzip.compress(b"deep")))
    with pytest.raises(UnsupportedEncodingError):
        make_decoder("gzip, gzip, gzip", max_codings=2)
    assert decode_all(make_decoder("gzip, gzip, gzip", max_codings=3), [encoded]) == b"deep"

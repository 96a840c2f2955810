import gzip
import zlib
from collections.abc import Callable

import brotli
import pytest
from backports import zstd
from hypothesis import given, settings
from hypothesis import strategies as st

from transom.protocol import LocalProtocolError
from transom.protocol.compression import (
    DEFAULT_BROTLI_QUALITY,
    DEFAULT_GZIP_LEVEL,
    DEFAULT_ZSTD_LEVEL,
    EncodingError,
    make_decoder,
    make_encoder,
)

TEXT = b"The quick brown fox jumps over the lazy dog. " * 200
CODINGS = ["gzip", "deflate", "br", "zstd", "identity"]
# Independent decoders check that our output is what each format's own
# library expects; deflate must be the zlib format (RFC 9110 §8.4.1.2).
REFERENCE_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
    "br": brotli.decompress,
    "zstd": zstd.decompress,
    "identity": bytes,
}

# A body as a list of pieces, each followed by a flush or not.
pieces = st.lists(st.tuples(st.binary(max_size=300), st.booleans()), max_size=6)


def encode(coding: str, body: list[tuple[bytes, bool]], level: int | None = None) -> bytes:
    encoder = make_encoder(coding, level=level)
    output = []
    for piece, flush in body:
        output.append(encoder.compress(piece))
        if flush:
            output.append(encoder.flush())
    output.append(encoder.finish())
    return b"".join(output)


@pytest.mark.parametrize("coding", CODINGS)
def test_output_is_what_the_formats_reference_library_reads(coding: str) -> None:
    assert REFERENCE_DECODERS[coding](encode(coding, [(TEXT, False)])) == TEXT


@given(st.sampled_from(CODINGS), pieces, st.data())
@settings(max_examples=200)
def test_encode_then_decode_is_identity(
    coding: str, body: list[tuple[bytes, bool]], data: st.DataObject
) -> None:
    encoded = encode(coding, body)
    cut = data.draw(st.integers(min_value=0, max_value=len(encoded)))
    decoder = make_decoder(coding)

    decoded = decoder.decompress(encoded[:cut]) + decoder.decompress(encoded[cut:])
    decoded += decoder.flush()
    assert decoded == b"".join(piece for piece, _ in body)
    assert REFERENCE_DECODERS[coding](encoded) == decoded


@pytest.mark.parametrize("coding", CODINGS)
def test_flush_makes_everything_given_so_far_decodable(coding: str) -> None:
    encoder = make_encoder(coding)
    decoder = make_decoder(coding)

    first = encoder.compress(b"event: one\n\n") + encoder.flush()
    assert decoder.decompress(first) == b"event: one\n\n"
    second = encoder.compress(b"event: two\n\n") + encoder.flush()
    assert decoder.decompress(second) == b"event: two\n\n"
    assert decoder.decompress(encoder.finish()) + decoder.flush() == b""


@pytest.mark.parametrize(
    ("coding", "level"),
    [("gzip", 0), ("gzip", 9), ("deflate", 1), ("br", 0), ("br", 11), ("zstd", -5), ("zstd", 19)],
)
def test_every_level_in_range_round_trips(coding: str, level: int) -> None:
    assert REFERENCE_DECODERS[coding](encode(coding, [(TEXT, True)], level=level)) == TEXT


def test_higher_levels_compress_better() -> None:
    fast = encode("gzip", [(TEXT, False)], level=1)
    assert len(encode("gzip", [(TEXT, False)], level=DEFAULT_GZIP_LEVEL)) <= len(fast)
    assert len(encode("br", [(TEXT, False)], level=DEFAULT_BROTLI_QUALITY)) < len(TEXT) // 10
    assert len(encode("zstd", [(TEXT, False)], level=DEFAULT_ZSTD_LEVEL)) < len(TEXT) // 10


def test_the_highest_zstd_level_stays_within_the_8_mib_window() -> None:
    # RFC 9659: our decoder refuses windows over 8 MiB, so if level 22 used
    # its native 128 MiB window on a body this size, decoding would fail.
    body = bytes(range(256)) * (40 << 10)
    encoded = encode("zstd", [(body, False)], level=22)
    decoder = make_decoder("zstd", max_size=None)
    assert decoder.decompress(encoded) + decoder.flush() == body


def test_x_gzip_and_case_are_accepted() -> None:
    assert gzip.decompress(encode("X-GZIP", [(b"abc", False)])) == b"abc"


@pytest.mark.parametrize(
    ("coding", "level", "reason"),
    [
        ("compress", None, "unsupported content-coding 'compress'"),
        ("", None, "unsupported content-coding ''"),
        ("gzip, br", None, "unsupported content-coding"),
        ("gzip", 10, "gzip level must be between 0 and 9"),
        ("deflate", -2, "deflate level must be between 0 and 9"),
        ("gzip", True, "gzip level must be between 0 and 9"),
        ("br", 12, "br level must be between 0 and 11"),
        ("zstd", 23, "zstd level must be between"),
    ],
)
def test_an_encoder_that_cannot_be_made_raises_encoding_error(
    coding: str, level: int | None, reason: str
) -> None:
    with pytest.raises(EncodingError, match=reason) as caught:
        make_encoder(coding, level=level)
    assert caught.value.status_code == 500
    assert isinstance(caught.value, LocalProtocolError)


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_a_finished_encoder_refuses_further_use(coding: str) -> None:
    encoder = make_encoder(coding)
    encoder.finish()

    with pytest.raises(EncodingError, match="already finished"):
        encoder.compress(b"late")
    with pytest.raises(EncodingError, match="already finished"):
        encoder.flush()
    with pytest.raises(EncodingError, match="already finished"):
        encoder.finish()

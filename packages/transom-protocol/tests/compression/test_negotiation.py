import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transom.protocol.compression import (
    available_encodings,
    negotiate_encoding,
    parse_accept_encoding,
)

SERVER = ("br", "zstd", "gzip", "deflate")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", (("gzip", 1.0),)),
        ("gzip, deflate, br, zstd", (("gzip", 1.0), ("deflate", 1.0), ("br", 1.0), ("zstd", 1.0))),
        ("br;q=0.8, gzip;q=0.5", (("br", 0.8), ("gzip", 0.5))),
        ("GZIP ; Q=0.5", (("gzip", 0.5),)),
        ("x-gzip", (("gzip", 1.0),)),
        ("*;q=0", (("*", 0.0),)),
        ("identity;q=1.000", (("identity", 1.0),)),
        ("gzip;q=0.", (("gzip", 0.0),)),
        ("gzip;q=1.", (("gzip", 1.0),)),
        ("gzip;q=0.001", (("gzip", 0.001),)),
        # An invalid qvalue counts as 0: never accept what may be unwanted.
        ("gzip;q=abc", (("gzip", 0.0),)),
        ("gzip;q=1.5", (("gzip", 0.0),)),
        ("gzip;q=1.001", (("gzip", 0.0),)),
        ("gzip;q=0.0001", (("gzip", 0.0),)),
        ("gzip;q=-1", (("gzip", 0.0),)),
        ("gzip;q=", (("gzip", 0.0),)),
        ("gzip;q=\u0661", (("gzip", 0.0),)),
        # Other parameters are ignored.
        ("gzip;level=9", (("gzip", 1.0),)),
        ("gzip;level=9;q=0.3", (("gzip", 0.3),)),
        # Elements that are not tokens are skipped.
        ("gz ip, br", (("br", 1.0),)),
        (", , br ,", (("br", 1.0),)),
        ("", ()),
        (";q=0.5", ()),
    ],
)
def test_accept_encoding_is_parsed(header: str, expected: tuple[tuple[str, float], ...]) -> None:
    assert parse_accept_encoding(header) == expected


@pytest.mark.parametrize(
    ("header", "available", "expected"),
    [
        (None, SERVER, None),
        ("", SERVER, None),
        ("gzip", SERVER, "gzip"),
        ("gzip, deflate, br, zstd", SERVER, "br"),
        ("gzip, deflate, br, zstd", ("gzip", "br"), "gzip"),
        ("br;q=0.5, gzip", SERVER, "gzip"),
        ("br;q=0.5, gzip;q=0.4", SERVER, "br"),
        ("*", SERVER, "br"),
        ("*", ("gzip",), "gzip"),
        ("*;q=0", SERVER, None),
        ("gzip;q=0", SERVER, None),
        ("gzip;q=0, *", SERVER, "br"),
        ("br;q=0, *;q=0.5", SERVER, "zstd"),
        ("br;q=0, br", SERVER, None),
        ("identity;q=0, gzip;q=0", SERVER, None),
        ("x-gzip", SERVER, "gzip"),
        ("X-GZIP;q=0.5", ("GZIP",), "gzip"),
        ("gzip;q=abc", SERVER, None),
        ("gzip;q=1.5", SERVER, None),
        # An unlisted identity is the fallback, below any acceptable coding.
        ("gzip;q=0.001", SERVER, "gzip"),
        # A listed identity competes like any coding.
        ("identity, gzip;q=0.5", SERVER, None),
        ("identity;q=0.4, gzip;q=0.5", SERVER, "gzip"),
        ("gzip, identity", ("identity", "gzip"), None),
        ("gzip, identity", ("gzip", "identity"), "gzip"),
        ("*;q=0.5, gzip;q=0.4", ("identity", "gzip"), None),
        ("compress, gzip;q=0.1", SERVER, "gzip"),
        ("br", (), None),
        ("gzip", ("identity",), None),
    ],
)
def test_the_best_acceptable_coding_is_chosen(
    header: str | None, available: tuple[str, ...], expected: str | None
) -> None:
    assert negotiate_encoding(header, available) == expected


def test_default_available_codings_are_this_installations() -> None:
    assert available_encodings() == ("br", "zstd", "gzip", "deflate")
    assert negotiate_encoding("gzip, deflate, br, zstd") == "br"
    assert negotiate_encoding("zstd, gzip") == "zstd"


@given(
    st.text(alphabet=st.sampled_from(list("gzipbrdeflatstdy*;q=0.1, \t")), max_size=60),
    st.lists(st.sampled_from(["br", "zstd", "gzip", "deflate", "identity"]), unique=True),
)
@settings(max_examples=200)
def test_negotiation_never_chooses_a_refused_or_unavailable_coding(
    header: str, available: list[str]
) -> None:
    chosen = negotiate_encoding(header, available)
    weights: dict[str, float] = {}
    for coding, weight in parse_accept_encoding(header):
        weights.setdefault(coding, weight)

    if chosen is not None:
        assert chosen in available
        assert chosen != "identity"
        assert weights.get(chosen, weights.get("*", 0.0)) > 0


@given(st.text(max_size=80))
@settings(max_examples=200)
def test_parsing_arbitrary_text_never_raises(header: str) -> None:
    for _, weight in parse_accept_encoding(header):
        assert 0.0 <= weight <= 1.0

import sys
import types

import pytest

import transom.protocol.compression as compression_package
from transom.protocol.compression import (
    EncodingError,
    UnsupportedEncodingError,
    available_encodings,
    make_decoder,
    make_encoder,
    negotiate_encoding,
)

ZSTD_MODULE = "compression.zstd" if sys.version_info >= (3, 14) else "backports.zstd"


@pytest.fixture
def without_brotli(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes "import brotli" raise ImportError.
    monkeypatch.setitem(sys.modules, "brotli", None)


@pytest.fixture
def without_zstd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, ZSTD_MODULE, None)


def test_both_optional_libraries_are_used_when_installed() -> None:
    assert {"br", "zstd"} <= set(available_encodings())
    assert make_decoder("br") is not None
    assert make_encoder("zstd") is not None


@pytest.mark.usefixtures("without_brotli")
def test_br_without_brotli_is_unsupported_with_a_hint_to_install_it() -> None:
    with pytest.raises(UnsupportedEncodingError, match=r"install transom-protocol\[brotli\]"):
        make_decoder("br")
    with pytest.raises(UnsupportedEncodingError, match="brotli"):
        make_decoder("gzip, br")
    with pytest.raises(EncodingError, match=r"install transom-protocol\[brotli\]"):
        make_encoder("br")
    assert available_encodings() == ("zstd", "gzip", "deflate")
    assert negotiate_encoding("br, gzip") == "gzip"


@pytest.mark.usefixtures("without_zstd")
def test_zstd_without_its_module_is_unsupported_with_a_hint_to_install_it() -> None:
    with pytest.raises(UnsupportedEncodingError, match=r"install transom-protocol\[zstd\]"):
        make_decoder("zstd")
    with pytest.raises(EncodingError, match=r"install transom-protocol\[zstd\]"):
        make_encoder("zstd")
    assert available_encodings() == ("br", "gzip", "deflate")
    assert negotiate_encoding("zstd, deflate") == "deflate"


@pytest.mark.usefixtures("without_brotli", "without_zstd")
def test_gzip_and_deflate_need_nothing_optional() -> None:
    assert available_encodings() == ("gzip", "deflate")
    encoder = make_encoder("gzip")
    decoder = make_decoder("gzip")
    assert decoder.decompress(encoder.compress(b"abc") + encoder.finish()) == b"abc"


def test_brotli_older_than_1_2_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Before 1.2, brotli could not limit its output, so the cap could not hold.
    old = types.ModuleType("brotli")

    class Decompressor:
        def process(self, data: bytes) -> bytes:
            return data

    old.Decompressor = Decompressor  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "brotli", old)

    with pytest.raises(UnsupportedEncodingError, match=r"brotli>=1\.2"):
        make_decoder("br")
    assert "br" not in available_encodings()


def test_every_public_name_is_exported() -> None:
    public = {
        name
        for name, value in vars(compression_package).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(compression_package.__all__) == public
    assert len(set(compression_package.__all__)) == len(compression_package.__all__)

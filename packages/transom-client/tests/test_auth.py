"""BasicAuth: encoding, decoding and URL credentials."""

from __future__ import annotations

import pytest
from yarl import URL

from transom.client import BasicAuth


def test_encode_and_decode_round_trip() -> None:
    auth = BasicAuth("aladdin", "open sesame")
    assert auth.encode() == "Basic YWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    assert BasicAuth.decode(auth.encode()) == auth


def test_non_latin1_credentials_use_the_given_encoding() -> None:
    auth = BasicAuth("j\u00fcrgen", "\u20ac", encoding="utf-8")
    assert BasicAuth.decode(auth.encode(), encoding="utf-8") == auth


def test_colon_in_login_is_refused() -> None:
    with pytest.raises(ValueError, match="RFC 7617"):
        BasicAuth("a:b", "c")


@pytest.mark.parametrize("header", ["Bearer xyz", "Basic !!!", "Basic", "Basic bm9jb2xvbg=="])
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        BasicAuth.decode(header)


def test_from_url_reads_user_info() -> None:
    assert BasicAuth.from_url(URL("http://u:p%40ss@h/")) == BasicAuth("u", "p@ss")
    assert BasicAuth.from_url(URL("http://h/")) is None

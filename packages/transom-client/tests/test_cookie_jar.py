"""CookieJar: RFC 6265 storage and retrieval, persistence, and the dummy jar."""

from __future__ import annotations

import pathlib
import time
from http.cookies import SimpleCookie

import pytest
from yarl import URL

from transom.client import CookieJar, DummyCookieJar


def store(jar: CookieJar, url: str, *headers: str) -> None:
    jar.update_cookies_from_headers(list(headers), URL(url))


def sent(jar: CookieJar, url: str) -> str:
    return jar.cookie_header(URL(url))


def test_host_only_cookie_is_sent_to_its_host_but_not_subdomains() -> None:
    jar = CookieJar()
    store(jar, "http://example.com/", "a=1")
    assert sent(jar, "http://example.com/") == "a=1"
    assert sent(jar, "http://www.example.com/") == ""


def test_domain_cookie_is_sent_to_subdomains() -> None:
    jar = CookieJar()
    store(jar, "http://www.example.com/", "a=1; Domain=example.com")
    assert sent(jar, "http://example.com/") == "a=1"
    assert sent(jar, "http://api.example.com/") == "a=1"
    assert sent(jar, "http://badexample.com/") == ""


def test_domain_that_does_not_match_the_host_is_refused() -> None:
    jar = CookieJar()
    store(jar, "http://example.com/", "a=1; Domain=other.org")
    assert len(jar) == 0


def test_path_matching_and_default_path() -> None:
    jar = CookieJar()
    store(jar, "http://h.test/docs/page", "default=1", "root=2; Path=/", "api=3; Path=/api")
    assert sent(jar, "http://h.test/docs/other") == "default=1; root=2"
    assert sent(jar, "http://h.test/api/x") == "api=3; root=2"
    assert sent(jar, "http://h.test/apix") == "root=2"


def test_longer_paths_are_sent_first() -> None:
    jar = CookieJar()
    store(jar, "http://h.test/", "a=root; Path=/", "a=deep; Path=/x/y")
    assert sent(jar, "http://h.test/x/y/z") == "a=deep; a=root"
    assert jar.filter_cookies(URL("http://h.test/x/y/z"))["a"].value == "deep"


def test_secure_cookie_is_only_sent_over_https() -> None:
    jar = CookieJar()
    store(jar, "https://h.test/", "s=1; Secure")
    assert sent(jar, "https://h.test/") == "s=1"
    assert sent(jar, "http://h.test/") == ""


def test_treat_as_secure_origin_receives_secure_cookies_over_http() -> None:
    jar = CookieJar(treat_as_secure_origin="http://h.test:8080")
    store(jar, "http://h.test:8080/", "s=1; Secure")
    assert sent(jar, "http://h.test:8080/") == "s=1"
    assert sent(jar, "http://h.test:9090/") == ""


def test_max_age_zero_deletes_a_cookie() -> None:
    jar = CookieJar()
    store(jar, "http://h.test/", "a=1")
    store(jar, "http://h.test/", "a=gone; Max-Age=0")
    assert len(jar) == 0


def test_expires_in_the_past_deletes_and_in_the_future_keeps() -> None:
    jar = CookieJar()
    store(jar, "http://h.test/", "old=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    store(jar, "http://h.test/", "new=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT")
    assert sent(jar, "http://h.test/") == "new=1"


def test_max_age_wins_over_expires() -> None:
    jar = CookieJar()
    store(jar, "http://h.test/", "a=1; Max-Age=0; Expires=Fri, 01 Jan 2100 00:00:00 GMT")
    assert len(jar) == 0


def test_attributes_are_kept_on_the_morsel() -> None:
    jar = CookieJar()
    store(jar, "https://h.test/", "a=1; HttpOnly; Secure; SameSite=Strict; Max-Age=100")
    (morsel,) = list(jar)
    assert morsel["httponly"] is True
    assert morsel["secure"] is True
    assert morsel["samesite"] == "Strict"
    assert morsel["domain"] == "h.test"
    assert morsel["expires"]


def test_cookies_from_ip_address_hosts_are_refused_unless_unsafe() -> None:
    safe = CookieJar()
    store(safe, "http://127.0.0.1/", "a=1")
    assert len(safe) == 0
    unsafe = CookieJar(unsafe=True)
    store(unsafe, "http://127.0.0.1/", "a=1")
    assert sent(unsafe, "http://127.0.0.1/") == "a=1"
    assert sent(unsafe, "http://127.0.0.2/") == ""


def test_invalid_set_cookie_values_are_ignored() -> None:
    jar = CookieJar()
    store(jar, "http://h.test/", "no-equals-sign", "=empty-name", "ok=1")
    assert sent(jar, "http://h.test/") == "ok=1"


def test_update_cookies_without_url_shares_with_every_host() -> None:
    jar = CookieJar()
    jar.update_cookies({"token": "abc"})
    assert sent(jar, "http://a.test/") == "token=abc"
    assert sent(jar, "http://b.test/x") == "token=abc"


def test_update_cookies_quotes_values_that_need_it() -> None:
    jar = CookieJar()
    jar.update_cookies({"a": "x y"}, URL("http://h.test/"))
    assert sent(jar, "http://h.test/") == 'a="x y"'
    raw = CookieJar(quote_cookie=False)
    raw.update_cookies({"a": "x y"}, URL("http://h.test/"))
    assert sent(raw, "http://h.test/") == "a=x y"


def test_update_cookies_accepts_simple_cookie_morsels() -> None:
    cookies: SimpleCookie = SimpleCookie()
    cookies["a"] = "1"
    cookies["a"]["domain"] = "example.com"
    cookies["a"]["path"] = "/p"
    jar = CookieJar()
    jar.update_cookies(cookies, URL("http://www.example.com/"))
    assert sent(jar, "http://api.example.com/p/x") == "a=1"
    assert sent(jar, "http://api.example.com/") == ""


def test_same_name_domain_and_path_replaces_the_old_cookie() -> None:
    jar = CookieJar()
    store(jar, "http://h.test/", "a=1")
    store(jar, "http://h.test/", "a=2")
    assert len(jar) == 1
    assert sent(jar, "http://h.test/") == "a=2"


def test_clear_with_predicate_and_clear_domain() -> None:
    jar = CookieJar()
    store(jar, "http://a.example.com/", "x=1; Domain=example.com", "y=2")
    store(jar, "http://other.test/", "z=3")
    jar.clear(lambda morsel: morsel.key == "y")
    assert sorted(m.key for m in jar) == ["x", "z"]
    jar.clear_domain("example.com")
    assert [m.key for m in jar] == ["z"]
    jar.clear()
    assert len(jar) == 0


def test_save_and_load_round_trip(tmp_path: pathlib.Path) -> None:
    jar = CookieJar()
    store(jar, "https://h.test/app/page", "a=1; Secure; HttpOnly; Max-Age=1000", "b=2; Path=/")
    path = tmp_path / "cookies.json"
    jar.save(path)
    loaded = CookieJar()
    loaded.load(path)
    assert sent(loaded, "https://h.test/x") == "b=2"
    assert sent(loaded, "https://h.test/app/y") == sent(jar, "https://h.test/app/y") == "a=1; b=2"
    assert sorted(m.key for m in loaded) == ["a", "b"]


def test_load_refuses_a_file_that_is_not_a_saved_jar(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "other.json"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a saved cookie jar"):
        CookieJar().load(path)


def test_per_domain_limit_drops_the_oldest() -> None:
    jar = CookieJar(max_cookies_per_domain=2)
    store(jar, "http://h.test/", "a=1", "b=2", "c=3")
    assert sent(jar, "http://h.test/") == "b=2; c=3"


def test_session_cookie_has_no_expiry_and_persistent_one_does() -> None:
    jar = CookieJar()
    store(jar, "http://h.test/", "session=1", "persistent=1; Max-Age=60")
    by_name = {m.key: m for m in jar}
    assert by_name["session"]["expires"] == ""
    expires = time.mktime(
        time.strptime(by_name["persistent"]["expires"], "%a, %d %b %Y %H:%M:%S GMT")
    )
    assert expires > time.mktime(time.gmtime()) - 5


def test_dummy_jar_keeps_nothing() -> None:
    jar = DummyCookieJar()
    jar.update_cookies({"a": "1"})
    jar.update_cookies_from_headers(["b=2"], URL("http://h.test/"))
    assert len(jar) == 0
    assert list(jar) == []
    assert jar.cookie_header(URL("http://h.test/")) == ""
    assert len(jar.filter_cookies(URL("http://h.test/"))) == 0

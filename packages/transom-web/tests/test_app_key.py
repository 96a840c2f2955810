"""AppKey: typed keys into application state."""

from __future__ import annotations

import pytest

from transom.web import AppKey, Application, NotAppKeyWarning


def test_repr_shows_the_name_and_the_type() -> None:
    assert repr(AppKey("db", int)) == "<AppKey(db, type=int)>"
    assert repr(AppKey("db")) == "<AppKey(db)>"


def test_name_is_the_label_given() -> None:
    assert AppKey("cache", dict).name == "cache"


def test_two_keys_with_the_same_name_are_different_keys() -> None:
    first: AppKey[int] = AppKey("counter", int)
    second: AppKey[int] = AppKey("counter", int)
    app = Application()
    app[first] = 1
    app[second] = 2
    assert (app[first], app[second]) == (1, 2)


def test_typed_value_round_trips_through_the_application() -> None:
    key = AppKey("names", list)
    app = Application()
    app[key] = ["a"]
    value: list[str] = app[key]
    assert value == ["a"]
    assert app.get(key) == ["a"]
    assert app.get(AppKey("missing", int)) is None


def test_a_string_key_works_but_warns() -> None:
    app = Application()
    with pytest.warns(NotAppKeyWarning, match="'plain'"):
        app["plain"] = 1
    assert app["plain"] == 1


def test_an_app_key_does_not_warn() -> None:
    app = Application()
    app[AppKey("quiet", int)] = 1  # warnings are errors in this test suite
    assert len(app) == 1

import pytest

from transom.sessions import Session


def _existing(**data: object) -> Session:
    return Session("abc", data=data, new=False, created=1_700_000_000, max_age=60)


def test_a_session_behaves_as_a_dict() -> None:
    session = _existing(a=1)
    session["b"] = 2
    del session["a"]

    assert dict(session) == {"b": 2}
    assert len(session) == 1
    assert "b" in session
    assert session.get("a") is None


def test_an_unchanged_existing_session_is_not_saved() -> None:
    session = _existing(a=1)

    assert not session.should_save
    assert not session.is_changed


def test_setting_a_value_marks_the_session_changed() -> None:
    session = _existing()
    session["user"] = "ann"

    assert session.is_changed
    assert session.should_save


def test_deleting_a_value_marks_the_session_changed() -> None:
    session = _existing(user="ann")
    del session["user"]

    assert session.should_save


def test_mutating_a_value_in_place_needs_changed() -> None:
    session = _existing(cart=[])
    session["cart"].append("pear")

    assert not session.should_save

    session.changed()

    assert session.should_save


def test_a_new_empty_session_is_not_saved() -> None:
    session = Session(None, new=True, created=0)

    assert session.empty
    assert not session.should_save


def test_a_new_session_with_data_is_saved() -> None:
    session = Session(None, data={"a": 1}, new=True, created=0)

    assert session.should_save


def test_invalidate_clears_the_session_and_retires_its_identity() -> None:
    session = _existing(user="ann")
    session.invalidate()

    assert session.empty
    assert session.should_save
    assert session.identity is None
    assert session.previous_identity == "abc"
    assert session.new


def test_values_set_after_invalidate_belong_to_a_new_identity() -> None:
    session = _existing(user="ann")
    session.invalidate()
    session["flash"] = "bye"
    session.set_new_identity("def")

    assert session.identity == "def"
    assert session.previous_identity == "abc"


def test_an_existing_session_keeps_its_identity() -> None:
    session = _existing()

    with pytest.raises(RuntimeError, match="identity"):
        session.set_new_identity("other")


def test_setting_max_age_marks_the_session_changed() -> None:
    session = _existing()
    session.max_age = 3600

    assert session.max_age == 3600
    assert session.should_save


def test_a_negative_max_age_is_refused() -> None:
    session = _existing()

    with pytest.raises(ValueError, match="max_age"):
        session.max_age = -1


def test_created_and_identity_are_as_given() -> None:
    session = _existing()

    assert session.created == 1_700_000_000
    assert session.identity == "abc"
    assert not session.new
    assert "abc" in repr(session)

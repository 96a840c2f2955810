from transom.protocol import LocalProtocolError, ProtocolError, RemoteProtocolError


def test_remote_error_carries_status_and_safe_reason() -> None:
    error = RemoteProtocolError("Bad chunk size", status_code=400)
    assert isinstance(error, ProtocolError)
    assert error.status_code == 400
    assert error.reason == "Bad chunk size"
    assert str(error) == "Bad chunk size"


def test_status_defaults_to_400() -> None:
    assert LocalProtocolError("nope").status_code == 400


def test_repr_names_the_class_and_status() -> None:
    assert repr(RemoteProtocolError("too long", status_code=414)) == (
        "RemoteProtocolError('too long', status_code=414)"
    )

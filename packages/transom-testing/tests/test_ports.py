import socket

from transom.testing import unused_port


def test_the_port_can_be_bound_on_loopback() -> None:
    port = unused_port()

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        assert sock.getsockname()[1] == port


def test_ports_are_in_the_valid_range() -> None:
    assert 0 < unused_port("127.0.0.1") < 65536

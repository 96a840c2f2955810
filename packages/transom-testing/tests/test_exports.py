import transom.testing
import transom.testing.hookspecs
import transom.testing.pytest_plugin


def test_public_names_are_exactly_the_curated_list() -> None:
    assert transom.testing.__all__ == [
        "TEST_SHUTDOWN_TIMEOUT",
        "BaseTestServer",
        "LeakWarning",
        "RawTestServer",
        "TestClient",
        "TestServer",
        "TransomTestCase",
        "make_mocked_request",
        "unused_port",
    ]


def test_every_public_name_exists() -> None:
    for module in (transom.testing, transom.testing.hookspecs, transom.testing.pytest_plugin):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_the_plugin_offers_its_fixtures_and_factory_types() -> None:
    assert transom.testing.pytest_plugin.__all__ == [
        "TransomClient",
        "TransomRawServer",
        "TransomServer",
        "transom_client",
        "transom_loop",
        "transom_raw_server",
        "transom_server",
        "transom_unused_port",
    ]

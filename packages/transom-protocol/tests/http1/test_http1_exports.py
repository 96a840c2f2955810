"""transom.protocol.http1 exports exactly its curated ``__all__``."""

from __future__ import annotations

import types

import transom.protocol.http1 as http1

CONTRACT = {
    "Connection",
    "ConnectionClosed",
    "Data",
    "EndOfMessage",
    "InformationalResponse",
    "NEED_DATA",
    "PAUSED",
    "Request",
    "Response",
    "Role",
    "State",
}


def test_all_is_unique_and_complete() -> None:
    public = {
        name
        for name, value in vars(http1).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }

    # The order itself is ruff's (RUF022: constants, then classes).
    assert len(http1.__all__) == len(set(http1.__all__))
    assert set(http1.__all__) == public


def test_the_shared_contract_is_exported() -> None:
    assert set(http1.__all__) >= CONTRACT


def test_the_states_of_the_contract_exist() -> None:
    names = {state.name for state in http1.State}

    assert names >= {"IDLE", "SEND_BODY", "DONE", "MUST_CLOSE", "CLOSED", "ERROR"}
    assert names >= {"MIGHT_SWITCH_PROTOCOL", "SWITCHED_PROTOCOL"}
    assert {role.name for role in http1.Role} == {"CLIENT", "SERVER"}

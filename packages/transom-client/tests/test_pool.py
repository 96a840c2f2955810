"""The pool's bookkeeping, without sockets: limits, idle reuse, FIFO waiters."""

from __future__ import annotations

import pytest

from transom.client._pool import Pool


class Conn:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Conn({self.name})"


def make_pool(
    limit: int = 2, limit_per_host: int = 0, keepalive: float | None = 15.0
) -> Pool[str, Conn, str]:
    return Pool(limit=limit, limit_per_host=limit_per_host, keepalive_timeout=keepalive)


def test_first_request_gets_a_slot_to_open_a_connection() -> None:
    pool = make_pool()
    grant, expired = pool.acquire("a", 0.0)
    assert grant is not None
    assert grant.connection is None
    assert expired == []
    assert pool.open_count("a") == 1
    assert pool.total_open == 1


def test_released_connection_is_reused_for_the_same_key_only() -> None:
    pool = make_pool(limit=0)
    pool.acquire("a", 0.0)
    conn = Conn("a1")
    outcome = pool.release("a", conn, reusable=True, now=1.0)
    assert outcome.handoffs == []
    assert outcome.to_close == []
    other, _ = pool.acquire("b", 2.0)
    assert other is not None
    assert other.connection is None
    same, _ = pool.acquire("a", 2.0)
    assert same is not None
    assert same.connection is conn


def test_keep_pools_a_connection_when_nobody_waits() -> None:
    pool = make_pool(limit=0)
    pool.acquire("a", 0.0)
    conn = Conn("a1")

    assert pool.keep("a", conn, 1.0) is True

    assert pool.idle_count() == 1
    assert pool.take_idle("a", 2.0) == (conn, [])


def test_keep_leaves_a_waiter_to_release() -> None:
    pool = make_pool(limit=1)
    pool.acquire("a", 0.0)
    assert pool.acquire("a", 0.0)[0] is None
    pool.add_waiter("a", "w1")
    conn = Conn("a1")

    assert pool.keep("a", conn, 1.0) is False
    assert pool.idle_count() == 0

    outcome = pool.release("a", conn, reusable=True, now=1.0)
    assert [(handoff.waiter, handoff.connection) for handoff in outcome.handoffs] == [("w1", conn)]


def test_keep_refuses_when_keep_alive_is_off() -> None:
    pool = make_pool(keepalive=0)
    pool.acquire("a", 0.0)
    conn = Conn("a1")

    assert pool.keep("a", conn, 1.0) is False
    assert pool.idle_count() == 0
    assert pool.release("a", conn, reusable=True, now=1.0).to_close == [conn]


def test_newest_idle_connection_is_reused_first() -> None:
    pool = make_pool(limit=0)
    pool.acquire("a", 0.0)
    pool.acquire("a", 0.0)
    old, new = Conn("old"), Conn("new")
    pool.release("a", old, reusable=True, now=1.0)
    pool.release("a", new, reusable=True, now=2.0)
    grant, _ = pool.acquire("a", 3.0)
    assert grant is not None
    assert grant.connection is new


def test_connection_that_is_not_reusable_is_closed_and_frees_its_slot() -> None:
    pool = make_pool()
    pool.acquire("a", 0.0)
    conn = Conn("a1")
    outcome = pool.release("a", conn, reusable=False, now=1.0)
    assert outcome.to_close == [conn]
    assert pool.total_open == 0
    assert pool.idle_count() == 0


def test_request_waits_when_the_total_limit_is_reached() -> None:
    pool = make_pool(limit=2)
    pool.acquire("a", 0.0)
    pool.acquire("b", 0.0)
    grant, _ = pool.acquire("c", 0.0)
    assert grant is None


def test_per_host_limit_blocks_only_that_host() -> None:
    pool = make_pool(limit=10, limit_per_host=1)
    pool.acquire("a", 0.0)
    blocked, _ = pool.acquire("a", 0.0)
    allowed, _ = pool.acquire("b", 0.0)
    assert blocked is None
    assert allowed is not None


def test_waiters_are_served_in_arrival_order() -> None:
    pool = make_pool(limit=1)
    pool.acquire("a", 0.0)
    pool.add_waiter("a", "first")
    pool.add_waiter("a", "second")
    pool.add_waiter("a", "third")
    conn = Conn("a1")
    outcome = pool.release("a", conn, reusable=True, now=1.0)
    assert [(h.waiter, h.connection) for h in outcome.handoffs] == [("first", conn)]
    outcome = pool.release("a", conn, reusable=False, now=2.0)
    assert [h.waiter for h in outcome.handoffs] == ["second"]
    assert outcome.handoffs[0].connection is None
    assert pool.waiter_count == 1


def test_new_request_does_not_overtake_queued_waiters_for_its_key() -> None:
    pool = make_pool(limit=1)
    pool.acquire("a", 0.0)
    pool.add_waiter("a", "queued")
    pool.release("a", Conn("x"), reusable=False, now=1.0)
    grant, _ = pool.acquire("a", 1.0)
    assert grant is None


def test_freed_slot_goes_to_the_first_waiter_it_can_serve() -> None:
    pool = make_pool(limit=2, limit_per_host=1)
    pool.acquire("a", 0.0)
    pool.acquire("b", 0.0)
    pool.add_waiter("a", "wants-a")
    pool.add_waiter("c", "wants-c")
    outcome = pool.release("b", Conn("b1"), reusable=False, now=1.0)
    # "a" is still at its per-host limit, so the slot goes to "c".
    assert [h.waiter for h in outcome.handoffs] == ["wants-c"]


def test_idle_connection_of_another_host_is_evicted_for_a_waiter() -> None:
    pool = make_pool(limit=1)
    pool.acquire("a", 0.0)
    pool.add_waiter("b", "wants-b")
    conn = Conn("a1")
    outcome = pool.release("a", conn, reusable=True, now=1.0)
    assert [h.waiter for h in outcome.handoffs] == ["wants-b"]
    assert outcome.to_close == [conn]
    assert pool.open_count("a") == 0
    assert pool.open_count("b") == 1


def test_acquire_evicts_idle_connection_of_another_host_at_the_limit() -> None:
    pool = make_pool(limit=1)
    pool.acquire("a", 0.0)
    conn = Conn("a1")
    pool.release("a", conn, reusable=True, now=1.0)
    grant, _ = pool.acquire("b", 2.0)
    assert grant is not None
    assert grant.connection is None
    assert grant.evicted == [conn]


def test_removed_waiter_is_not_served() -> None:
    pool = make_pool(limit=1)
    pool.acquire("a", 0.0)
    pool.add_waiter("a", "gone")
    pool.add_waiter("a", "stays")
    pool.remove_waiter("a", "gone")
    outcome = pool.release("a", Conn("a1"), reusable=False, now=1.0)
    assert [h.waiter for h in outcome.handoffs] == ["stays"]


def test_idle_connections_expire_after_the_keepalive_timeout() -> None:
    pool = make_pool(limit=0, keepalive=10.0)
    pool.acquire("a", 0.0)
    pool.acquire("a", 0.0)
    early, late = Conn("early"), Conn("late")
    pool.release("a", early, reusable=True, now=0.0)
    pool.release("a", late, reusable=True, now=5.0)
    assert pool.next_expiry() == 10.0
    assert pool.expire(10.0) == [early]
    assert pool.idle_count("a") == 1
    assert pool.open_count("a") == 1
    assert pool.expire(20.0) == [late]
    assert pool.total_open == 0


def test_expired_connections_are_returned_by_acquire_for_closing() -> None:
    pool = make_pool(limit=0, keepalive=1.0)
    pool.acquire("a", 0.0)
    conn = Conn("a1")
    pool.release("a", conn, reusable=True, now=0.0)
    grant, expired = pool.acquire("a", 5.0)
    assert expired == [conn]
    assert grant is not None
    assert grant.connection is None


def test_zero_keepalive_timeout_never_pools() -> None:
    pool = make_pool(keepalive=0)
    pool.acquire("a", 0.0)
    conn = Conn("a1")
    outcome = pool.release("a", conn, reusable=True, now=0.0)
    assert outcome.to_close == [conn]


def test_idle_connection_closed_by_peer_frees_its_slot() -> None:
    pool = make_pool(limit=1)
    pool.acquire("a", 0.0)
    conn = Conn("a1")
    pool.release("a", conn, reusable=True, now=0.0)
    pool.add_waiter("b", "wants-b")
    outcome = pool.discard_idle("a", conn)
    assert [h.waiter for h in outcome.handoffs] == ["wants-b"]
    assert pool.discard_idle("a", conn).handoffs == []


def test_failed_open_gives_the_slot_to_a_waiter() -> None:
    pool = make_pool(limit=1)
    pool.acquire("a", 0.0)
    pool.add_waiter("a", "next")
    outcome = pool.discard("a")
    assert [h.waiter for h in outcome.handoffs] == ["next"]
    assert pool.total_open == 1


def test_close_returns_idle_connections_and_waiters() -> None:
    pool = make_pool(limit=1)
    pool.acquire("a", 0.0)
    conn = Conn("a1")
    pool.release("a", conn, reusable=True, now=0.0)
    pool.acquire("a", 0.0)
    pool.add_waiter("a", "w")
    idle, waiters = pool.close()
    assert idle == []
    assert waiters == ["w"]
    assert pool.total_open == 0


def test_negative_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        Pool[str, Conn, str](limit=-1)

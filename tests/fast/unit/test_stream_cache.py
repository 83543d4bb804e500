"""The stream cache's bookkeeping, without a database: bounded, never going back a version, records
decoded afresh for every aggregate."""

from __future__ import annotations

from shared.eventstore.stream_cache import CachedStream, StreamCache
from tests.kernel.apps.ledger_service import Account


def _stream(*amounts: int) -> CachedStream:
    return CachedStream.empty(Account).extended(
        [("AccountCredited", 1, {"amount": a, "credit_id": f"c{i}"}) for i, a in enumerate(amounts)], None
    )


def test_a_stream_rebuilds_its_aggregate_at_its_version() -> None:
    account = _stream(5, 7).rebuild(Account, "a")
    assert (account.balance, account.version) == (12, 2)


def test_the_least_recently_used_stream_goes_first() -> None:
    cache = StreamCache(2)
    cache.put("account-a", _stream(1))
    cache.put("account-b", _stream(2))
    assert cache.get("account-a", Account) is not None  # a is used: b is now the oldest
    cache.put("account-c", _stream(3))
    assert cache.get("account-b", Account) is None
    assert cache.get("account-a", Account) is not None and cache.get("account-c", Account) is not None


def test_an_earlier_version_never_replaces_a_later_one() -> None:
    cache = StreamCache(8)
    cache.put("account-a", _stream(1, 2))
    cache.put("account-a", _stream(1))  # a read that began before the later commit
    cached = cache.get("account-a", Account)
    assert cached is not None and cached.version == 2


def test_an_empty_stream_is_not_kept() -> None:
    cache = StreamCache(8)
    cache.put("account-a", CachedStream.empty(Account))
    assert cache.get("account-a", Account) is None


def test_forgotten_streams_are_read_again() -> None:
    cache = StreamCache(8)
    cache.put("account-a", _stream(1))
    cache.forget(["account-a", "account-z"])
    assert cache.get("account-a", Account) is None


def test_a_stream_is_presumable_only_while_the_process_knows_nothing_of_it() -> None:
    cache = StreamCache(2)
    assert cache.presumable("account-a")
    cache.put("account-a", _stream(1))
    assert not cache.presumable("account-a")  # committed here: the cache answers instead
    cache.refuted(["account-b", "account-c", "account-d"])
    assert not cache.presumable("account-d") and not cache.presumable("account-c")
    assert cache.presumable("account-b")  # refutations are bounded like the streams

"""What a consumer remembers about parked keys: every key is suspect until a whole-table read, and a
read forgets a key only when no park could have slipped past it."""

from __future__ import annotations

from shared.messaging.parked_keys import ParkedKeys


def test_every_key_is_suspect_until_a_sweep_reads_the_table() -> None:
    keys = ParkedKeys()
    assert keys.may_hold("a") and keys.may_hold("b")
    keys.read(keys.reading(), None, set())
    assert not keys.may_hold("a") and not keys.may_hold("b")


def test_a_sweep_keeps_the_keys_it_left_parked() -> None:
    keys = ParkedKeys()
    keys.read(keys.reading(), None, {"a"})
    assert keys.may_hold("a") and not keys.may_hold("b")


def test_a_park_begun_during_a_read_is_not_forgotten() -> None:
    keys = ParkedKeys()
    keys.read(keys.reading(), None, set())
    reading = keys.reading()
    keys.begin("a")
    keys.end()
    keys.read(reading, "a", set())  # the read may have missed the row
    assert keys.may_hold("a")
    keys.read(keys.reading(), "a", set())
    assert not keys.may_hold("a")


def test_a_park_in_flight_when_a_sweep_began_keeps_every_key_suspect() -> None:
    keys = ParkedKeys()
    keys.begin("a")
    reading = keys.reading()
    keys.end()
    keys.read(reading, None, set())
    assert keys.may_hold("b")  # the sweep proved nothing

"""What every holder of data keys must do (shared/privacy/data_keys.py): the contract suite run on
the shared PostgreSQL table and on the in-memory store, so the fast tier's sealing can be believed."""

from __future__ import annotations

from uuid import uuid4

import pytest

from shared.privacy.data_keys import DataKeys, SubjectErased


def _subject() -> str:
    return f"order:{uuid4().hex[:10]}"


class DataKeysContract:
    async def test_a_key_is_made_once_on_first_use(self, keys: DataKeys) -> None:
        subject = _subject()
        key = await keys.data_key(subject)
        assert len(key) == 32 and await keys.data_key(subject) == key
        assert await keys.data_key(_subject()) != key

    async def test_only_live_keys_are_read_back(self, keys: DataKeys) -> None:
        kept, erased, unknown = _subject(), _subject(), _subject()
        kept_key = await keys.data_key(kept)
        await keys.data_key(erased)
        await keys.destroy([erased])
        assert await keys.data_keys([kept, erased, unknown, kept]) == {kept: kept_key}
        assert await keys.data_keys([]) == {}

    async def test_an_erased_subject_never_gets_a_key_again(self, keys: DataKeys) -> None:
        erased, never_used = _subject(), _subject()
        await keys.data_key(erased)
        await keys.destroy([erased, never_used])
        await keys.destroy([erased])  # again: nothing changes
        for subject in (erased, never_used):
            with pytest.raises(SubjectErased):
                await keys.data_key(subject)

"""Recall's one search (`memory_candidates`): every candidate carries its real similarity, a
named day brings in what was said that day, other users' memories never come back, and a
forgotten memory is no candidate. Plus the vector index's own product and the time window."""

from __future__ import annotations

import importlib.util
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from os1.memory.timeframe import TimeWindow
from os1.store import MemoryCandidates
from os1.store.sqlite import SQLiteStore
from os1.testing import memory_store
from os1.types import Conversation, NewMemory

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("numpy") is None, reason="needs the memory extra (numpy)"
)

DAY = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def _unit(*weights: float) -> Any:
    """A unit vector of 384 dimensions with these first coordinates (the rest zero)."""
    import numpy as np

    v = np.zeros(384, dtype=np.float32)
    v[: len(weights)] = weights
    return v / np.linalg.norm(v)


async def _user(store: SQLiteStore, name: str) -> tuple[str, Conversation]:
    user = await store.create_user(name)
    profile = await store.create_companion(user.id, "Sol", "You are {name}.")
    return user.id, await store.create_conversation(user.id, profile.id)


def _said(conv: Conversation, seq: int, text: str, vector: Any, when: datetime) -> NewMemory:
    return NewMemory(
        kind="episode",
        text=text,
        valid_at=when,
        vector=vector,
        about="user",
        conversation_id=conv.id,
        seq=seq,
        speaker="Ada",
    )


async def test_a_word_match_carries_its_real_similarity_not_a_guess() -> None:
    store = memory_store()
    user_id, conv = await _user(store, "Ada")
    near, worded = await store.add_memories(
        user_id,
        [
            _said(conv, 1, "We walked along the river at dusk.", _unit(1, 0.1), DAY),
            _said(conv, 2, "My sister Anna plays the cello.", _unit(0.3, 1), DAY),
        ],
    )
    # The vector search keeps only the nearest one; the word match still gets its cosine.
    found = await store.memory_candidates(user_id, ["cello"], _unit(1, 0), 1)
    assert isinstance(found, MemoryCandidates)
    assert {m.id for m in found.memories} == {near.id, worded.id}
    assert set(found.text_scores) == {worded.id}
    assert found.vector_scores[worded.id] == pytest.approx(0.3 / (1.09**0.5), abs=1e-2)
    assert found.vector_scores[near.id] > found.vector_scores[worded.id]
    await store.aclose()


async def test_a_named_day_brings_in_what_was_said_that_day() -> None:
    store = memory_store()
    user_id, conv = await _user(store, "Ada")
    long_ago = DAY - timedelta(days=60)
    await store.add_memories(
        user_id,
        [_said(conv, i + 1, f"Small talk {i}.", _unit(1, 0.01 * i), long_ago) for i in range(5)],
    )
    (that_day,) = await store.add_memories(
        user_id, [_said(conv, 9, "The divorce papers are signed.", _unit(0, 1), DAY)]
    )
    query = _unit(1, 0)
    plain = await store.memory_candidates(user_id, ["when"], query, 2)
    assert that_day.id not in {m.id for m in plain.memories}
    window = TimeWindow(DAY.date(), DAY.date()).bounds()
    dated = await store.memory_candidates(user_id, ["when"], query, 2, window=window)
    assert that_day.id in {m.id for m in dated.memories}
    assert dated.vector_scores[that_day.id] == pytest.approx(0.0, abs=1e-3)
    await store.aclose()


async def test_search_never_returns_another_users_memories() -> None:
    store = memory_store()
    ada, ada_conv = await _user(store, "Ada")
    (mine,) = await store.add_memories(
        ada, [_said(ada_conv, 1, "I love the cello, the cello is my life.", _unit(0, 1), DAY)]
    )
    # Alone in the store, and then next to someone whose memories match the words better.
    alone = await store.memory_candidates(ada, ["cello"], _unit(1, 0), 5)
    assert [m.id for m in alone.memories] == [mine.id]
    bo, bo_conv = await _user(store, "Bo")
    await store.add_memories(
        bo,
        [_said(bo_conv, i + 1, "Cello cello cello.", _unit(1, 0), DAY) for i in range(3)],
    )
    shared = await store.memory_candidates(ada, ["cello"], _unit(1, 0), 1)
    assert [m.id for m in shared.memories] == [mine.id]
    assert set(shared.text_scores) == set(shared.vector_scores) == {mine.id}
    theirs = await store.memory_candidates(bo, ["cello"], _unit(0, 1), 5)
    assert mine.id not in {m.id for m in theirs.memories}
    assert [i for i, _ in await store.memory_text_search(ada, ["cello"], 1)] == [mine.id]
    await store.aclose()


async def test_a_forgotten_memory_is_no_candidate_by_words_meaning_or_date() -> None:
    store = memory_store()
    user_id, conv = await _user(store, "Ada")
    kept, gone = await store.add_memories(
        user_id,
        [
            _said(conv, 1, "I adopted a cat.", _unit(0, 1), DAY - timedelta(days=30)),
            _said(conv, 2, "My sister Anna lives in Lisbon.", _unit(1, 0), DAY),
        ],
    )
    assert await store.forget_memories(user_id, [gone.id]) == 1
    window = TimeWindow(DAY.date(), DAY.date()).bounds()
    found = await store.memory_candidates(
        user_id, ["lisbon", "anna", "cat"], _unit(1, 0), 10, window=window
    )
    assert [m.id for m in found.memories] == [kept.id]
    assert gone.id not in found.text_scores
    assert gone.id not in found.vector_scores
    await store.aclose()


def test_the_index_scores_as_a_plain_matrix_product() -> None:
    import numpy as np

    from os1.store.vectors import VectorIndex

    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((500, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = VectorIndex(384)
    index.add(np.arange(500, dtype=np.int64), vecs)
    ids, scores = index.search(vecs[42], 5)
    expected = np.argsort(-(vecs @ vecs[42]))[:5]
    assert list(ids) == list(expected)
    assert scores == pytest.approx((vecs @ vecs[42])[expected], abs=1e-5)


def test_a_window_widens_by_days_before_and_after() -> None:
    window = TimeWindow(date(2023, 5, 7), date(2023, 5, 7)).widened(3, 10)
    assert (window.start, window.end) == (date(2023, 5, 4), date(2023, 5, 17))
    assert window.contains(datetime(2023, 5, 17, 23, 0, tzinfo=UTC))
    assert not window.contains(datetime(2023, 5, 18, 0, 1, tzinfo=UTC))

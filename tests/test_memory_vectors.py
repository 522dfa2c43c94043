"""The vector index past `IVF_MIN` memories: its lists find what an exact search finds, are
saved as row ids and restored after a restart without k-means, and a removed vector leaves no
trace in any list's centre. `IVF_MIN` is lowered so a few thousand vectors use the lists."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from os1.store.sqlite import SQLiteStore
from os1.types import Memory, NewMemory

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("numpy") is None, reason="needs the memory extra (numpy)"
)

DAY = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


@pytest.fixture
def small_ivf(monkeypatch: pytest.MonkeyPatch) -> None:
    from os1.store import vectors

    monkeypatch.setattr(vectors, "IVF_MIN", 500)
    monkeypatch.setattr(vectors, "PROBE_MIN", 64)


def _clustered(count: int, seed: int = 5) -> Any:
    """Unit vectors around 40 centres, as real sentence vectors cluster."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, 384)).astype(np.float32)
    vecs = centres[rng.integers(0, 40, count)] + 0.3 * rng.standard_normal((count, 384))
    vecs = vecs.astype(np.float32)
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def _no_kmeans(monkeypatch: pytest.MonkeyPatch) -> None:
    from os1.store.vectors import VectorIndex

    def refuse(self: VectorIndex) -> None:
        raise AssertionError("k-means ran again")

    monkeypatch.setattr(VectorIndex, "_build_ivf", refuse)


@pytest.mark.usefixtures("small_ivf")
def test_the_lists_find_what_an_exact_search_finds() -> None:
    import numpy as np

    from os1.store.vectors import VectorIndex

    vecs = _clustered(3000)
    index = VectorIndex(384)
    index.add(np.arange(3000, dtype=np.int64), vecs)
    assert index.uses_ivf
    for i in (0, 777, 2999):
        ids, scores = index.search(vecs[i], 10)
        exact = np.argsort(-(vecs @ vecs[i]))[:10]
        assert ids[0] == i
        assert scores[0] == pytest.approx(1.0, abs=1e-5)
        assert len(set(ids) & set(exact)) >= 8


@pytest.mark.usefixtures("small_ivf")
def test_restored_lists_search_as_the_built_ones_without_kmeans(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    from os1.store.vectors import VectorIndex

    vecs = _clustered(2000)
    ids = np.arange(100, 2100, dtype=np.int64)
    built = VectorIndex(384)
    built.add(ids, vecs)
    lists = built.lists()
    assert lists is not None
    _no_kmeans(monkeypatch)
    restored = VectorIndex(384)
    # Two rows forgotten since the lists were saved (ids 105 and 1000), and one added.
    keep = np.ones(2000, dtype=bool)
    keep[[5, 900]] = False
    restored.restore(
        np.append(ids[keep], 5000), np.vstack([vecs[keep], _clustered(1, seed=9)]), lists
    )
    assert restored.uses_ivf
    assert len(restored) == 1999
    for i in (0, 1000, 1999):
        got = [r for r in restored.search(vecs[i], 8)[0] if r != 5000]
        want = [r for r in built.search(vecs[i], 8)[0] if r not in (105, 1000)]
        assert got[:5] == want[:5]
    assert 105 not in restored.search(vecs[5], 3)[0]


@pytest.mark.usefixtures("small_ivf")
def test_a_removed_vector_leaves_no_trace_in_its_list_centre() -> None:
    import numpy as np

    from os1.store.vectors import VectorIndex

    vecs = _clustered(1500)
    ids = np.arange(1500, dtype=np.int64)
    index = VectorIndex(384)
    index.add(ids, vecs)
    index.remove(ids[:200])
    lists = index.lists()
    assert lists is not None
    assert not set(lists.ids) & set(range(200))
    # The same rows grouped the same way, never having held the removed ones.
    fresh = VectorIndex(384)
    fresh.restore(ids[200:], vecs[200:], lists)
    assert index._centroids is not None
    assert fresh._centroids is not None
    assert np.allclose(index._centroids, fresh._centroids, atol=1e-5)


def _memory(seq: int, vector: Any, conversation_id: str) -> NewMemory:
    return NewMemory(
        kind="episode",
        text=f"line {seq}",
        valid_at=DAY + timedelta(minutes=seq),
        vector=vector,
        about="user",
        conversation_id=conversation_id,
        seq=seq,
        speaker="Ada",
    )


async def _stored(path: Path, vecs: Any) -> tuple[SQLiteStore, str, list[Memory]]:
    """A store at `path` holding one user's episode per vector."""
    store = SQLiteStore(path)
    user = await store.create_user("Ada")
    profile = await store.create_companion(user.id, "Sol", "You are {name}.")
    conv = await store.create_conversation(user.id, profile.id)
    memories = [_memory(i + 1, vector, conv.id) for i, vector in enumerate(vecs)]
    return store, user.id, await store.add_memories(user.id, memories)


@pytest.mark.usefixtures("small_ivf")
async def test_a_restarted_store_searches_with_its_saved_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    path = tmp_path / "os1.db"
    vecs = _clustered(800).astype(np.float16).astype(np.float32)
    store, user_id, added = await _stored(path, vecs)
    await store.forget_memories(user_id, [added[7].id])
    before = await store.memory_vector_search(user_id, vecs[42], 5)
    assert before[0][0] == added[42].id
    await store.aclose()

    _no_kmeans(monkeypatch)
    store = SQLiteStore(path)
    after = await store.memory_vector_search(user_id, vecs[42], 5)
    assert [i for i, _ in after] == [i for i, _ in before]
    found = await store.memory_vector_search(user_id, vecs[7], 3)
    assert added[7].id not in {i for i, _ in found}
    await store.aclose()


async def test_a_search_while_another_process_writes_still_answers_and_saves_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from os1.store import vectors

    path = tmp_path / "os1.db"
    vecs = _clustered(800)
    store, user_id, added = await _stored(path, vecs)
    await store.aclose()  # under IVF_MIN: no lists yet

    def saved() -> int:
        with sqlite3.connect(path) as conn:
            count = int(conn.execute("SELECT count(*) FROM memory_vector_lists").fetchone()[0])
        conn.close()
        return count

    monkeypatch.setattr(vectors, "IVF_MIN", 500)
    store = SQLiteStore(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    found = await store.memory_vector_search(user_id, vecs[3], 1)
    assert [i for i, _ in found] == [added[3].id]
    other.execute("ROLLBACK")
    other.close()
    assert saved() == 0
    await store.memory_vector_search(user_id, vecs[3], 1)
    assert saved() == 1
    await store.aclose()


async def test_an_embedder_of_another_size_works_from_a_users_first_memory(
    tmp_path: Path,
) -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((20, 768)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    store = SQLiteStore(tmp_path / "os1.db")
    user = await store.create_user("Ada")
    # Searched before anything is stored: the empty index must not fix its size yet.
    assert await store.memory_vector_search(user.id, vecs[0], 3) == []
    profile = await store.create_companion(user.id, "Sol", "You are {name}.")
    conv = await store.create_conversation(user.id, profile.id)
    added = await store.add_memories(
        user.id, [_memory(i + 1, v, conv.id) for i, v in enumerate(vecs)]
    )
    found = await store.memory_vector_search(user.id, vecs[9], 3)
    assert found[0][0] == added[9].id
    await store.aclose()

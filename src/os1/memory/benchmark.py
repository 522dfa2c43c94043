"""`os1 bench recall`: how long one recall takes with N memories of one user.

Memories are written straight into a fresh database (setup, not measured): sentences built from
templates and word lists, with vectors of real embedded sentences plus a little noise, so they
cluster as real ones do, spread over three years. A recall is measured end to end as a turn
pays for it: embedding the question, full-text search, vector search, fetching, ranking.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from os1.bench import percentile

__all__ = ["bench_recall"]


def _words(text: str) -> list[str]:
    return text.split()


_PEOPLE = _words(
    "Anna Ben Chloe Dan Ella Finn Grace Hugo Iris Jonas Kai Lena Maya Noah Omar Pia Quinn "
    "Rosa Sam Tara Uma Vic Wen Yara Zoe"
)
_RELATIONS = _words(
    "sister brother mother father friend cousin colleague neighbour boss aunt uncle "
    "grandmother partner roommate teacher"
)
_PLACES = _words(
    "Lisbon Berlin Tokyo Oslo Lima Cairo Austin Dublin Seoul Porto Quebec Nairobi Hanoi "
    "Krakow Boston Denver Leeds Lyon Bergen Kyoto"
)
_THINGS = _words(
    "pottery guitar running painting baking chess climbing yoga gardening cycling swimming "
    "knitting photography salsa poetry sushi hiking surfing reading coding"
)
_FEELINGS = _words("happy tired anxious proud excited calm lonely grateful nervous hopeful")
_TEMPLATES = [
    "My {rel} {person} moved to {place} last month.",
    "I tried {thing} with {person} and felt {feeling}.",
    "{person} and I talked about {place} for hours.",
    "I've been feeling {feeling} since my {rel} visited.",
    "We booked a trip to {place} to go {thing}.",
    "My {rel} thinks I should take up {thing}.",
    "I finally finished my {thing} project, I'm {feeling}.",
    "{person} invited me to a {thing} class in {place}.",
    "Work was rough today, my {rel} {person} cheered me up.",
    "I want to learn {thing} before the summer.",
]
QUERIES = [
    "What's my sister's name?",
    "Where did my brother move?",
    "What hobby did I start last summer?",
    "Who invited me to the pottery class?",
    "When did I go to Lisbon?",
    "How was I feeling after my mother visited?",
    "What did my friend say about climbing?",
    "Did I finish the knitting project?",
    "Who cheered me up at work?",
    "Which trip did we book?",
]


def _sentence(rng: random.Random) -> str:
    return rng.choice(_TEMPLATES).format(
        rel=rng.choice(_RELATIONS),
        person=rng.choice(_PEOPLE),
        place=rng.choice(_PLACES),
        thing=rng.choice(_THINGS),
        feeling=rng.choice(_FEELINGS),
    )


def _seed(db: Path, count: int, embed: Any) -> str:
    """Write `count` memories of one user straight into the database; returns the user id."""
    import numpy as np

    from os1.store.sqlite import SQLiteStore
    from os1.store.sqlite_memory import _owner_token

    rng = random.Random(7)
    np_rng = np.random.default_rng(7)
    base_texts = list(dict.fromkeys(_sentence(rng) for _ in range(4000)))[:2000]
    base = embed(base_texts)
    user_id = f"usr_{uuid.uuid4().hex}"
    store = SQLiteStore(db)  # creates the schema
    store._open()
    store._pool.shutdown()
    conn = sqlite3.connect(db)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    now = start.isoformat()
    owner = _owner_token(user_id)
    with conn:
        conn.execute("INSERT INTO users VALUES (?, 'Bench', ?)", (user_id, now))
        conn.execute("INSERT INTO companions VALUES ('cmp_bench', ?, 'Sol', '', ?)", (user_id, now))
        conversations = max(1, count // 1000)
        conn.executemany(
            "INSERT INTO conversations (id, user_id, companion_id, created_at, updated_at)"
            " VALUES (?, ?, 'cmp_bench', ?, ?)",
            [(f"cnv_{i}", user_id, now, now) for i in range(conversations)],
        )
    batch = 20_000
    for first in range(0, count, batch):
        n = min(batch, count - first)
        picks = np_rng.integers(0, len(base_texts), n)
        noise = np_rng.standard_normal((n, base.shape[1])).astype(np.float32) * 0.02
        vecs = base[picks] + noise
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        blobs = vecs.astype(np.float16)
        rows, fts = [], []
        for j in range(n):
            i = first + j
            text = _sentence(rng)
            when = (start + timedelta(minutes=int(i * 1576800 / max(count, 1)))).isoformat()
            rows.append(
                (f"mem_{i}", user_id, "episode", "user" if i % 2 == 0 else "companion", text, 0.5,
                 now, when, f"cnv_{i % conversations}", i // conversations + 1, "{}",
                 blobs[j].tobytes())
            )  # fmt: skip
            fts.append((i + 1, text, "", "", "Bench" if i % 2 == 0 else "Sol", owner))
        with conn:
            conn.executemany(
                "INSERT INTO memories (rowid, id, user_id, kind, about, text, importance,"
                " created_at, valid_at, conversation_id, seq, meta, vector) VALUES"
                " (NULL,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            conn.executemany(
                "INSERT INTO memory_fts (rowid, text, before, after, speaker, owner)"
                " VALUES (?,?,?,?,?,?)",
                fts,
            )
    conn.close()
    return user_id


async def bench_recall(count: int, queries: int = 200) -> dict[str, Any]:
    """Recall p50/p95 with `count` memories stored for one user, and the first recall's time
    (loading the vectors) on the fresh database and again after a restart."""
    from os1.embedder import embedder
    from os1.memory.memories import Memories
    from os1.store.sqlite import SQLiteStore

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        user_id = _seed(db, count, embedder().embed)
        seeded_s = time.perf_counter() - t0
        store = SQLiteStore(db)
        memories = Memories(store, embedder())
        now = datetime(2026, 1, 1, tzinfo=UTC)
        t0 = time.perf_counter()
        await memories.recall(user_id, "warm up", now=now, user_name="Bench")
        load_s = time.perf_counter() - t0
        samples = []
        for i in range(queries):
            question = QUERIES[i % len(QUERIES)]
            t0 = time.perf_counter()
            found = await memories.recall(user_id, question, now=now, user_name="Bench")
            samples.append((time.perf_counter() - t0) * 1000)
            assert found
        stored = (await store.memory_counts(user_id))["episode"]
        await store.aclose()
        # What a restart costs: the first recall loads the vectors again (and the saved lists).
        store = SQLiteStore(db)
        memories = Memories(store, embedder())
        t0 = time.perf_counter()
        await memories.recall(user_id, QUERIES[0], now=now, user_name="Bench")
        restart_s = time.perf_counter() - t0
        await store.aclose()
    return {
        "recall_ms": {"p50": percentile(samples, 50), "p95": percentile(samples, 95)},
        # Other work on the machine slows every figure: say how busy it was.
        "load_average": round(os.getloadavg()[0], 2),
        "memories": stored,
        "queries": queries,
        "load_s": round(load_s, 2),
        "restart_s": round(restart_s, 2),
        "setup_s": round(seeded_s, 1),
    }


def main() -> None:  # pragma: no cover - a convenience for `python -m`
    import asyncio
    import sys

    print(json.dumps(asyncio.run(bench_recall(int(sys.argv[1]))), indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()

"""The SQLite side of memory search: BM25 over FTS5 and the per-user vector matrices.

A mixin that `SQLiteStore` inherits beside `SQLiteMemoryMixin`, whose rows, vectors and
helpers it reads. Recall's one search (`memory_candidates`) makes a single trip to the store's
thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from os1.store.sqlite_memory import _iso, _memories, _owner_token, _rowid_ids, _rows_by_rowid

if TYPE_CHECKING:
    from os1.store import MemoryCandidates
    from os1.store.vectors import VectorIndex

__all__ = ["MAX_TEXT_MATCHES", "SQLiteMemorySearchMixin"]

T = TypeVar("T")

# bm25() weights of memory_fts's columns: the words themselves, the message before, the message
# after, the speaker's name, the owner (a filter, never a score).
_FTS_WEIGHTS = "1.0, 0.5, 0.2, 1.0, 0.0"
# Past this many matching documents a full-text query drops its most common words.
MAX_TEXT_MATCHES = 10_000


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class SQLiteMemorySearchMixin:
    """`MemoryStore`'s searches on the SQLite connection of the store that inherits it."""

    if TYPE_CHECKING:

        async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

        def _vectors_for(self, conn: sqlite3.Connection, user_id: str) -> VectorIndex: ...

    async def memory_text_search(
        self, user_id: str, terms: Sequence[str], limit: int
    ) -> list[tuple[str, float]]:
        """Memories matching any of `terms` by BM25 (higher is better), best first."""
        if not terms or limit <= 0:
            return []

        def fetch(conn: sqlite3.Connection) -> list[tuple[str, float]]:
            scores = self._text_rowids(conn, user_id, terms, limit)
            ids = dict(_rowid_ids(conn, user_id, list(scores)))
            return [(ids[r], s) for r, s in scores.items() if r in ids]

        return await self._run(fetch)

    def _text_rowids(
        self, conn: sqlite3.Connection, user_id: str, terms: Sequence[str], limit: int
    ) -> dict[int, float]:
        """{rowid: BM25 score (higher is better)} of the `limit` best matches, best first."""
        kept = self._selective_terms(conn, terms) if terms and limit > 0 else []
        if not kept:
            return {}
        query = "(" + " OR ".join(_fts_phrase(t) for t in kept) + ")"
        # The owner token keeps other users' rows from taking the first places; intersecting
        # with it costs as much as the ranking, so a store that holds only this user's memories
        # (the usual case on one's own machine) goes without. Rows are checked again on fetch.
        first, last = (
            conn.execute(f"SELECT {edge}(user_id) FROM memories").fetchone()[0]
            for edge in ("min", "max")
        )
        if not first == last == user_id:
            query = f"owner : {_owner_token(user_id)} AND {query}"
        rows = conn.execute(
            f"SELECT rowid, bm25(memory_fts, {_FTS_WEIGHTS}) AS score FROM memory_fts"
            " WHERE memory_fts MATCH ? ORDER BY score LIMIT ?",
            (query, limit),
        ).fetchall()
        return {int(r[0]): -float(r[1]) for r in rows}

    def _selective_terms(self, conn: sqlite3.Connection, terms: Sequence[str]) -> list[str]:
        """The rarest terms, as many as keep the matches to rank under MAX_TEXT_MATCHES.

        BM25 ranks every document that matches; in a large store a common word matches
        hundreds of thousands and adds little to the score, so it is left out (meaning is then
        found by the vector search). Document counts are cached until the store grows by a
        tenth."""
        total = conn.execute("SELECT max(rowid) FROM memory_fts").fetchone()[0] or 0
        if total <= MAX_TEXT_MATCHES:
            return list(terms)
        cache: dict[str, int] = getattr(self, "_memory_term_counts", {})
        if total > getattr(self, "_memory_term_total", 0) * 1.1:
            cache = {}
            self._memory_term_total = total
        self._memory_term_counts = cache
        for term in terms:
            if term not in cache:
                cache[term] = conn.execute(
                    "SELECT count(*) FROM memory_fts WHERE memory_fts MATCH ?",
                    (f"{{text before after}} : {_fts_phrase(term)}",),
                ).fetchone()[0]
        kept, matches = [], 0
        for term in sorted(terms, key=lambda t: cache[t]):
            if matches + cache[term] > MAX_TEXT_MATCHES:
                break
            if cache[term]:
                kept.append(term)
                matches += cache[term]
        return kept

    async def memory_vector_search(
        self, user_id: str, vector: Any, limit: int
    ) -> list[tuple[str, float]]:
        """Memories by cosine similarity to `vector` (a unit float32 array), best first."""
        import numpy as np

        def fetch(conn: sqlite3.Connection) -> list[tuple[str, float]]:
            rowids, scores = self._vectors_for(conn, user_id).search(
                np.asarray(vector, dtype=np.float32), limit
            )
            if not len(rowids):
                return []
            by_rowid = dict(_rowid_ids(conn, user_id, [int(r) for r in rowids]))
            return [
                (by_rowid[int(r)], float(s))
                for r, s in zip(rowids, scores, strict=True)
                if int(r) in by_rowid
            ]

        return await self._run(fetch)

    async def memory_candidates(
        self,
        user_id: str,
        terms: Sequence[str],
        vector: Any,
        limit: int,
        *,
        window: tuple[datetime, datetime] | None = None,
    ) -> MemoryCandidates:
        """Recall's one search, in one trip to the store's thread: BM25 and vector candidates
        (and those dated inside `window`), fetched by rowid, each with its cosine similarity
        (computed from its stored vector when the vector search did not reach it)."""
        import numpy as np

        from os1.store import MemoryCandidates

        query = np.asarray(vector, dtype=np.float32).reshape(-1)

        def fetch(conn: sqlite3.Connection) -> MemoryCandidates:
            if limit <= 0:
                return MemoryCandidates([], {}, {})
            text = self._text_rowids(conn, user_id, terms, limit)
            rowids, scores = self._vectors_for(conn, user_id).search(query, limit)
            similar = {int(r): float(s) for r, s in zip(rowids, scores, strict=True)}
            wanted = list(dict.fromkeys([*text, *similar]))
            if window is not None:
                wanted += [
                    r[0]
                    for r in conn.execute(
                        "SELECT rowid FROM memories WHERE user_id = ? AND kind IN"
                        " ('episode', 'fact', 'summary') AND valid_at BETWEEN ? AND ?"
                        " ORDER BY valid_at LIMIT ?",
                        (user_id, _iso(window[0]), _iso(window[1]), limit),
                    )
                    if r[0] not in text and r[0] not in similar
                ]
            rows = _rows_by_rowid(conn, user_id, wanted)
            unscored = [r for r in rows if r["rowid"] not in similar and r["vector"]]
            if unscored:
                dims = len(unscored[0]["vector"]) // 2
                matrix = np.frombuffer(
                    b"".join(r["vector"] for r in unscored), dtype=np.float16
                ).reshape(len(unscored), dims)
                found = np.einsum("ij,j->i", matrix.astype(np.float32), query)
                similar.update((r["rowid"], float(s)) for r, s in zip(unscored, found, strict=True))
            memories = _memories(conn, rows)
            return MemoryCandidates(
                memories,
                {m.id: text[r["rowid"]] for m, r in zip(memories, rows, strict=True)
                 if r["rowid"] in text},
                {m.id: similar[r["rowid"]] for m, r in zip(memories, rows, strict=True)
                 if r["rowid"] in similar},
            )  # fmt: skip

        return await self._run(fetch)

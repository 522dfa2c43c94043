"""The SQLite side of memory: memories, their sources, full text (FTS5) and vectors.

A mixin that `SQLiteStore` inherits (searching them is `sqlite_memory_search.py`). Vectors are
stored as float16 BLOBs and searched from a per-user matrix kept in RAM (see `vectors.py`),
loaded on first use and kept in step with every write through this store; a write by another
process (seen through `PRAGMA data_version`) makes it reload. Forgetting removes a memory from
every table, the full-text index and the vectors, and overwrites the freed pages.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from os1.errors import InputError, NotFound
from os1.types import Memory, MemoryKind, MemorySource, Message, MessageStatus, NewMemory

if TYPE_CHECKING:
    from os1.store.vectors import VectorIndex

__all__ = ["FORGOTTEN", "SQLiteMemoryMixin", "export_memories"]

T = TypeVar("T")

FORGOTTEN = "(forgotten)"
_UNSET: Any = object()


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


def _memory(row: sqlite3.Row, sources: tuple[str, ...]) -> Memory:
    return Memory(
        id=row["id"],
        user_id=row["user_id"],
        kind=row["kind"],
        text=row["text"],
        about=row["about"],
        importance=row["importance"],
        created_at=datetime.fromisoformat(row["created_at"]),
        valid_at=datetime.fromisoformat(row["valid_at"]),
        invalid_at=_dt(row["invalid_at"]),
        conversation_id=row["conversation_id"],
        seq=row["seq"],
        sources=sources,
        meta=json.loads(row["meta"]) if row["meta"] != "{}" else {},
    )


def _owner_token(user_id: str) -> str:
    # One token (unicode61 would split an id at '_'): a single term is much cheaper to intersect
    # with than a phrase.
    return "u" + "".join(re.findall(r"[A-Za-z0-9]+", user_id)).lower()


class SQLiteMemoryMixin:
    """`MemoryStore` on the SQLite connection of the store that inherits it."""

    supports_memory = True

    if TYPE_CHECKING:
        _clock: Callable[[], datetime]

        async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

        async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

        def _now(self) -> str: ...

    # --- the per-user vector matrices (touched only on the store's one worker thread) -------

    def _vector_indexes(self) -> dict[str, VectorIndex]:
        cache: dict[str, VectorIndex] | None = getattr(self, "_memory_vectors", None)
        if cache is None:
            cache = {}
            self._memory_vectors = cache
            self._memory_data_version = -1
        return cache

    def _vectors_for(self, conn: sqlite3.Connection, user_id: str) -> VectorIndex:
        import numpy as np

        from os1.store.vectors import IvfLists, VectorIndex

        cache = self._vector_indexes()
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._memory_data_version:
            # Another connection committed since we last looked: our matrices may be stale.
            cache.clear()
            self._memory_data_version = version
        index = cache.get(user_id)
        if index is None:
            cursor = conn.cursor()
            cursor.row_factory = None  # plain tuples: a million sqlite3.Row cost a second more
            rows = cursor.execute(
                "SELECT rowid, vector FROM memories WHERE user_id = ? AND vector IS NOT NULL"
                " ORDER BY rowid",
                (user_id,),
            ).fetchall()
            dims = len(rows[0][1]) // 2 if rows else 384
            index = VectorIndex(dims)
            saved = conn.execute(
                "SELECT offsets, rowids FROM memory_vector_lists WHERE user_id = ?", (user_id,)
            ).fetchone()
            if rows:
                ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
                blob = b"".join(r[1] for r in rows)
                count = len(rows)
                del rows  # a million rows hold as much memory as the vectors
                # float16 as stored: the index widens them as it copies them in.
                vecs = np.frombuffer(blob, dtype=np.float16).reshape(count, dims)
                if saved is not None:
                    lists = IvfLists(
                        np.frombuffer(saved[0], dtype=np.int64),
                        np.frombuffer(saved[1], dtype=np.int64),
                    )
                    index.restore(ids, vecs, lists)
                else:
                    index.add(ids, vecs)
            # What is saved matches this index unless one of them has lists and the other not.
            self._lists_saved()[user_id] = 0 if (saved is not None) == index.uses_ivf else -1
            cache[user_id] = index
        self._keep_lists(conn, user_id, index)
        return index

    def _lists_saved(self) -> dict[str, int]:
        """{user id: the generation of the IVF lists saved for that user}."""
        saved: dict[str, int] | None = getattr(self, "_memory_lists_saved", None)
        if saved is None:
            saved = {}
            self._memory_lists_saved = saved
        return saved

    def _keep_lists(self, conn: sqlite3.Connection, user_id: str, index: VectorIndex) -> None:
        """Save the user's IVF lists when they were built (or dropped) since the last save, so
        that the next start groups the vectors without k-means (1M vectors: 30 s saved)."""
        saved = self._lists_saved()
        if saved.get(user_id) == index.generation:
            return
        lists = index.lists()
        # Outside a transaction this is a write on the read path: a cache, so it never waits for
        # another writer (it is saved on a later call instead).
        reading = not conn.in_transaction
        wait_ms = conn.execute("PRAGMA busy_timeout").fetchone()[0] if reading else 0
        if reading:
            conn.execute("PRAGMA busy_timeout = 0")
        try:
            if lists is None:
                conn.execute("DELETE FROM memory_vector_lists WHERE user_id = ?", (user_id,))
            else:
                conn.execute(
                    "INSERT INTO memory_vector_lists (user_id, offsets, rowids, updated_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
                    " offsets = excluded.offsets, rowids = excluded.rowids,"
                    " updated_at = excluded.updated_at",
                    (user_id, lists.offsets.tobytes(), lists.ids.tobytes(), self._now()),
                )
        except sqlite3.OperationalError:
            if not reading:
                raise
            return
        finally:
            if reading:
                conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
        saved[user_id] = index.generation

    # --- writing ------------------------------------------------------------------------------

    async def add_memories(
        self,
        user_id: str,
        items: Sequence[NewMemory],
        *,
        progress: tuple[str, str, str] | None = None,
    ) -> list[Memory]:
        """Store memories with their sources, full text and vectors, in one transaction.

        An episode whose message is already remembered is skipped (indexing is idempotent).
        `progress` (job, key, value) is recorded in the same transaction, so a background step
        and the note that it is done land together or not at all.
        """
        import numpy as np

        now = self._now()
        owner = _owner_token(user_id)

        def tx(conn: sqlite3.Connection) -> list[Memory]:
            if conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
                raise NotFound(f"no user {user_id}")
            # Loaded before the inserts, so the new rows are added to it exactly once.
            index = self._vectors_for(conn, user_id)
            added: list[tuple[str, int, Any]] = []
            for item in items:
                if (
                    item.message_id is not None
                    and conn.execute(
                        "SELECT 1 FROM memories WHERE message_id = ?", (item.message_id,)
                    ).fetchone()
                ):
                    continue
                vector = None
                if item.vector is not None:
                    vector = np.asarray(item.vector, dtype=np.float32).reshape(-1)
                memory_id = f"mem_{uuid.uuid4().hex}"
                invalid = _iso(item.invalid_at) if item.invalid_at else None
                cur = conn.execute(
                    "INSERT INTO memories (id, user_id, kind, about, text, importance,"
                    " created_at, valid_at, invalid_at, conversation_id, seq, message_id, meta,"
                    " vector) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        memory_id, user_id, item.kind, item.about, item.text, item.importance,
                        now, _iso(item.valid_at), invalid, item.conversation_id, item.seq,
                        item.message_id, json.dumps(item.meta),
                        vector.astype(np.float16).tobytes() if vector is not None else None,
                    ),
                )  # fmt: skip
                rowid = int(cur.lastrowid or 0)
                sources = dict.fromkeys(
                    (*item.sources, *((item.message_id,) if item.message_id else ()))
                )
                conn.executemany(
                    "INSERT OR IGNORE INTO memory_sources (memory_id, message_id) VALUES (?, ?)",
                    [(memory_id, source) for source in sources],
                )
                conn.execute(
                    "INSERT INTO memory_fts (rowid, text, before, after, speaker, owner)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (rowid, item.text, item.before, item.after, item.speaker, owner),
                )
                if item.kind == "episode" and item.conversation_id and item.seq:
                    # The message before this one now knows what came after it.
                    prev = conn.execute(
                        "SELECT rowid FROM memories WHERE conversation_id = ? AND seq = ?"
                        " AND kind = 'episode'",
                        (item.conversation_id, item.seq - 1),
                    ).fetchone()
                    if prev is not None:
                        conn.execute(
                            "UPDATE memory_fts SET after = ? WHERE rowid = ? AND after = ''",
                            (item.text, prev[0]),
                        )
                added.append((memory_id, rowid, vector))
            if progress is not None:
                _set_progress(conn, user_id, *progress, now)
            if added:
                with_vectors = [(r, v) for _, r, v in added if v is not None]
                if with_vectors:
                    index.add(
                        np.array([r for r, _ in with_vectors], dtype=np.int64),
                        # The stored float16 values, so a reload finds exactly the same vectors.
                        np.stack([v.astype(np.float16) for _, v in with_vectors]).astype(
                            np.float32
                        ),
                    )
                    self._keep_lists(conn, user_id, index)
            return _fetch(conn, user_id, [m for m, _, _ in added])

        return await self._write_vectors(user_id, tx)

    async def update_memory(
        self,
        user_id: str,
        memory_id: str,
        *,
        text: str | None = None,
        vector: Any = None,
        importance: float | None = None,
        invalid_at: datetime | None = _UNSET,
        add_sources: Sequence[str] = (),
        meta: dict[str, Any] | None = None,
    ) -> Memory:
        """Change a memory (its text and vector together, importance, when it stopped being
        true, more sources); the full-text index and vectors follow."""
        import numpy as np

        def tx(conn: sqlite3.Connection) -> Memory:
            row = conn.execute(
                "SELECT rowid, * FROM memories WHERE id = ? AND user_id = ?", (memory_id, user_id)
            ).fetchone()
            if row is None:
                raise NotFound(f"no memory {memory_id}")
            if text is not None:
                if not text.strip():
                    raise InputError("a memory's text can't be empty; forget it instead")
                conn.execute("UPDATE memories SET text = ? WHERE rowid = ?", (text, row["rowid"]))
                conn.execute("UPDATE memory_fts SET text = ? WHERE rowid = ?", (text, row["rowid"]))
            if vector is not None:
                vec = np.asarray(vector, dtype=np.float32).reshape(-1).astype(np.float16)
                conn.execute(
                    "UPDATE memories SET vector = ? WHERE rowid = ?", (vec.tobytes(), row["rowid"])
                )
                index = self._vectors_for(conn, user_id)
                ids = np.array([row["rowid"]], dtype=np.int64)
                index.remove(ids)
                index.add(ids, vec.astype(np.float32)[None, :])
                self._keep_lists(conn, user_id, index)
            if importance is not None:
                conn.execute(
                    "UPDATE memories SET importance = ? WHERE rowid = ?",
                    (float(importance), row["rowid"]),
                )
            if invalid_at is not _UNSET:
                conn.execute(
                    "UPDATE memories SET invalid_at = ? WHERE rowid = ?",
                    (_iso(invalid_at) if invalid_at else None, row["rowid"]),
                )
            if meta is not None:
                conn.execute(
                    "UPDATE memories SET meta = ? WHERE rowid = ?",
                    (json.dumps({**json.loads(row["meta"]), **meta}), row["rowid"]),
                )
            conn.executemany(
                "INSERT OR IGNORE INTO memory_sources (memory_id, message_id)"
                " SELECT ?, id FROM messages WHERE id = ?",
                [(memory_id, source) for source in add_sources],
            )
            return _fetch(conn, user_id, [memory_id])[0]

        return await self._write_vectors(user_id, tx)

    async def _write_vectors(self, user_id: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        """A write that also changes the user's vectors in RAM: if it is rolled back, the
        matrix is dropped (and reloaded from the file on the next search)."""
        try:
            return await self._write(fn)
        except BaseException:
            self._vector_indexes().pop(user_id, None)
            raise

    async def forget_memories(
        self, user_id: str, memory_ids: Sequence[str], *, with_sources: bool = False
    ) -> int:
        """Erase memories for good: rows, sources, full text, vectors, and the recalled notes
        that quoted them. With `with_sources`, the messages they came from are erased too
        (their words become "(forgotten)") along with every memory drawn from those messages.
        Returns how many memories went."""
        import numpy as np

        def tx(conn: sqlite3.Connection) -> tuple[int, list[int]]:
            ids = list(dict.fromkeys(memory_ids))
            marks = ",".join("?" * len(ids))
            rows = conn.execute(
                f"SELECT rowid, id, text FROM memories WHERE user_id = ? AND id IN ({marks})",
                (user_id, *ids),
            ).fetchall()
            if len(rows) < len(ids):
                found = {r["id"] for r in rows}
                raise NotFound(f"no memory {next(i for i in ids if i not in found)}")
            messages: list[str] = []
            if with_sources:
                messages = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT DISTINCT message_id FROM memory_sources WHERE memory_id IN"
                        f" ({marks})",
                        ids,
                    )
                ]
                if messages:
                    more = ",".join("?" * len(messages))
                    rows += conn.execute(
                        "SELECT DISTINCT m.rowid, m.id, m.text FROM memories m"
                        " JOIN memory_sources s ON s.memory_id = m.id"
                        f" WHERE m.user_id = ? AND s.message_id IN ({more})",
                        (user_id, *messages),
                    ).fetchall()
            gone = {r["id"]: r for r in rows}
            rowids = [r["rowid"] for r in gone.values()]
            for chunk in _chunks(rowids):
                conn.execute(
                    f"DELETE FROM memories WHERE rowid IN ({','.join('?' * len(chunk))})", chunk
                )
            if messages:
                for chunk in _chunks(messages):
                    conn.execute(
                        "UPDATE messages SET content = ? WHERE id IN"
                        f" ({','.join('?' * len(chunk))})",
                        (FORGOTTEN, *chunk),
                    )
            _scrub_notes(conn, user_id, [r["text"] for r in gone.values()])
            return len(gone), rowids

        # Freed pages are overwritten, not just unlinked, so the words are not left on disk.
        await self._run(lambda conn: conn.execute("PRAGMA secure_delete = ON"))
        count, rowids = await self._write(tx)

        def tidy(conn: sqlite3.Connection) -> None:
            index = self._vectors_for(conn, user_id)
            index.remove(np.array(rowids, dtype=np.int64))
            self._keep_lists(conn, user_id, index)
            # Rewrite the full-text index so no old segment still holds the words, and fold the
            # write-ahead log (which holds old pages) back into the file.
            conn.execute("INSERT INTO memory_fts (memory_fts) VALUES ('optimize')")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        await self._run(tidy)
        return count

    # --- reading ------------------------------------------------------------------------------

    async def get_memories(self, user_id: str, memory_ids: Sequence[str]) -> list[Memory]:
        """The user's memories with these ids, in the order asked; unknown ids are left out."""
        return await self._run(lambda conn: _fetch(conn, user_id, list(memory_ids)))

    async def memory_ids_starting(self, user_id: str, prefix: str, limit: int = 2) -> list[str]:
        """Up to `limit` ids of the user's memories that begin with `prefix`, in id order."""

        def fetch(conn: sqlite3.Connection) -> list[str]:
            # A range on the primary key (ids are ASCII), never a scan of the user's rows.
            rows = conn.execute(
                "SELECT id FROM memories WHERE id >= ? AND id < ? AND +user_id = ?"
                " ORDER BY id LIMIT ?",
                (prefix, prefix + "\uffff", user_id, limit),
            )
            return [row["id"] for row in rows]

        return await self._run(fetch)

    async def list_memories(
        self,
        user_id: str,
        *,
        kind: MemoryKind | None = None,
        include_invalid: bool = True,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Memory]:
        """The user's memories, most recent first (by when they were said or became true)."""

        def fetch(conn: sqlite3.Connection) -> list[Memory]:
            sql = "SELECT id FROM memories WHERE user_id = ?"
            args: list[Any] = [user_id]
            if kind is not None:
                sql += " AND kind = ?"
                args.append(kind)
            if not include_invalid:
                sql += " AND invalid_at IS NULL"
            sql += " ORDER BY valid_at DESC, rowid DESC LIMIT ? OFFSET ?"
            ids = [r[0] for r in conn.execute(sql, (*args, limit, offset))]
            return _fetch(conn, user_id, ids)

        return await self._run(fetch)

    async def memory_sources(self, user_id: str, memory_id: str) -> list[MemorySource]:
        """The messages a memory came from, oldest first."""

        def fetch(conn: sqlite3.Connection) -> list[MemorySource]:
            if (
                conn.execute(
                    "SELECT 1 FROM memories WHERE id = ? AND user_id = ?", (memory_id, user_id)
                ).fetchone()
                is None
            ):
                raise NotFound(f"no memory {memory_id}")
            rows = conn.execute(
                "SELECT m.* FROM memory_sources s JOIN messages m ON m.id = s.message_id"
                " JOIN conversations c ON c.id = m.conversation_id"
                " WHERE s.memory_id = ? AND c.user_id = ? ORDER BY m.created_at, m.seq",
                (memory_id, user_id),
            ).fetchall()
            return [
                MemorySource(
                    message_id=r["id"],
                    conversation_id=r["conversation_id"],
                    seq=r["seq"],
                    role=r["role"],
                    content=r["content"],
                    created_at=datetime.fromisoformat(r["created_at"]),
                )
                for r in rows
            ]

        return await self._run(fetch)

    async def unremembered_messages(self, user_id: str, limit: int = 500) -> list[Message]:
        """Complete, non-empty messages of the user that are not yet episodes, oldest first."""

        def fetch(conn: sqlite3.Connection) -> list[Message]:
            from os1.store.sqlite import _message

            rows = conn.execute(
                "SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                " WHERE c.user_id = ? AND m.status = ? AND trim(m.content) != ''"
                " AND m.content != ? AND json_extract(m.meta, '$.kind') IS NOT 'greeting'"
                " AND NOT EXISTS (SELECT 1 FROM memories e WHERE e.message_id = m.id)"
                " ORDER BY m.created_at, m.seq LIMIT ?",
                (user_id, MessageStatus.COMPLETE.value, FORGOTTEN, limit),
            ).fetchall()
            return [_message(r) for r in rows]

        return await self._run(fetch)

    async def memory_progress(self, user_id: str, job: str) -> dict[str, str]:
        """What a background job recorded for this user: {key: value}."""
        return await self._run(
            lambda conn: {
                r[0]: r[1]
                for r in conn.execute(
                    "SELECT key, value FROM memory_progress WHERE user_id = ? AND job = ?",
                    (user_id, job),
                )
            }
        )

    async def set_memory_progress(self, user_id: str, job: str, key: str, value: str) -> None:
        """Record a background job's progress (one idempotent step done)."""
        now = self._now()
        await self._write(lambda conn: _set_progress(conn, user_id, job, key, value, now))

    async def memory_counts(self, user_id: str) -> dict[str, int]:
        """How many memories of each kind the user has (and how many facts are past)."""

        def fetch(conn: sqlite3.Connection) -> dict[str, int]:
            out = {"episode": 0, "fact": 0, "summary": 0}
            for kind, count in conn.execute(
                "SELECT kind, count(*) FROM memories WHERE user_id = ? GROUP BY kind", (user_id,)
            ):
                out[kind] = count
            out["past"] = conn.execute(
                "SELECT count(*) FROM memories WHERE user_id = ? AND invalid_at IS NOT NULL",
                (user_id,),
            ).fetchone()[0]
            return out

        return await self._run(fetch)


def export_memories(conn: sqlite3.Connection, user_id: str) -> list[dict[str, Any]]:
    """A user's memories as JSON-ready data (for `os1 export`), with their source message ids."""
    sources: dict[str, list[str]] = {}
    for memory_id, message_id in conn.execute(
        "SELECT s.memory_id, s.message_id FROM memory_sources s JOIN memories m"
        " ON m.id = s.memory_id WHERE m.user_id = ?",
        (user_id,),
    ):
        sources.setdefault(memory_id, []).append(message_id)
    out = []
    for row in conn.execute(
        "SELECT id, kind, about, text, importance, created_at, valid_at, invalid_at,"
        " conversation_id, seq, meta FROM memories WHERE user_id = ? ORDER BY valid_at, rowid",
        (user_id,),
    ):
        item = dict(row)
        item["meta"] = json.loads(item["meta"])
        item["sources"] = sources.get(row["id"], [])
        out.append(item)
    return out


def _set_progress(
    conn: sqlite3.Connection, user_id: str, job: str, key: str, value: str, now: str
) -> None:
    conn.execute(
        "INSERT INTO memory_progress (user_id, job, key, value, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, job, key)"
        " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (user_id, job, key, value, now),
    )


def _chunks(items: list[T], size: int = 500) -> list[list[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# Every column a Memory needs, and the vector (for scoring candidates); never `SELECT *`.
_COLUMNS = (
    "rowid, id, user_id, kind, text, about, importance, created_at, valid_at, invalid_at,"
    " conversation_id, seq, meta, vector"
)


def _rowid_ids(conn: sqlite3.Connection, user_id: str, rowids: list[int]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for chunk in _chunks(rowids):
        out += conn.execute(
            f"SELECT rowid, id FROM memories WHERE rowid IN ({','.join('?' * len(chunk))})"
            " AND +user_id = ?",
            (*chunk, user_id),
        ).fetchall()
    return out


def _rows_by_rowid(conn: sqlite3.Connection, user_id: str, rowids: list[int]) -> list[sqlite3.Row]:
    """The user's memory rows with these rowids, in the order given."""
    found: dict[int, sqlite3.Row] = {}
    for chunk in _chunks(rowids):
        for row in conn.execute(
            f"SELECT {_COLUMNS} FROM memories WHERE rowid IN ({','.join('?' * len(chunk))})"
            " AND +user_id = ?",
            (*chunk, user_id),
        ):
            found[row["rowid"]] = row
    return [found[r] for r in rowids if r in found]


def _memories(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[Memory]:
    """Memories from their rows, with their sources (oldest message first)."""
    sources: dict[str, list[str]] = {}
    ids = [r["id"] for r in rows]
    for chunk in _chunks(ids):
        for memory_id, message_id in conn.execute(
            "SELECT s.memory_id, s.message_id FROM memory_sources s"
            " JOIN messages m ON m.id = s.message_id"
            f" WHERE s.memory_id IN ({','.join('?' * len(chunk))}) ORDER BY m.created_at, m.seq",
            chunk,
        ):
            sources.setdefault(memory_id, []).append(message_id)
    return [_memory(r, tuple(sources.get(r["id"], ()))) for r in rows]


def _fetch(conn: sqlite3.Connection, user_id: str, ids: list[str]) -> list[Memory]:
    """Memories by id in the given order, with their sources."""
    found: dict[str, sqlite3.Row] = {}
    for chunk in _chunks(ids):
        for row in conn.execute(
            # `+user_id`: look rows up by id, never by scanning the user's index.
            f"SELECT {_COLUMNS} FROM memories WHERE +user_id = ? AND id IN"
            f" ({','.join('?' * len(chunk))})",
            (user_id, *chunk),
        ):
            found[row["id"]] = row
    return _memories(conn, [found[i] for i in dict.fromkeys(ids) if i in found])


def _scrub_notes(conn: sqlite3.Connection, user_id: str, texts: list[str]) -> None:
    """Replace the recalled-note lines that quoted these memories with "(forgotten)"."""
    # Notes quote a memory's beginning (it may be clipped), so its first words identify it.
    probes = [" ".join(t.split())[:48] for t in texts if t.strip()]
    for probe in probes:
        rows = conn.execute(
            "SELECT m.id, m.notes FROM messages m JOIN conversations c"
            " ON c.id = m.conversation_id WHERE c.user_id = ? AND instr(m.notes, ?) > 0",
            (user_id, probe),
        ).fetchall()
        for message_id, notes in rows:
            lines = [f"> {FORGOTTEN}" if probe in line else line for line in notes.splitlines()]
            conn.execute(
                "UPDATE messages SET notes = ? WHERE id = ?", ("\n".join(lines), message_id)
            )

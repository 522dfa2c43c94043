"""The SQLite store: WAL, synchronous=FULL, one connection on one worker thread."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from os1.config import Settings
from os1.errors import InputError, NotFound, StoreError, StoreFullError
from os1.store import TurnRecord
from os1.store.migrations import apply_migrations
from os1.store.sqlite_auth import SQLiteAuthMixin
from os1.store.sqlite_heart import SQLiteHeartMixin, export_heart
from os1.store.sqlite_memory import SQLiteMemoryMixin, export_memories
from os1.store.sqlite_memory_search import SQLiteMemorySearchMixin
from os1.store.sqlite_persona import SQLitePersonaMixin, export_persona
from os1.store.sqlite_safety import SQLiteSafetyMixin, export_safety
from os1.types import CompanionProfile, Conversation, Message, MessageStatus, Role, User

__all__ = ["SQLiteStore"]

T = TypeVar("T")
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        seq=row["seq"],
        role=row["role"],
        content=row["content"],
        status=MessageStatus(row["status"]),
        created_at=_dt(row["created_at"]),
        idempotency_key=row["idempotency_key"],
        notes=row["notes"],
        meta=json.loads(row["meta"]),
    )


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(
        id=row["id"],
        user_id=row["user_id"],
        companion_id=row["companion_id"],
        title=row["title"],
        created_at=_dt(row["created_at"]),
        updated_at=_dt(row["updated_at"]),
        context_start_seq=row["context_start_seq"],
    )


def _companion(row: sqlite3.Row) -> CompanionProfile:
    return CompanionProfile(
        id=row["id"],
        user_id=row["user_id"],
        name=row["name"],
        persona=row["persona"],
        created_at=_dt(row["created_at"]),
    )


def _user(row: sqlite3.Row) -> User:
    return User(id=row["id"], name=row["name"], created_at=_dt(row["created_at"]))


class SQLiteStore(
    SQLiteAuthMixin,
    SQLiteSafetyMixin,
    SQLiteMemoryMixin,
    SQLiteMemorySearchMixin,
    SQLiteHeartMixin,
    SQLitePersonaMixin,
):
    """Store implementation on one SQLite file (or ":memory:").

    Every call runs on a single worker thread that owns the connection, so the event loop never
    waits on an fsync and writes are serialised without extra locks.
    """

    name = "sqlite"

    def __init__(self, path: Path | str, *, clock: Clock = _utcnow) -> None:
        self.path = str(path)
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="os1-sqlite")
        self._conn: sqlite3.Connection | None = None

    # --- plumbing --------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=5000")
            apply_migrations(conn)
            self._conn = conn
        return self._conn

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            try:
                conn = self._open()
            except sqlite3.Error as err:
                raise _translate(err, self.path) from None
            try:
                return fn(conn)
            except BaseException as err:
                # Whatever failed, nothing half-written may stay: undo the open transaction.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(err, sqlite3.Error):
                    raise _translate(err, self.path) from None
                raise

        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def tx(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN IMMEDIATE")
            result = fn(conn)
            conn.execute("COMMIT")
            return result

        return await self._run(tx)

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat()

    async def aclose(self) -> None:
        """Close the connection and the worker thread."""

        def close(_: sqlite3.Connection) -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        if self._conn is not None:
            await self._run(close)
        self._pool.shutdown(wait=True)

    # --- users and companions -------------------------------------------------------------

    async def create_user(self, name: str) -> User:
        """Create a user."""
        user = User(id=_new_id("usr"), name=name, created_at=self._clock())

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO users (id, name, created_at) VALUES (?, ?, ?)",
                (user.id, name, user.created_at.astimezone(UTC).isoformat()),
            )

        await self._write(insert)
        return user

    async def get_user(self, user_id: str) -> User:
        """Fetch a user."""

        def fetch(conn: sqlite3.Connection) -> User:
            row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
            if row is None:
                raise NotFound(f"no user {user_id}")
            return _user(row)

        return await self._run(fetch)

    async def list_users(self) -> list[User]:
        """All users, oldest first."""
        return await self._run(
            lambda conn: [
                _user(r) for r in conn.execute("SELECT * FROM users ORDER BY created_at, rowid")
            ]
        )

    async def rename_user(self, user_id: str, name: str) -> User:
        """Change what a user is called."""

        def update(conn: sqlite3.Connection) -> User:
            row = conn.execute(
                "UPDATE users SET name = ? WHERE id = ? RETURNING *", (name, user_id)
            ).fetchone()
            if row is None:
                raise NotFound(f"no user {user_id}")
            return _user(row)

        return await self._write(update)

    async def create_companion(self, user_id: str, name: str, persona: str) -> CompanionProfile:
        """Create a companion for a user."""
        comp = CompanionProfile(
            id=_new_id("cmp"), user_id=user_id, name=name, persona=persona, created_at=self._clock()
        )

        def insert(conn: sqlite3.Connection) -> None:
            _require_user(conn, user_id)
            conn.execute(
                "INSERT INTO companions (id, user_id, name, persona, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (comp.id, user_id, name, persona, comp.created_at.astimezone(UTC).isoformat()),
            )

        await self._write(insert)
        return comp

    async def get_companion(self, user_id: str, companion_id: str) -> CompanionProfile:
        """Fetch one of the user's companions."""

        def fetch(conn: sqlite3.Connection) -> CompanionProfile:
            row = conn.execute(
                "SELECT * FROM companions WHERE id = ? AND user_id = ?", (companion_id, user_id)
            ).fetchone()
            if row is None:
                raise NotFound(f"no companion {companion_id}")
            return _companion(row)

        return await self._run(fetch)

    async def list_companions(self, user_id: str) -> list[CompanionProfile]:
        """The user's companions, oldest first."""
        return await self._run(
            lambda conn: [
                _companion(r)
                for r in conn.execute(
                    "SELECT * FROM companions WHERE user_id = ? ORDER BY created_at, rowid",
                    (user_id,),
                )
            ]
        )

    async def update_companion(
        self,
        user_id: str,
        companion_id: str,
        *,
        name: str | None = None,
        persona: str | None = None,
    ) -> CompanionProfile:
        """Change one of the user's companions: its name, its persona, or both."""

        def update(conn: sqlite3.Connection) -> CompanionProfile:
            row = conn.execute(
                "UPDATE companions SET name = coalesce(?, name), persona = coalesce(?, persona)"
                " WHERE id = ? AND user_id = ? RETURNING *",
                (name, persona, companion_id, user_id),
            ).fetchone()
            if row is None:
                raise NotFound(f"no companion {companion_id}")
            return _companion(row)

        return await self._write(update)

    # --- conversations --------------------------------------------------------------------

    async def create_conversation(
        self, user_id: str, companion_id: str, title: str = ""
    ) -> Conversation:
        """Start a conversation between a user and one of their companions."""
        now = self._now()
        conv_id = _new_id("cnv")

        def insert(conn: sqlite3.Connection) -> Conversation:
            owner = conn.execute(
                "SELECT 1 FROM companions WHERE id = ? AND user_id = ?", (companion_id, user_id)
            ).fetchone()
            if owner is None:
                raise NotFound(f"no companion {companion_id}")
            conn.execute(
                "INSERT INTO conversations (id, user_id, companion_id, title, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (conv_id, user_id, companion_id, title, now, now),
            )
            return _conversation(
                conn.execute("SELECT * FROM conversations WHERE id = ?", (conv_id,)).fetchone()
            )

        return await self._write(insert)

    async def get_conversation(self, user_id: str, conversation_id: str) -> Conversation:
        """Fetch one of the user's conversations."""

        def fetch(conn: sqlite3.Connection) -> Conversation:
            return _conversation(_owned_conversation(conn, user_id, conversation_id))

        return await self._run(fetch)

    async def list_conversations(
        self, user_id: str, companion_id: str | None = None
    ) -> list[Conversation]:
        """The user's conversations, most recently active first."""

        def fetch(conn: sqlite3.Connection) -> list[Conversation]:
            sql = "SELECT * FROM conversations WHERE user_id = ?"
            args: tuple[str, ...] = (user_id,)
            if companion_id is not None:
                sql += " AND companion_id = ?"
                args += (companion_id,)
            sql += " ORDER BY updated_at DESC, rowid DESC"
            return [_conversation(r) for r in conn.execute(sql, args)]

        return await self._run(fetch)

    async def rename_conversation(
        self, user_id: str, conversation_id: str, title: str
    ) -> Conversation:
        """Give one of the user's conversations a title."""

        def update(conn: sqlite3.Connection) -> Conversation:
            _owned_conversation(conn, user_id, conversation_id)
            row = conn.execute(
                "UPDATE conversations SET title = ? WHERE id = ? RETURNING *",
                (title, conversation_id),
            ).fetchone()
            return _conversation(row)

        return await self._write(update)

    async def set_context_start(self, user_id: str, conversation_id: str, seq: int) -> None:
        """Move the conversation's prompt window to begin at `seq` (a deliberate trim)."""

        def update(conn: sqlite3.Connection) -> None:
            _owned_conversation(conn, user_id, conversation_id)
            conn.execute(
                "UPDATE conversations SET context_start_seq = ? WHERE id = ?",
                (seq, conversation_id),
            )

        await self._write(update)

    # --- messages -------------------------------------------------------------------------

    async def begin_turn(
        self,
        user_id: str,
        conversation_id: str,
        text: str,
        *,
        idempotency_key: str | None = None,
        notes: str = "",
        meta: dict[str, Any] | None = None,
    ) -> TurnRecord:
        """Durably store the user's message and reserve the reply, in one transaction."""
        now = self._now()

        def tx(conn: sqlite3.Connection) -> TurnRecord:
            _owned_conversation(conn, user_id, conversation_id)
            if idempotency_key is not None:
                seen = conn.execute(
                    "SELECT * FROM messages WHERE conversation_id = ? AND idempotency_key = ?",
                    (conversation_id, idempotency_key),
                ).fetchone()
                if seen is not None:
                    if seen["content"] != text:
                        raise InputError(
                            "that idempotency key was already used for a different message"
                        )
                    after = conn.execute(
                        "SELECT * FROM messages WHERE conversation_id = ? AND seq = ?"
                        " AND role = 'assistant'",
                        (conversation_id, seen["seq"] + 1),
                    ).fetchone()
                    return TurnRecord(
                        _message(seen), _message(after) if after else None, replayed=True
                    )
            user_seq = _next_seq(conn, conversation_id, 2, now)
            user_id_ = _new_id("msg")
            reply_id = _new_id("msg")
            conn.executemany(
                "INSERT INTO messages (id, conversation_id, seq, role, content, status,"
                " idempotency_key, notes, meta, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        user_id_, conversation_id, user_seq, "user", text, "complete",
                        idempotency_key, notes, json.dumps(meta or {}), now,
                    ),
                    (
                        reply_id, conversation_id, user_seq + 1, "assistant", "", "streaming",
                        None, "", "{}", now,
                    ),
                ],
            )  # fmt: skip
            rows = conn.execute(
                "SELECT * FROM messages WHERE id IN (?, ?) ORDER BY seq", (user_id_, reply_id)
            ).fetchall()
            return TurnRecord(_message(rows[0]), _message(rows[1]), replayed=False)

        return await self._write(tx)

    async def append_message(
        self,
        user_id: str,
        conversation_id: str,
        role: Role,
        content: str,
        *,
        meta: dict[str, Any] | None = None,
    ) -> Message:
        """Store a complete message outside a turn (a greeting, an imported line)."""
        now = self._now()
        msg_id = _new_id("msg")

        def tx(conn: sqlite3.Connection) -> Message:
            _owned_conversation(conn, user_id, conversation_id)
            seq = _next_seq(conn, conversation_id, 1, now)
            conn.execute(
                "INSERT INTO messages (id, conversation_id, seq, role, content, status, meta,"
                " created_at) VALUES (?, ?, ?, ?, ?, 'complete', ?, ?)",
                (msg_id, conversation_id, seq, role, content, json.dumps(meta or {}), now),
            )
            return _message(
                conn.execute("SELECT * FROM messages WHERE id = ?", (msg_id,)).fetchone()
            )

        return await self._write(tx)

    async def finish_reply(
        self,
        message_id: str,
        content: str,
        status: MessageStatus,
        meta: dict[str, Any] | None = None,
    ) -> Message:
        """Store the reply's final text and status (complete or interrupted)."""

        def tx(conn: sqlite3.Connection) -> Message:
            cur = conn.execute(
                "UPDATE messages SET content = ?, status = ?, meta = ? WHERE id = ?"
                " AND role = 'assistant' AND status = 'streaming'",
                (content, status.value, json.dumps(meta or {}), message_id),
            )
            if cur.rowcount == 0:
                # Only a reply still being produced can be finished; stored words never change.
                raise NotFound(f"no reply in progress with id {message_id}")
            return _message(
                conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
            )

        return await self._write(tx)

    async def messages(
        self,
        user_id: str,
        conversation_id: str,
        *,
        since_seq: int = 1,
        limit: int | None = None,
    ) -> list[Message]:
        """Messages with seq >= since_seq in order; with `limit`, the last `limit` of them."""

        def fetch(conn: sqlite3.Connection) -> list[Message]:
            _owned_conversation(conn, user_id, conversation_id)
            if limit is None:
                rows = conn.execute(
                    "SELECT * FROM messages WHERE conversation_id = ? AND seq >= ? ORDER BY seq",
                    (conversation_id, since_seq),
                ).fetchall()
            else:
                rows = conn.execute(
                    "SELECT * FROM messages WHERE conversation_id = ? AND seq >= ?"
                    " ORDER BY seq DESC LIMIT ?",
                    (conversation_id, since_seq, limit),
                ).fetchall()[::-1]
            return [_message(r) for r in rows]

        return await self._run(fetch)

    async def recover(self) -> int:
        """Mark replies left `streaming` by a crash as interrupted; returns how many."""

        def tx(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "UPDATE messages SET status = 'interrupted' WHERE status = 'streaming'"
            ).rowcount

        return await self._write(tx)

    async def export_user(self, user_id: str) -> dict[str, Any]:
        """Everything stored for a user, as JSON-ready data."""

        def fetch(conn: sqlite3.Connection) -> dict[str, Any]:
            user = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
            if user is None:
                raise NotFound(f"no user {user_id}")
            companions = conn.execute(
                "SELECT * FROM companions WHERE user_id = ? ORDER BY created_at, rowid", (user_id,)
            ).fetchall()
            conversations = []
            for conv in conn.execute(
                "SELECT * FROM conversations WHERE user_id = ? ORDER BY created_at, rowid",
                (user_id,),
            ).fetchall():
                msgs = conn.execute(
                    "SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq", (conv["id"],)
                ).fetchall()
                item = dict(conv)
                item["messages"] = [{**dict(m), "meta": json.loads(m["meta"])} for m in msgs]
                conversations.append(item)
            return {
                "user": dict(user),
                "companions": [dict(c) for c in companions],
                "conversations": conversations,
                "memories": export_memories(conn, user_id),
                "safety": export_safety(conn, user_id),
                "persona_versions": export_persona(conn, user_id),
                "heart": export_heart(conn, user_id),
            }

        return await self._run(fetch)

    async def stats(self) -> dict[str, int]:
        """Counts of users, companions, conversations and messages."""

        def fetch(conn: sqlite3.Connection) -> dict[str, int]:
            out = {}
            for table in ("users", "companions", "conversations", "messages"):
                out[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            return out

        return await self._run(fetch)


def _next_seq(conn: sqlite3.Connection, conversation_id: str, count: int, now: str) -> int:
    """Reserve `count` consecutive sequence numbers inside the caller's transaction."""
    row = conn.execute(
        "UPDATE conversations SET last_seq = last_seq + ?, updated_at = ? WHERE id = ?"
        " RETURNING last_seq",
        (count, now, conversation_id),
    ).fetchone()
    return int(row[0]) - count + 1


def _owned_conversation(
    conn: sqlite3.Connection, user_id: str, conversation_id: str
) -> sqlite3.Row:
    row = conn.execute(
        "SELECT * FROM conversations WHERE id = ? AND user_id = ?", (conversation_id, user_id)
    ).fetchone()
    if row is None:
        raise NotFound(f"no conversation {conversation_id}")
    return row  # type: ignore[no-any-return]


def _require_user(conn: sqlite3.Connection, user_id: str) -> None:
    if conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
        raise NotFound(f"no user {user_id}")


def _translate(err: sqlite3.Error, path: str) -> StoreError:
    """Turn SQLite's errors into one-line messages a person can act on."""
    text = str(err)
    if "full" in text.lower():
        return StoreFullError(
            f"the disk holding {path} is full; nothing was written. Free some space and try again."
        )
    if "locked" in text.lower() or "busy" in text.lower():
        return StoreError(f"{path} is busy (another os1 process?); try again in a moment")
    if "not a database" in text.lower() or "malformed" in text.lower():
        return StoreError(f"{path} is not a valid os1 database (corrupt or another file)")
    if "readonly" in text.lower() or "unable to open" in text.lower():
        return StoreError(f"can't write {path}: {text}")
    return StoreError(f"database error in {path}: {text}")


def from_settings(settings: Settings, *, clock: Clock = _utcnow) -> SQLiteStore:
    """The store at `settings.db_path` (the entry point os1 registers for 'sqlite'); `clock`
    dates what it keeps and tells when a conversation has gone quiet."""
    return SQLiteStore(settings.db_path, clock=clock)

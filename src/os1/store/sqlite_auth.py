"""The SQLite side of access: API keys, browser sessions and client thread names.

A mixin that `SQLiteStore` inherits, so the SQL for access lives apart from the conversation SQL.
Keys and session tokens are stored only as hashes; lookups from a secret go through its hash.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from os1.errors import NotFound
from os1.types import ApiKey, Conversation

__all__ = ["SQLiteAuthMixin"]

T = TypeVar("T")

# last_used_at is a hint for people reviewing their keys, not an audit log: writing it on every
# request would cost an fsync each, so it is refreshed at most this often.
LAST_USED_EVERY = timedelta(hours=1)


def _key(row: sqlite3.Row) -> ApiKey:
    def when(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text) if text else None

    return ApiKey(
        id=row["id"],
        user_id=row["user_id"],
        label=row["label"],
        prefix=row["prefix"],
        created_at=datetime.fromisoformat(row["created_at"]),
        last_used_at=when(row["last_used_at"]),
        revoked_at=when(row["revoked_at"]),
    )


class SQLiteAuthMixin:
    """`AuthStore` on the SQLite connection of the store that inherits it."""

    if TYPE_CHECKING:
        _clock: Callable[[], datetime]

        async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

        async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

        def _now(self) -> str: ...

    async def add_api_key(self, user_id: str, label: str, prefix: str, key_hash: str) -> ApiKey:
        """Store a new key for a user by its hash."""
        key_id = f"key_{uuid.uuid4().hex}"
        now = self._now()

        def insert(conn: sqlite3.Connection) -> ApiKey:
            if conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
                raise NotFound(f"no user {user_id}")
            conn.execute(
                "INSERT INTO api_keys (id, user_id, label, prefix, key_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key_id, user_id, label, prefix, key_hash, now),
            )
            return _key(conn.execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone())

        return await self._write(insert)

    async def api_keys(self, user_id: str) -> list[ApiKey]:
        """The user's keys, revoked ones included, oldest first."""
        return await self._run(
            lambda conn: [
                _key(r)
                for r in conn.execute(
                    "SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_at, rowid",
                    (user_id,),
                )
            ]
        )

    async def find_api_key(self, key_id: str) -> ApiKey:
        """Any key by id, whoever owns it (for the operator's CLI, never for a request)."""

        def fetch(conn: sqlite3.Connection) -> ApiKey:
            row = conn.execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone()
            if row is None:
                raise NotFound(f"no key {key_id}")
            return _key(row)

        return await self._run(fetch)

    async def revoke_api_key(self, user_id: str, key_id: str) -> ApiKey:
        """Revoke one of the user's keys and end the sessions opened with it."""
        now = self._now()

        def revoke(conn: sqlite3.Connection) -> ApiKey:
            row = conn.execute(
                "SELECT * FROM api_keys WHERE id = ? AND user_id = ?", (key_id, user_id)
            ).fetchone()
            if row is None:
                raise NotFound(f"no key {key_id}")
            if row["revoked_at"] is None:
                conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", (now, key_id))
            conn.execute("DELETE FROM sessions WHERE key_id = ?", (key_id,))
            return _key(conn.execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone())

        return await self._write(revoke)

    async def key_by_hash(self, key_hash: str) -> ApiKey | None:
        """The live key with this hash, or None."""
        row = await self._run(
            lambda conn: conn.execute(
                "SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (key_hash,)
            ).fetchone()
        )
        if row is None:
            return None
        key = _key(row)
        now = self._clock()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_EVERY:
            stamp = now.astimezone(UTC).isoformat()
            await self._write(
                lambda conn: conn.execute(
                    "UPDATE api_keys SET last_used_at = ? WHERE id = ?", (stamp, key.id)
                )
            )
        return key

    async def add_session(self, key_id: str, token_hash: str, expires_at: datetime) -> None:
        """Open a browser session (stored by its token's hash) on behalf of a key."""
        now = self._now()
        until = expires_at.astimezone(UTC).isoformat()

        def insert(conn: sqlite3.Connection) -> None:
            # Expired sessions are swept here, where a write is happening anyway.
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT INTO sessions (token_hash, key_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (token_hash, key_id, now, until),
            )

        await self._write(insert)

    async def session_key(self, token_hash: str) -> ApiKey | None:
        """The live key behind an unexpired session, or None."""
        now = self._now()
        row = await self._run(
            lambda conn: conn.execute(
                "SELECT k.* FROM sessions s JOIN api_keys k ON k.id = s.key_id"
                " WHERE s.token_hash = ? AND s.expires_at > ? AND k.revoked_at IS NULL",
                (token_hash, now),
            ).fetchone()
        )
        return None if row is None else _key(row)

    async def end_session(self, token_hash: str) -> None:
        """Close a session; closing one that does not exist does nothing."""
        await self._write(
            lambda conn: conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
        )

    async def conversation_for_alias(
        self, user_id: str, companion_id: str, alias: str
    ) -> Conversation:
        """The conversation a client names `alias` with this companion, started on first use."""
        now = self._now()
        new_id = f"cnv_{uuid.uuid4().hex}"

        def find_or_start(conn: sqlite3.Connection) -> Conversation:
            owner = conn.execute(
                "SELECT 1 FROM companions WHERE id = ? AND user_id = ?", (companion_id, user_id)
            ).fetchone()
            if owner is None:
                raise NotFound(f"no companion {companion_id}")
            row = conn.execute(
                "SELECT c.* FROM conversation_aliases a JOIN conversations c"
                " ON c.id = a.conversation_id WHERE a.user_id = ? AND a.companion_id = ?"
                " AND a.alias = ? AND c.user_id = ?",
                (user_id, companion_id, alias, user_id),
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO conversations (id, user_id, companion_id, title, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (new_id, user_id, companion_id, alias, now, now),
                )
                conn.execute(
                    "INSERT INTO conversation_aliases (user_id, companion_id, alias,"
                    " conversation_id) VALUES (?, ?, ?, ?)",
                    (user_id, companion_id, alias, new_id),
                )
                row = conn.execute("SELECT * FROM conversations WHERE id = ?", (new_id,)).fetchone()
            return Conversation(
                id=row["id"],
                user_id=row["user_id"],
                companion_id=row["companion_id"],
                title=row["title"],
                created_at=datetime.fromisoformat(row["created_at"]),
                updated_at=datetime.fromisoformat(row["updated_at"]),
                context_start_seq=row["context_start_seq"],
            )

        return await self._write(find_or_start)

"""The SQLite side of safety: the audit log of events, account flags and anonymised counters.

A mixin that `SQLiteStore` inherits, so the safety SQL lives apart from the conversation SQL.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from os1.errors import NotFound
from os1.types import SafetyAccount, SafetyEvent

__all__ = ["SQLiteSafetyMixin", "export_safety"]

T = TypeVar("T")


def _event(row: sqlite3.Row) -> SafetyEvent:
    return SafetyEvent(
        id=row["id"],
        user_id=row["user_id"],
        conversation_id=row["conversation_id"],
        kind=row["kind"],
        policy=row["policy"],
        created_at=datetime.fromisoformat(row["created_at"]),
        data=json.loads(row["data"]),
    )


def export_safety(conn: sqlite3.Connection, user_id: str) -> dict[str, Any]:
    """A user's safety account flags and audit events, for `os1 export` (inside its read)."""
    account = conn.execute("SELECT * FROM safety_accounts WHERE user_id = ?", (user_id,))
    row = account.fetchone()
    events = conn.execute(
        "SELECT * FROM safety_events WHERE user_id = ? ORDER BY created_at, rowid", (user_id,)
    )
    return {
        "account": dict(row) if row else None,
        "events": [{**dict(e), "data": json.loads(e["data"])} for e in events],
    }


class SQLiteSafetyMixin:
    """`SafetyStore` on the SQLite connection of the store that inherits it."""

    if TYPE_CHECKING:
        _clock: Callable[[], datetime]

        async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

        async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

        def _now(self) -> str: ...

    async def safety_account(self, user_id: str) -> SafetyAccount:
        """The account's safety flags (all off for an account never flagged)."""

        def fetch(conn: sqlite3.Connection) -> SafetyAccount:
            row = conn.execute(
                "SELECT * FROM safety_accounts WHERE user_id = ?", (user_id,)
            ).fetchone()
            if row is None:
                return SafetyAccount(user_id)
            since = row["minor_since"]
            return SafetyAccount(
                user_id,
                minor=bool(row["minor"]),
                minor_since=datetime.fromisoformat(since) if since else None,
                minor_reason=row["minor_reason"],
            )

        return await self._run(fetch)

    async def record_safety(
        self,
        user_id: str,
        conversation_id: str | None,
        events: Sequence[tuple[str, str, dict[str, Any]]],
        *,
        counters: Sequence[str] = (),
        minor_reason: str | None = None,
    ) -> list[SafetyEvent]:
        """In one transaction: store events (kind, policy, data), bump this year's counters and,
        with `minor_reason`, switch the account to minor mode for good."""
        now = self._now()
        year = self._clock().astimezone(UTC).year
        rows = [
            (f"sev_{uuid.uuid4().hex}", user_id, conversation_id, kind, policy, json.dumps(data))
            for kind, policy, data in events
        ]

        def tx(conn: sqlite3.Connection) -> list[SafetyEvent]:
            if conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
                raise NotFound(f"no user {user_id}")
            conn.executemany(
                "INSERT INTO safety_events (id, user_id, conversation_id, kind, policy, data,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(*row, now) for row in rows],
            )
            for kind in counters:
                conn.execute(
                    "INSERT INTO safety_counters (year, kind, count) VALUES (?, ?, 1)"
                    " ON CONFLICT (year, kind) DO UPDATE SET count = count + 1",
                    (year, kind),
                )
            if minor_reason is not None:
                # Once on, minor mode stays on: a later "I'm 25" does not switch it off.
                conn.execute(
                    "INSERT INTO safety_accounts (user_id, minor, minor_since, minor_reason)"
                    " VALUES (?, 1, ?, ?) ON CONFLICT (user_id) DO UPDATE SET minor = 1,"
                    " minor_since = coalesce(minor_since, excluded.minor_since),"
                    " minor_reason = CASE WHEN minor = 1 THEN minor_reason"
                    " ELSE excluded.minor_reason END",
                    (user_id, now, minor_reason),
                )
            if not rows:
                return []
            found = conn.execute(
                f"SELECT * FROM safety_events WHERE id IN ({','.join('?' * len(rows))})"
                " ORDER BY rowid",
                [row[0] for row in rows],
            ).fetchall()
            return [_event(r) for r in found]

        return await self._write(tx)

    async def last_safety_event(
        self, user_id: str, kinds: Sequence[str], conversation_id: str | None = None
    ) -> SafetyEvent | None:
        """The newest event of one of these kinds for the user (in one conversation, if given)."""
        if not kinds:
            return None

        def fetch(conn: sqlite3.Connection) -> SafetyEvent | None:
            sql = (
                "SELECT * FROM safety_events WHERE user_id = ?"
                f" AND kind IN ({','.join('?' * len(kinds))})"
            )
            args: list[str] = [user_id, *kinds]
            if conversation_id is not None:
                sql += " AND conversation_id = ?"
                args.append(conversation_id)
            row = conn.execute(sql + " ORDER BY created_at DESC, rowid DESC LIMIT 1", args)
            found = row.fetchone()
            return _event(found) if found else None

        return await self._run(fetch)

    async def safety_events(self, user_id: str, *, limit: int = 100) -> list[SafetyEvent]:
        """The user's newest events, newest first (for audits and `os1 export`)."""
        return await self._run(
            lambda conn: [
                _event(r)
                for r in conn.execute(
                    "SELECT * FROM safety_events WHERE user_id = ?"
                    " ORDER BY created_at DESC, rowid DESC LIMIT ?",
                    (user_id, limit),
                )
            ]
        )

    async def safety_counts(self) -> dict[int, dict[str, int]]:
        """The anonymised counters: {year: {kind: count}}."""

        def fetch(conn: sqlite3.Connection) -> dict[int, dict[str, int]]:
            out: dict[int, dict[str, int]] = {}
            for row in conn.execute("SELECT * FROM safety_counters ORDER BY year, kind"):
                out.setdefault(row["year"], {})[row["kind"]] = row["count"]
            return out

        return await self._run(fetch)

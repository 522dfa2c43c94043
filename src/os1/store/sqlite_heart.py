"""The SQLite side of the heart: mood readings, her state per companion, reflection insights.

A mixin that `SQLiteStore` inherits. Every row hangs off the user (and, where it applies, the
message, companion or memory it came from) with ON DELETE CASCADE, so erasing any of those
erases what the heart kept about it.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from os1.errors import InputError, NotFound
from os1.types import EmotionReading, Insight, MoodEntry

__all__ = ["SQLiteHeartMixin", "export_heart"]

T = TypeVar("T")


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


def _reading_json(reading: EmotionReading) -> str:
    return json.dumps(
        {
            "emotions": {k: round(v, 4) for k, v in reading.emotions.items()},
            "labels": list(reading.labels),
            "ekman": {k: round(v, 4) for k, v in reading.ekman.items()},
            "sentiment": {k: round(v, 4) for k, v in reading.sentiment.items()},
            "valence": reading.valence,
            "arousal": reading.arousal,
        }
    )


def _reading(text: str) -> EmotionReading:
    data = json.loads(text)
    return EmotionReading(
        emotions=data["emotions"],
        labels=tuple(data["labels"]),
        ekman=data["ekman"],
        sentiment=data["sentiment"],
        valence=data["valence"],
        arousal=data["arousal"],
    )


def _insights(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[Insight]:
    if not rows:
        return []
    memories: dict[str, list[str]] = {}
    messages: dict[str, list[str]] = {}
    ids = [r["id"] for r in rows]
    for insight_id, memory_id, message_id in conn.execute(
        "SELECT insight_id, memory_id, message_id FROM heart_insight_sources"
        f" WHERE insight_id IN ({','.join('?' * len(ids))}) ORDER BY rowid",
        ids,
    ):
        if memory_id is not None:
            memories.setdefault(insight_id, []).append(memory_id)
        else:
            messages.setdefault(insight_id, []).append(message_id)
    return [
        Insight(
            id=r["id"],
            user_id=r["user_id"],
            companion_id=r["companion_id"],
            text=r["text"],
            importance=r["importance"],
            created_at=datetime.fromisoformat(r["created_at"]),
            memory_ids=tuple(memories.get(r["id"], ())),
            message_ids=tuple(messages.get(r["id"], ())),
        )
        for r in rows
    ]


def export_heart(conn: sqlite3.Connection, user_id: str) -> dict[str, Any]:
    """A user's mood readings, her state per companion and her insights, for `os1 export`."""
    mood = [
        {"message_id": r["message_id"], "created_at": r["created_at"], **json.loads(r["reading"])}
        for r in conn.execute(
            "SELECT * FROM mood_readings WHERE user_id = ? ORDER BY created_at, rowid", (user_id,)
        )
    ]
    state = [
        {**dict(r), "value": json.loads(r["value"])}
        for r in conn.execute(
            "SELECT * FROM heart_state WHERE user_id = ? ORDER BY companion_id, kind", (user_id,)
        )
    ]
    rows = conn.execute(
        "SELECT * FROM heart_insights WHERE user_id = ? ORDER BY created_at, rowid", (user_id,)
    ).fetchall()
    insights = [
        {
            "id": i.id,
            "companion_id": i.companion_id,
            "text": i.text,
            "importance": i.importance,
            "created_at": i.created_at.isoformat(),
            "memory_ids": list(i.memory_ids),
            "message_ids": list(i.message_ids),
        }
        for i in _insights(conn, rows)
    ]
    return {"mood": mood, "state": state, "insights": insights}


def _add_mood(
    conn: sqlite3.Connection, user_id: str, message_id: str, reading: EmotionReading, at: datetime
) -> None:
    owned = conn.execute(
        "SELECT 1 FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.id = ? AND c.user_id = ? AND m.role = 'user'",
        (message_id, user_id),
    ).fetchone()
    if owned is None:
        raise NotFound(f"no message {message_id} from this user")
    conn.execute(
        "INSERT OR REPLACE INTO mood_readings (message_id, user_id, created_at, top,"
        " valence, arousal, reading) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            message_id,
            user_id,
            _iso(at),
            reading.top,
            float(reading.valence),
            float(reading.arousal),
            _reading_json(reading),
        ),
    )


def _set_states(
    conn: sqlite3.Connection,
    user_id: str,
    companion_id: str,
    states: Mapping[str, dict[str, Any]],
    now: str,
) -> None:
    owned = conn.execute(
        "SELECT 1 FROM companions WHERE id = ? AND user_id = ?", (companion_id, user_id)
    ).fetchone()
    if owned is None:
        raise NotFound(f"no companion {companion_id}")
    conn.executemany(
        "INSERT INTO heart_state (user_id, companion_id, kind, value, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, companion_id, kind)"
        " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [(user_id, companion_id, kind, json.dumps(v), now) for kind, v in states.items()],
    )


class SQLiteHeartMixin:
    """`HeartStore` on the SQLite connection of the store that inherits it."""

    supports_heart = True

    if TYPE_CHECKING:
        _clock: Callable[[], datetime]

        async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

        async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

        def _now(self) -> str: ...

    async def add_mood(
        self, user_id: str, message_id: str, reading: EmotionReading, at: datetime
    ) -> None:
        """Keep the reading of one of the user's messages (a second reading replaces it)."""
        await self._write(lambda conn: _add_mood(conn, user_id, message_id, reading, at))

    async def mood_entries(
        self, user_id: str, since: datetime, until: datetime | None = None
    ) -> list[MoodEntry]:
        """The user's readings from `since` (inclusive) to `until` (exclusive), oldest first."""
        sql = "SELECT * FROM mood_readings WHERE user_id = ? AND created_at >= ?"
        args: list[str] = [user_id, _iso(since)]
        if until is not None:
            sql += " AND created_at < ?"
            args.append(_iso(until))

        def fetch(conn: sqlite3.Connection) -> list[MoodEntry]:
            return [
                MoodEntry(
                    message_id=r["message_id"],
                    user_id=r["user_id"],
                    at=datetime.fromisoformat(r["created_at"]),
                    reading=_reading(r["reading"]),
                )
                for r in conn.execute(sql + " ORDER BY created_at, rowid", args)
            ]

        return await self._run(fetch)

    async def heart_state(self, user_id: str, companion_id: str, kind: str) -> dict[str, Any]:
        """A companion's saved state of one kind (affect, relationship, ...); {} when none."""

        def fetch(conn: sqlite3.Connection) -> dict[str, Any]:
            row = conn.execute(
                "SELECT value FROM heart_state WHERE user_id = ? AND companion_id = ? AND kind = ?",
                (user_id, companion_id, kind),
            ).fetchone()
            value = json.loads(row[0]) if row else {}
            return value if isinstance(value, dict) else {}

        return await self._run(fetch)

    async def set_heart_state(
        self, user_id: str, companion_id: str, kind: str, value: dict[str, Any]
    ) -> None:
        """Replace a companion's saved state of one kind."""
        now = self._now()
        await self._write(lambda conn: _set_states(conn, user_id, companion_id, {kind: value}, now))

    async def record_heart_turn(
        self,
        user_id: str,
        companion_id: str,
        states: Mapping[str, dict[str, Any]],
        mood: tuple[str, EmotionReading, datetime] | None = None,
    ) -> None:
        """In one transaction: replace states by kind and keep a reading (message id, reading,
        time), so a turn's update lands whole or not at all."""
        now = self._now()

        def tx(conn: sqlite3.Connection) -> None:
            if mood is not None:
                _add_mood(conn, user_id, *mood)
            _set_states(conn, user_id, companion_id, states, now)

        await self._write(tx)

    async def add_insight(
        self,
        user_id: str,
        companion_id: str,
        text: str,
        importance: float,
        *,
        memory_ids: Sequence[str] = (),
        message_ids: Sequence[str] = (),
    ) -> Insight:
        """Store an insight linked to the user's memories or messages behind it (ids that are
        not the user's are left out; at least one must remain)."""
        insight_id = f"ins_{uuid.uuid4().hex}"
        now = self._now()

        def owned(conn: sqlite3.Connection, sql: str, ids: Sequence[str]) -> list[str]:
            if not ids:
                return []
            found = {
                r[0] for r in conn.execute(sql.format(",".join("?" * len(ids))), [*ids, user_id])
            }
            return [i for i in dict.fromkeys(ids) if i in found]

        def tx(conn: sqlite3.Connection) -> Insight:
            if (
                conn.execute(
                    "SELECT 1 FROM companions WHERE id = ? AND user_id = ?",
                    (companion_id, user_id),
                ).fetchone()
                is None
            ):
                raise NotFound(f"no companion {companion_id}")
            memories = owned(
                conn, "SELECT id FROM memories WHERE id IN ({}) AND user_id = ?", memory_ids
            )
            messages = owned(
                conn,
                "SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                " WHERE m.id IN ({}) AND c.user_id = ?",
                message_ids,
            )
            if not memories and not messages:
                raise InputError("an insight needs at least one of the user's memories or messages")
            conn.execute(
                "INSERT INTO heart_insights (id, user_id, companion_id, text, importance,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (insight_id, user_id, companion_id, text, float(importance), now),
            )
            conn.executemany(
                "INSERT INTO heart_insight_sources (insight_id, memory_id, message_id)"
                " VALUES (?, ?, ?)",
                [(insight_id, m, None) for m in memories]
                + [(insight_id, None, m) for m in messages],
            )
            row = conn.execute("SELECT * FROM heart_insights WHERE id = ?", (insight_id,))
            return _insights(conn, row.fetchall())[0]

        return await self._write(tx)

    async def insights(self, user_id: str, companion_id: str, *, limit: int = 50) -> list[Insight]:
        """The companion's insights about this user, newest first."""

        def fetch(conn: sqlite3.Connection) -> list[Insight]:
            rows = conn.execute(
                "SELECT * FROM heart_insights WHERE user_id = ? AND companion_id = ?"
                " ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (user_id, companion_id, limit),
            ).fetchall()
            return _insights(conn, rows)

        return await self._run(fetch)

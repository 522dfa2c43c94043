"""The SQLite side of the growth journal: every version of a companion's persona.

A mixin that `SQLiteStore` inherits. A version is written once and never changed; a new one
updates the companion's name and persona text in the same transaction, so the `companions` row
always shows the latest version.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from os1.errors import NotFound
from os1.store import PersonaVersion, VersionConflict

__all__ = ["SQLitePersonaMixin", "export_persona"]

T = TypeVar("T")


def _version(row: sqlite3.Row) -> PersonaVersion:
    return PersonaVersion(
        companion_id=row["companion_id"],
        version=row["version"],
        author=row["author"],
        reason=row["reason"],
        evidence=tuple(json.loads(row["evidence"])),
        diff=row["diff"],
        persona=json.loads(row["persona"]),
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _require_companion(conn: sqlite3.Connection, user_id: str, companion_id: str) -> None:
    row = conn.execute(
        "SELECT 1 FROM companions WHERE id = ? AND user_id = ?", (companion_id, user_id)
    ).fetchone()
    if row is None:
        raise NotFound(f"no companion {companion_id}")


def export_persona(conn: sqlite3.Connection, user_id: str) -> list[dict[str, Any]]:
    """Every persona version of a user's companions, for `os1 export` (inside its read)."""
    rows = conn.execute(
        "SELECT * FROM persona_versions WHERE user_id = ? ORDER BY companion_id, version",
        (user_id,),
    )
    return [
        {**dict(r), "evidence": json.loads(r["evidence"]), "persona": json.loads(r["persona"])}
        for r in rows
    ]


class SQLitePersonaMixin:
    """`PersonaStore` on the SQLite connection of the store that inherits it."""

    if TYPE_CHECKING:

        async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

        async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

        def _now(self) -> str: ...

    async def persona_version(
        self, user_id: str, companion_id: str, version: int | None = None
    ) -> PersonaVersion | None:
        """One version (the latest when `version` is None); None when there is no such one."""

        def fetch(conn: sqlite3.Connection) -> PersonaVersion | None:
            _require_companion(conn, user_id, companion_id)
            if version is None:
                row = conn.execute(
                    "SELECT * FROM persona_versions WHERE companion_id = ?"
                    " ORDER BY version DESC LIMIT 1",
                    (companion_id,),
                ).fetchone()
            else:
                row = conn.execute(
                    "SELECT * FROM persona_versions WHERE companion_id = ? AND version = ?",
                    (companion_id, version),
                ).fetchone()
            return _version(row) if row else None

        return await self._run(fetch)

    async def persona_versions(self, user_id: str, companion_id: str) -> list[PersonaVersion]:
        """Every version of the companion's persona, oldest first."""

        def fetch(conn: sqlite3.Connection) -> list[PersonaVersion]:
            _require_companion(conn, user_id, companion_id)
            rows = conn.execute(
                "SELECT * FROM persona_versions WHERE companion_id = ? ORDER BY version",
                (companion_id,),
            )
            return [_version(r) for r in rows]

        return await self._run(fetch)

    async def add_persona_version(
        self,
        user_id: str,
        companion_id: str,
        *,
        after: int,
        author: str,
        reason: str,
        evidence: Sequence[str],
        diff: str,
        persona: dict[str, Any],
        name: str,
        text: str,
    ) -> PersonaVersion:
        """In one transaction: store version `after + 1` and set the companion's `name` and
        persona `text`. Raises VersionConflict when the latest version is not `after`."""
        now = self._now()

        def tx(conn: sqlite3.Connection) -> PersonaVersion:
            _require_companion(conn, user_id, companion_id)
            latest = conn.execute(
                "SELECT coalesce(max(version), 0) FROM persona_versions WHERE companion_id = ?",
                (companion_id,),
            ).fetchone()[0]
            if latest != after:
                raise VersionConflict(
                    f"the persona changed meanwhile (now version {latest}); try again"
                )
            conn.execute(
                "INSERT INTO persona_versions (companion_id, version, user_id, author, reason,"
                " evidence, diff, persona, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    companion_id,
                    after + 1,
                    user_id,
                    author,
                    reason,
                    json.dumps(list(evidence)),
                    diff,
                    json.dumps(persona, ensure_ascii=False),
                    now,
                ),
            )
            conn.execute(
                "UPDATE companions SET name = ?, persona = ? WHERE id = ?",
                (name, text, companion_id),
            )
            row = conn.execute(
                "SELECT * FROM persona_versions WHERE companion_id = ? AND version = ?",
                (companion_id, after + 1),
            ).fetchone()
            return _version(row)

        return await self._write(tx)

"""Ordered, named schema migrations for the SQLite store; applied ones are recorded in a table."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_core",
        """
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE companions (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            persona TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX companions_user ON companions(user_id);
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            companion_id TEXT NOT NULL REFERENCES companions(id) ON DELETE CASCADE,
            title TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_seq INTEGER NOT NULL DEFAULT 0,
            context_start_seq INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX conversations_user ON conversations(user_id, updated_at);
        CREATE TABLE messages (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('complete', 'streaming', 'interrupted')),
            idempotency_key TEXT,
            notes TEXT NOT NULL DEFAULT '',
            meta TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            UNIQUE (conversation_id, seq)
        );
        CREATE UNIQUE INDEX messages_idempotency
            ON messages(conversation_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming';
        """,
    ),
    (
        "0002_memory",
        """
        CREATE TABLE memories (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('episode', 'fact', 'summary')),
            about TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            importance REAL NOT NULL DEFAULT 0.5,
            created_at TEXT NOT NULL,
            valid_at TEXT NOT NULL,
            invalid_at TEXT,
            conversation_id TEXT REFERENCES conversations(id) ON DELETE CASCADE,
            seq INTEGER,
            message_id TEXT REFERENCES messages(id) ON DELETE CASCADE,
            meta TEXT NOT NULL DEFAULT '{}',
            vector BLOB
        );
        CREATE INDEX memories_user ON memories(user_id, kind, valid_at);
        CREATE INDEX memories_conversation ON memories(conversation_id, seq);
        -- An episode is one message: indexing the same message twice is a no-op.
        CREATE UNIQUE INDEX memories_message ON memories(message_id) WHERE message_id IS NOT NULL;
        CREATE TABLE memory_sources (
            memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
            message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            PRIMARY KEY (memory_id, message_id)
        ) WITHOUT ROWID;
        CREATE INDEX memory_sources_message ON memory_sources(message_id);
        -- Full text, rowid = memories.rowid; `owner` scopes a query to one user.
        CREATE VIRTUAL TABLE memory_fts USING fts5(
            text, before, after, speaker, owner,
            tokenize = 'porter unicode61 remove_diacritics 2'
        );
        -- However a memory goes (forgotten, or its user, conversation or message deleted), its
        -- text leaves the full-text index with it.
        CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
            DELETE FROM memory_fts WHERE rowid = old.rowid;
        END;
        -- Background memory work records how far it got, so it resumes after a kill.
        CREATE TABLE memory_progress (
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            job TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (user_id, job, key)
        ) WITHOUT ROWID;
        """,
    ),
    (
        "0003_auth",
        """
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            label TEXT NOT NULL DEFAULT '',
            prefix TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        );
        CREATE INDEX api_keys_user ON api_keys(user_id);
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX sessions_key ON sessions(key_id);
        CREATE TABLE conversation_aliases (
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            companion_id TEXT NOT NULL REFERENCES companions(id) ON DELETE CASCADE,
            alias TEXT NOT NULL,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            PRIMARY KEY (user_id, companion_id, alias)
        );
        """,
    ),
    (
        "0004_safety",
        """
        CREATE TABLE safety_events (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            conversation_id TEXT REFERENCES conversations(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            policy TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        );
        CREATE INDEX safety_events_lookup ON safety_events(user_id, kind, created_at);
        CREATE TABLE safety_accounts (
            user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            minor INTEGER NOT NULL DEFAULT 0,
            minor_since TEXT,
            minor_reason TEXT NOT NULL DEFAULT ''
        );
        -- Anonymised yearly counts for the public report: no user, no conversation, no text.
        CREATE TABLE safety_counters (
            year INTEGER NOT NULL,
            kind TEXT NOT NULL,
            count INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (year, kind)
        );
        """,
    ),
    (
        "0005_persona",
        """
        -- Every version of a companion's persona, with the journal entry that made it. A version
        -- is never rewritten: a rollback is a new version. They go with the user or companion.
        CREATE TABLE persona_versions (
            companion_id TEXT NOT NULL REFERENCES companions(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            author TEXT NOT NULL,
            reason TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '[]',
            diff TEXT NOT NULL,
            persona TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (companion_id, version)
        ) WITHOUT ROWID;
        CREATE INDEX persona_versions_user ON persona_versions(user_id, companion_id);
        """,
    ),
    (
        "0006_heart",
        """
        -- The user's mood: one emotion reading per user message (goes with the message).
        CREATE TABLE mood_readings (
            message_id TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            top TEXT NOT NULL,
            valence REAL NOT NULL,
            arousal REAL NOT NULL,
            reading TEXT NOT NULL
        );
        CREATE INDEX mood_readings_user ON mood_readings(user_id, created_at);
        -- Her side, per companion: affect, relationship and reflection progress as JSON.
        CREATE TABLE heart_state (
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            companion_id TEXT NOT NULL REFERENCES companions(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (user_id, companion_id, kind)
        ) WITHOUT ROWID;
        -- What reflection concluded, linked to the memories or messages behind each insight.
        CREATE TABLE heart_insights (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            companion_id TEXT NOT NULL REFERENCES companions(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            importance REAL NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX heart_insights_user ON heart_insights(user_id, companion_id, created_at);
        CREATE TABLE heart_insight_sources (
            insight_id TEXT NOT NULL REFERENCES heart_insights(id) ON DELETE CASCADE,
            memory_id TEXT REFERENCES memories(id) ON DELETE CASCADE,
            message_id TEXT REFERENCES messages(id) ON DELETE CASCADE,
            CHECK ((memory_id IS NULL) != (message_id IS NULL))
        );
        CREATE INDEX heart_insight_sources_insight ON heart_insight_sources(insight_id);
        CREATE INDEX heart_insight_sources_memory ON heart_insight_sources(memory_id);
        CREATE INDEX heart_insight_sources_message ON heart_insight_sources(message_id);
        -- Forgetting what an insight came from forgets the insight: nothing concluded from
        -- erased words outlives them.
        CREATE TRIGGER heart_insight_orphaned AFTER DELETE ON heart_insight_sources
        WHEN NOT EXISTS (SELECT 1 FROM heart_insight_sources WHERE insight_id = old.insight_id)
        BEGIN
            DELETE FROM heart_insights WHERE id = old.insight_id;
        END;
        """,
    ),
    (
        "0007_memory_lists",
        """
        -- A user's IVF lists (past 100,000 memories): which rows each list holds, as row ids
        -- only, so a restart groups the vectors again without k-means. A cache: rows it names
        -- that are gone are skipped, and rows it does not name are searched in full.
        CREATE TABLE memory_vector_lists (
            user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            offsets BLOB NOT NULL,
            rowids BLOB NOT NULL,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
]


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded, each in its own transaction; return their names."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    applied = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        # executescript commits first; wrap the script so it lands whole or not at all.
        try:
            conn.executescript(
                "BEGIN;\n"
                + sql
                + f"\nINSERT INTO schema_migrations VALUES ('{name}', "
                + f"'{datetime.now(UTC).isoformat()}');\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied

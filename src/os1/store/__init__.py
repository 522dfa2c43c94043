"""Storage: the Store protocol. One implementation per engine, one contract test suite for all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from os1.errors import StoreError
from os1.types import (
    ApiKey,
    CompanionProfile,
    Conversation,
    EmotionReading,
    Insight,
    Memory,
    MemoryKind,
    MemorySource,
    Message,
    MessageStatus,
    MoodEntry,
    NewMemory,
    Role,
    SafetyAccount,
    SafetyEvent,
    User,
)

__all__ = [
    "AuthStore",
    "HeartStore",
    "MemoryCandidates",
    "MemoryStore",
    "PersonaStore",
    "PersonaVersion",
    "SafetyStore",
    "Store",
    "TurnRecord",
    "VersionConflict",
]


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """What `begin_turn` stored (or found, when an idempotency key was seen before).

    `reply` is the assistant message reserved for this turn: `streaming` while it is produced.
    `replayed` is True when the key was seen before and nothing new was written.
    """

    user_message: Message
    reply: Message | None
    replayed: bool


@dataclass(frozen=True, slots=True)
class MemoryCandidates:
    """What one recall search found: the memories and, by memory id, their BM25 score (only
    those that matched a word) and their cosine similarity to the question (every one)."""

    memories: list[Memory]
    text_scores: dict[str, float]
    vector_scores: dict[str, float]


class Store(Protocol):
    """Users, companions, conversations and messages, durably.

    Every read of owned data takes the owner's `user_id`, so one user can never reach another's
    rows by guessing ids; a miss raises `NotFound`.
    """

    async def create_user(self, name: str) -> User:
        """Create a user."""
        ...

    async def get_user(self, user_id: str) -> User:
        """Fetch a user."""
        ...

    async def list_users(self) -> list[User]:
        """All users, oldest first."""
        ...

    async def rename_user(self, user_id: str, name: str) -> User:
        """Change what a user is called."""
        ...

    async def create_companion(self, user_id: str, name: str, persona: str) -> CompanionProfile:
        """Create a companion for a user."""
        ...

    async def get_companion(self, user_id: str, companion_id: str) -> CompanionProfile:
        """Fetch one of the user's companions."""
        ...

    async def list_companions(self, user_id: str) -> list[CompanionProfile]:
        """The user's companions, oldest first."""
        ...

    async def update_companion(
        self,
        user_id: str,
        companion_id: str,
        *,
        name: str | None = None,
        persona: str | None = None,
    ) -> CompanionProfile:
        """Change one of the user's companions: its name, its persona, or both."""
        ...

    async def create_conversation(
        self, user_id: str, companion_id: str, title: str = ""
    ) -> Conversation:
        """Start a conversation between a user and one of their companions."""
        ...

    async def get_conversation(self, user_id: str, conversation_id: str) -> Conversation:
        """Fetch one of the user's conversations."""
        ...

    async def list_conversations(
        self, user_id: str, companion_id: str | None = None
    ) -> list[Conversation]:
        """The user's conversations, most recently active first."""
        ...

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
        ...

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
        ...

    async def finish_reply(
        self,
        message_id: str,
        content: str,
        status: MessageStatus,
        meta: dict[str, Any] | None = None,
    ) -> Message:
        """Store the reply's final text and status (complete or interrupted)."""
        ...

    async def messages(
        self,
        user_id: str,
        conversation_id: str,
        *,
        since_seq: int = 1,
        limit: int | None = None,
    ) -> list[Message]:
        """Messages with seq >= since_seq in order; with `limit`, the last `limit` of them."""
        ...

    async def rename_conversation(
        self, user_id: str, conversation_id: str, title: str
    ) -> Conversation:
        """Give one of the user's conversations a title."""
        ...

    async def set_context_start(self, user_id: str, conversation_id: str, seq: int) -> None:
        """Move the conversation's prompt window to begin at `seq` (a deliberate trim)."""
        ...

    async def recover(self) -> int:
        """Mark replies left `streaming` by a crash as interrupted; returns how many."""
        ...

    async def export_user(self, user_id: str) -> dict[str, Any]:
        """Everything stored for a user, as JSON-ready data."""
        ...

    async def stats(self) -> dict[str, int]:
        """Counts of users, companions, conversations and messages."""
        ...

    async def aclose(self) -> None:
        """Flush and close."""
        ...


class AuthStore(Protocol):
    """API keys, browser sessions and client thread names: what the server needs to know who asks.

    Only hashes of keys and session tokens are stored. Every lookup that starts from a secret
    returns a live key (not revoked, session not expired) or None.
    """

    async def add_api_key(self, user_id: str, label: str, prefix: str, key_hash: str) -> ApiKey:
        """Store a new key for a user by its hash."""
        ...

    async def api_keys(self, user_id: str) -> list[ApiKey]:
        """The user's keys, revoked ones included, oldest first."""
        ...

    async def find_api_key(self, key_id: str) -> ApiKey:
        """Any key by id, whoever owns it (for the operator's CLI, never for a request)."""
        ...

    async def revoke_api_key(self, user_id: str, key_id: str) -> ApiKey:
        """Revoke one of the user's keys and end the sessions opened with it."""
        ...

    async def key_by_hash(self, key_hash: str) -> ApiKey | None:
        """The live key with this hash, or None."""
        ...

    async def add_session(self, key_id: str, token_hash: str, expires_at: datetime) -> None:
        """Open a browser session (stored by its token's hash) on behalf of a key."""
        ...

    async def session_key(self, token_hash: str) -> ApiKey | None:
        """The live key behind an unexpired session, or None."""
        ...

    async def end_session(self, token_hash: str) -> None:
        """Close a session; closing one that does not exist does nothing."""
        ...

    async def conversation_for_alias(
        self, user_id: str, companion_id: str, alias: str
    ) -> Conversation:
        """The conversation a client names `alias` with this companion, started on first use."""
        ...


class SafetyStore(Protocol):
    """What the safety floor keeps: an audit log of events, account flags, anonymised counters.

    Events belong to a user (and go when the user goes); counters carry no identifiers at all.
    """

    async def safety_account(self, user_id: str) -> SafetyAccount:
        """The account's safety flags (all off for an account never flagged)."""
        ...

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
        ...

    async def last_safety_event(
        self, user_id: str, kinds: Sequence[str], conversation_id: str | None = None
    ) -> SafetyEvent | None:
        """The newest event of one of these kinds for the user (in one conversation, if given)."""
        ...

    async def safety_events(self, user_id: str, *, limit: int = 100) -> list[SafetyEvent]:
        """The user's newest events, newest first (for audits and `os1 export`)."""
        ...

    async def safety_counts(self) -> dict[int, dict[str, int]]:
        """The anonymised counters: {year: {kind: count}}."""
        ...


class MemoryStore(Protocol):
    """Memories (episodes, facts, summaries) with their sources, full text and vectors.

    A store that has them says so with `supports_memory = True`. Search here only finds
    candidates (BM25 and vector similarity); how they are ranked is memory's business. Every
    call is scoped to one user; forgetting removes a memory from every table and index.
    """

    supports_memory: bool

    async def add_memories(
        self,
        user_id: str,
        items: Sequence[NewMemory],
        *,
        progress: tuple[str, str, str] | None = None,
    ) -> list[Memory]:
        """Store memories with their sources, full text and vectors; an episode whose message
        is already remembered is skipped. `progress` (job, key, value) lands in the same
        transaction."""
        ...

    async def update_memory(
        self,
        user_id: str,
        memory_id: str,
        *,
        text: str | None = None,
        vector: Any = None,
        importance: float | None = None,
        invalid_at: datetime | None = ...,
        add_sources: Sequence[str] = (),
        meta: dict[str, Any] | None = None,
    ) -> Memory:
        """Change a memory; `invalid_at` left out keeps it, None makes the memory valid again."""
        ...

    async def forget_memories(
        self, user_id: str, memory_ids: Sequence[str], *, with_sources: bool = False
    ) -> int:
        """Erase memories for good (and, `with_sources`, the messages they came from)."""
        ...

    async def get_memories(self, user_id: str, memory_ids: Sequence[str]) -> list[Memory]:
        """The user's memories with these ids, in the order asked; unknown ids are left out."""
        ...

    async def memory_ids_starting(self, user_id: str, prefix: str, limit: int = 2) -> list[str]:
        """Up to `limit` ids of the user's memories that begin with `prefix`, in id order."""
        ...

    async def list_memories(
        self,
        user_id: str,
        *,
        kind: MemoryKind | None = None,
        include_invalid: bool = True,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Memory]:
        """The user's memories, most recent first."""
        ...

    async def memory_text_search(
        self, user_id: str, terms: Sequence[str], limit: int
    ) -> list[tuple[str, float]]:
        """(memory id, BM25 score) for memories matching any term, best first."""
        ...

    async def memory_vector_search(
        self, user_id: str, vector: Any, limit: int
    ) -> list[tuple[str, float]]:
        """(memory id, cosine similarity) nearest to a unit vector, best first."""
        ...

    async def memory_candidates(
        self,
        user_id: str,
        terms: Sequence[str],
        vector: Any,
        limit: int,
        *,
        window: tuple[datetime, datetime] | None = None,
    ) -> MemoryCandidates:
        """Recall's one search: the `limit` best memories by BM25 and by vector similarity, and
        given a `window` (first, last), up to `limit` memories dated inside it; each with its
        vector similarity, so the ranking never guesses a missing score."""
        ...

    async def memory_sources(self, user_id: str, memory_id: str) -> list[MemorySource]:
        """The messages a memory came from, oldest first."""
        ...

    async def unremembered_messages(self, user_id: str, limit: int = 500) -> list[Message]:
        """Complete messages not yet remembered as episodes, oldest first."""
        ...

    async def memory_progress(self, user_id: str, job: str) -> dict[str, str]:
        """What a background memory job recorded: {key: value}."""
        ...

    async def set_memory_progress(self, user_id: str, job: str, key: str, value: str) -> None:
        """Record one idempotent step of a background memory job."""
        ...

    async def memory_counts(self, user_id: str) -> dict[str, int]:
        """How many episodes, facts and summaries the user has, and how many are past."""
        ...


class HeartStore(Protocol):
    """The heart's records: the user's mood per message, her state per companion, insights.

    A store that has them says so with `supports_heart = True`. Everything belongs to a user and
    goes when the user (or the message, companion or memory it came from) goes.
    """

    supports_heart: bool

    async def add_mood(
        self, user_id: str, message_id: str, reading: EmotionReading, at: datetime
    ) -> None:
        """Keep the reading of one of the user's messages (a second reading replaces it)."""
        ...

    async def mood_entries(
        self, user_id: str, since: datetime, until: datetime | None = None
    ) -> list[MoodEntry]:
        """The user's readings from `since` (inclusive) to `until` (exclusive), oldest first."""
        ...

    async def heart_state(self, user_id: str, companion_id: str, kind: str) -> dict[str, Any]:
        """A companion's saved state of one kind (affect, relationship, ...); {} when none."""
        ...

    async def set_heart_state(
        self, user_id: str, companion_id: str, kind: str, value: dict[str, Any]
    ) -> None:
        """Replace a companion's saved state of one kind."""
        ...

    async def record_heart_turn(
        self,
        user_id: str,
        companion_id: str,
        states: Mapping[str, dict[str, Any]],
        mood: tuple[str, EmotionReading, datetime] | None = None,
    ) -> None:
        """In one transaction: replace states by kind and keep a reading (message id, reading,
        time), so a turn's update lands whole or not at all."""
        ...

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
        ...

    async def insights(self, user_id: str, companion_id: str, *, limit: int = 50) -> list[Insight]:
        """The companion's insights about this user, newest first."""
        ...


# --- persona (the growth journal's versions) -------------------------------------------------


class VersionConflict(StoreError):
    """The persona changed between reading it and writing a new version; read and try again."""


@dataclass(frozen=True, slots=True)
class PersonaVersion:
    """One version of a companion's persona and the journal entry that made it.

    `persona` is the whole persona as JSON-ready data (os1.heart.persona.persona_to_dict);
    `diff` is a unified diff from the version before; `evidence` holds memory or insight ids.
    """

    companion_id: str
    version: int
    author: str
    reason: str
    evidence: tuple[str, ...]
    diff: str
    persona: dict[str, Any]
    created_at: datetime


class PersonaStore(Protocol):
    """A companion's persona versions: each change is a new version, none is ever rewritten.

    Every call takes the owner's `user_id`; a companion that is not theirs raises `NotFound`.
    Versions go when their companion or user goes.
    """

    async def create_companion(self, user_id: str, name: str, persona: str) -> CompanionProfile:
        """Create a companion for a user (as `Store.create_companion`)."""
        ...

    async def get_companion(self, user_id: str, companion_id: str) -> CompanionProfile:
        """Fetch one of the user's companions (as `Store.get_companion`)."""
        ...

    async def persona_version(
        self, user_id: str, companion_id: str, version: int | None = None
    ) -> PersonaVersion | None:
        """One version (the latest when `version` is None); None when there is no such one."""
        ...

    async def persona_versions(self, user_id: str, companion_id: str) -> list[PersonaVersion]:
        """Every version of the companion's persona, oldest first."""
        ...

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
        ...

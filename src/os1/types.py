"""Plain data shared by every part of os1: messages, turns and stream events. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]


class MessageStatus(StrEnum):
    """Where a stored message stands: complete, or cut short with what was produced."""

    COMPLETE = "complete"
    STREAMING = "streaming"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message as a backend sees it."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class User:
    """A person who talks to companions; everything they own hangs off this id."""

    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CompanionProfile:
    """A companion of one user as stored: a name and a persona prompt."""

    id: str
    user_id: str
    name: str
    persona: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation between one user and one companion.

    `context_start_seq` is where the prompt window begins; it only moves in deliberate trims so
    the prompt prefix stays stable from turn to turn.
    """

    id: str
    user_id: str
    companion_id: str
    title: str
    created_at: datetime
    updated_at: datetime
    context_start_seq: int = 1


@dataclass(frozen=True, slots=True)
class Message:
    """A stored message. `seq` is gap-free within its conversation, starting at 1.

    `notes` is the per-turn context (recalled memories, mood, policy notes) exactly as it was shown
    to the model next to this user message; keeping it makes the next prompt extend this one.
    """

    id: str
    conversation_id: str
    seq: int
    role: Role
    content: str
    status: MessageStatus
    created_at: datetime
    idempotency_key: str | None = None
    notes: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


# --- backend stream events -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of generated text, in order."""

    text: str


@dataclass(frozen=True, slots=True)
class Finish:
    """The end of a generation: why it stopped and what it cost."""

    reason: Literal["stop", "length", "cancelled"] = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0


BackendEvent = TextDelta | Finish


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """What the turn loop asks a backend for.

    `cache_key` names the conversation so a backend can keep its cached state per conversation.
    A `background` generation that gave way to a reply ends with `Finish("cancelled")`.
    """

    messages: tuple[ChatMessage, ...]
    max_tokens: int = 256
    temperature: float = 0.7
    top_p: float = 0.95
    stop: tuple[str, ...] = ()
    cache_key: str | None = None
    # Output constrained to this JSON schema (a llama.cpp grammar, or `response_format`).
    json_schema: dict[str, Any] | None = None
    # Background work (memory extraction): stops early when a person is waiting for a reply.
    background: bool = False


# --- turn events (what a user interface sees) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class TurnStarted:
    """The user's message is safely stored; the reply has a sequence number reserved."""

    user_message: Message
    reply_seq: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class ReplyDelta:
    """A piece of the companion's reply."""

    text: str


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should be told in one line (a clipped paste, a cleaned input)."""

    text: str


@dataclass(frozen=True, slots=True)
class TurnFinished:
    """The reply as stored: complete, or interrupted with what was produced."""

    reply: Message
    error: str | None = None


TurnEvent = TurnStarted | ReplyDelta | Notice | TurnFinished


# --- access (the server's keys and sessions) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A user's API key as stored: only its hash is kept, and a short prefix to recognise it by."""

    id: str
    user_id: str
    label: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


# --- safety (audit events and account flags) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class SafetyEvent:
    """One auditable thing a safety policy did (a disclosure, a crisis referral, a minor switch).

    `data` holds small facts (a score, a reason), never the words of a message.
    """

    id: str
    user_id: str
    conversation_id: str | None
    kind: str
    policy: str
    created_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SafetyAccount:
    """What the safety floor knows about an account; minor mode, once on, stays on."""

    user_id: str
    minor: bool = False
    minor_since: datetime | None = None
    minor_reason: str = ""


# --- memory (what the companion remembers) ---------------------------------------------------

MemoryKind = Literal["episode", "fact", "summary"]


@dataclass(frozen=True, slots=True)
class Memory:
    """One thing remembered about a user: a message (episode), a fact, or a session summary.

    `about` is "user" or "companion" (who said an episode; whom a fact is about). `valid_at` is
    when it was said or became true; `invalid_at` is set once a fact stopped being true (a past
    fact, never a contradiction). `sources` are the ids of the messages it came from.
    """

    id: str
    user_id: str
    kind: MemoryKind
    text: str
    about: str
    importance: float
    created_at: datetime
    valid_at: datetime
    invalid_at: datetime | None = None
    conversation_id: str | None = None
    seq: int | None = None
    sources: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewMemory:
    """A memory to write, with what it is indexed by.

    `vector` is the embedding (a float32 array of the embedder's dimensions). `speaker`,
    `before` and `after` are searchable context: who said it and the neighbouring messages.
    """

    kind: MemoryKind
    text: str
    valid_at: datetime
    vector: Any
    about: str = ""
    importance: float = 0.5
    invalid_at: datetime | None = None
    conversation_id: str | None = None
    seq: int | None = None
    message_id: str | None = None
    sources: tuple[str, ...] = ()
    speaker: str = ""
    before: str = ""
    after: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MemorySource:
    """Where a memory came from: one stored message, its place and its time."""

    message_id: str
    conversation_id: str
    seq: int
    role: Role
    content: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EmotionReading:
    """How one message sounds: GoEmotions, Ekman and sentiment scores, valence and arousal.

    Scores are probabilities (0..1) by label name; `labels` are the GoEmotions labels above their
    tuned thresholds, most likely first (`("neutral",)` when none is). Valence is -1..1 (unpleasant
    to pleasant), arousal 0..1 (calm to activated).
    """

    emotions: dict[str, float]
    labels: tuple[str, ...]
    ekman: dict[str, float]
    sentiment: dict[str, float]
    valence: float
    arousal: float

    @property
    def top(self) -> str:
        """The most likely label above threshold (`neutral` when none is)."""
        return self.labels[0] if self.labels else "neutral"


# --- heart (the user's mood, her reflections) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoodEntry:
    """One user message's emotion reading, kept for the mood chart and the mood note."""

    message_id: str
    user_id: str
    at: datetime
    reading: EmotionReading


@dataclass(frozen=True, slots=True)
class Insight:
    """Something reflection concluded, with the memories or messages it rests on."""

    id: str
    user_id: str
    companion_id: str
    text: str
    importance: float
    created_at: datetime
    memory_ids: tuple[str, ...] = ()
    message_ids: tuple[str, ...] = ()

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
    """

    messages: tuple[ChatMessage, ...]
    max_tokens: int = 256
    temperature: float = 0.7
    top_p: float = 0.95
    stop: tuple[str, ...] = ()
    cache_key: str | None = None


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

"""Storage: the Store protocol. One implementation per engine, one contract test suite for all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from os1.types import CompanionProfile, Conversation, Message, MessageStatus, Role, User

__all__ = ["Store", "TurnRecord"]


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """What `begin_turn` stored (or found, when an idempotency key was seen before).

    `reply` is the assistant message reserved for this turn: `streaming` while it is produced.
    `replayed` is True when the key was seen before and nothing new was written.
    """

    user_message: Message
    reply: Message | None
    replayed: bool


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

    async def create_companion(self, user_id: str, name: str, persona: str) -> CompanionProfile:
        """Create a companion for a user."""
        ...

    async def get_companion(self, user_id: str, companion_id: str) -> CompanionProfile:
        """Fetch one of the user's companions."""
        ...

    async def list_companions(self, user_id: str) -> list[CompanionProfile]:
        """The user's companions, oldest first."""
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

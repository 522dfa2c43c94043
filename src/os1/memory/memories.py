"""The memory library API: remember messages, recall, list, show, edit and forget.

`Memories` is what the CLI (`os1 memory …`), the turn observer and Python callers use. It owns
no data: everything lives in the store (behind the `MemoryStore` contract); it adds the embedder
and the ranking.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from os1.errors import InputError
from os1.memory.recall import Recalled, RecallWeights, recall_memories
from os1.names import UNNAMED
from os1.safety.disclosure import without_notices
from os1.store import MemoryStore, Store
from os1.store.sqlite_memory import FORGOTTEN
from os1.types import Memory, MemoryKind, MemorySource, Message, NewMemory

if TYPE_CHECKING:
    from os1.embedder import Embedder

__all__ = ["SHORT_ID", "Memories", "MemoryDetail", "StoreWithMemory"]

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


SHORT_ID = 16
"""How much of a memory's id lists show: "mem_" and 12 hex digits, unique among millions."""
MIN_ID_PREFIX = 8


class StoreWithMemory(Store, MemoryStore, Protocol):
    """A store with memory tables: what `Memories` works on."""


@dataclass(frozen=True, slots=True)
class MemoryDetail:
    """A memory with the messages it came from (for `os1 memory show`)."""

    memory: Memory
    sources: list[MemorySource]


def learnable(message: Message) -> bool:
    """Whether a message may become memory: complete words, not a greeting, not forgotten,
    and not an attempt to rewrite her instructions or memories (the safety floor decides)."""
    if (
        message.status != "complete"
        or not message.content.strip()
        or message.content == FORGOTTEN
        or message.meta.get("kind") == "greeting"
        or message.role not in ("user", "assistant")
    ):
        return False
    try:
        from os1.safety import excluded_from_memory
    except ImportError:  # a build without the safety floor
        return True
    return not excluded_from_memory(message)


def episode_text(speaker: str, content: str) -> str:
    """What an episode's vector is made from: who said it, and the words."""
    return f"{speaker}: {content}" if speaker else content


class Memories:
    """Everything remembered for the users of one store."""

    def __init__(
        self,
        store: StoreWithMemory,
        embedder: Embedder,
        *,
        clock: Clock = _utcnow,
        weights: RecallWeights | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.clock = clock
        self.weights = weights or RecallWeights()
        self._names: dict[str, str] = {}

    async def embed(self, texts: Sequence[str]) -> Any:
        """Vectors for texts, computed off the event loop."""
        return await asyncio.to_thread(self.embedder.embed, list(texts))

    # --- remembering ----------------------------------------------------------------------

    async def speaker_names(self, user_id: str, conversation_id: str) -> dict[str, str]:
        key = f"{user_id}:{conversation_id}"
        if key not in self._names:
            conversation = await self.store.get_conversation(user_id, conversation_id)
            profile = await self.store.get_companion(user_id, conversation.companion_id)
            self._names[key] = profile.name
        # Not kept: the person may tell her their name in this conversation.
        user = await self.store.get_user(user_id)
        return {
            "user": user.name if user.name != UNNAMED else "User",
            "assistant": self._names[key],
        }

    async def remember_messages(self, user_id: str, messages: Sequence[Message]) -> list[Memory]:
        """Make messages searchable (episodes): their words, speaker, neighbours and date.

        Only `learnable` messages are kept; remembering twice does nothing.
        """
        # Her replies are remembered without the safety floor's notices ("I'm an AI…").
        wanted = [
            m if m.role == "user" else replace(m, content=without_notices(m.content))
            for m in messages
            if learnable(m)
        ]
        wanted = [m for m in wanted if m.content]
        if not wanted:
            return []
        by_conversation: dict[str, list[Message]] = {}
        for m in wanted:
            by_conversation.setdefault(m.conversation_id, []).append(m)
        items: list[NewMemory] = []
        for conversation_id, group in by_conversation.items():
            names = await self.speaker_names(user_id, conversation_id)
            first = min(m.seq for m in group)
            last = max(m.seq for m in group)
            around = {
                m.seq: m
                for m in await self.store.messages(
                    user_id, conversation_id, since_seq=max(1, first - 1)
                )
                if m.seq <= last + 1
            }
            texts = [episode_text(names[m.role], m.content) for m in group]
            vectors = await self.embed(texts)
            for m, vector in zip(group, vectors, strict=True):
                before, after = around.get(m.seq - 1), around.get(m.seq + 1)
                items.append(
                    NewMemory(
                        kind="episode",
                        text=m.content,
                        valid_at=m.created_at,
                        vector=vector,
                        about="user" if m.role == "user" else "companion",
                        conversation_id=conversation_id,
                        seq=m.seq,
                        message_id=m.id,
                        speaker=names[m.role],
                        before=before.content if before else "",
                        after=after.content if after else "",
                    )
                )
        return list(await self.store.add_memories(user_id, items))

    async def remember_backlog(self, user_id: str, batch: int = 256) -> int:
        """Remember every stored message not yet remembered (after an import or a crash)."""
        total = 0
        while True:
            pending = await self.store.unremembered_messages(user_id, batch)
            if not pending:
                return total
            added = await self.remember_messages(user_id, pending)
            total += len(added)
            if not added:
                return total

    async def add_fact(
        self,
        user_id: str,
        text: str,
        *,
        about: str,
        valid_at: datetime,
        importance: float = 0.5,
        sources: Sequence[str] = (),
        vector: Any = None,
        meta: dict[str, Any] | None = None,
        kind: MemoryKind = "fact",
        progress: tuple[str, str, str] | None = None,
    ) -> Memory:
        """Write one fact (or summary) with its sources."""
        if vector is None:
            vector = (await self.embed([text]))[0]
        item = NewMemory(
            kind=kind,
            text=text,
            valid_at=valid_at,
            vector=vector,
            about=about,
            importance=importance,
            sources=tuple(sources),
            meta=meta or {},
        )
        added = await self.store.add_memories(user_id, [item], progress=progress)
        return added[0]

    # --- recalling ----------------------------------------------------------------------------

    async def recall(
        self,
        user_id: str,
        query: str,
        *,
        now: datetime | None = None,
        limit: int = 10,
        kinds: Sequence[MemoryKind] | None = None,
        companion_name: str | None = None,
        user_name: str | None = None,
    ) -> list[Recalled]:
        """The memories that best answer `query`, best first (hybrid: words, meaning, time)."""
        if user_name is None:
            user = await self.store.get_user(user_id)
            user_name = user.name if user.name != UNNAMED else ""
        names = {"user": user_name or "", "companion": companion_name or ""}
        return await recall_memories(
            self.store,
            self.embedder,
            user_id,
            query,
            now=now or self.clock(),
            limit=limit,
            names=names,
            kinds=kinds,
            weights=self.weights,
        )

    async def search(
        self,
        user_id: str,
        query: str,
        *,
        limit: int = 10,
        kinds: Sequence[MemoryKind] | None = None,
    ) -> list[Recalled]:
        """`recall` for people: `os1 memory search`."""
        if not query.strip():
            raise InputError("search for something: os1 memory search 'my sister'")
        return await self.recall(user_id, query, limit=limit, kinds=kinds)

    # --- looking and changing -----------------------------------------------------------------

    async def list(
        self,
        user_id: str,
        *,
        kind: MemoryKind | None = None,
        limit: int = 50,
        offset: int = 0,
        include_past: bool = True,
    ) -> list[Memory]:
        """The user's memories, most recent first."""
        return list(
            await self.store.list_memories(
                user_id, kind=kind, limit=limit, offset=offset, include_invalid=include_past
            )
        )

    async def resolve(self, user_id: str, ref: str) -> str:
        """The id of the memory `ref` names: its whole id, or its beginning as `os1 memory
        list` shows it (`SHORT_ID` characters; any unambiguous beginning of 8 or more does)."""
        from os1.errors import NotFound

        ref = ref.strip().rstrip("…")
        if await self.store.get_memories(user_id, [ref]):
            return ref
        if len(ref) >= MIN_ID_PREFIX:
            ids = await self.store.memory_ids_starting(user_id, ref, limit=2)
            if len(ids) == 1:
                return ids[0]
            if ids:
                raise InputError(f"more than one memory's id starts with {ref}: give more of it")
        raise NotFound(f"no memory {ref}; `os1 memory list` shows their ids")

    async def show(self, user_id: str, memory_id: str) -> MemoryDetail:
        """A memory and where it came from (which messages, when)."""
        found = await self.store.get_memories(user_id, [memory_id])
        if not found:
            from os1.errors import NotFound

            raise NotFound(f"no memory {memory_id}; `os1 memory list` shows their ids")
        return MemoryDetail(found[0], list(await self.store.memory_sources(user_id, memory_id)))

    async def edit(
        self,
        user_id: str,
        memory_id: str,
        *,
        text: str | None = None,
        importance: float | None = None,
        past: bool | None = None,
    ) -> Memory:
        """Correct a memory's words (re-indexed), its importance (0-1), or mark it past/current."""
        if importance is not None and not 0.0 <= importance <= 1.0:
            raise InputError("importance is between 0 and 1")
        changes: dict[str, Any] = {}
        if text is not None:
            text = " ".join(text.split())
            if not text:
                raise InputError("a memory's text can't be empty; forget it instead")
            changes["text"] = text
            changes["vector"] = (await self.embed([text]))[0]
        if importance is not None:
            changes["importance"] = importance
        if past is not None:
            changes["invalid_at"] = self.clock() if past else None
        return await self.store.update_memory(user_id, memory_id, **changes)

    async def forget(
        self, user_id: str, memory_ids: Sequence[str], *, with_sources: bool = False
    ) -> int:
        """Erase memories for good; `with_sources` also erases the messages they came from."""
        if not memory_ids:
            return 0
        return await self.store.forget_memories(user_id, memory_ids, with_sources=with_sources)

    async def counts(self, user_id: str) -> dict[str, int]:
        """How many episodes, facts and summaries are remembered (and how many are past)."""
        return await self.store.memory_counts(user_id)

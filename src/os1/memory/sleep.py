"""Consolidation while idle ("sleep"): catch up, summarise sessions, merge, retire old facts.

Every step is small and idempotent, and records in the store that it is done, in the same
transaction as its result where it writes one: killing `os1 memory sleep` at any moment loses
at most the step in flight, and running it again continues where it stopped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from os1.memory.extraction import (
    FactExtractor,
    GaveWay,
    generate_in_background,
    same_thing,
)
from os1.memory.timeframe import short_date
from os1.types import ChatMessage, Memory, Message

if TYPE_CHECKING:
    from os1.backends import Backend
    from os1.config import Settings
    from os1.memory.memories import Memories

__all__ = ["Consolidation", "SleepReport", "judges_outdated_facts", "sessions_of"]

log = logging.getLogger(__name__)

SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "importance": {"type": "integer", "enum": [1, 2, 3, 4, 5]},
    },
    "required": ["summary", "importance"],
    "additionalProperties": False,
}
OUTDATED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"outdated": {"type": "array", "maxItems": 8, "items": {"type": "integer"}}},
    "required": ["outdated"],
    "additionalProperties": False,
}
SUMMARY_SYSTEM = """\
Summarise this conversation between {user} and {companion} (an AI companion) for {companion}'s \
long-term memory, in two to four sentences: what {user} shared (events, people, plans, \
feelings) and anything agreed. Name people; write dates, not "today". importance: 1 small \
talk, 5 life-changing."""
OUTDATED_SYSTEM = """\
These remembered facts about one person are related and dated. List the numbers of the facts \
that are no longer true because a later fact replaced them (a job left, a move, a breakup, a \
changed plan). Facts that can all be true together are not outdated."""
RELATED_SIMILARITY = 0.6
SESSION_GAP_S = 30 * 60
MIN_SESSION_MESSAGES = 4


@dataclass(slots=True)
class SleepReport:
    """What one consolidation did."""

    remembered: int = 0
    facts: int = 0
    summaries: int = 0
    merged: int = 0
    outdated: int = 0
    unfinished: list[str] = field(default_factory=list)


def sessions_of(messages: Sequence[Message], gap_s: float = SESSION_GAP_S) -> list[list[Message]]:
    """Split a conversation into sessions at pauses longer than `gap_s`."""
    out: list[list[Message]] = []
    for m in messages:
        if out and (m.created_at - out[-1][-1].created_at).total_seconds() <= gap_s:
            out[-1].append(m)
        else:
            out.append([m])
    return out


def judges_outdated_facts(settings: Settings) -> bool:
    """Whether sleep should let the configured model retire facts a later one replaced.

    Not the small models os1 ships: on 18 hand-made groups of related facts the embedded 1.5B
    marked a true fact past in 6 of the 8 groups where every fact was still true ("sushi is his
    favourite food", outdated by "dislikes olives"), with every prompt tried (docs/memory.md).
    A wrongly retired fact is worse than an old one left current, which recall still shows with
    its date. A GGUF file of your own, or a server's model, is trusted with it.
    """
    from os1.models import known_model

    return settings.backend != "llamacpp" or known_model(settings.model.strip()) is None


class Consolidation:
    """The steps of sleep for one user, each resumable; `retire=False` leaves out retiring
    outdated facts (see `judges_outdated_facts`)."""

    def __init__(
        self,
        memories: Memories,
        backend: Backend | None,
        *,
        clock: Callable[[], datetime] | None = None,
        idle_s: float = SESSION_GAP_S,
        retire: bool = True,
    ) -> None:
        self.memories = memories
        self.backend = backend
        self.retire = retire
        self.clock = clock or memories.clock
        self.idle_s = idle_s
        self.extractor = FactExtractor(memories, backend) if backend is not None else None

    async def run(self, user_id: str) -> SleepReport:
        """Every step, in order; a step that needs the model is skipped without a backend."""
        report = SleepReport()
        store = self.memories.store
        report.remembered = await self.memories.remember_backlog(user_id)
        conversations = await store.list_conversations(user_id)
        try:
            if self.extractor is not None:
                for conversation in conversations:
                    report.facts += await self.extractor.extract_pending(user_id, conversation.id)
                for conversation in conversations:
                    report.summaries += await self.summarise(user_id, conversation.id)
            report.merged = await self.merge_duplicates(user_id)
            if self.backend is not None and self.retire:
                report.outdated = await self.retire_outdated(user_id)
        except GaveWay:
            report.unfinished.append("gave the model to a reply; run again to finish")
        return report

    # --- sessions -----------------------------------------------------------------------------

    async def summarise(self, user_id: str, conversation_id: str) -> int:
        """Summarise each finished session not summarised yet; returns how many were written."""
        store = self.memories.store
        done = await store.memory_progress(user_id, "summary")
        messages = [
            m
            for m in await store.messages(user_id, conversation_id)
            if m.status == "complete" and m.content.strip() and m.meta.get("kind") != "greeting"
        ]
        now = self.clock()
        written = 0
        for session in sessions_of(messages):
            key = f"{conversation_id}:{session[0].seq}"
            ended = (now - session[-1].created_at).total_seconds() >= self.idle_s
            if key in done or not ended or len(session) < MIN_SESSION_MESSAGES:
                continue
            names = await self.memories.speaker_names(user_id, conversation_id)
            answer = await self._ask(
                SUMMARY_SYSTEM.format(user=names["user"], companion=names["assistant"]),
                "\n".join(
                    f"[{short_date(m.created_at)}] {names[m.role]}: "
                    f"{' '.join(m.content.split())[:400]}"
                    for m in session[-60:]
                ),
                SUMMARY_SCHEMA,
                user_id,
            )
            summary = answer.get("summary")
            if not isinstance(summary, str) or len(summary.split()) < 3:
                # Nothing usable: note it as done so one bad answer is not asked again forever.
                await store.set_memory_progress(user_id, "summary", key, "skipped")
                continue
            importance = answer.get("importance", 3)
            memory = await self.memories.add_fact(
                user_id,
                " ".join(summary.split()),
                about="user",
                kind="summary",
                valid_at=session[0].created_at,
                importance=(importance if isinstance(importance, int) else 3) / 5,
                sources=[m.id for m in session],
                meta={"session": key, "until": session[-1].created_at.isoformat()},
                progress=("summary", key, "pending"),
            )
            await store.set_memory_progress(user_id, "summary", key, memory.id)
            written += 1
        return written

    # --- facts --------------------------------------------------------------------------------

    async def _valid_facts(self, user_id: str) -> list[Memory]:
        facts: list[Memory] = []
        while True:
            page = await self.memories.store.list_memories(
                user_id, kind="fact", include_invalid=False, limit=500, offset=len(facts)
            )
            facts += page
            if len(page) < 500:
                return facts

    async def _related(self, user_id: str, fact: Memory) -> list[tuple[Memory, float]]:
        store = self.memories.store
        vector = (await self.memories.embed([fact.text]))[0]
        hits = dict(await store.memory_vector_search(user_id, vector, 64))
        near = await store.get_memories(user_id, list(hits))
        return [
            (m, hits[m.id])
            for m in near
            if m.id != fact.id
            and m.kind == "fact"
            and m.invalid_at is None
            and m.about == fact.about
        ]

    async def merge_duplicates(self, user_id: str) -> int:
        """Fold facts that say the same thing into the oldest of them; returns how many went."""
        store = self.memories.store
        checked = await store.memory_progress(user_id, "merge")
        merged = 0
        gone: set[str] = set()
        for fact in sorted(await self._valid_facts(user_id), key=lambda m: m.valid_at):
            if fact.id in checked or fact.id in gone:
                continue
            for other, similarity in await self._related(user_id, fact):
                if not same_thing(fact.text, other.text, similarity) or other.id in gone:
                    continue
                keep, drop = sorted((fact, other), key=lambda m: (m.valid_at, m.id))
                await store.update_memory(
                    user_id,
                    keep.id,
                    importance=max(keep.importance, drop.importance),
                    add_sources=drop.sources,
                )
                await store.forget_memories(user_id, [drop.id])
                gone.add(drop.id)
                merged += 1
                if drop.id == fact.id:
                    break
            if fact.id not in gone:
                await store.set_memory_progress(user_id, "merge", fact.id, "checked")
        return merged

    async def retire_outdated(self, user_id: str) -> int:
        """Ask the model which related facts a later one replaced; mark those past."""
        store = self.memories.store
        checked = await store.memory_progress(user_id, "outdated")
        gone: set[str] = set()  # retired in this run (the list below was read before)
        for fact in await self._valid_facts(user_id):
            if fact.id in checked or fact.id in gone:
                continue
            group = [
                m
                for m, similarity in await self._related(user_id, fact)
                if similarity >= RELATED_SIMILARITY
                and not same_thing(fact.text, m.text, similarity)
            ][:7]
            if group:
                group = sorted([fact, *group], key=lambda m: m.valid_at)
                listing = "\n".join(
                    f"[{i}] ({short_date(m.valid_at)}) {m.text}" for i, m in enumerate(group, 1)
                )
                answer = await self._ask(OUTDATED_SYSTEM, listing, OUTDATED_SCHEMA, user_id)
                numbers = answer.get("outdated", [])
                latest = group[-1]
                for n in numbers if isinstance(numbers, list) else []:
                    if isinstance(n, int) and 1 <= n < len(group):  # the latest one stays
                        old = group[n - 1]
                        if old.invalid_at is None and old.id not in gone:
                            await store.update_memory(
                                user_id,
                                old.id,
                                invalid_at=latest.valid_at,
                                meta={"replaced_by": latest.id},
                            )
                            gone.add(old.id)
            await store.set_memory_progress(user_id, "outdated", fact.id, "checked")
        return len(gone)

    # --- the model ----------------------------------------------------------------------------

    async def _ask(
        self, system: str, text: str, schema: dict[str, Any], user_id: str
    ) -> dict[str, Any]:
        assert self.backend is not None
        messages = (ChatMessage("system", system), ChatMessage("user", text))
        reply = await generate_in_background(
            self.backend, messages, user_id, schema, 320, "memory sleep"
        )
        try:
            data = json.loads(reply)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

"""Reflection: when enough has happened, she thinks it over and grows.

New memories add up their importance (facts carry one, with memory on; without memory each
user message is weighed by a heuristic: personal disclosures, strong feelings, big news). Past
a threshold she reflects, off the reply path: the backend writes a few insights, each resting
on numbered memories or messages (schema-constrained JSON, as memory extraction does), stored
with links to them. From the insights it proposes small persona revisions (a sentence added to
her notes about the user, her style or her identity), written through the growth journal with
the insight ids as evidence, where the user can read and roll them back. The journal screens
every write against the operator's invariants, so reflection can never change them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from os1.errors import Os1Error
from os1.memory.extraction import generate_in_background
from os1.memory.timeframe import short_date
from os1.types import ChatMessage, EmotionReading, Insight, Message

if TYPE_CHECKING:
    from os1.backends import Backend

__all__ = [
    "INSIGHTS_SCHEMA",
    "REFLECTION_BLOCKS",
    "REVISIONS_SCHEMA",
    "Evidence",
    "Reflection",
    "ReflectionResult",
    "message_importance",
    "parse_insights",
    "parse_revisions",
]

log = logging.getLogger(__name__)

# Blocks reflection may add to; name and values stay the user's and the operator's to change.
REFLECTION_BLOCKS = ("user_notes", "style", "identity")
THRESHOLD = 2.5
MAX_EVIDENCE = 24
RETRY_AFTER = timedelta(minutes=30)

INSIGHTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "insights": {
            "type": "array",
            "maxItems": 3,
            "items": {
                "type": "object",
                "properties": {
                    "insight": {"type": "string"},
                    "evidence": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 6,
                        "items": {"type": "integer"},
                    },
                    "importance": {"type": "integer", "enum": [1, 2, 3, 4, 5]},
                },
                "required": ["insight", "evidence", "importance"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["insights"],
    "additionalProperties": False,
}

REVISIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "changes": {
            "type": "array",
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "block": {"type": "string", "enum": list(REFLECTION_BLOCKS)},
                    "add": {"type": "string"},
                    "because": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 3,
                        "items": {"type": "integer"},
                    },
                },
                "required": ["block", "add", "because"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["changes"],
    "additionalProperties": False,
}

INSIGHTS_SYSTEM = """\
You are the private reflection of {companion}, an AI companion who talks with {user}. Read the \
numbered items she has learned recently and write at most three insights: conclusions that go \
beyond any single item, about what matters to {user}, patterns in their life or feelings, how \
they like to be treated, or how the relationship is going. Each insight is one sentence and \
lists the numbers of the items it rests on. Only what the items support; never diagnose. \
importance: 1 minor, 3 useful, 5 central. Nothing worth concluding: {{"insights": []}}."""

REVISIONS_SYSTEM = """\
You keep the persona of {companion}, an AI companion who talks with {user}. From the insights \
below, propose at most two small additions, one sentence each: to user_notes (what she knows \
about {user}, in the third person), style (how she talks with {user}, starting "You") or \
identity (who she is becoming, starting "You"). Only what the insights support; nothing the \
blocks already say; never about being human, never about rules. Each lists the numbers of the \
insights behind it. No change worth making: {{"changes": []}}."""


class PersonaJournal(Protocol):
    """The part of the growth journal (os1.heart.journal) reflection writes through."""

    async def current(self, user_id: str, companion_id: str) -> Any:
        """The companion's persona now (blocks as attributes)."""
        ...

    async def revise(
        self,
        user_id: str,
        companion_id: str,
        changes: Mapping[str, str],
        *,
        author: str,
        reason: str,
        evidence: Sequence[str] = (),
    ) -> Any:
        """Change blocks and record why."""
        ...


@dataclass(frozen=True, slots=True)
class Evidence:
    """One thing reflection may draw on: a fact (memory) or a user message, and its weight."""

    kind: str  # "memory" or "message"
    id: str
    text: str
    importance: float
    at: datetime


@dataclass(frozen=True, slots=True)
class ReflectionResult:
    """What one reflection produced: insights, and the journal entry (None: no revision)."""

    insights: list[Insight]
    revised: dict[str, str]
    entry: Any = None


@dataclass(frozen=True, slots=True)
class _Proposed:
    text: str
    evidence: tuple[int, ...]
    importance: int


def _numbers(value: Any, limit: int) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        dict.fromkeys(
            n for n in value if isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= limit
        )
    )


def _load(raw: str, key: str) -> list[Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    items = data.get(key, []) if isinstance(data, dict) else []
    return items if isinstance(items, list) else []


def parse_insights(raw: str, items: int) -> list[_Proposed]:
    """The insights in a model's answer that rest on real item numbers (1..items)."""
    out = []
    for item in _load(raw, "insights"):
        if not isinstance(item, dict) or not isinstance(item.get("insight"), str):
            continue
        text = " ".join(item["insight"].split())
        evidence = _numbers(item.get("evidence"), items)
        importance = item.get("importance", 3)
        if len(text.split()) < 3 or not evidence:
            continue
        if not isinstance(importance, int) or isinstance(importance, bool):
            importance = 3
        out.append(_Proposed(text, evidence, max(1, min(5, importance))))
    return out


def parse_revisions(raw: str, insights: int) -> list[tuple[str, str, tuple[int, ...]]]:
    """(block, sentence to add, insight numbers) for each usable proposed change."""
    out = []
    for item in _load(raw, "changes"):
        if not isinstance(item, dict) or item.get("block") not in REFLECTION_BLOCKS:
            continue
        add = item.get("add")
        because = _numbers(item.get("because"), insights)
        if not isinstance(add, str) or len(add.split()) < 3 or not because:
            continue
        out.append((str(item["block"]), " ".join(add.split()), because))
    return out


def message_importance(text: str, reading: EmotionReading | None, disclosure: bool) -> float:
    """How much a user message adds toward reflection when there are no memories to weigh."""
    score = 0.05 + min(len(text.split()), 60) / 600
    if disclosure:
        score += 0.25
    if reading is not None:
        score += 0.4 * max(0.0, abs(reading.valence) - 0.3)
        if reading.top in ("grief", "pride", "excitement", "fear", "love"):
            score += 0.15
    return min(1.0, score)


class Reflection:
    """Weighs what is new, and past `threshold` reflects: insights, then persona revisions."""

    kind = "reflection"

    def __init__(
        self,
        store: Any,
        backend: Backend,
        journal: PersonaJournal | None,
        *,
        use_memories: bool,
        clock: Callable[[], datetime],
        threshold: float = THRESHOLD,
        max_tokens: int = 384,
    ) -> None:
        self.store = store
        self.backend = backend
        self.journal = journal
        self.use_memories = use_memories
        self.clock = clock
        self.threshold = threshold
        self.max_tokens = max_tokens
        self._locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)

    # --- weighing -----------------------------------------------------------------------------

    async def note_message(
        self, user_id: str, companion_id: str, message: Message, importance: float
    ) -> None:
        """Count a user message toward reflection (used without memories)."""
        if self.use_memories:
            return
        async with self._locks[(user_id, companion_id)]:
            state = await self.store.heart_state(user_id, companion_id, self.kind)
            item = [message.id, round(importance, 4), message.conversation_id, message.seq]
            pending = [*state.get("messages", []), item]
            state["messages"] = pending[-MAX_EVIDENCE * 2 :]
            await self.store.set_heart_state(user_id, companion_id, self.kind, state)

    async def pending(self, user_id: str, companion_id: str) -> list[Evidence]:
        """What is new since the last reflection, oldest first."""
        state = await self.store.heart_state(user_id, companion_id, self.kind)
        return await self._pending(user_id, state)

    async def _pending(self, user_id: str, state: dict[str, Any]) -> list[Evidence]:
        since = datetime.fromisoformat(state["since"]) if state.get("since") else None
        if self.use_memories:
            facts = await self.store.list_memories(
                user_id, kind="fact", include_invalid=False, limit=MAX_EVIDENCE * 4
            )
            fresh = [m for m in facts if since is None or m.created_at > since]
            return [
                Evidence("memory", m.id, m.text, m.importance, m.created_at)
                for m in sorted(fresh, key=lambda m: m.created_at)[-MAX_EVIDENCE:]
            ]
        # Pending messages are kept as ids (text is read back, so a forgotten message is gone).
        pending: defaultdict[str, dict[str, float]] = defaultdict(dict)
        first: dict[str, int] = {}
        for message_id, weight, conversation_id, seq in state.get("messages", []):
            pending[conversation_id][message_id] = float(weight)
            first[conversation_id] = min(first.get(conversation_id, seq), seq)
        found = []
        for conversation_id, weights in pending.items():
            try:
                messages = await self.store.messages(
                    user_id, conversation_id, since_seq=first[conversation_id]
                )
            except Os1Error:
                continue  # the conversation was deleted
            found += [
                Evidence("message", m.id, m.content, weights[m.id], m.created_at)
                for m in messages
                if m.id in weights
            ]
        return sorted(found, key=lambda e: e.at)[-MAX_EVIDENCE:]

    # --- reflecting ---------------------------------------------------------------------------

    async def maybe_reflect(
        self, user_id: str, companion_id: str, names: tuple[str, str]
    ) -> ReflectionResult | None:
        """Reflect if the importance of what is new has passed the threshold.

        Raises GaveWay when a person started waiting for a reply (nothing is lost: the same
        evidence is still pending next time).
        """
        key = (user_id, companion_id)
        if self._locks[key].locked():
            return None  # already reflecting
        async with self._locks[key]:
            state = await self.store.heart_state(user_id, companion_id, self.kind)
            now = self.clock()
            failed = state.get("failed_at")
            if failed and now - datetime.fromisoformat(failed) < RETRY_AFTER:
                return None
            evidence = await self._pending(user_id, state)
            if sum(e.importance for e in evidence) < self.threshold:
                return None
            result = await self.reflect(user_id, companion_id, evidence, names)
            if result is None:
                state["failed_at"] = now.isoformat()
            else:
                state = {
                    "since": max(e.at for e in evidence).isoformat(),
                    "last_at": now.isoformat(),
                    "count": int(state.get("count", 0)) + 1,
                    "messages": [],
                }
            await self.store.set_heart_state(user_id, companion_id, self.kind, state)
            return result

    async def reflect(
        self,
        user_id: str,
        companion_id: str,
        evidence: Sequence[Evidence],
        names: tuple[str, str],
    ) -> ReflectionResult | None:
        """Insights from this evidence, then revisions from the insights; None if the backend
        gave nothing back (it is tried again later)."""
        user, companion = names
        items = "\n".join(
            f"[{i}] ({short_date(e.at)}) {' '.join(e.text.split())[:600]}"
            for i, e in enumerate(evidence, 1)
        )
        raw = await generate_in_background(
            self.backend,
            (
                ChatMessage("system", INSIGHTS_SYSTEM.format(user=user, companion=companion)),
                ChatMessage("user", f"Items:\n{items}"),
            ),
            user_id,
            INSIGHTS_SCHEMA,
            self.max_tokens,
            "reflection",
        )
        if not raw:
            return None
        insights: list[Insight] = []
        for proposed in parse_insights(raw, len(evidence)):
            behind = [evidence[n - 1] for n in proposed.evidence]
            try:
                insights.append(
                    await self.store.add_insight(
                        user_id,
                        companion_id,
                        proposed.text,
                        proposed.importance / 5,
                        memory_ids=[e.id for e in behind if e.kind == "memory"],
                        message_ids=[e.id for e in behind if e.kind == "message"],
                    )
                )
            except Os1Error as err:  # the evidence was forgotten meanwhile
                log.info("reflection: insight not kept: %s", err)
        if not insights or self.journal is None:
            return ReflectionResult(insights, {})
        return await self._revise(user_id, companion_id, insights, names)

    async def _revise(
        self, user_id: str, companion_id: str, insights: list[Insight], names: tuple[str, str]
    ) -> ReflectionResult:
        assert self.journal is not None
        user, companion = names
        persona = await self.journal.current(user_id, companion_id)
        blocks = "\n\n".join(
            f"{name}:\n{getattr(persona, name, '') or '(empty)'}" for name in REFLECTION_BLOCKS
        )
        listed = "\n".join(f"[{i}] {insight.text}" for i, insight in enumerate(insights, 1))
        raw = await generate_in_background(
            self.backend,
            (
                ChatMessage("system", REVISIONS_SYSTEM.format(user=user, companion=companion)),
                ChatMessage("user", f"Current blocks:\n{blocks}\n\nInsights:\n{listed}"),
            ),
            user_id,
            REVISIONS_SCHEMA,
            self.max_tokens,
            "reflection (persona)",
        )
        changes: dict[str, str] = {}
        used: list[Insight] = []
        for block, add, because in parse_revisions(raw, len(insights)):
            old = changes.get(block, getattr(persona, block, ""))
            if add.lower() in old.lower():
                continue
            changes[block] = f"{old.rstrip()}\n{add}".strip()
            used += [insights[n - 1] for n in because if insights[n - 1] not in used]
        if not changes:
            return ReflectionResult(insights, {})
        reason = "reflection: " + "; ".join(i.text for i in used)
        try:
            entry = await self.journal.revise(
                user_id,
                companion_id,
                changes,
                author="reflection",
                reason=reason[:600],
                evidence=[i.id for i in used],
            )
        except Os1Error as err:  # a block over its size limit: the insights are kept
            log.info("reflection: persona not revised: %s", err)
            return ReflectionResult(insights, {})
        return ReflectionResult(insights, changes, entry)

"""Benchmarks users can run (`os1 bench …`): each returns JSON-ready results; the CLI prints them.

Benchmarks are measurements, never pass/fail tests; targets live in the issues and the README.
"""

from __future__ import annotations

import contextlib
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from os1.backends import Backend
from os1.companion import Companion
from os1.config import Settings
from os1.store.sqlite import SQLiteStore
from os1.testing import ScriptedBackend
from os1.types import BackendEvent, ChatMessage, GenerationRequest, ReplyDelta

__all__ = ["bench_turn", "percentile"]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class TimedBackend:
    """Wraps a backend and adds up the time spent inside it, so engine overhead can be isolated."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.context_window = inner.context_window
        self.keeps_prefix_cache = inner.keeps_prefix_cache
        self.spent_s = 0.0
        self.last_request: GenerationRequest | None = None

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[BackendEvent, None]:
        self.last_request = request
        events = self.inner.stream(request)
        while True:
            start = time.perf_counter()
            try:
                event = await events.__anext__()
            except StopAsyncIteration:
                self.spent_s += time.perf_counter() - start
                return
            self.spent_s += time.perf_counter() - start
            yield event

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    async def warm(self, messages: tuple[ChatMessage, ...], cache_key: str | None = None) -> None:
        await self.inner.warm(messages, cache_key)

    def reply_coming(self) -> contextlib.AbstractContextManager[None]:
        return self.inner.reply_coming()

    async def aclose(self) -> None:
        await self.inner.aclose()


def seed_history(db_path: Path, user_id: str, conversation_id: str, turns: int) -> None:
    """Write `turns` past exchanges straight into the database (setup, not measured)."""
    conn = sqlite3.connect(db_path)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(turns):
        when = (start + timedelta(minutes=i)).isoformat()
        rows.append((uuid.uuid4().hex, conversation_id, 2 * i + 1, "user",
                     f"Message number {i}: I went for a walk and thought about the sea.",
                     "complete", "", "{}", when))  # fmt: skip
        rows.append((uuid.uuid4().hex, conversation_id, 2 * i + 2, "assistant",
                     "That sounds lovely. What did the sea make you think of?",
                     "complete", "", "{}", when))  # fmt: skip
    with conn:
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, seq, role, content, status, notes, meta,"
            " created_at) VALUES (?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.execute(
            "UPDATE conversations SET last_seq = ? WHERE id = ?", (2 * turns, conversation_id)
        )
    conn.close()
    del user_id


async def _overhead(settings: Settings, stored: int, turns: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        store = SQLiteStore(db)
        backend = TimedBackend(ScriptedBackend(settings))
        companion = Companion(settings, store=store, backend=backend)
        user = await companion.local_user()
        profile = await companion.default_profile(user)
        conv = await companion.new_conversation(user, profile)
        seed_history(db, user.id, conv.id, stored)
        samples = []
        for i in range(turns + 5):
            backend.spent_s = 0.0
            start = time.perf_counter()
            async for event in companion.send(user.id, conv.id, f"How was your day? ({i})"):
                assert event is not None
            total = time.perf_counter() - start
            if i >= 5:  # the first turns pay for the one deliberate trim of the seeded history
                samples.append((total - backend.spent_s) * 1000)
        count = (await store.stats())["messages"]
        await companion.aclose()
    return {
        "overhead_ms": {"p50": percentile(samples, 50), "p95": percentile(samples, 95)},
        "stored_turns": count // 2,
    }


async def _ttft_ratio(settings: Settings, trials: int) -> dict[str, Any]:
    from os1.backends.llamacpp import LlamaCppBackend

    llama = LlamaCppBackend(settings)
    backend = TimedBackend(llama)
    history = [
        ("user", "Hi! I just got back from a long walk by the river."),
        ("assistant", "That sounds peaceful. Was it busy out there?"),
        ("user", "Not really, just a few dog walkers. I needed the quiet after work."),
        ("assistant", "Quiet can be such a relief. Rough day?"),
    ]
    ours, direct = [], []
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "ttft.db")
        companion = Companion(settings, store=store, backend=backend)
        user = await companion.local_user()
        profile = await companion.default_profile(user)
        for trial in range(trials):
            conv = await companion.new_conversation(user, profile)
            for role, text in history:
                await store.append_message(user.id, conv.id, role, text)  # type: ignore[arg-type]
            text = f"A bit. My manager moved the deadline again. ({trial})"
            # Same cache state for both: the history is cached, the new message is not.
            await companion.prepare(user.id, conv.id)
            start = time.perf_counter()
            async with contextlib.aclosing(companion.send(user.id, conv.id, text)) as events:
                async for event in events:
                    if isinstance(event, ReplyDelta):
                        ours.append(time.perf_counter() - start)
                        break
            assert backend.last_request is not None
            messages = backend.last_request.messages
            await llama.warm(messages[:-1], cache_key=conv.id)
            tokens = llama.prompt_tokens(messages)
            start = time.perf_counter()
            chunks: Any = llama._llm.create_completion(
                tokens, max_tokens=settings.max_tokens, stream=True
            )
            for chunk in chunks:
                if chunk["choices"][0]["text"]:
                    direct.append(time.perf_counter() - start)
                    break
        await companion.aclose()
    p_ours, p_direct = statistics.median(ours), statistics.median(direct)
    return {
        "ttft_ratio": p_ours / p_direct,
        "ttft_ms": {"os1": p_ours * 1000, "direct": p_direct * 1000},
        "model": llama.model_path.name,
    }


async def bench_turn(
    settings: Settings, stored: int, turns: int, trials: int, skip_ttft: bool
) -> dict[str, Any]:
    """`os1 bench turn`: engine overhead with `stored` turns, and the TTFT ratio."""
    result = await _overhead(settings, stored, turns)
    if not skip_ttft:
        result.update(await _ttft_ratio(settings, trials))
    return result


USER_LINES = [
    "Hi! I just got home from work.",
    "It was long. Lots of meetings about a project that keeps changing.",
    "We're building an app for a bakery chain, of all things.",
    "The client keeps asking for new features every week.",
    "I do like the team though. My friend Maya sits next to me.",
    "She makes the best jokes when things get tense.",
    "Anyway, I'm thinking of taking a pottery class.",
    "Have you heard of wheel throwing? It looks so calming.",
    "My sister tried it last year and loved it.",
    "She made me a mug that's a bit lopsided. I use it every day.",
    "Today I had tea in it and thought about calling her.",
    "We haven't talked much since she moved to Lisbon.",
    "The time difference is only an hour, so no excuse really.",
    "Maybe I'll call her this weekend.",
    "What do you think makes a good phone call with family?",
    "That's fair. I tend to ramble when I'm nervous.",
    "I also want to cook more. I've been living on takeout.",
    "Last night was noodles again.",
    "I can make a decent risotto if I try.",
    "It just takes patience, stirring and stirring.",
    "Maybe that's like pottery. Slow things.",
    "I think I need more slow things in my life.",
    "Work makes everything feel urgent.",
    "Even my weekends get eaten by emails.",
    "I should turn off notifications on Saturday.",
    "That feels scary, but good.",
    "OK, plan: pottery class, call my sister, risotto on Sunday.",
    "You make it sound doable.",
    "Thanks for listening tonight.",
    "I'm going to make some tea now. In the lopsided mug.",
]


async def _timed_turn(companion: Companion, user_id: str, conversation_id: str, text: str) -> float:
    start = time.perf_counter()
    first = None
    async for event in companion.send(user_id, conversation_id, text):
        if first is None and isinstance(event, ReplyDelta):
            first = time.perf_counter() - start
    return (first if first is not None else time.perf_counter() - start) * 1000


async def bench_latency(settings: Settings, turns: int = 30) -> dict[str, Any]:
    """`os1 bench latency`: time to first token, cold, deep in a conversation, and alternating.

    Beside the times, what the prompt cache did: prompt tokens each reply had to read (p50, the
    same on a busy machine as on a quiet one) and how often a conversation's saved state was
    live, restored, missing or evicted.
    """
    from os1.backends.llamacpp import LlamaCppBackend
    from os1.models import resolve_model_path

    lines = (USER_LINES * (turns // len(USER_LINES) + 1))[:turns]
    model = str(resolve_model_path(settings))
    with tempfile.TemporaryDirectory() as tmp:
        # The product's own wiring: memory recall and remembering (when installed) and the
        # safety floor, exactly as `os1 chat` builds them.
        companion = Companion.from_settings(settings.replace(home=Path(tmp), model=model))
        backend = companion.backend
        assert isinstance(backend, LlamaCppBackend)
        stats = backend.stats
        read: list[int] = []

        async def turn(conversation_id: str, line: str) -> float:
            before = stats.evaluated_tokens
            ms = await _timed_turn(companion, user.id, conversation_id, line)
            read.append(stats.evaluated_tokens - before)
            return ms

        user = await companion.local_user()
        profile = await companion.default_profile(user)
        solo = await companion.new_conversation(user, profile)
        deep = [await turn(solo.id, line) for line in lines]
        deep_read, read = read, []
        first = await companion.new_conversation(user, profile)
        second = await companion.new_conversation(user, profile)
        alternating: list[float] = []
        for line in lines:
            for conv in (first, second):
                alternating.append(await turn(conv.id, line))
        prompt_tokens = backend.count_tokens(
            "".join(m.content for m in (await companion._window(user.id, solo, profile)).messages)
        )
        await companion.aclose()
    late = slice(9, turns)  # turns 10..30
    return {
        "ttft_ms": {
            "cold": deep[0],
            "deep_p50": statistics.median(deep[late]),
            "alternating_p50": statistics.median(alternating[2 * 9 :]),
        },
        "prompt_tokens_read": {
            "deep_p50": statistics.median(deep_read[late]),
            "alternating_p50": statistics.median(read[2 * 9 :]),
        },
        "state_cache": {
            "live": stats.live,
            "restored": stats.restored,
            "cold": stats.cold,
            "evicted": stats.evicted,
            "background_yielded": stats.yielded,
            "largest_state_mb": round(stats.largest_state_bytes / 2**20, 1),
        },
        "turns": turns,
        "final_prompt_tokens": prompt_tokens,
        "model": backend.model_path.name,
        "memory_recall": companion.memories is not None,
    }

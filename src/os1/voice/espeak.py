"""espeak-ng as a voice: robotic but tiny and instant, run as a separate program (GPL-3.0).

Install it with your system's packages (`apt-get install espeak-ng`). Voices are espeak-ng names
with an optional variant: `en-us`, `en-us+f3` (a female variant), `en-gb-x-rp`.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncGenerator

from os1.config import Settings
from os1.errors import ConfigError, Os1Error
from os1.voice.audio import decode_audio, resample

__all__ = ["EspeakTTS"]


class EspeakTTS:
    """espeak-ng through its command line, one clause per call."""

    sample_rate = 22050
    license = "GPL-3.0-or-later (espeak-ng, run as a separate program)"

    def __init__(self, settings: Settings | None = None, *, voice: str = "") -> None:
        self.binary = shutil.which("espeak-ng") or shutil.which("espeak")
        if self.binary is None:
            raise ConfigError("the espeak voice needs espeak-ng: apt-get install espeak-ng")
        self.voice = voice or (settings.voice if settings else "") or "en-us+f3"
        self.name = f"espeak-ng {self.voice}"

    async def synthesize(self, text: str) -> AsyncGenerator[bytes, None]:
        """Speak `text`; one chunk per call (espeak-ng needs about 10 ms a clause)."""
        if not text.strip():
            return
        process = await asyncio.create_subprocess_exec(
            self.binary or "espeak-ng", "-v", self.voice, "-s", "165", "--stdout", "--", text,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await process.communicate()
        if process.returncode != 0:
            message = err.decode("utf-8", "replace").strip()
            raise Os1Error(f"espeak-ng failed: {message or process.returncode}")
        audio = resample(decode_audio(out), self.sample_rate)
        yield audio.pcm

    async def aclose(self) -> None:
        """Nothing to release."""

"""Festival as a voice: CMU's SLT (a US English woman, HTS), permissive licences, fast on a CPU.

One festival process is kept running and fed Scheme commands on stdin, so a clause costs tens of
milliseconds instead of festival's one-second start. Install with your system's packages:
`apt-get install festival festvox-us-slt-hts`. Any installed festival voice works by name
(`os1 config set voice cmu_us_slt_arctic_hts`; `ls /usr/share/festival/voices/*/` lists them).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncGenerator
from pathlib import Path

from os1.config import Settings
from os1.errors import ConfigError, Os1Error
from os1.voice.audio import decode_audio, resample

__all__ = ["FestivalTTS"]

DEFAULT_VOICE = "cmu_us_slt_arctic_hts"
_MARK = "os1-done"


def _scheme_string(text: str) -> str:
    # Festival's reader takes \\ and \" escapes; control characters would end the command early.
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"'


class FestivalTTS:
    """A long-running festival process speaking one clause at a time."""

    sample_rate = 22050
    license = "EST/BSD-style (festival and the CMU ARCTIC voices)"

    def __init__(self, settings: Settings | None = None, *, voice: str = "") -> None:
        self._festival = shutil.which("festival")
        if self._festival is None:
            raise ConfigError(
                "the festival voice needs festival: apt-get install festival festvox-us-slt-hts"
            )
        self.voice = voice or (settings.voice if settings else "") or DEFAULT_VOICE
        if not self.voice.replace("_", "").isalnum():
            raise ConfigError(f"'{self.voice}' is not a festival voice name")
        self.name = f"festival {self.voice}"
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._dir = tempfile.TemporaryDirectory(prefix="os1-festival-")
        self._count = 0

    async def _start(self) -> asyncio.subprocess.Process:
        if self._process is not None and self._process.returncode is None:
            return self._process
        command = [self._festival or "festival", "--pipe"]
        # festival buffers its output when it is not a terminal; stdbuf makes it line-buffered.
        stdbuf = shutil.which("stdbuf")
        if stdbuf:
            command = [stdbuf, "-oL", *command]
        self._process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await self._command(f"(voice_{self.voice})")
        except Os1Error:
            raise ConfigError(
                f"festival has no voice '{self.voice}' (apt-get install festvox-us-slt-hts)"
            ) from None
        return self._process

    async def _command(self, scheme: str) -> str:
        process = self._process
        assert process is not None
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(f'{scheme}\n(print "{_MARK}")\n'.encode())
        await process.stdin.drain()
        said: list[str] = []
        async with asyncio.timeout(30):
            while True:
                line = (await process.stdout.readline()).decode("utf-8", "replace")
                if not line:
                    raise Os1Error("festival stopped unexpectedly")
                if _MARK in line:
                    break
                said.append(line)
        text = "".join(said)
        if "SIOD ERROR" in text:
            raise Os1Error(f"festival: {text.strip()[:200]}")
        return text

    async def synthesize(self, text: str) -> AsyncGenerator[bytes, None]:
        """Speak `text` as one chunk."""
        if not any(ch.isalnum() for ch in text):
            return
        async with self._lock:
            await self._start()
            self._count += 1
            path = Path(self._dir.name) / f"{self._count}.wav"
            await self._command(
                f"(utt.save.wave (utt.synth (Utterance Text {_scheme_string(text)}))"
                f' "{path}" (quote riff))'
            )
            if not path.is_file():
                raise Os1Error("festival said nothing for this text")
            data = path.read_bytes()
            path.unlink()
        yield resample(decode_audio(data), self.sample_rate).pcm

    async def aclose(self) -> None:
        """Stop the festival process."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        self._dir.cleanup()

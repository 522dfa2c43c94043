"""Voice on the web page in Chromium with a fake microphone (real Whisper and festival).

Chromium reads the microphone from a WAV file (--use-file-for-fake-audio-capture); the page
listens hands-free, sends the utterance over /api/voice, and plays her spoken answer.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import LiveServer
from os1.voice import Audio
from os1.voice.audio import resample, wav_bytes
from os1.voice.festival import FestivalTTS
from test_server_browser import ARTIFACTS, missing, run_page_script

pytestmark = [pytest.mark.model, pytest.mark.loopback]


async def spoken(text: str) -> Audio:
    tts = FestivalTTS()
    try:
        pcm = b"".join([chunk async for chunk in tts.synthesize(text)])
    finally:
        await tts.aclose()
    return resample(Audio(pcm, tts.sample_rate), 48000)


def test_talking_hands_free_in_chromium(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    reason = missing() or (None if shutil.which("festival") else "festival is not installed")
    if reason:
        pytest.skip(f"browser voice test skipped: {reason}")
    question = asyncio.run(spoken("I went for a long walk by the river today."))
    quiet = b"\0\0" * 48000
    microphone = tmp_path / "microphone.wav"
    microphone.write_bytes(wav_bytes(Audio(quiet + question.pcm + quiet * 6, 48000)))
    served = live_server(["Theo"])
    result = run_page_script("voice.mjs", served, timeout=180, OS1_QUESTION=str(microphone))
    assert "voice ok" in result.stdout
    assert (ARTIFACTS / "voice.png").stat().st_size > 10_000

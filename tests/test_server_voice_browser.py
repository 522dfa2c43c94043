"""Voice on the web page in Chromium with a fake microphone (real Whisper and festival).

Chromium reads the microphone from a WAV file (--use-file-for-fake-audio-capture); the page
listens hands-free, sends the utterance over /api/voice, and plays her spoken answer.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import LiveServer
from os1.voice import Audio
from os1.voice.audio import resample, wav_bytes
from os1.voice.festival import FestivalTTS
from test_server_browser import BROWSER_TESTS, CHROMIUM, ROOT, missing

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
    artifacts = ROOT / "artifacts" / "browser"
    env = {
        **os.environ,
        "OS1_URL": served.url,
        "OS1_KEY": served.people[0].key,
        "OS1_QUESTION": str(microphone),
        "OS1_ARTIFACTS": str(artifacts),
        "OS1_CHROMIUM": CHROMIUM,
    }
    result = subprocess.run(
        ["node", str(BROWSER_TESTS / "voice.mjs")],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "voice ok" in result.stdout
    assert (artifacts / "voice.png").stat().st_size > 10_000

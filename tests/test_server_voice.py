"""The voice WebSocket in-process, with fake speech engines: a turn, barge-in, bad audio.

The page in Chromium with a fake microphone is in tests/test_server_voice_browser.py.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from typing import Any

import pytest

from conftest import ServerHarness
from os1.config import Settings
from os1.voice import Audio
from os1.voice.audio import wav_bytes

REPLY = "Oh, that sounds lovely. " + "Tell me more about the river and the birds. " * 6


def spoken_wav(seconds: float = 1.0) -> bytes:
    """A recording with a tone in it (the fake speech-to-text hears "Hello")."""
    n = int(seconds * 16000)
    samples = (int(8000 * math.sin(2 * math.pi * 220 * i / 16000)) for i in range(n))
    return wav_bytes(Audio(struct.pack(f"<{n}h", *samples), 16000))


@pytest.fixture
def voice_server(
    make_server: Callable[..., ServerHarness], server_settings: Settings
) -> ServerHarness:
    return make_server(server_settings.replace(tts="fake", stt="fake"), delay_s=0.01)


def talk(ws: Any, *, barge_after: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Read frames until her reply is stored, reporting playback like the page does; with
    `barge_after`, interrupt once that many audio samples have arrived."""
    frames: list[dict[str, Any]] = []
    samples = 0
    barged = False
    while True:
        message = ws.receive()
        if message.get("bytes") is not None:
            samples += len(message["bytes"]) // 2
            if barge_after is not None and samples >= barge_after and not barged:
                ws.send_json({"type": "barge_in", "samples": barge_after})
                barged = True
            elif not barged:
                ws.send_json({"type": "played", "samples": samples})
            continue
        data = json.loads(message["text"])
        frames.append(data)
        if data["type"] in ("reply", "problem", "error"):
            return frames, samples


def test_a_spoken_turn_over_the_socket(voice_server: ServerHarness) -> None:
    theo = voice_server.person("Theo")
    voice_server.backend.queue("Oh, that sounds lovely. Tell me more.")
    with voice_server.client.websocket_connect("/api/voice", headers=theo.headers) as ws:
        ws.send_json({"type": "hello", "conversation_id": theo.conversation.id})
        assert ws.receive_json() == {"type": "state", "state": "listening"}
        ws.send_bytes(spoken_wav())
        frames, samples = talk(ws)
        assert ws.receive_json() == {"type": "state", "state": "listening"}
    kinds = [f["type"] if f["type"] != "state" else f["state"] for f in frames]
    assert kinds[:3] == ["thinking", "heard", "audio"]
    assert kinds.index("speaking") < kinds.index("say")
    assert frames[1]["text"] == "Hello"
    assert [f["text"] for f in frames if f["type"] == "say"] == [
        "Oh, ",
        "that sounds lovely. ",
        "Tell me more.",
    ]
    reply = frames[-1]
    assert reply["interrupted"] is False
    assert reply["message"]["content"] == "Oh, that sounds lovely. Tell me more."
    assert reply["message"]["status"] == "complete"
    assert samples == len("Oh,that sounds lovely.Tell me more.") * 160  # each chunk as said


def test_barge_in_over_the_socket_keeps_only_what_was_heard(voice_server: ServerHarness) -> None:
    theo = voice_server.person("Theo")
    voice_server.backend.queue(REPLY)
    with voice_server.client.websocket_connect("/api/voice", headers=theo.headers) as ws:
        ws.send_json({"type": "hello", "conversation_id": theo.conversation.id})
        ws.receive_json()
        ws.send_bytes(spoken_wav())
        frames, _ = talk(ws, barge_after=160 * 10)  # she got ten characters out
    reply = frames[-1]
    assert reply["interrupted"] is True
    assert reply["message"]["status"] == "interrupted"
    # "Oh," then "that so…": a word counts once she has started it.
    assert reply["message"]["content"] == "Oh, that sounds"
    stored = voice_server.run(voice_server.store.messages, theo.user.id, theo.conversation.id)
    assert [(m.role, m.content, m.status.value) for m in stored] == [
        ("user", "Hello", "complete"),
        ("assistant", "Oh, that sounds", "interrupted"),
    ]


def test_silence_and_garbage_are_not_turns(voice_server: ServerHarness) -> None:
    theo = voice_server.person("Theo")
    with voice_server.client.websocket_connect("/api/voice", headers=theo.headers) as ws:
        ws.send_bytes(spoken_wav())
        assert ws.receive_json()["code"] == "no_conversation"
        ws.send_json({"type": "hello", "conversation_id": theo.conversation.id})
        ws.receive_json()
        ws.send_bytes(wav_bytes(Audio(b"\0\0" * 16000, 16000)))
        frames, _ = talk(ws)
        assert frames[-1] == {
            "type": "problem",
            "text": "I didn't hear anything: the recording is silent",
        }
        assert ws.receive_json() == {"type": "state", "state": "listening"}
        ws.send_bytes(b"not audio at all" * 10)
        error = ws.receive_json()
        assert error["type"] == "error"
        assert "not audio" in error["message"]
    stored = voice_server.run(voice_server.store.messages, theo.user.id, theo.conversation.id)
    assert stored == []


def test_a_spoken_turn_shows_in_the_text_view(voice_server: ServerHarness) -> None:
    theo = voice_server.person("Theo")
    client = voice_server.client
    with client.websocket_connect("/api/ws", headers=theo.headers) as text_view:
        text_view.send_json({"type": "hello", "conversation_id": theo.conversation.id})
        assert text_view.receive_json()["type"] == "ready"
        with client.websocket_connect("/api/voice", headers=theo.headers) as ws:
            ws.send_json({"type": "hello", "conversation_id": theo.conversation.id})
            ws.receive_json()
            ws.send_bytes(spoken_wav())
            talk(ws)
            assert ws.receive_json() == {"type": "state", "state": "listening"}
        shown = [text_view.receive_json(), text_view.receive_json()]
    assert [(f["type"], f["message"]["role"]) for f in shown] == [
        ("message", "user"),
        ("message", "assistant"),
    ]


def test_the_voice_socket_needs_a_key(voice_server: ServerHarness) -> None:
    with voice_server.client.websocket_connect("/api/voice") as ws:
        assert ws.receive_json()["code"] == "unauthorized"

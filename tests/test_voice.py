"""Voice with fake engines: the clause chunker, streaming, barge-in, bad audio, WAV metadata.

Real Whisper and festival run in tests/test_voice_models.py; everything here is fast.
"""

from __future__ import annotations

import asyncio
import io
import math
import struct
import wave
from collections.abc import AsyncGenerator
from pathlib import Path

import numpy as np
import pytest

from os1.companion import Companion
from os1.config import Settings
from os1.errors import InputError
from os1.plugins import load_stt, load_tts
from os1.store.sqlite import SQLiteStore
from os1.testing import (
    FakeSpeaker,
    FakeSpeechToText,
    FakeTextToSpeech,
    Script,
    ScriptedBackend,
    split_pieces,
)
from os1.types import BackendEvent, GenerationRequest, MessageStatus
from os1.voice import AI_SPEECH_NOTE, Audio
from os1.voice.audio import decode_audio, levels, resample, wav_bytes, wav_info
from os1.voice.chunker import ClauseChunker, speakable
from os1.voice.pipeline import MemorySink, VoiceChat, heard_prefix
from os1.voice.talk import WavSink
from os1.voice.whisper import clearly_heard

REPLY = (
    "Oh, that sounds like a lovely walk. Rivers are calming in a way that is hard to explain. "
    "Did you see any birds along the water, or was it too cold for them today? "
    "I would love to hear what you thought about while you walked."
)


def chunks_of(text: str, step: int = 3, chunker: ClauseChunker | None = None) -> list[str]:
    """Feed `text` a few characters at a time, as a model streams it."""
    chunker = chunker or ClauseChunker()
    out: list[str] = []
    for i in range(0, len(text), step):
        out.extend(chunker.feed(text[i : i + step]))
    rest = chunker.flush()
    return [*out, rest] if rest else out


# --- the chunker ---------------------------------------------------------------------------


def test_first_clause_is_cut_early_and_chunks_join_back_exactly() -> None:
    chunks = chunks_of(REPLY)
    assert "".join(chunks) == REPLY
    # She can say "Oh," while the model writes the rest.
    assert chunks[0] == "Oh, "
    # Later chunks are whole sentences, for their intonation ...
    assert chunks[1] == "that sounds like a lovely walk. "
    assert chunks[2] == "Rivers are calming in a way that is hard to explain. "
    # ... and a long sentence is cut at a comma once it has enough words.
    assert chunks[3] == "Did you see any birds along the water, "


def test_first_chunk_ends_at_the_first_comma_or_sentence_end() -> None:
    assert chunks_of("Well, I think that is a wonderful idea, really, and so on")[:2] == [
        "Well, ",
        "I think that is a wonderful idea, really, ",
    ]
    assert chunks_of("Hi! How was the interview?") == ["Hi! ", "How was the interview?"]
    # Later chunks wait for enough words before a comma.
    assert chunks_of("Yes. Oh, I see what you mean now.")[1] == "Oh, I see what you mean now."


def test_a_long_first_sentence_is_cut_where_a_phrase_begins() -> None:
    assert chunks_of("That is a big change for you and your sister. What now?") == [
        "That is a big change ",
        "for you and your sister. ",
        "What now?",
    ]
    # Only the first: later sentences are kept whole for their intonation.
    assert chunks_of("Yes. That is a big change for you and your sister.")[1] == (
        "That is a big change for you and your sister."
    )


def test_the_first_chunk_is_cut_after_a_few_words_at_the_latest() -> None:
    text = "Making homemade pasta sounds like a perfect cosy evening plan tonight."
    chunks = chunks_of(text)
    assert chunks[0] == "Making homemade pasta sounds like a perfect "
    assert "".join(chunks) == text
    # Not before the word is complete: a streamed "perf" is not cut.
    chunker = ClauseChunker()
    assert chunker.feed("Making homemade pasta sounds like a perf") == []
    assert chunker.feed("ect cosy") == ["Making homemade pasta sounds like a perfect "]
    assert ClauseChunker(first_max_words=99).feed(text + " ") == [text + " "]


def test_abbreviations_decimals_and_initials_do_not_end_a_sentence() -> None:
    no_phrases = ClauseChunker(first_phrase_words=99, first_max_words=99)
    text = "Dr. Lee said it was 3.5 miles from J. R. Smith's house. Then we left."
    chunks = chunks_of(text, chunker=no_phrases)
    assert chunks == ["Dr. Lee said it was 3.5 miles from J. R. Smith's house. ", "Then we left."]


def test_text_without_punctuation_is_cut_after_max_words() -> None:
    words = " ".join(f"word{i}" for i in range(70))
    chunks = chunks_of(words, chunker=ClauseChunker(max_words=28))
    assert "".join(chunks) == words
    assert [len(c.split()) for c in chunks] == [7, 28, 28, 7]  # the first one early


def test_speakable_drops_markdown_links_emoji_and_stage_directions() -> None:
    assert (
        speakable("**Really?** *smiles* That's [great](http://x.y) 😊!") == "Really? That's great!"
    )
    assert speakable("## Plan\n- call her\n- `cook`") == "Plan call her cook"
    assert speakable("see https://example.com/a?b=c now") == "see a link now"


# --- streaming and barge-in with fake engines ---------------------------------------------


class CountingBackend(ScriptedBackend):
    """A scripted backend that counts the pieces it actually produced."""

    def __init__(self, replies: list[str], delay_s: float = 0.0) -> None:
        super().__init__(None, replies, delay_s=delay_s)
        self.produced = 0
        self.closed_early = False

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[BackendEvent, None]:
        finished = False
        try:
            async for event in super().stream(request):
                self.produced += 1
                yield event
            finished = True
        finally:
            self.closed_early = not finished


@pytest.fixture
async def voice_companion(store: SQLiteStore, tmp_path: Path) -> Companion:
    return Companion(Settings(home=tmp_path / "home"), store=store, backend=ScriptedBackend())


async def start(companion: Companion) -> tuple[str, str]:
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))
    return user.id, conversation.id


async def stored(
    companion: Companion, user_id: str, conversation_id: str
) -> list[tuple[str, str, str]]:
    return [
        (m.role, m.content, m.status)
        for m in await companion.history(user_id, conversation_id, limit=100)
    ]


async def test_she_starts_speaking_before_the_model_has_finished(
    voice_companion: Companion,
) -> None:
    backend = CountingBackend([REPLY], delay_s=0.01)
    voice_companion.backend = backend
    user_id, conversation_id = await start(voice_companion)
    pieces_at_first_audio: list[int] = []

    class Watching(MemorySink):
        async def play(self, pcm: bytes) -> None:
            if not self.chunks:
                pieces_at_first_audio.append(backend.produced)
            await super().play(pcm)

    tts = FakeTextToSpeech()
    chat = VoiceChat(voice_companion, FakeSpeechToText(), tts)
    reply = await chat.respond(user_id, conversation_id, "I went for a walk", Watching())
    assert pieces_at_first_audio[0] < len(split_pieces(REPLY)) // 4
    assert reply.reply is not None
    assert reply.reply.status == MessageStatus.COMPLETE
    assert reply.heard == REPLY
    assert not reply.interrupted
    assert tts.spoken[:2] == ["Oh,", "that sounds like a lovely walk."]
    assert " ".join(tts.spoken) == " ".join(REPLY.split())


async def test_barge_in_stops_generation_and_keeps_only_what_was_heard(
    voice_companion: Companion,
) -> None:
    long_reply = REPLY + " " + REPLY
    backend = CountingBackend([long_reply], delay_s=0.02)
    voice_companion.backend = backend
    user_id, conversation_id = await start(voice_companion)
    barge_in = asyncio.Event()
    tts = FakeTextToSpeech(samples_per_char=100)
    # She has said about 20 characters' worth when the person starts talking.
    speaker = FakeSpeaker(speed=4, on_played=lambda n: barge_in.set() if n >= 2000 else None)
    chat = VoiceChat(voice_companion, FakeSpeechToText(), tts)

    reply = await chat.respond(user_id, conversation_id, "hi", speaker, barge_in=barge_in)

    assert reply.interrupted
    assert speaker.stopped
    assert backend.closed_early
    assert backend.produced < len(split_pieces(long_reply))
    assert reply.reply is not None
    assert reply.reply.status == MessageStatus.INTERRUPTED
    heard = reply.reply.content
    assert heard == reply.heard
    assert long_reply.startswith(heard)
    assert heard.startswith("Oh,")
    # Only what was played is kept: a few words past the barge-in at most.
    assert len(heard) <= speaker.played_samples / 100 + 12
    assert await stored(voice_companion, user_id, conversation_id) == [
        ("user", "hi", "complete"),
        ("assistant", heard, "interrupted"),
    ]


async def test_barge_in_after_the_model_finished_still_trims_the_stored_reply(
    voice_companion: Companion,
) -> None:
    backend = CountingBackend([REPLY])  # the whole reply exists at once
    voice_companion.backend = backend
    user_id, conversation_id = await start(voice_companion)
    barge_in = asyncio.Event()
    tts = FakeTextToSpeech(samples_per_char=100)
    speaker = FakeSpeaker(speed=8, on_played=lambda n: barge_in.set() if n >= 6000 else None)
    chat = VoiceChat(voice_companion, FakeSpeechToText(), tts)

    reply = await chat.respond(user_id, conversation_id, "hi", speaker, barge_in=barge_in)

    assert not backend.closed_early
    assert reply.reply is not None
    assert reply.reply.status == MessageStatus.INTERRUPTED
    assert REPLY.startswith(reply.reply.content)
    assert 40 <= len(reply.reply.content) < len(REPLY) // 2


async def test_the_conversation_goes_on_after_a_barge_in(voice_companion: Companion) -> None:
    voice_companion.backend = ScriptedBackend(None, [REPLY, "Sure, tell me."], delay_s=0.005)
    user_id, conversation_id = await start(voice_companion)
    chat = VoiceChat(voice_companion, FakeSpeechToText(), FakeTextToSpeech())
    barge_in = asyncio.Event()
    speaker = FakeSpeaker(speed=8, on_played=lambda n: barge_in.set() if n > 3000 else None)
    first = await chat.respond(user_id, conversation_id, "hi", speaker, barge_in=barge_in)
    second = await chat.respond(user_id, conversation_id, "wait, one thing", MemorySink())
    assert first.reply is not None
    assert second.heard == "Sure, tell me."
    history = await stored(voice_companion, user_id, conversation_id)
    assert [(role, status) for role, _, status in history] == [
        ("user", "complete"),
        ("assistant", "interrupted"),
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    # The model saw the interrupted reply as it was heard, not as it was written.
    assert isinstance(voice_companion.backend, ScriptedBackend)
    request = voice_companion.backend.requests[-1]
    assert request.messages[-2].content == first.reply.content


async def test_cancelling_a_spoken_reply_keeps_what_was_played(voice_companion: Companion) -> None:
    voice_companion.backend = ScriptedBackend(None, [REPLY], delay_s=0.01)
    user_id, conversation_id = await start(voice_companion)
    chat = VoiceChat(voice_companion, FakeSpeechToText(), FakeTextToSpeech())
    halfway = asyncio.Event()
    speaker = FakeSpeaker(speed=4, on_played=lambda n: halfway.set() if n >= 4000 else None)
    task = asyncio.create_task(chat.respond(user_id, conversation_id, "hi", speaker))
    await halfway.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    history = await stored(voice_companion, user_id, conversation_id)
    assert history[-1][2] == "interrupted"
    assert REPLY.startswith(history[-1][1])
    assert 0 < len(history[-1][1]) < len(REPLY)


async def test_a_failing_model_mid_reply_is_spoken_up_to_where_it_stopped(
    voice_companion: Companion,
) -> None:
    voice_companion.backend = ScriptedBackend(None, [Script(REPLY, fail_after=12)])
    user_id, conversation_id = await start(voice_companion)
    chat = VoiceChat(voice_companion, FakeSpeechToText(), FakeTextToSpeech())
    reply = await chat.respond(user_id, conversation_id, "hi", MemorySink())
    assert reply.error is not None
    assert reply.reply is not None
    assert reply.reply.status == MessageStatus.INTERRUPTED
    assert reply.heard == "".join(split_pieces(REPLY)[:12])


def test_heard_prefix_counts_whole_clauses_then_started_words() -> None:
    from os1.voice.pipeline import _Span

    text = "One two three. Four five six seven. "
    spans = [_Span(0, 15, 0, 1000), _Span(15, 36, 1000, 2000)]
    assert heard_prefix(text, spans, 0) == ""
    assert heard_prefix(text, spans, 10) == "One"
    assert heard_prefix(text, spans, 1000) == "One two three."
    assert heard_prefix(text, spans, 1500) == "One two three. Four five six"
    assert heard_prefix(text, spans, 5000) == text.rstrip()


# --- bad input ------------------------------------------------------------------------------


def tone(seconds: float, rate: int = 16000, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * math.pi * 220 * t)).astype(np.float32)


def pcm(samples: np.ndarray, rate: int = 16000) -> Audio:
    return Audio((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes(), rate)


@pytest.fixture
def listener(voice_companion: Companion) -> tuple[VoiceChat, FakeSpeechToText]:
    stt = FakeSpeechToText(transcripts=["hello there"])
    return VoiceChat(voice_companion, stt, FakeTextToSpeech()), stt


async def test_silence_and_empty_recordings_are_not_turns(
    listener: tuple[VoiceChat, FakeSpeechToText],
) -> None:
    chat, stt = listener
    silent = await chat.hear(pcm(np.zeros(32000, np.float32)))
    assert silent.problem == "I didn't hear anything: the recording is silent"
    empty = await chat.hear(Audio(b"", 16000))
    assert empty.problem is not None
    assert "empty" in empty.problem
    assert stt.heard == []


async def test_clipped_recordings_are_heard_with_a_warning(
    listener: tuple[VoiceChat, FakeSpeechToText],
) -> None:
    chat, _ = listener
    heard = await chat.hear(pcm(tone(1.0, amplitude=3.0)))
    assert heard.text == "hello there"
    assert any("clipped" in n for n in heard.notices)


async def test_a_ten_minute_monologue_is_bounded(
    listener: tuple[VoiceChat, FakeSpeechToText],
) -> None:
    chat, stt = listener
    heard = await chat.hear(pcm(tone(600.0)))
    assert heard.text == "hello there"
    assert heard.notices[0] == "the recording is 10:00 long; I listened to the first 2:00"
    assert stt.heard[0].duration_s == pytest.approx(120.0, abs=0.01)


async def test_other_sample_rates_are_resampled_for_the_listener(
    listener: tuple[VoiceChat, FakeSpeechToText],
) -> None:
    chat, stt = listener
    await chat.hear(pcm(tone(1.0, rate=44100), rate=44100))
    assert stt.heard[0].sample_rate == 16000
    assert stt.heard[0].duration_s == pytest.approx(1.0, abs=0.01)


def wav_file(samples: np.ndarray, rate: int, *, width: int, channels: int = 1) -> bytes:
    """A WAV file in a given PCM width (1, 2, 3 or 4 bytes) or float (width 0)."""
    data = np.repeat(samples[:, None], channels, axis=1).reshape(-1)
    if width == 0:
        body, tag, bits = data.astype("<f4").tobytes(), 3, 32
    elif width == 1:
        body, tag, bits = ((data * 127) + 128).astype(np.uint8).tobytes(), 1, 8
    elif width == 3:
        ints = (data * (2**23 - 1)).astype("<i4")
        body = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints)
        tag, bits = 1, 24
    else:
        body = (data * (2 ** (8 * width - 1) - 1)).astype(f"<i{width}").tobytes()
        tag, bits = 1, 8 * width
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data"
    chunks += struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


@pytest.mark.parametrize(
    ("width", "channels", "rate"),
    [(1, 1, 8000), (2, 2, 48000), (3, 1, 44100), (4, 1, 22050), (0, 2, 32000)],
)
def test_wav_files_of_every_common_format_are_read(width: int, channels: int, rate: int) -> None:
    audio = decode_audio(wav_file(tone(0.5, rate), rate, width=width, channels=channels))
    assert audio.sample_rate == rate
    assert audio.duration_s == pytest.approx(0.5, abs=0.002)
    loudness, clipped = levels(audio)
    assert loudness == pytest.approx(-9.0, abs=0.6)  # a 0.5 sine: -9 dBFS whatever the format
    assert clipped == 0.0


def test_unreadable_files_say_so() -> None:
    with pytest.raises(InputError, match="empty"):
        decode_audio(b"")
    with pytest.raises(InputError, match="not audio"):
        decode_audio(b"this is a text file, not a recording\n" * 50)
    with pytest.raises(InputError, match="damaged"):
        decode_audio(b"RIFF\x00\x00\x00\x00WAVEjunk")


def test_resampling_keeps_the_pitch() -> None:
    audio = resample(pcm(tone(1.0, 48000), 48000), 16000)
    x = np.frombuffer(audio.pcm, "<i2").astype(np.float32)
    peak_hz = np.argmax(np.abs(np.fft.rfft(x))) * 16000 / len(x)
    assert audio.sample_rate == 16000
    assert peak_hz == pytest.approx(220, abs=2)


# --- AI-generated metadata ------------------------------------------------------------------


def test_synthetic_speech_files_say_they_are_ai_generated() -> None:
    data = wav_bytes(pcm(tone(0.2)), {"ICMT": AI_SPEECH_NOTE})
    assert wav_info(data) == {"ICMT": "AI-generated speech (os1)"}
    with wave.open(io.BytesIO(data)) as reader:  # still a plain WAV for every player
        assert reader.getnframes() == 3200


async def test_the_wav_sink_writes_a_marked_file_as_she_speaks(
    voice_companion: Companion, tmp_path: Path
) -> None:
    user_id, conversation_id = await start(voice_companion)
    out = tmp_path / "answer.wav"
    tts = FakeTextToSpeech()
    chat = VoiceChat(voice_companion, FakeSpeechToText(), tts)
    reply = await chat.respond(user_id, conversation_id, "hi", WavSink(out, "fake-tts"))
    data = out.read_bytes()
    assert wav_info(data)["ICMT"] == AI_SPEECH_NOTE
    assert " ".join(tts.spoken) == " ".join(reply.heard.split())
    with wave.open(io.BytesIO(data)) as reader:
        assert reader.getframerate() == 16000
        assert reader.getnframes() == sum(len(said) for said in tts.spoken) * 160


def test_fake_engines_are_found_like_real_ones() -> None:
    settings = Settings(tts="fake", stt="fake")
    assert load_tts(settings).name == "fake-tts"
    assert load_stt(settings).name == "fake-stt"


def test_words_whisper_was_unsure_of_are_marked_and_punctuation_never_is() -> None:
    pieces = [
        (" Can", 0.85),
        (" you", 0.99),
        (" think", 0.94),
        (" on", 0.85),
        (" something", 0.97),
        (" I", 0.64),
        (" st", 0.9),
        ("uck", 0.3),  # one unsure token makes its whole word unsure
        (" to", 0.31),
        (" hide", 0.93),
        ("?", 0.2),  # punctuation is not a word
    ]
    assert clearly_heard(pieces) == "Can you think on something I … … hide?"
    assert clearly_heard([(" killing", 0.99), (" myself", 0.97), (".", 0.1)]) == "killing myself."
    assert clearly_heard([(" Yes", 0.2), (".", 0.9)]) == "…."

"""How fast she answers out loud, with fake engines: when a turn ends, warming up, the stages.

The first chunk rule of the clause chunker is tested with the chunker in tests/test_voice.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from conftest import PausingBackend
from os1.companion import Companion
from os1.config import Settings
from os1.errors import InputError
from os1.store.sqlite import SQLiteStore
from os1.testing import FakeSpeechToText, FakeTextToSpeech, FakeVoiceActivity, ScriptedBackend
from os1.types import ChatMessage
from os1.voice import Audio
from os1.voice.bench import STAGES, bench_voice, stage_times
from os1.voice.pipeline import MemorySink, VoiceChat, VoiceReply
from os1.voice.talk import LiveTalk, sounds_finished
from os1.voice.vad import Endpointer, Turn

FRAME_MS = 32  # FakeVoiceActivity: 512 samples at 16 kHz


@pytest.fixture
async def companion(store: SQLiteStore, tmp_path: Path) -> Companion:
    return Companion(Settings(home=tmp_path / "home"), store=store, backend=ScriptedBackend())


async def converse(
    companion: Companion, frames: list[bytes], stt: FakeSpeechToText, **options: int
) -> list[tuple[str, int, str]]:
    """Play `frames` into the hands-free loop as a microphone would; return its events, each
    with the index of the frame it came at."""
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))
    events: list[tuple[str, int, str]] = []
    at = [0]
    chat = VoiceChat(companion, stt, FakeTextToSpeech())
    talk = LiveTalk(
        chat,
        user.id,
        conversation.id,
        MemorySink(),
        lambda kind, text: events.append((kind, at[0], text)),
        Endpointer(FakeVoiceActivity()),
        **options,  # type: ignore[arg-type]
    )

    async def microphone() -> AsyncIterator[bytes]:
        for i, frame in enumerate(frames):
            at[0] = i
            yield frame
            for _ in range(5):  # transcribing during a pause gets its turn, as in real time
                await asyncio.sleep(0)

    await talk.run(microphone())
    return events


def ended_after_ms(events: list[tuple[str, int, str]], quiet_from: int) -> int:
    """How long after the start of the pause (frame `quiet_from`) the turn was over."""
    ended = [i for kind, i, _ in events if kind == "ended"]
    assert len(ended) == 1
    return (ended[0] - quiet_from + 1) * FRAME_MS


async def test_a_finished_question_ends_the_turn_after_a_short_pause(
    companion: Companion,
) -> None:
    vad = FakeVoiceActivity()
    frames = vad.speech(1000) + vad.silence(1500)
    stt = FakeSpeechToText(transcripts=["What should I read before I go to sleep?"])
    events = await converse(companion, frames, stt)
    assert ended_after_ms(events, len(vad.speech(1000))) == 320
    assert ("heard", "What should I read before I go to sleep?") in [(k, t) for k, _, t in events]
    # Off: the whole silence is waited out.
    stt = FakeSpeechToText(transcripts=["What should I read before I go to sleep?"])
    events = await converse(companion, frames, stt, finished_silence_ms=0)
    assert ended_after_ms(events, len(vad.speech(1000))) == 512


async def test_a_pause_mid_sentence_does_not_end_the_turn(companion: Companion) -> None:
    vad = FakeVoiceActivity()
    # "I went to the … shop and bought bread." with a 400 ms pause, shorter than the 500 ms
    # silence that ends a turn: the words heard during the pause do not sound finished.
    frames = vad.speech(1000) + vad.silence(400) + vad.speech(800) + vad.silence(1500)
    stt = FakeSpeechToText(transcripts=["I went to the", "I went to the shop and bought bread."])
    events = await converse(companion, frames, stt)
    assert [t for k, _, t in events if k == "heard"] == ["I went to the shop and bought bread."]
    # A statement: the full silence is waited out.
    assert ended_after_ms(events, len(frames) - len(vad.silence(1500))) == 512
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))
    said = [
        m.content for m in await companion.history(user.id, conversation.id) if m.role == "user"
    ]
    assert said == ["I went to the shop and bought bread."]
    # All of it was heard as one recording, the pause included.
    assert stt.heard[-1].duration_s > 2.2


async def test_a_breath_between_two_sentences_does_not_end_the_turn(
    companion: Companion,
) -> None:
    vad = FakeVoiceActivity()
    # "I just got home from work. [350 ms] How are you doing today?"
    frames = vad.speech(1500) + vad.silence(350) + vad.speech(1200) + vad.silence(1500)
    both = "I just got home from work. How are you doing today?"
    stt = FakeSpeechToText(transcripts=["I just got home from work.", both])
    events = await converse(companion, frames, stt)
    assert [t for k, _, t in events if k == "heard"] == [both]
    # The question at the end hands the turn over after the short pause.
    assert ended_after_ms(events, len(frames) - len(vad.silence(1500))) == 320


def test_the_endpointer_waits_out_a_pause_shorter_than_its_silence() -> None:
    vad = FakeVoiceActivity()
    endpointer = Endpointer(vad, silence_ms=500)
    events = [endpointer.feed(f) for f in vad.speech(600) + vad.silence(480) + vad.speech(300)]
    assert events.count(Turn.STARTED) == 1
    assert Turn.ENDED not in events
    events = [endpointer.feed(f) for f in vad.silence(512)]
    assert events[-1] is Turn.ENDED
    assert events.count(Turn.ENDED) == 1


@pytest.mark.parametrize(
    ("text", "finished"),
    [
        ("What should I read before I go to sleep?", True),
        ("Do you think I should call my old friend from school?", True),
        ("What are you thinking about?", True),
        ("Can you help me with the?", False),  # a question mark after a word no sentence ends with
        ("Do you think I should, um?", False),
        # A statement can go on after a breath: it waits for the full silence.
        ("Hi, I just got home from work.", False),
        ("Thanks for listening to me tonight.", False),
        ("I went to the", False),
        ("I was thinking, and", False),
        ("So I was thinking...", False),
        ("", False),
    ],
)
def test_words_that_sound_finished(text: str, finished: bool) -> None:
    assert sounds_finished(text) is finished


async def test_warming_up_loads_the_ears_and_the_voice(companion: Companion) -> None:
    stt, tts = FakeSpeechToText(transcripts=["What should I read tonight?"]), FakeTextToSpeech()
    chat = VoiceChat(companion, stt, tts)
    await chat.warm()
    assert len(stt.heard) == 1
    assert tts.spoken == ["Hi."]
    # Warming up is not a turn: the first thing said is still heard as said.
    heard = await chat.hear(Audio(FakeVoiceActivity().speech(1000)[0] * 30, 16000))
    assert heard.text == "What should I read tonight?"


def test_the_stages_of_first_audio_add_up() -> None:
    reply = VoiceReply(
        None, "", False, 1.0, first_token_s=0.6, first_clause_s=0.8, turn_started_s=0.1,
        started_at=10.25,
    )  # fmt: skip
    times = stage_times(9.5, 10.0, 10.2, reply, 11.25)
    assert [name for name, _ in STAGES] == list(times)
    assert times == pytest.approx(
        {
            "endpoint": 500,
            "transcript": 200,
            "turn_start": 150,
            "first_token": 500,
            "first_clause": 200,
            "first_audio": 200,
            "total": 1750,
        }
    )
    assert sum(ms for name, ms in times.items() if name != "total") == pytest.approx(1750)


async def test_the_voice_bench_refuses_no_prompts() -> None:
    with pytest.raises(InputError, match="--prompts"):
        await bench_voice(Settings(), prompts=0)


async def test_the_next_clause_is_synthesized_while_one_plays(companion: Companion) -> None:
    companion.backend = ScriptedBackend(replies=["Oh, that sounds lovely. Tell me more."])
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))
    tts = FakeTextToSpeech()
    synthesized_while_playing: list[int] = []

    class Slow(MemorySink):
        async def play(self, pcm: bytes) -> None:
            await asyncio.sleep(0.01)  # a speaker takes time; the voice does not wait for it
            synthesized_while_playing.append(len(tts.spoken))
            await super().play(pcm)

    chat = VoiceChat(companion, FakeSpeechToText(), tts)
    reply = await chat.respond(user.id, conversation.id, "I baked bread", Slow())
    assert tts.spoken == ["Oh,", "that sounds lovely.", "Tell me more."]
    # By the end of "Oh," (the first chunk played) the rest was already being synthesized.
    assert synthesized_while_playing[0] == 3
    assert reply.heard == "Oh, that sounds lovely. Tell me more."


class ModelWithBackgroundWork(PausingBackend):
    """Notes in `log` when the model's background work is asked to give way ("hold") and when
    it may go on ("free")."""

    def __init__(self, replies: tuple[str, ...], log: list[str]) -> None:
        super().__init__(pause_after=1, replies=replies)
        self.log = log

    @contextlib.contextmanager
    def reply_coming(self) -> Iterator[None]:
        self.log.append("hold")
        try:
            yield
        finally:
            self.log.append("free")


async def talk_with_a_pause(
    companion: Companion, before: list[bytes], after: list[bytes], transcripts: list[str]
) -> tuple[LiveTalk, FakeTextToSpeech, list[str], list[int]]:
    """Play `before`, wait until her reply has begun (during the pause), then play `after`.

    Returns the loop, the voice, the events (with the model's "hold" and "free") and the
    audio chunks played when the reply had begun."""
    model = companion.backend
    assert isinstance(model, ModelWithBackgroundWork)
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))
    tts, sink, events, played = FakeTextToSpeech(), MemorySink(), model.log, []
    chat = VoiceChat(companion, FakeSpeechToText(transcripts=transcripts), tts)
    talk = LiveTalk(
        chat, user.id, conversation.id, sink, lambda kind, _: events.append(kind),
        Endpointer(FakeVoiceActivity()),
    )  # fmt: skip

    async def microphone() -> AsyncIterator[bytes]:
        for frame in before:
            yield frame
            for _ in range(5):
                await asyncio.sleep(0)
        await asyncio.wait_for(model.paused.wait(), 5)  # she began her reply in the pause
        played.append(len(sink.chunks))
        await model.resume()
        for frame in after:
            yield frame
            for _ in range(5):
                await asyncio.sleep(0)

    await talk.run(microphone())
    return talk, tts, events, played


async def test_her_reply_is_prepared_during_the_pause_and_heard_once_it_is_over(
    companion: Companion,
) -> None:
    companion.backend = ModelWithBackgroundWork(("Oh, that sounds lovely.",), [])
    vad = FakeVoiceActivity()
    # A statement: the turn is over after 500 ms of quiet; her reply begins 160 ms in.
    talk, tts, events, played = await talk_with_a_pause(
        companion,
        vad.speech(1000) + vad.silence(320),
        vad.silence(1200),
        ["I walked to the shop and back."],
    )
    assert played == [0], "nothing is said before the turn is over"
    assert events.index("ended") < events.index("speaking")
    assert (talk.started_ahead, talk.dropped) == (1, 0)
    assert tts.spoken == ["Oh,", "that sounds lovely."]
    # Background work gave way from the pause until the turn was over (then she talks).
    assert events[:4] == ["listening", "hold", "free", "ended"]
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))
    assert [(m.role, m.content) for m in await companion.history(user.id, conversation.id)] == [
        ("user", "I walked to the shop and back."),
        ("assistant", "Oh, that sounds lovely."),
    ]


async def test_a_reply_prepared_in_a_pause_is_dropped_when_the_person_goes_on(
    companion: Companion,
) -> None:
    companion.backend = ModelWithBackgroundWork(("The what?", "Which shop?"), [])
    vad = FakeVoiceActivity()
    # "I went to the … shop and bought bread.": her reply to the first half is dropped unsaid.
    talk, tts, events, played = await talk_with_a_pause(
        companion,
        vad.speech(1000) + vad.silence(320),
        vad.silence(100) + vad.speech(800) + vad.silence(1500),
        ["I went to the", "I went to the shop and bought bread."],
    )
    assert played == [0]
    assert (talk.started_ahead, talk.dropped) == (1, 1)
    assert events.count("ended") == 1
    assert events[:6] == ["listening", "hold", "free", "hold", "free", "ended"]
    assert tts.spoken == ["Which shop?"], "she never says the reply to half a sentence"
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))
    assert [(m.role, m.content) for m in await companion.history(user.id, conversation.id)] == [
        ("user", "I went to the shop and bought bread."),
        ("assistant", "Which shop?"),
    ]


async def test_after_each_reply_the_model_reads_the_end_of_her_turn(companion: Companion) -> None:
    # While she speaks, the model reads what her reply did not leave in its cache (the end of
    # her turn, anything the safety floor added), so the next reply reads only the new message.
    warmed_after_reply = asyncio.Event()

    class Model(ScriptedBackend):
        async def warm(
            self, messages: tuple[ChatMessage, ...], cache_key: str | None = None
        ) -> None:
            await super().warm(messages, cache_key)
            if messages[-1].role == "assistant":
                warmed_after_reply.set()

    companion.backend = model = Model(replies=["Oh, that sounds lovely."])
    vad = FakeVoiceActivity()
    user = await companion.local_user()
    conversation = await companion.latest_conversation(user, await companion.default_profile(user))
    chat = VoiceChat(
        companion, FakeSpeechToText(transcripts=["I walked home."]), FakeTextToSpeech()
    )
    talk = LiveTalk(chat, user.id, conversation.id, MemorySink(), endpointer=Endpointer(vad))

    async def microphone() -> AsyncIterator[bytes]:
        for frame in vad.speech(1000) + vad.silence(1000):
            yield frame
            for _ in range(5):
                await asyncio.sleep(0)
        await asyncio.wait_for(warmed_after_reply.wait(), 5)

    await talk.run(microphone())
    assert [m.role for m in model.warmed[0]] == ["system"], "when listening starts"
    *_, said, replied = model.warmed[-1]
    assert said.role == "user"
    assert said.content.endswith("I walked home.")
    assert replied == ChatMessage("assistant", "Oh, that sounds lovely.")

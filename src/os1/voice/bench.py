"""`os1 bench voice`: how fast she starts answering a spoken question, and how clearly she speaks.

First audio: over a fixed set of spoken prompts (made with espeak-ng, a different voice from
hers), the time from the end of the person's speech to the first byte of her reply's audio, and
where it goes, stage by stage (`STAGES`): the endpointing silence (the pause that tells us the
turn is over), the rest of speech-to-text, the turn loop's work before the model, the model's
first token, its first speakable clause, and the voice's first chunk. Round trip: the word
error rate of STT(TTS(text)) over 50 sentences, with Whisper tiny.en as the listener.
"""

from __future__ import annotations

import dataclasses
import os
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from os1.bench import percentile
from os1.companion import Companion
from os1.config import Settings
from os1.errors import InputError
from os1.voice import Audio, SpeechToText, TextToSpeech
from os1.voice.audio import resample
from os1.voice.pipeline import VoiceReply

__all__ = [
    "PROMPTS",
    "SENTENCES",
    "STAGES",
    "bench_voice",
    "round_trip",
    "stage_times",
    "word_error_rate",
]

# Worded so that Whisper tiny.en hears espeak-ng's reading of them as written: "think of
# something nice to cook tonight" was heard as "think on something I stuck to hide", which the
# crisis screen rightly takes seriously, and every later turn then carried its note.
PROMPTS = [
    "Hi, I just got home from work. How are you doing today?",
    "I went for a long walk along the river this afternoon.",
    "Can you help me pick something nice to cook for dinner?",
    "My sister is moving to another city next month.",
    "I feel a little nervous about my job interview tomorrow.",
    "What should I read before I go to sleep?",
    "It has been raining all week and I miss the sun so much.",
    "I started learning to play the guitar last weekend.",
    "Do you think I should call my old friend from school?",
    "Tell me something that would make me smile.",
    "I am thinking about taking a painting class.",
    "Thanks for listening to me tonight.",
]

SENTENCES = [
    "The morning light came through the kitchen window.",
    "She poured two cups of tea and sat down at the table.",
    "We should take the train to the coast this weekend.",
    "My brother fixed the old bicycle in the garage.",
    "The library closes early on Sunday afternoons.",
    "Please remember to water the plants on the balcony.",
    "A small dog was barking at the mailman.",
    "I would like to learn how to bake fresh bread.",
    "The meeting was moved to next Tuesday morning.",
    "He wrote a long letter to his grandmother.",
    "They walked along the beach until the sun went down.",
    "The children were laughing in the garden.",
    "Can you tell me the way to the nearest station?",
    "It was the best concert I have ever been to.",
    "The soup needs a little more salt and pepper.",
    "Our neighbors are planting tomatoes this spring.",
    "I forgot my umbrella at the office again.",
    "The river was calm and the air was warm.",
    "She is reading a book about the history of music.",
    "We watched an old movie and ate popcorn.",
    "The doctor said I should get more sleep.",
    "My favorite color has always been dark green.",
    "The bus was late because of the snow.",
    "He plays the piano every evening after dinner.",
    "I think it is going to rain later today.",
    "They bought a new table for the living room.",
    "The museum has a beautiful collection of paintings.",
    "Let us meet at the cafe near the park.",
    "Her garden is full of roses and sunflowers.",
    "The phone rang just as I was leaving the house.",
    "I need to finish this report before Friday.",
    "The cat is sleeping on the warm blanket.",
    "We are planning a picnic by the lake.",
    "He always forgets where he left his keys.",
    "The teacher asked the students to open their books.",
    "It takes about twenty minutes to walk to work.",
    "She called her mother to wish her a happy birthday.",
    "The wind was blowing hard all night long.",
    "I love the smell of coffee in the morning.",
    "They are building a new school in our town.",
    "Could you please close the door behind you?",
    "The stars were bright above the quiet village.",
    "My friend is moving to a small house in the country.",
    "We cooked pasta with fresh tomatoes and basil.",
    "The painting on the wall was a gift from my aunt.",
    "He ran to catch the last train home.",
    "The flowers in the window need more sunlight.",
    "I am going to visit my cousin next summer.",
    "The market sells fruit and vegetables every Saturday.",
    "Thank you for helping me carry these boxes.",
]

_NUMBERS = {"1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "20": "twenty"}


def _words(text: str) -> list[str]:
    text = text.lower().replace("’", "'").replace("-", " ")
    text = re.sub(r"[^a-z0-9' ]", " ", text)
    return [_NUMBERS.get(w, w) for w in text.split()]


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Word error rate over a corpus: (substitutions + deletions + insertions) / reference words,
    after lower-casing and dropping punctuation."""
    errors = total = 0
    for ref, hyp in zip(references, hypotheses, strict=True):
        r, h = _words(ref), _words(hyp)
        row = list(range(len(h) + 1))
        for i, rw in enumerate(r, 1):
            prev, row[0] = row[0], i
            for j, hw in enumerate(h, 1):
                prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (rw != hw))
        errors += row[len(h)]
        total += len(r)
    return errors / total if total else 0.0


async def _synthesize(tts: TextToSpeech, text: str) -> tuple[Audio, float, float]:
    start = time.perf_counter()
    first = None
    parts: list[bytes] = []
    async for pcm in tts.synthesize(text):
        if first is None:
            first = time.perf_counter() - start
        parts.append(pcm)
    total = time.perf_counter() - start
    return Audio(b"".join(parts), tts.sample_rate), first or total, total


async def round_trip(
    tts: TextToSpeech, stt: SpeechToText, sentences: list[str] = SENTENCES
) -> dict[str, Any]:
    """WER of STT(TTS(sentence)), and the voice's speed: first chunk and real-time factor."""
    heard: list[str] = []
    firsts: list[float] = []
    seconds = spent = 0.0
    await _synthesize(tts, "Warming up.")
    for sentence in sentences:
        audio, first, total = await _synthesize(tts, sentence)
        firsts.append(first * 1000)
        spent += total
        seconds += audio.duration_s
        transcript = await stt.transcribe(resample(audio, stt.sample_rate))
        heard.append(transcript.text)
    return {
        "voice": tts.name,
        "wer": word_error_rate(sentences, heard),
        "first_chunk_ms_p50": statistics.median(firsts),
        "real_time_factor": spent / seconds if seconds else float("nan"),
        "license": tts.license,
        "heard": heard,
    }


async def _spoken_prompts(stt_rate: int, count: int) -> list[Audio]:
    from os1.voice.espeak import EspeakTTS

    speaker = EspeakTTS(voice="en-us")
    prompts = []
    for text in (PROMPTS * (count // len(PROMPTS) + 1))[:count]:
        audio, _, _ = await _synthesize(speaker, text)
        prompts.append(resample(audio, stt_rate))
    return prompts


class _Timed:
    """A sink that plays instantly and notes when each reply's first audio arrived."""

    def __init__(self) -> None:
        self.played_samples = 0
        self.first: float | None = None

    async def start(self, sample_rate: int) -> None:
        self.played_samples, self.first = 0, None

    async def play(self, pcm: bytes) -> None:
        if self.first is None:
            self.first = time.perf_counter()
        self.played_samples += len(pcm) // 2

    async def stop(self) -> None:
        pass

    async def finish(self) -> None:
        pass


STAGES = (
    ("endpoint", "end of speech → the pause is long enough: the turn is over"),
    ("transcript", "turn over → final transcript (what was not transcribed during the pause)"),
    ("turn_start", "transcript → the turn loop has it (safety screen, recall, notes, stored)"),
    ("first_token", "turn start → the model's first token"),
    ("first_clause", "first token → first speakable clause from the chunker"),
    ("first_audio", "first clause → the voice's first audio bytes"),
    ("total", "end of speech → first audio"),
)
"""The stages of first audio, in order, as `os1 bench voice` reports them."""


def stage_times(
    speech_end: float, ended: float, heard: float, reply: VoiceReply, first_audio: float
) -> dict[str, float]:
    """Milliseconds spent in each of `STAGES` for one spoken turn (absolute clock marks in)."""
    at = reply.started_at
    turn = at + (reply.turn_started_s or 0.0)
    token = at + (reply.first_token_s or 0.0)
    clause = at + (reply.first_clause_s or 0.0)
    marks = [speech_end, ended, heard, turn, token, clause, first_audio]
    times = {
        name: (b - a) * 1000 for (name, _), a, b in zip(STAGES, marks, marks[1:], strict=False)
    }
    times["total"] = (first_audio - speech_end) * 1000
    return times


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:  # not on every platform
        return float("nan")


async def bench_voice(
    settings: Settings,
    *,
    compare: list[str] | None = None,
    prompts: int = len(PROMPTS),
    sentences: int = len(SENTENCES),
    start_ahead: bool = True,
) -> dict[str, Any]:
    """`os1 bench voice`: first audio p50/p95 through the hands-free loop with the embedded
    model and the product's wiring (memory, heart, safety), stage by stage, and the round-trip
    WER of the configured voice (and of `compare` voices) over `sentences` sentences.

    Each prompt is played into `LiveTalk` as a microphone would, in real time, followed by
    silence; first audio is measured from the end of the last voiced frame to her first audio
    chunk, so it includes the pause that ends a turn. `start_ahead` False waits for the end of
    the turn before starting her reply (`LiveTalk.start_ahead`), to compare.
    """
    import asyncio

    from os1.models import resolve_model_path
    from os1.plugins import load_stt, load_tts
    from os1.voice.pipeline import VoiceChat
    from os1.voice.talk import LiveTalk
    from os1.voice.vad import Endpointer, SileroVAD, speech_span

    if prompts < 1 or sentences < 0:
        raise InputError("--prompts must be 1 or more and --sentences 0 or more")
    load_before = _load()
    stt = load_stt(settings)
    tts = load_tts(settings)
    vad = SileroVAD()
    spoken = await _spoken_prompts(stt.sample_rate, prompts)
    stages: dict[str, list[float]] = {name: [] for name, _ in STAGES}
    early_used = started_ahead = 0
    started_after: list[float] = []
    frame_bytes = vad.frame_samples * 2
    frame_s = vad.frame_samples / vad.sample_rate
    # The embedded model by its file; another backend (`--backend scripted`: the voice's own
    # share of first audio, with a model that answers at once) as configured.
    model = str(resolve_model_path(settings)) if settings.backend == "llamacpp" else settings.model
    with tempfile.TemporaryDirectory() as tmp:
        # The product's own wiring, as `os1 talk` builds it: memory, the heart, the safety floor.
        companion = Companion.from_settings(settings.replace(home=Path(tmp), model=model))
        chat = VoiceChat(companion, stt, tts, vad)
        user = await companion.local_user()
        profile = await companion.default_profile(user)
        conversation = await companion.new_conversation(user, profile)
        await chat.warm()
        # One turn first, not counted: it loads the model and fills its cache with the persona.
        await chat.respond(user.id, conversation.id, "Hello!", _Timed())
        # The embedded backend counts what its prompt cache did (tokens read per reply).
        stats = getattr(companion.backend, "stats", None)
        read_each: list[int] = []
        sink = _Timed()
        marks: dict[str, float] = {}
        turn_over = asyncio.Event()

        def on_event(kind: str, text: str) -> None:
            marks.setdefault(kind, time.perf_counter())
            if kind in ("said", "problem"):
                turn_over.set()

        talk = LiveTalk(
            chat, user.id, conversation.id, sink, on_event, Endpointer(SileroVAD()),
            start_ahead=start_ahead,
        )  # fmt: skip

        async def microphone() -> Any:
            nonlocal early_used, started_ahead
            silence = b"\0" * frame_bytes * int(1.5 / frame_s)
            for audio in spoken:
                voiced_end = speech_span(SileroVAD(), audio).end_s
                marks.clear()
                turn_over.clear()
                read_before = getattr(stats, "evaluated_tokens", 0)
                pcm = audio.pcm + silence
                began = time.perf_counter()
                for i, pos in enumerate(range(0, len(pcm), frame_bytes)):
                    await asyncio.sleep(max(0.0, began + i * frame_s - time.perf_counter()))
                    if i * frame_s >= voiced_end:
                        marks.setdefault("speech_end", time.perf_counter())
                    yield pcm[pos : pos + frame_bytes]
                await turn_over.wait()
                if sink.first is None or "heard" not in marks:
                    continue
                reply = talk.replies[-1]
                times = stage_times(
                    marks["speech_end"], marks["ended"], marks["heard"], reply, sink.first
                )
                for name, ms in times.items():
                    stages[name].append(ms)
                read_each.append(getattr(stats, "evaluated_tokens", 0) - read_before)
                # When her reply began, after the end of speech: in the pause when it was
                # started ahead, else once the turn was over.
                started_after.append((reply.started_at - marks["speech_end"]) * 1000)
                early_used += talk.early_hits
                started_ahead += talk.started_ahead
                talk.early_hits = talk.started_ahead = 0

        await talk.run(microphone())
        await companion.aclose()
    load_after = _load()
    totals = stages["total"]
    result: dict[str, Any] = {
        "first_audio_ms": {"p50": percentile(totals, 50), "p95": percentile(totals, 95)},
        "round_trip_wer": 0.0,
        "stages_ms": {
            name: {"p50": percentile(v, 50), "p95": percentile(v, 95)}
            for name, v in stages.items()
            if v and name != "total"
        },
        "prompts": len(totals),
        "transcribed_during_pause": early_used,
        "started_during_pause": started_ahead,
        "dropped_in_pauses": talk.dropped,
        "reply_started_ms_each": [round(x) for x in started_after],
        "first_audio_ms_each": [round(x) for x in totals],
        "stages_ms_each": {name: [round(x) for x in v] for name, v in stages.items()},
        "prompt_tokens_read_each": read_each,
        "state_cache": (
            dataclasses.asdict(stats)
            if dataclasses.is_dataclass(stats) and not isinstance(stats, type)
            else None
        ),
        "load_avg_1m": {"before": load_before, "after": load_after},
        "voice": tts.name,
        "stt": stt.name,
    }
    voices: dict[str, Any] = {}
    for name in [settings.tts, *(compare or [])]:
        if name in voices or not sentences:
            continue
        engine = tts if name == settings.tts else load_tts(settings.replace(tts=name, voice=""))
        trip = await round_trip(engine, stt, SENTENCES[:sentences])
        trip.pop("heard")
        voices[name] = trip
        if engine is not tts:
            await engine.aclose()
    result["round_trip_wer"] = voices[settings.tts]["wer"] if voices else None
    result["round_trip_sentences"] = min(sentences, len(SENTENCES))
    if compare:
        result["voices"] = voices
    await tts.aclose()
    await stt.aclose()
    return result

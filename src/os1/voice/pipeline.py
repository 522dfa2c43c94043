"""The spoken turn: hear an utterance, then stream the reply through clauses into a voice.

`VoiceChat.hear` turns a recording into text (or says clearly why it cannot: silence, noise,
nothing but clipping). `VoiceChat.respond` runs one turn through `Companion.send`, so every
policy, memory and store rule applies to voice exactly as to text: model tokens go into the
clause chunker, each clause into the voice, each audio chunk to a sink as soon as it exists.
Barge-in: when `barge_in` is set (the person started talking), playback and generation stop and
the stored reply keeps only the words that were actually played, marked `interrupted`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from os1.companion import Companion
from os1.types import Message, Notice, ReplyDelta, TurnFinished, TurnStarted
from os1.voice import Audio, SpeechToText, TextToSpeech, VoiceActivity
from os1.voice.chunker import ClauseChunker, speakable

__all__ = ["AudioSink", "Heard", "MemorySink", "VoiceChat", "VoiceReply", "heard_prefix"]


class AudioSink(Protocol):
    """Where her voice goes: a speaker, a file, a WebSocket.

    `play` returns when the chunk has been played (a file or a socket may return at once);
    `played_samples` counts the samples the person has actually heard since `start`; `stop`
    silences whatever is still queued, at once.
    """

    played_samples: int

    async def start(self, sample_rate: int) -> None:
        """A reply begins, at `sample_rate`."""
        ...

    async def play(self, pcm: bytes) -> None:
        """Play a PCM16 chunk."""
        ...

    async def stop(self) -> None:
        """Stop playing now (barge-in)."""
        ...

    async def finish(self) -> None:
        """The reply is over: let queued audio play out."""
        ...


class MemorySink:
    """Keeps the reply's audio in memory; every chunk counts as heard when it is played."""

    def __init__(self) -> None:
        self.sample_rate = 0
        self.chunks: list[bytes] = []
        self.played_samples = 0

    async def start(self, sample_rate: int) -> None:
        """A reply begins."""
        self.sample_rate = sample_rate
        self.chunks.clear()
        self.played_samples = 0

    async def play(self, pcm: bytes) -> None:
        """Keep the chunk."""
        self.chunks.append(pcm)
        self.played_samples += len(pcm) // 2

    async def stop(self) -> None:
        """Nothing is queued."""

    async def finish(self) -> None:
        """Nothing is queued."""

    @property
    def audio(self) -> Audio:
        """Everything played, as one recording."""
        return Audio(b"".join(self.chunks), self.sample_rate)


@dataclass(frozen=True, slots=True)
class Heard:
    """What came of a recording: the words, things to tell the person, or why there is no turn."""

    text: str
    notices: tuple[str, ...] = ()
    problem: str | None = None
    speech_s: float = 0.0
    clearly_heard: str | None = None
    """The words with those the engine may have misheard as "…" (`Transcript.clearly_heard`)."""


@dataclass(slots=True)
class VoiceReply:
    """One spoken reply: the stored message, what was heard of it, and how fast it started.

    The `*_s` times are seconds after `started_at` (the chat's clock when `respond` began):
    the turn loop had the message in (`turn_started_s`: policies, recall and notes done), the
    model's first token, the first speakable clause, the voice's first audio.
    """

    reply: Message | None
    heard: str
    interrupted: bool
    first_audio_s: float | None
    notices: list[str] = field(default_factory=list)
    error: str | None = None
    first_token_s: float | None = None
    first_clause_s: float | None = None
    turn_started_s: float | None = None
    started_at: float = 0.0
    dropped: bool = False
    """A reply prepared ahead (`go`) that was dropped: nothing was said or stored."""


@dataclass(slots=True)
class _Span:
    text_start: int
    text_end: int
    sample_start: int
    sample_end: int


_WORD_END = re.compile(r"\S+")


def heard_prefix(produced: str, spans: list[_Span], played: int) -> str:
    """The part of `produced` whose audio was played: whole clauses, then the words of the clause
    in progress in proportion to its samples played (a word counts once it has started)."""
    end = 0
    for span in spans:
        if played >= span.sample_end:
            end = span.text_end
            continue
        if played > span.sample_start:
            clause = produced[span.text_start : span.text_end]
            words = list(_WORD_END.finditer(clause))
            fraction = (played - span.sample_start) / (span.sample_end - span.sample_start)
            spoken = min(len(words), int(fraction * len(words)) + 1)
            if spoken:
                end = span.text_start + words[spoken - 1].end()
        break
    return produced[:end].rstrip()


# Levels and lengths that decide whether a recording holds a turn at all.
SILENT_DBFS = -60.0
CLIPPED_FRACTION = 0.01
MIN_SPEECH_S = 0.25
MAX_LISTEN_S = 120.0


class VoiceChat:
    """Voice turns over a companion: speech-to-text, the turn loop, a voice, barge-in."""

    def __init__(
        self,
        companion: Companion,
        stt: SpeechToText,
        tts: TextToSpeech,
        vad: VoiceActivity | None = None,
        *,
        max_listen_s: float = MAX_LISTEN_S,
        chunker: Callable[[], ClauseChunker] = ClauseChunker,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.companion = companion
        self.stt = stt
        self.tts = tts
        self.vad = vad
        self.max_listen_s = max_listen_s
        self.chunker = chunker
        self.clock = clock

    async def warm(self) -> None:
        """Load the ears and the voice now (a model's first call, festival's process), so the
        first turn does not pay for it."""
        await self.stt.transcribe(Audio(b"\0\0" * self.stt.sample_rate, self.stt.sample_rate))
        async with contextlib.aclosing(self.tts.synthesize("Hi.")) as audio:
            async for _ in audio:
                pass

    # --- listening ------------------------------------------------------------------------

    async def hear(self, audio: Audio) -> Heard:
        """The words in a finished recording, at any sample rate; `problem` says why there are
        none (silence, only noise, no words). A long recording is cut to `max_listen_s`."""
        from os1.voice.audio import from_float, levels, resample, to_float

        notices: list[str] = []
        if audio.duration_s > self.max_listen_s:
            notices.append(
                f"the recording is {_clock_time(audio.duration_s)} long; "
                f"I listened to the first {_clock_time(self.max_listen_s)}"
            )
            audio = Audio(
                audio.pcm[: int(self.max_listen_s * audio.sample_rate) * 2], audio.sample_rate
            )
        if audio.duration_s < 0.1:
            return Heard("", tuple(notices), "the recording is empty (shorter than 0.1 s)")
        audio = resample(audio, self.stt.sample_rate)
        loudness, clipped = levels(audio)
        if loudness < SILENT_DBFS:
            return Heard("", tuple(notices), "I didn't hear anything: the recording is silent")
        if clipped > CLIPPED_FRACTION:
            notices.append("the recording is clipped (too loud), so I may have misheard")
        samples = to_float(audio)
        peak = float(abs(samples).max())
        if 0 < peak < 0.3:  # a quiet microphone: bring it up so VAD and Whisper hear it
            audio = from_float(samples * (0.7 / peak), audio.sample_rate)
        speech_s = audio.duration_s
        if self.vad is not None and self.vad.sample_rate == audio.sample_rate:
            from os1.voice.vad import speech_span

            span = speech_span(self.vad, audio)
            if span.speech_s < MIN_SPEECH_S:
                return Heard("", tuple(notices), "I couldn't hear any speech, only noise")
            pad = 0.3
            start = max(0, int((span.start_s - pad) * audio.sample_rate))
            end = int((span.end_s + pad) * audio.sample_rate)
            audio = Audio(audio.pcm[start * 2 : end * 2], audio.sample_rate)
            speech_s = span.speech_s
        transcript = await self.stt.transcribe(audio)
        text = " ".join(transcript.text.split())
        if not any(ch.isalnum() for ch in text):
            return Heard("", tuple(notices), "I couldn't make out any words", speech_s)
        clear = " ".join(transcript.clearly_heard.split()) if transcript.clearly_heard else None
        return Heard(text, tuple(notices), None, speech_s, clear)

    # --- speaking -------------------------------------------------------------------------

    async def respond(
        self,
        user_id: str,
        conversation_id: str,
        text: str,
        sink: AudioSink,
        *,
        barge_in: asyncio.Event | None = None,
        on_text: Callable[[str], None] | None = None,
        go: asyncio.Future[bool] | None = None,
        clearly_heard: str | None = None,
    ) -> VoiceReply:
        """Send `text` as the person's turn and speak the reply into `sink` as it streams.

        Returns when the reply has been played, or at once when `barge_in` is set: then the
        model stops and the reply is stored with only what was played. `on_text` sees each
        clause as it starts playing (for captions). With `go` the reply is prepared ahead
        (`Companion.send`): nothing reaches `sink` until `go` gives True; False drops it
        (`dropped`, nothing said or stored). `clearly_heard` is `Heard.clearly_heard`, for the
        safety floor.
        """
        started = self.clock()
        chunker = self.chunker()
        clauses: asyncio.Queue[str | None] = asyncio.Queue()
        spans: list[_Span] = []
        played_out = asyncio.Event()
        state = {"barged": False, "delivering": False, "played_all": False}
        first_audio: list[float] = []
        first_token: list[float] = []
        first_clause: list[float] = []
        turn_started: list[float] = []
        notices: list[str] = []
        finished: list[TurnFinished] = []
        reply_seq: list[int] = []
        errors: list[str] = []

        async def delivered(produced: str) -> str:
            # The model is done (or stopped): speak the rest, wait until it has been played.
            state["delivering"] = True
            if not state["barged"]:
                rest = chunker.flush()
                if rest:
                    clauses.put_nowait(rest)
            clauses.put_nowait(None)
            await played_out.wait()
            if not errors and (state["played_all"] or not state["barged"]):
                return produced
            return heard_prefix(produced, spans, sink.played_samples)

        async def produce() -> None:
            events = self.companion.send(
                user_id,
                conversation_id,
                text,
                delivered=delivered,
                go=go,
                clearly_heard=clearly_heard,
            )
            async with contextlib.aclosing(events) as stream:
                async for event in stream:
                    if isinstance(event, ReplyDelta):
                        if not first_token:
                            first_token.append(self.clock() - started)
                        for clause in chunker.feed(event.text):
                            if not first_clause:
                                first_clause.append(self.clock() - started)
                            clauses.put_nowait(clause)
                    elif isinstance(event, TurnStarted):
                        turn_started.append(self.clock() - started)
                        reply_seq.append(event.reply_seq)
                    elif isinstance(event, Notice):
                        notices.append(event.text)
                    elif isinstance(event, TurnFinished):
                        finished.append(event)

        async def synthesize(audio_out: asyncio.Queue[bytes | str | None]) -> None:
            # Runs ahead of playback: the next clause is synthesized while this one plays, so
            # clauses follow each other without a gap. A str in `audio_out` marks a clause start.
            offset = samples = 0
            # Samples per character so far, to guess how long a clause still being synthesized
            # will last (speech runs at about 14 characters a second).
            spoken_chars, per_char = 0, self.tts.sample_rate / 14
            try:
                while (clause := await clauses.get()) is not None:
                    words = speakable(clause)
                    guess = samples + int(len(words) * per_char)
                    span = _Span(offset, offset + len(clause), samples, guess)
                    spans.append(span)
                    offset += len(clause)
                    if not words:
                        continue
                    audio_out.put_nowait(clause)
                    async with contextlib.aclosing(self.tts.synthesize(words)) as audio:
                        async for pcm in audio:
                            samples += len(pcm) // 2
                            span.sample_end = max(span.sample_end, samples)
                            audio_out.put_nowait(pcm)
                    span.sample_end = samples
                    spoken_chars += len(words)
                    per_char = (samples - spans[0].sample_start) / spoken_chars
            finally:
                audio_out.put_nowait(None)

        async def speak() -> None:
            audio: asyncio.Queue[bytes | str | None] = asyncio.Queue()
            synthesis = asyncio.create_task(synthesize(audio))
            try:
                await sink.start(self.tts.sample_rate)
                while (item := await audio.get()) is not None:
                    if isinstance(item, str):
                        if on_text is not None:
                            on_text(item)
                        continue
                    if not first_audio:
                        first_audio.append(self.clock() - started)
                    await sink.play(item)
                await synthesis  # the voice's error, if it failed
                await sink.finish()
                state["played_all"] = True
            except asyncio.CancelledError:
                raise
            except Exception as err:  # a voice that dies mid-reply: keep what was heard
                errors.append(f"the voice failed: {err}")
            finally:
                if not synthesis.done():
                    synthesis.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await synthesis
                played_out.set()

        producer = asyncio.create_task(produce())
        if go is not None and not await _going(go, producer):
            return VoiceReply(None, "", False, None, started_at=started, dropped=True)
        speaker = asyncio.create_task(speak())
        interrupt = asyncio.create_task(barge_in.wait()) if barge_in else None
        try:
            waiting: set[asyncio.Task[Any]] = {producer, speaker}
            if interrupt is not None:
                waiting.add(interrupt)
            while not producer.done():
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if (interrupt is not None and interrupt in done) or errors:
                    # Barge-in, or a voice that failed (a closed socket): stop the model too.
                    await self._barge(state, producer, speaker, sink, played_out)
                    break
                waiting -= done
        except asyncio.CancelledError:
            await self._barge(state, producer, speaker, sink, played_out)
            raise
        finally:
            if interrupt is not None:
                interrupt.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await speaker
        error = errors[0] if errors else None
        failure = producer.exception() if producer.done() and not producer.cancelled() else None
        if failure is not None:
            raise failure
        reply = (
            finished[0].reply
            if finished
            else await self._stored(user_id, conversation_id, reply_seq)
        )
        if finished and finished[0].error:
            error = finished[0].error
        heard = reply.content if reply is not None else ""
        return VoiceReply(
            reply,
            heard,
            state["barged"] or (reply is not None and reply.status == "interrupted"),
            first_audio[0] if first_audio else None,
            notices,
            error,
            first_token[0] if first_token else None,
            first_clause[0] if first_clause else None,
            turn_started[0] if turn_started else None,
            started,
        )

    async def _barge(
        self,
        state: dict[str, bool],
        producer: asyncio.Task[None],
        speaker: asyncio.Task[None],
        sink: AudioSink,
        played_out: asyncio.Event,
    ) -> None:
        state["barged"] = True
        speaker.cancel()
        await sink.stop()
        played_out.set()
        if not state["delivering"]:
            producer.cancel()  # stops the model; the turn loop stores what `delivered` returns
        with contextlib.suppress(asyncio.CancelledError):
            await producer

    async def _stored(
        self, user_id: str, conversation_id: str, reply_seq: list[int]
    ) -> Message | None:
        if not reply_seq:
            return None
        found = await self.companion.store.messages(
            user_id, conversation_id, since_seq=reply_seq[0]
        )
        return found[0] if found else None


async def _going(go: asyncio.Future[bool], producer: asyncio.Task[None]) -> bool:
    """Wait until a reply prepared ahead is confirmed (True) or dropped (False); a turn loop
    that failed first raises its error."""
    either: set[asyncio.Future[Any]] = {go, producer}
    try:
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer
        raise
    if go.done() and not go.cancelled() and go.result():
        return True
    await producer  # dropped: the turn loop leaves at once (or raises what went wrong)
    return False


def _clock_time(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"

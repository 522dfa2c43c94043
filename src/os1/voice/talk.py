"""Talking with her: a recording in and a recording out, or a microphone and speakers.

`talk_file` is what `os1 talk --in question.wav --out answer.wav` runs. `LiveTalk` is the
hands-free loop behind `os1 talk`: it listens all the time, ends a turn at a pause, and when the
person starts talking while she speaks, she stops (barge-in). It takes its microphone frames and
its speaker as arguments, so tests drive it with recordings and a fake speaker.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from os1.errors import InputError, Os1Error
from os1.voice import Audio
from os1.voice.audio import WavWriter, decode_audio, synthetic_tags
from os1.voice.pipeline import AudioSink, Heard, VoiceChat, VoiceReply
from os1.voice.vad import Endpointer, SileroVAD, Turn

__all__ = [
    "LiveTalk",
    "SpeakerSink",
    "TalkResult",
    "WavSink",
    "microphone",
    "sounds_finished",
    "talk_file",
]

MAX_FILE_BYTES = 256 << 20


class WavSink:
    """Writes her reply into a WAV file as it is spoken, marked as AI-generated speech."""

    def __init__(self, path: Path, voice: str) -> None:
        self.path = path
        self.voice = voice
        self.played_samples = 0
        self._writer: WavWriter | None = None

    async def start(self, sample_rate: int) -> None:
        """Open the file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = WavWriter(self.path, sample_rate, synthetic_tags(self.voice))
        self.played_samples = 0

    async def play(self, pcm: bytes) -> None:
        """Append the chunk (a file hears everything at once)."""
        assert self._writer is not None
        self._writer.write(pcm)
        self.played_samples += len(pcm) // 2

    async def stop(self) -> None:
        """Close the file with what was written."""
        await self.finish()

    async def finish(self) -> None:
        """Fix up the header and close."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None


@dataclass(slots=True)
class TalkResult:
    """One spoken exchange from a file: what was heard and what she said."""

    heard: Heard
    reply: VoiceReply | None = None
    notices: list[str] = field(default_factory=list)


def read_recording(path: Path) -> Audio:
    """A recording from a file in any format PyAV reads (WAV needs nothing extra)."""
    try:
        size = path.stat().st_size
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path} is {size >> 20} MB; recordings up to 256 MB are read")
    return decode_audio(path.read_bytes())


async def talk_file(
    chat: VoiceChat, user_id: str, conversation_id: str, recording: Audio, out: Path
) -> TalkResult:
    """Hear `recording` and write her spoken answer to `out`. No turn is stored (and no file is
    written) when the recording holds no words; `heard.problem` says why."""
    heard = await chat.hear(recording)
    if heard.problem:
        return TalkResult(heard, None, list(heard.notices))
    sink = WavSink(out, chat.tts.name)
    reply = await chat.respond(
        user_id, conversation_id, heard.text, sink, clearly_heard=heard.clearly_heard
    )
    return TalkResult(heard, reply, [*heard.notices, *reply.notices])


# --- live: microphone and speakers ----------------------------------------------------------

# Words no question ends with: a pause after them is someone thinking ("Can you help me
# with the …?"). Not prepositions: "What are you thinking about?" ends fine.
_GOES_ON = frozenset(
    (
        *("and", "but", "or", "because", "if", "the", "a", "an", "my", "your", "our", "their"),
        *("um", "uh", "er"),
    )
)


def sounds_finished(text: str) -> bool:
    """Do these transcribed words hand the turn over: a question ("…, don't you think?"), not
    cut off after a word no sentence ends with? A statement may go on after a breath ("I got
    home. It was a long day."), so it waits for the full silence."""
    text = text.rstrip(" \"')")
    if not text.endswith("?"):
        return False
    words = text.lower().rstrip("?").split()
    return bool(words) and words[-1].strip(",;:-") not in _GOES_ON


class SpeakerSink:
    """Plays through the default output device with `sounddevice`, counting what was heard."""

    def __init__(self, sd: Any) -> None:
        self._sd = sd
        self._stream: Any = None
        self._buffer = bytearray()
        self._rate = 0
        self.played_samples = 0
        self._drained = asyncio.Event()
        self._room = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def _callback(self, out: Any, frames: int, _time: Any, _status: Any) -> None:
        wanted = frames * 2
        chunk = bytes(self._buffer[:wanted])
        del self._buffer[:wanted]
        self.played_samples += len(chunk) // 2
        out[:] = chunk + b"\0" * (wanted - len(chunk))
        if self._loop is not None and len(self._buffer) <= self._rate:
            self._loop.call_soon_threadsafe(self._room.set)
        if not self._buffer and self._loop is not None:
            self._loop.call_soon_threadsafe(self._drained.set)

    async def start(self, sample_rate: int) -> None:
        """Open the output stream at the voice's rate."""
        self._loop = asyncio.get_running_loop()
        self.played_samples = 0
        self._buffer.clear()
        if self._stream is None or self._rate != sample_rate:
            if self._stream is not None:
                self._stream.close()
            self._rate = sample_rate
            self._stream = self._sd.RawOutputStream(
                samplerate=sample_rate, channels=1, dtype="int16", callback=self._callback
            )
            self._stream.start()

    async def play(self, pcm: bytes) -> None:
        """Queue the chunk; wait while more than half a second is queued."""
        self._buffer.extend(pcm)
        self._drained.clear()
        if len(self._buffer) > self._rate:  # bytes: half a second of 16-bit samples
            self._room.clear()
            await self._room.wait()

    async def stop(self) -> None:
        """Drop what is queued: she stops mid-word."""
        self._buffer.clear()
        self._room.set()
        self._drained.set()

    async def finish(self) -> None:
        """Wait until everything queued has been played."""
        if self._buffer:
            await self._drained.wait()

    def close(self) -> None:
        """Close the device."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def microphone(
    sample_rate: int = 16000, frame_samples: int = 512
) -> tuple[Any, AsyncIterator[bytes]]:
    """The `sounddevice` module and the default microphone as an async stream of PCM16 frames.

    Raises `Os1Error` with what to do when sounddevice or a microphone is missing.
    """
    try:
        import sounddevice as sd
    except (ImportError, OSError):
        raise Os1Error(
            "talking needs a microphone and sounddevice: pip install 'os1[mic]' "
            "(or use files: os1 talk --in question.wav --out answer.wav)"
        ) from None
    try:
        sd.check_input_settings(samplerate=sample_rate, channels=1, dtype="int16")
    except Exception:
        raise Os1Error(
            "no microphone found; use files instead: os1 talk --in question.wav --out answer.wav"
        ) from None

    async def frames() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes] = asyncio.Queue()

        def callback(data: Any, _frames: int, _time: Any, _status: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, bytes(data))

        with sd.RawInputStream(
            samplerate=sample_rate, channels=1, dtype="int16",
            blocksize=frame_samples, callback=callback,
        ):  # fmt: skip
            while True:
                yield await queue.get()

    return sd, frames()


@dataclass(slots=True)
class _Ahead:
    """A reply started during the pause, from the words heard so far: `go` says whether the
    turn really ended there."""

    heard: Heard
    go: asyncio.Future[bool]
    barge_in: asyncio.Event
    reply: asyncio.Task[VoiceReply]


@dataclass
class LiveTalk:
    """Hands-free conversation: listen, answer at a pause, stop talking when interrupted.

    `on_event(kind, text)` is told "listening", "ended" (the turn is over), "heard", "thinking",
    "speaking", "interrupted", "said" and "problem", for a user interface to show.
    """

    chat: VoiceChat
    user_id: str
    conversation_id: str
    sink: AudioSink
    on_event: Callable[[str, str], None] = lambda kind, text: None
    endpointer: Endpointer | None = None
    replies: list[VoiceReply] = field(default_factory=list)
    early_fraction: float = 0.3
    """Start transcribing after this fraction of the end-of-turn silence."""
    finished_silence_ms: int = 300
    """End the turn after this much quiet, instead of the endpointer's full silence, when the
    words transcribed during the pause hand the turn over (`sounds_finished`: a question);
    0: always wait for the full silence."""
    start_ahead: bool = True
    """Start her reply (the policies, recall, notes, the model's first tokens) as soon as the
    words heard during the pause are ready, while waiting to be sure the turn is over; nothing
    is said or stored before it is, and the reply is dropped if the person goes on."""
    early_hits: int = 0
    """Turns whose words were transcribed during the pause, before the turn was over."""
    started_ahead: int = 0
    """Turns whose reply was started during the pause (and then confirmed)."""
    dropped: int = 0
    """Replies started during a pause and dropped because the person went on talking."""
    _warming: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    async def run(self, frames: AsyncIterator[bytes]) -> None:
        """Converse until `frames` ends."""
        # Its own VAD: the one `hear` uses is reset for every recording.
        endpointer = self.endpointer or Endpointer(SileroVAD())
        rate = endpointer.vad.sample_rate
        utterance = bytearray()
        preroll: list[bytes] = []
        speaking: asyncio.Task[None] | None = None
        early: asyncio.Task[Heard] | None = None
        ahead: _Ahead | None = None
        dropped: set[asyncio.Task[VoiceReply]] = set()
        self._warm()
        barge_in = asyncio.Event()
        # From the first pause until the turn is decided, the model's background work gives way:
        # the words are being transcribed and her reply is about to be asked for.
        pausing = contextlib.ExitStack()
        self.on_event("listening", "")
        try:
            async for frame in frames:
                event = endpointer.feed(frame)
                heard = _heard(early)
                if (
                    event is Turn.NOTHING
                    and self.finished_silence_ms
                    and endpointer.quiet_ms >= self.finished_silence_ms
                    and heard is not None
                    and sounds_finished(heard.text)
                ):
                    # "What should I read tonight?" and a short pause: the turn is over, no
                    # need to wait out the silence meant for "I went to the … shop".
                    event = endpointer.end()
                if endpointer.speaking or event is Turn.ENDED:
                    utterance.extend(frame)
                else:
                    preroll = [*preroll[-9:], frame]  # the start of a word comes before the VAD
                if event is Turn.STARTED:
                    utterance = bytearray(b"".join(preroll) + bytes(utterance))
                    if speaking is not None and not speaking.done():
                        barge_in.set()
                        self.on_event("interrupted", "")

                elif (
                    endpointer.speaking
                    and early is None
                    and (endpointer.quiet_ms >= endpointer.silence_ms * self.early_fraction)
                ):
                    # A pause: start listening to what was said while waiting to be sure the
                    # turn is over, so the words are ready the moment it is.
                    early = asyncio.create_task(self.chat.hear(Audio(bytes(utterance), rate)))
                    pausing.enter_context(self.chat.companion.reply_coming())
                elif endpointer.speaking and early is not None and endpointer.quiet_ms == 0:
                    early.cancel()  # they went on talking
                    early = None
                    pausing.close()
                    if ahead is not None:
                        _decide(ahead.go, False)  # her reply to half a sentence: dropped
                        dropped.add(ahead.reply)
                        ahead.reply.add_done_callback(_forget(dropped))
                        self.dropped += 1
                        ahead = None
                elif event is Turn.ENDED:
                    if speaking is not None:
                        await speaking
                    recording = Audio(bytes(utterance), rate)
                    utterance = bytearray()
                    if ahead is not None:
                        _decide(ahead.go, True)
                        barge_in = ahead.barge_in
                        speaking = asyncio.create_task(self._turn_ahead(ahead))
                    else:
                        barge_in = asyncio.Event()
                        speaking = asyncio.create_task(self._turn(recording, barge_in, early))
                    early = ahead = None
                    pausing.close()
                if (
                    self.start_ahead
                    and ahead is None
                    and endpointer.speaking
                    and (heard := _heard(early)) is not None
                    and heard.problem is None
                    and (speaking is None or speaking.done())
                ):
                    ahead = self._start_ahead(heard)
            if speaking is not None:
                await speaking
        finally:
            pausing.close()
            pending = [speaking, early, self._warming, ahead.reply if ahead else None, *dropped]
            for task in pending:
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    def _warm(self) -> None:
        # The model reads the conversation so far: when listening starts, and after each reply
        # what it did not leave in the model's cache (the end of her turn, words the safety
        # floor added), so the next reply reads only the new message. It gives way to a reply.
        if self._warming is None or self._warming.done():
            self._warming = asyncio.create_task(
                self.chat.companion.prepare(self.user_id, self.conversation_id)
            )

    def _start_ahead(self, heard: Heard) -> _Ahead:
        go: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        barge_in = asyncio.Event()
        reply = asyncio.create_task(self._respond(heard, barge_in, go))
        return _Ahead(heard, go, barge_in, reply)

    def _respond(
        self, heard: Heard, barge_in: asyncio.Event, go: asyncio.Future[bool] | None = None
    ) -> Coroutine[Any, Any, VoiceReply]:
        return self.chat.respond(
            self.user_id,
            self.conversation_id,
            heard.text,
            self.sink,
            barge_in=barge_in,
            on_text=lambda clause: self.on_event("speaking", clause),
            go=go,
            clearly_heard=heard.clearly_heard,
        )

    async def _turn(
        self, recording: Audio, barge_in: asyncio.Event, early: asyncio.Task[Heard] | None
    ) -> None:
        self.on_event("ended", "")
        if early is not None:
            self.early_hits += 1
        heard = await early if early is not None else await self.chat.hear(recording)
        if heard.problem:
            self.on_event("problem", heard.problem)
            self.on_event("listening", "")
            return
        await self._spoken(heard, self._respond(heard, barge_in))

    async def _turn_ahead(self, ahead: _Ahead) -> None:
        self.on_event("ended", "")
        self.early_hits += 1
        self.started_ahead += 1
        await self._spoken(ahead.heard, ahead.reply)

    async def _spoken(self, heard: Heard, reply: Awaitable[VoiceReply]) -> None:
        self.on_event("heard", heard.text)
        self.on_event("thinking", "")
        said = await reply
        self.replies.append(said)
        self._warm()
        self.on_event("said", said.heard)
        self.on_event("listening", "")


def _heard(early: asyncio.Task[Heard] | None) -> Heard | None:
    """The words transcribed during the pause, once they are ready."""
    if early is None or not early.done() or early.cancelled() or early.exception() is not None:
        return None
    return early.result()


def _decide(go: asyncio.Future[bool], going: bool) -> None:
    if not go.done():  # a reply cancelled meanwhile has cancelled its future
        go.set_result(going)


def _forget(tasks: set[asyncio.Task[VoiceReply]]) -> Callable[[asyncio.Task[VoiceReply]], None]:
    """A done-callback for a dropped reply: out of `tasks`, its outcome no longer matters."""

    def done(task: asyncio.Task[VoiceReply]) -> None:
        tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a dropped reply's failure is nobody's concern

    return done

"""The voice WebSocket (/api/voice): talk with her from the page, push-to-talk or hands-free.

Client frames:

    text   {"type": "hello", "conversation_id": ID}      talk in this conversation
    binary one utterance: a WAV file (the page sends 16 kHz PCM16) or any format PyAV reads
    text   {"type": "played", "samples": N}              how much of her reply has been heard
    text   {"type": "barge_in", "samples": N}            the person started talking: she stops
    text   {"type": "ping"}

Server frames (text unless said):

    state     {"state": "listening" | "thinking" | "speaking"}
    heard     {"text"}: what the person said, as it will be stored
    problem   {"text"}: why a recording was not a turn (silence, noise); nothing was stored
    notice    {"text"}: one line about this turn
    audio     {"sample_rate"}: her reply starts; binary PCM16 mono chunks follow
    say       {"text"}: the clause she is starting to speak (captions)
    reply     {"message", "interrupted"}: her reply as stored (only what was heard)
    error     {"code", "message"}
    pong

Each turn goes through `Companion.send`, so every policy applies; the stored messages are also
published to the conversation's /api/ws watchers, so the text view shows the spoken turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from os1.errors import Os1Error
from os1.server.auth import Principal, authenticate, origin_allowed
from os1.server.errors import ApiError, api_error_from
from os1.server.live import message_frame
from os1.server.schema import message_json
from os1.server.state import ServerState, state_of
from os1.voice.pipeline import VoiceChat

__all__ = ["close_voice", "voice_endpoint"]

log = logging.getLogger("os1.server")


@dataclass
class VoiceEngines:
    """Speech-to-text, a voice and VAD, loaded once per server on first use."""

    chat: VoiceChat


async def _engines(socket: WebSocket, state: ServerState) -> VoiceEngines:
    app_state = socket.app.state
    lock: asyncio.Lock = app_state.__dict__.setdefault("_os1_voice_lock", asyncio.Lock())
    async with lock:
        engines: VoiceEngines | None = getattr(app_state, "os1_voice", None)
        if engines is None:

            def load() -> VoiceEngines:
                from os1.plugins import load_stt, load_tts
                from os1.voice.vad import SileroVAD

                settings = state.settings
                chat = VoiceChat(state.companion, load_stt(settings), load_tts(settings))
                chat.vad = SileroVAD() if settings.stt != "fake" else None
                return VoiceEngines(chat)

            engines = await asyncio.to_thread(load)
            # Whisper's first call and festival's start now, not in the first spoken turn.
            await engines.chat.warm()
            app_state.os1_voice = engines
    return engines


class SocketSink:
    """Her voice into the socket; what was heard comes back from the page as `played`."""

    def __init__(self, session: VoiceSession) -> None:
        self.session = session
        self.played_samples = 0
        self.sent = 0
        self.rate = 16000
        self._caught_up = asyncio.Event()

    def heard_up_to(self, samples: int) -> None:
        """The page says it has played this many samples of the reply."""
        self.played_samples = max(self.played_samples, min(samples, self.sent))
        if self.played_samples >= self.sent:
            self._caught_up.set()

    async def start(self, sample_rate: int) -> None:
        """Tell the page a reply begins, at this rate."""
        self.rate, self.sent, self.played_samples = sample_rate, 0, 0
        await self.session.send_json({"type": "audio", "sample_rate": sample_rate})

    async def play(self, pcm: bytes) -> None:
        """Send a chunk; the page plays it as soon as it arrives."""
        if self.sent == 0:
            await self.session.state_is("speaking")
        self.sent += len(pcm) // 2
        self._caught_up.clear()
        await self.session.send_bytes(pcm)

    async def stop(self) -> None:
        """Barge-in: the page has stopped playing already."""

    async def finish(self) -> None:
        """Wait until the page has played it all (or stopped reporting)."""
        if self.played_samples >= self.sent:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.sent / self.rate + 3.0):
                await self._caught_up.wait()
        self.played_samples = max(self.played_samples, self.sent)


class VoiceSession:
    """One page talking: utterances in, her voice out, one turn at a time."""

    def __init__(self, socket: WebSocket, state: ServerState, principal: Principal) -> None:
        self.socket = socket
        self.state = state
        self.user_id = principal.user_id
        self.conversation_id: str | None = None
        self.sink = SocketSink(self)
        self.turn: asyncio.Task[None] | None = None
        self.barge_in = asyncio.Event()
        self._send_lock = asyncio.Lock()

    async def send_json(self, data: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.socket.send_text(json.dumps(data, ensure_ascii=False))

    async def send_bytes(self, data: bytes) -> None:
        async with self._send_lock:
            await self.socket.send_bytes(data)

    async def state_is(self, name: str) -> None:
        await self.send_json({"type": "state", "state": name})

    async def run(self) -> None:
        limit = self.state.settings.max_request_bytes
        try:
            while True:
                message = await self.socket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                try:
                    if message.get("bytes") is not None:
                        data: bytes = message["bytes"]
                        if len(data) > limit:
                            raise ApiError(413, "too_large", f"recordings up to {limit:,} bytes")
                        await self._utterance(data)
                    else:
                        await self._control(json.loads(message.get("text") or "null"))
                except ApiError as err:
                    await self.send_json({"type": "error", **err.fields()})
                except Os1Error as err:
                    await self.send_json({"type": "error", **api_error_from(err).fields()})
                except (ValueError, TypeError):
                    await self.send_json(
                        {"type": "error", "code": "bad_frame", "message": "send JSON or audio"}
                    )
        finally:
            if self.turn is not None and not self.turn.done():
                self.barge_in.set()
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await self.turn

    async def _control(self, data: Any) -> None:
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "hello":
            conversation_id = data.get("conversation_id")
            if not isinstance(conversation_id, str):
                raise ApiError(422, "invalid_value", "'conversation_id' must be a string")
            await self.state.store.get_conversation(self.user_id, conversation_id)
            self.conversation_id = conversation_id
            await self.state_is("listening")
        elif kind in ("played", "barge_in"):
            samples = data.get("samples", 0)
            if isinstance(samples, int) and samples >= 0:
                self.sink.heard_up_to(samples)
            if kind == "barge_in":
                self.barge_in.set()
        else:
            raise ApiError(422, "unknown_type", "use one of: hello, played, barge_in, ping")

    async def _utterance(self, data: bytes) -> None:
        if self.conversation_id is None:
            raise ApiError(409, "no_conversation", "say hello with a conversation_id first")
        if self.turn is not None and not self.turn.done():
            self.barge_in.set()  # talking over her is interrupting her
            with contextlib.suppress(Exception):
                await self.turn
        from os1.voice.audio import decode_audio

        self.state.spend(self.user_id)
        recording = decode_audio(data)
        self.barge_in = asyncio.Event()
        self.turn = asyncio.get_running_loop().create_task(
            self._turn(self.conversation_id, recording, self.barge_in)
        )

    async def _turn(self, conversation_id: str, recording: Any, barge_in: asyncio.Event) -> None:
        try:
            chat = (await _engines(self.socket, self.state)).chat
            await self.state_is("thinking")
            heard = await chat.hear(recording)
            for notice in heard.notices:
                await self.send_json({"type": "notice", "text": notice})
            if heard.problem:
                await self.send_json({"type": "problem", "text": heard.problem})
                return
            await self.send_json({"type": "heard", "text": heard.text})
            captions: set[asyncio.Task[None]] = set()

            def caption(text: str) -> None:
                # Sent before the clause's audio: the send lock serves in order.
                task = asyncio.get_running_loop().create_task(
                    self.send_json({"type": "say", "text": text})
                )
                captions.add(task)
                task.add_done_callback(captions.discard)

            reply = await chat.respond(
                self.user_id,
                conversation_id,
                heard.text,
                self.sink,
                barge_in=barge_in,
                on_text=caption,
                clearly_heard=heard.clearly_heard,
            )
            await asyncio.gather(*captions, return_exceptions=True)
            for notice in reply.notices:
                await self.send_json({"type": "notice", "text": notice})
            if reply.reply is not None:
                await self.send_json(
                    {
                        "type": "reply",
                        "message": message_json(reply.reply),
                        "interrupted": reply.interrupted,
                    }
                )
                await self._publish(conversation_id, reply.reply.seq)
        except ApiError as err:
            await self.send_json({"type": "error", **err.fields()})
        except Os1Error as err:
            await self.send_json({"type": "error", **api_error_from(err).fields()})
        except WebSocketDisconnect:
            return
        except Exception:
            log.exception("a voice turn failed")
            await self.send_json({"type": "error", "code": "internal", "message": "that failed"})
        finally:
            if self.socket.client_state is WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await self.state_is("listening")

    async def _publish(self, conversation_id: str, reply_seq: int) -> None:
        """Show the spoken turn to whoever watches the conversation over /api/ws."""
        stored = await self.state.store.messages(
            self.user_id, conversation_id, since_seq=reply_seq - 1
        )
        for message in stored[:2]:
            self.state.live.publish(conversation_id, message_frame(message))


async def close_voice(app: Any) -> None:
    """Stop the voice engines a server loaded (festival's process, Whisper's thread)."""
    engines: VoiceEngines | None = getattr(app.state, "os1_voice", None)
    if engines is not None:
        app.state.os1_voice = None
        await engines.chat.tts.aclose()
        await engines.chat.stt.aclose()


async def voice_endpoint(socket: WebSocket) -> None:
    """Check the Origin and who it is, then talk until the socket closes."""
    state = state_of(socket)
    if not origin_allowed(socket, state.origins):
        await socket.close(code=4403, reason="origin not allowed")
        return
    try:
        principal = await authenticate(state.store, socket)
        state.spend(principal.user_id)
    except ApiError as err:
        await socket.accept()
        await socket.send_text(json.dumps({"type": "error", **err.fields()}))
        await socket.close(code=4401 if err.status == 401 else 4429, reason=err.code)
        return
    await socket.accept()
    with contextlib.suppress(WebSocketDisconnect):
        await VoiceSession(socket, state, principal).run()
    if socket.client_state is WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await socket.close()

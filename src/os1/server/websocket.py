"""The WebSocket: live turns as typed JSON frames, and resuming without gaps or duplicates.

Client frames (each a JSON object with a "type"):

    {"type": "hello", "conversation_id": ID, "last_seq": N}   watch a conversation; get every
                                                              stored message after N, then live
    {"type": "send", "conversation_id": ID, "text": T, "idempotency_key": K?}
    {"type": "cancel", "conversation_id": ID}                 stop the reply (kept, interrupted)
    {"type": "greet", "conversation_id": ID}                  greet if new or quiet for a while
    {"type": "leave", "conversation_id": ID}                  stop watching
    {"type": "ping"}

Server frames all carry "type", "conversation_id" and "seq" (the conversation sequence number the
frame is about; null only where none applies):

    message        a stored message, final (complete or interrupted): {"message": {...}}
    reply_started  the companion is typing the reply numbered seq
    delta          a piece of that reply: {"offset": chars before it, "text": ...}
    notice         one line to show the user about this turn
    accepted       your send was stored as seq; {"reply_seq", "idempotency_key", "replayed"}
    ready          the replay after hello is complete; seq is the last message you now have
    error          {"code", "message"}; a send that failed carries its "idempotency_key"
    pong

A socket keeps, per conversation, the highest final seq it delivered and how much of each reply
in progress it sent; every frame, replayed or live, passes that filter, so a client that sends
hello with the last seq it has gets exactly what it lacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from os1.errors import Os1Error
from os1.server.auth import Principal, authenticate, origin_allowed
from os1.server.errors import ApiError, api_error_from
from os1.server.live import Frame, frame, message_frame
from os1.server.schema import KEY_CHARS, decode, parse_json, string_field
from os1.server.state import ServerState, state_of
from os1.types import MessageStatus

__all__ = ["websocket_endpoint"]

log = logging.getLogger("os1.server")

MAX_BACKLOG = 5_000  # frames queued for a client that does not read; past it, the socket closes
MAX_WATCHED = 64  # conversations one socket may watch
RECHECK_S = 60.0  # how often an open socket checks that its key or session still stands
CLOSE: Frame = {"type": "close"}  # in the outbox: close the socket (a client far behind)
CLOSE_UNAUTHORIZED: Frame = {"type": "close"}  # in the outbox: close, no longer signed in


@dataclass(frozen=True, slots=True)
class HelloFrame:
    type: str
    conversation_id: str = string_field("which conversation", max_length=KEY_CHARS)
    last_seq: int = 0


@dataclass(frozen=True, slots=True)
class SendFrame:
    type: str
    conversation_id: str = string_field("which conversation", max_length=KEY_CHARS)
    text: str = string_field("what you say", max_length=2_000_000, min_length=1)
    idempotency_key: str | None = string_field(
        "makes a resend safe", max_length=KEY_CHARS, optional=True
    )


@dataclass(frozen=True, slots=True)
class ConversationFrame:
    type: str
    conversation_id: str = string_field("which conversation", max_length=KEY_CHARS)


@dataclass(frozen=True, slots=True)
class PingFrame:
    type: str


class Watch:
    """One socket watching one conversation: the filter every frame for it passes through."""

    def __init__(self, conversation_id: str, delivered: int, push: Callable[[Frame], None]):
        self.conversation_id = conversation_id
        self.delivered = delivered  # highest final seq the client has
        self.open: dict[int, int] = {}  # replies in progress: seq -> characters sent
        self.held: list[Frame] | None = []  # live frames held back while the replay is read
        self._push = push

    def __call__(self, data: Frame) -> None:
        if self.held is not None:
            self.held.append(data)
        else:
            self.admit(data)

    def release(self) -> None:
        """Deliver the frames held back during the replay, then go live."""
        held, self.held = self.held or [], None
        for data in held:
            self.admit(data)

    def admit(self, data: Frame) -> None:
        """Send a frame unless the client has it already; trim a delta that overlaps."""
        kind, seq = data["type"], data["seq"]
        if kind == "message":
            if self.open.pop(seq, None) is None and seq <= self.delivered:
                return
            self.delivered = max(self.delivered, seq)
        elif kind == "reply_started":
            if seq in self.open or seq <= self.delivered:
                return
            self.open[seq] = 0
        elif kind == "delta":
            sent = self.open.get(seq)
            offset, text = data["offset"], data["text"]
            if sent is None or offset > sent or offset + len(text) <= sent:
                return
            if offset < sent:
                data = {**data, "offset": sent, "text": text[sent - offset :]}
            self.open[seq] = sent + len(data["text"])
        elif kind == "notice":
            if seq not in self.open:
                return
        elif kind == "error" and seq is not None:
            self.open.pop(seq, None)
        self._push(data)


class Connection:
    """One open socket: a reader that handles frames and a writer that drains the outbox."""

    def __init__(self, socket: WebSocket, state: ServerState, principal: Principal) -> None:
        self.socket = socket
        self.state = state
        self.user_id = principal.user_id
        self.principal = principal
        self.outbox: asyncio.Queue[Frame] = asyncio.Queue()
        self.watches: dict[str, Watch] = {}
        self.replaying = False
        self.overflowed = False

    def push(self, data: Frame) -> None:
        if self.overflowed:
            return
        if not self.replaying and self.outbox.qsize() > MAX_BACKLOG:
            # The client is not reading; it can resume from the store once it does.
            self.overflowed = True
            self.outbox.put_nowait(CLOSE)
            return
        self.outbox.put_nowait(data)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        writer = loop.create_task(self._write())
        guard = loop.create_task(self._recheck())
        try:
            await self._read()
        finally:
            for conversation_id, watch in self.watches.items():
                self.state.live.unlisten(conversation_id, watch)
            self.watches.clear()
            for task in (writer, guard):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _recheck(self) -> None:
        """Close the socket soon after its key is revoked or its session ends."""
        while True:
            await asyncio.sleep(RECHECK_S * random.uniform(0.8, 1.2))  # spread over sockets
            try:
                valid = await self.principal.still_valid(self.state.store)
            except Os1Error:
                continue  # a busy store is no reason to drop anyone
            if not valid:
                self.push(frame("error", None, None, code="unauthorized",
                                message="this key was revoked or the session ended"))  # fmt: skip
                self.push(CLOSE_UNAUTHORIZED)
                return

    async def _write(self) -> None:
        held: Frame | None = None
        try:
            while True:
                data = held if held is not None else await self.outbox.get()
                held = None
                if data is CLOSE:
                    await self.socket.close(code=1013, reason="too far behind; reconnect")
                    return
                if data is CLOSE_UNAUTHORIZED:
                    await self.socket.close(code=4401, reason="unauthorized")
                    return
                if data["type"] == "delta":
                    data, held = self._joined(data)
                await self.socket.send_text(json.dumps(data, ensure_ascii=False))
        except (WebSocketDisconnect, RuntimeError, OSError):
            # The client is gone; the reader sees the disconnect and ends the connection.
            return

    def _joined(self, data: Frame) -> tuple[Frame, Frame | None]:
        """Join the deltas of one reply already waiting behind this one into one frame.

        Only frames that queued up while the socket was busy are joined, so a reader that keeps
        up sees every piece as it came, and a slow one gets fewer, larger frames.
        """
        while not self.outbox.empty():
            following = self.outbox.get_nowait()
            if (
                following["type"] != "delta"
                or following["seq"] != data["seq"]
                or following["conversation_id"] != data["conversation_id"]
                or following["offset"] != data["offset"] + len(data["text"])
            ):
                return data, following
            data = {**data, "text": data["text"] + following["text"]}
        return data, None

    async def _read(self) -> None:
        limit = self.state.settings.max_request_bytes
        while not self.overflowed:
            message = await self.socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                self.push(frame("error", None, None, code="bad_frame", message="send text frames"))
                continue
            if len(raw) > limit:  # characters, so never more than the bytes it came in
                self.push(frame("error", None, None, code="too_large",
                                message=f"frames are limited to {limit:,} bytes"))  # fmt: skip
                continue
            try:
                await self._handle(parse_json(raw))
            except ApiError as err:
                self.push(frame("error", None, None, **err.fields()))
            except Os1Error as err:
                self.push(frame("error", None, None, **api_error_from(err).fields()))
            except (WebSocketDisconnect, asyncio.CancelledError):
                raise
            except Exception:
                log.exception("a WebSocket frame failed")
                self.push(frame("error", None, None, code="internal", message="that failed"))

    async def _handle(self, data: object) -> None:
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "ping":
            decode(PingFrame, data)
            self.state.spend(self.user_id)
            self.push(frame("pong", None, None))
            return
        handlers: dict[Any, Any] = {
            "hello": (HelloFrame, self._hello),
            "send": (SendFrame, self._send),
            "cancel": (ConversationFrame, self._cancel),
            "greet": (ConversationFrame, self._greet),
            "leave": (ConversationFrame, self._leave),
        }
        if kind not in handlers:
            raise ApiError(422, "unknown_type", f"unknown frame type; use one of: ping, "
                           f"{', '.join(handlers)}")  # fmt: skip
        body_type, handler = handlers[kind]
        body = decode(body_type, data)
        if kind not in ("cancel", "leave"):  # stopping things is never rate limited
            self.state.spend(self.user_id)
        try:
            await handler(body)
        except ApiError as err:
            self._error(body.conversation_id, err, getattr(body, "idempotency_key", None))
        except Os1Error as err:
            self._error(body.conversation_id, api_error_from(err), None)

    def _error(self, conversation_id: str, err: ApiError, idempotency_key: str | None) -> None:
        extra = {"idempotency_key": idempotency_key} if idempotency_key else {}
        self.push(frame("error", conversation_id, None, **err.fields(), **extra))

    def _watch(self, conversation_id: str, delivered: int) -> tuple[Watch, list[Frame]]:
        """Start watching (the caller has checked ownership); returns the live snapshot."""
        old = self.watches.pop(conversation_id, None)
        if old is not None:
            self.state.live.unlisten(conversation_id, old)
        if len(self.watches) >= MAX_WATCHED:
            raise ApiError(422, "too_many_watches", f"one socket watches {MAX_WATCHED} at most")
        watch = Watch(conversation_id, delivered, self.push)
        self.watches[conversation_id] = watch
        return watch, self.state.live.listen(conversation_id, watch)

    async def _hello(self, body: HelloFrame) -> None:
        if body.last_seq < 0:
            raise ApiError(422, "invalid_value", "'last_seq' must be 0 or more")
        store, conversation_id = self.state.store, body.conversation_id
        await self.state.live.check_owner(self.user_id, conversation_id)
        watch, snapshot = self._watch(conversation_id, body.last_seq)
        try:
            stored = await store.messages(
                self.user_id, conversation_id, since_seq=body.last_seq + 1
            )
        except BaseException:
            self.watches.pop(conversation_id, None)
            self.state.live.unlisten(conversation_id, watch)
            raise
        self.replaying = True
        try:
            for message in stored:
                # A reply still streaming is not final: the snapshot or live frames carry it.
                if message.status is not MessageStatus.STREAMING:
                    watch.admit(message_frame(message))
            for data in snapshot:
                watch.admit(data)
            watch.release()
            self.push(frame("ready", conversation_id, watch.delivered, replying=bool(watch.open)))
        finally:
            self.replaying = False

    async def _ensure_watch(self, conversation_id: str) -> None:
        if conversation_id not in self.watches:
            await self.state.live.check_owner(self.user_id, conversation_id)
            watch, snapshot = self._watch(conversation_id, 0)
            for data in snapshot:
                watch.admit(data)
            watch.release()

    async def _send(self, body: SendFrame) -> None:
        await self._ensure_watch(body.conversation_id)
        turn = await self.state.live.start(
            self.user_id, body.conversation_id, body.text, body.idempotency_key
        )

        def acknowledge(started: asyncio.Future[Any]) -> None:
            error = started.exception()
            if isinstance(error, ApiError):
                self._error(body.conversation_id, error, body.idempotency_key)
            elif error is None:
                event = started.result()
                self.push(frame("accepted", body.conversation_id, event.user_message.seq,
                                reply_seq=event.reply_seq, idempotency_key=body.idempotency_key,
                                replayed=event.replayed))  # fmt: skip

        turn.started.add_done_callback(acknowledge)

    async def _cancel(self, body: ConversationFrame) -> None:
        await self.state.live.check_owner(self.user_id, body.conversation_id)
        if not self.state.live.stop(self.user_id, body.conversation_id):
            raise ApiError(409, "not_replying", "no reply is coming in this conversation")

    async def _greet(self, body: ConversationFrame) -> None:
        await self._ensure_watch(body.conversation_id)
        await self.state.live.greet(self.user_id, body.conversation_id)

    async def _leave(self, body: ConversationFrame) -> None:
        watch = self.watches.pop(body.conversation_id, None)
        if watch is not None:
            self.state.live.unlisten(body.conversation_id, watch)


async def websocket_endpoint(socket: WebSocket) -> None:
    """Check the Origin and who it is, then serve frames until the socket closes."""
    state = state_of(socket)
    if not origin_allowed(socket, state.origins):
        await socket.close(code=4403, reason="origin not allowed")  # before accept: HTTP 403
        return
    try:
        principal = await authenticate(state.store, socket)
        state.spend(principal.user_id)
    except ApiError as err:
        await socket.accept()
        await socket.send_text(json.dumps(frame("error", None, None, **err.fields())))
        await socket.close(code=4401 if err.status == 401 else 4429, reason=err.code)
        return
    await socket.accept()
    connection = Connection(socket, state, principal)
    with contextlib.suppress(WebSocketDisconnect):
        await connection.run()
    if socket.client_state is WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await socket.close()

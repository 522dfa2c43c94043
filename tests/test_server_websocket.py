"""The WebSocket in-process: typed frames, streaming, cancel, resume without gaps or duplicates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from conftest import PausingBackend, Person, ServerHarness
from os1.config import Settings
from os1.server.live import frame
from os1.server.websocket import Watch

Frame = dict[str, Any]
REPLY = "I like the sound of rain on a tin roof more than almost anything"


def receive_until(ws: WebSocketTestSession, done: Callable[[Frame], bool]) -> list[Frame]:
    """Frames up to and including the first one `done` accepts (at most 500)."""
    seen: list[Frame] = []
    for _ in range(500):
        data: Frame = ws.receive_json()
        assert {"type", "conversation_id", "seq"} <= set(data), data
        seen.append(data)
        if done(data):
            return seen
    raise AssertionError(f"never done; last frames: {seen[-5:]}")


def final(seq: int) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == "message" and f["seq"] == seq


def of_type(kind: str) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == kind


def hello(ws: WebSocketTestSession, who: Person, last_seq: int = 0) -> list[Frame]:
    ws.send_json({"type": "hello", "conversation_id": who.conversation.id, "last_seq": last_seq})
    return receive_until(ws, of_type("ready"))


def text_of(frames: list[Frame], seq: int) -> str:
    """Join a reply's deltas, checking each starts where the last one ended."""
    text = ""
    for data in frames:
        if data["type"] == "delta" and data["seq"] == seq:
            assert data["offset"] == len(text), (data, text)
            text += data["text"]
    return text


@pytest.fixture
def slow(make_server: Callable[..., ServerHarness], server_settings: Settings) -> ServerHarness:
    """A server whose replies stream a word every 20 ms."""
    return make_server(server_settings, delay_s=0.02)


def test_a_turn_streams_as_typed_frames(server: ServerHarness) -> None:
    theo = server.person("Theo")
    server.backend.queue(REPLY)
    with server.client.websocket_connect("/api/ws", headers=theo.headers) as ws:
        assert hello(ws, theo) == [frame("ready", theo.conversation.id, 0, replying=False)]
        ws.send_json({"type": "send", "conversation_id": theo.conversation.id,
                      "text": "What do you love?", "idempotency_key": "k1"})  # fmt: skip
        frames = receive_until(ws, final(2))
        if not any(f["type"] == "accepted" for f in frames):
            frames += receive_until(ws, of_type("accepted"))
    kinds = [f["type"] for f in frames if f["type"] != "accepted"]
    assert kinds[:2] == ["message", "reply_started"]
    assert set(kinds[2:-1]) == {"delta"}
    assert frames[0]["message"]["content"] == "What do you love?"
    assert [f["seq"] for f in frames if f["type"] != "accepted"] == [1] + [2] * (len(kinds) - 1)
    accepted = next(f for f in frames if f["type"] == "accepted")
    assert (accepted["seq"], accepted["reply_seq"], accepted["replayed"]) == (1, 2, False)
    assert text_of(frames, 2) == REPLY == frames[-1]["message"]["content"]
    assert frames[-1]["message"]["status"] == "complete"


def test_sending_again_with_the_same_key_replays_without_storing(server: ServerHarness) -> None:
    theo = server.person("Theo")
    send = {"type": "send", "conversation_id": theo.conversation.id, "text": "hi",
            "idempotency_key": "same"}  # fmt: skip
    with server.client.websocket_connect("/api/ws", headers=theo.headers) as ws:
        hello(ws, theo)
        ws.send_json(send)
        receive_until(ws, final(2))
        ws.send_json(send)
        again = receive_until(ws, of_type("accepted"))
    assert again[-1]["replayed"] is True
    assert [f["type"] for f in again] == ["accepted"]  # nothing new to show: it is all delivered
    assert server.run(server.store.stats)["messages"] == 2


def test_hello_gets_exactly_the_missed_messages_for_every_last_seq(server: ServerHarness) -> None:
    theo = server.person("Theo")
    for i in range(3):
        server.client.post(f"/api/conversations/{theo.conversation.id}/messages",
                           headers=theo.headers, json={"text": f"turn {i}"})  # fmt: skip
    with server.client.websocket_connect("/api/ws", headers=theo.headers) as ws:
        for last in range(7):
            frames = hello(ws, theo, last)
            assert [f["seq"] for f in frames[:-1]] == list(range(last + 1, 7))
            assert all(f["type"] == "message" for f in frames[:-1])
            assert frames[-1]["seq"] == 6


def test_reconnecting_mid_reply_resumes_it_whole(
    make_server: Callable[..., ServerHarness], server_settings: Settings
) -> None:
    backend = PausingBackend(pause_after=4, replies=(REPLY,))
    harness = make_server(server_settings, backend=backend)
    theo = harness.person("Theo")
    with harness.client.websocket_connect("/api/ws", headers=theo.headers) as first:
        hello(first, theo)
        first.send_json({"type": "send", "conversation_id": theo.conversation.id, "text": "hi"})
        seen = receive_until(first, of_type("delta"))
        harness.run(backend.paused.wait)
    # The socket is gone and the reply is half said.
    with harness.client.websocket_connect("/api/ws", headers=theo.headers) as second:
        frames = hello(second, theo, last_seq=1)
        assert [f["type"] for f in frames] == ["reply_started", "delta", "ready"]
        assert frames[1]["offset"] == 0
        assert frames[1]["text"] == "I like the sound"  # the text so far, in one piece
        assert frames[1]["text"].startswith(text_of(seen, 2))
        harness.run(backend.resume)
        frames += receive_until(second, final(2))
    assert text_of(frames, 2) == REPLY
    assert not any(f["type"] == "message" and f["seq"] == 1 for f in frames)  # had it already
    stored = harness.run(harness.store.messages, theo.user.id, theo.conversation.id)
    assert stored[-1].content == REPLY  # the socket closing did not cut the reply short


def test_a_socket_sees_turns_started_elsewhere(slow: ServerHarness) -> None:
    theo = slow.person("Theo")
    with slow.client.websocket_connect("/api/ws", headers=theo.headers) as ws:
        hello(ws, theo)
        slow.client.post(f"/api/conversations/{theo.conversation.id}/messages",
                         headers=theo.headers, json={"text": "from my phone"})  # fmt: skip
        frames = receive_until(ws, final(2))
    assert frames[0]["message"]["content"] == "from my phone"
    assert text_of(frames, 2) == "You said: from my phone"


def test_cancel_keeps_what_was_said_as_interrupted(
    make_server: Callable[..., ServerHarness], server_settings: Settings
) -> None:
    backend = PausingBackend(pause_after=2, replies=(REPLY,))
    harness = make_server(server_settings, backend=backend)
    theo = harness.person("Theo")
    with harness.client.websocket_connect("/api/ws", headers=theo.headers) as ws:
        hello(ws, theo)
        ws.send_json({"type": "send", "conversation_id": theo.conversation.id, "text": "hi"})
        harness.run(backend.paused.wait)
        ws.send_json({"type": "cancel", "conversation_id": theo.conversation.id})
        frames = receive_until(ws, final(2))
    reply = frames[-1]["message"]
    assert (reply["status"], reply["content"]) == ("interrupted", "I like")
    stored = harness.run(harness.store.messages, theo.user.id, theo.conversation.id)
    assert (stored[-1].status, stored[-1].content) == ("interrupted", "I like")


def test_greet_over_the_socket(server: ServerHarness) -> None:
    theo = server.person("Theo")
    with server.client.websocket_connect("/api/ws", headers=theo.headers) as ws:
        hello(ws, theo)
        ws.send_json({"type": "greet", "conversation_id": theo.conversation.id})
        greeting = receive_until(ws, of_type("message"))[-1]
        ws.send_json({"type": "ping"})
        assert receive_until(ws, of_type("pong")) == [frame("pong", None, None)]
    assert greeting["seq"] == 1
    assert greeting["message"]["meta"] == {"kind": "greeting"}


def test_an_unknown_origin_cannot_open_the_socket(
    make_server: Callable[..., ServerHarness], server_settings: Settings
) -> None:
    harness = make_server(server_settings.replace(allowed_origins="https://app.example/"))
    theo = harness.person("Theo")
    evil = {**theo.headers, "Origin": "https://evil.example"}
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        harness.client.websocket_connect("/api/ws", headers=evil) as ws,
    ):
        ws.receive_json()
    assert refused.value.code == 4403
    for origin in ("http://testserver", "https://app.example"):
        with harness.client.websocket_connect(
            "/api/ws", headers={**theo.headers, "Origin": origin}
        ) as ws:
            ws.send_json({"type": "ping"})
            assert ws.receive_json()["type"] == "pong"


def test_without_a_key_the_socket_says_why_and_closes(server: ServerHarness) -> None:
    with server.client.websocket_connect("/api/ws") as ws:
        first = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert (first["type"], first["code"]) == ("error", "unauthorized")
    assert closed.value.code == 4401


def test_the_page_signs_in_the_socket_with_its_cookie(server: ServerHarness) -> None:
    theo = server.person("Theo")
    server.client.post("/api/session", json={"key": theo.key})
    with server.client.websocket_connect("/api/ws", headers={"Origin": "http://testserver"}) as ws:
        assert hello(ws, theo)[-1]["type"] == "ready"


BAD_FRAMES: list[tuple[str, Any, str]] = [
    ("malformed", "{nope", "bad_json"),
    ("a list", [1, 2], "unknown_type"),
    ("no type", {"conversation_id": "x"}, "unknown_type"),
    ("unknown type", {"type": "dance"}, "unknown_type"),
    ("missing field", {"type": "send", "conversation_id": "CONV"}, "missing_field"),
    ("unknown field", {"type": "ping", "extra": 1}, "unknown_field"),
    ("wrong type", {"type": "hello", "conversation_id": "CONV", "last_seq": "3"}, "wrong_type"),
    ("negative seq", {"type": "hello", "conversation_id": "CONV", "last_seq": -1},
     "invalid_value"),
    ("empty text", {"type": "send", "conversation_id": "CONV", "text": "  "}, "invalid_value"),
    ("too large", {"type": "send", "conversation_id": "CONV", "text": "x" * 5000}, "too_large"),
]  # fmt: skip


def test_bad_frames_get_error_frames_and_the_socket_stays_open(
    make_server: Callable[..., ServerHarness], server_settings: Settings
) -> None:
    harness = make_server(server_settings.replace(max_request_bytes=4096))
    theo = harness.person("Theo")
    with harness.client.websocket_connect("/api/ws", headers=theo.headers) as ws:
        for what, data, code in BAD_FRAMES:
            if isinstance(data, str):
                ws.send_text(data)
            else:
                text = str(data).replace("'", '"').replace("CONV", theo.conversation.id)
                ws.send_text(text)
            answer = ws.receive_json()
            assert (answer["type"], answer["code"]) == ("error", code), what
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_json()["code"] == "bad_frame"
        ws.send_json({"type": "ping"})
        assert ws.receive_json()["type"] == "pong"
    assert harness.run(harness.store.stats)["messages"] == 0


def test_another_users_conversation_is_not_found_over_the_socket(slow: ServerHarness) -> None:
    alice, bob = slow.person("Alice"), slow.person("Bob")
    bob_conversation = bob.conversation.id
    with slow.client.websocket_connect("/api/ws", headers=alice.headers) as ws:
        for data in (
            {"type": "hello", "conversation_id": bob_conversation, "last_seq": 0},
            {"type": "send", "conversation_id": bob_conversation, "text": "hi Bob"},
            {"type": "cancel", "conversation_id": bob_conversation},
            {"type": "greet", "conversation_id": bob_conversation},
        ):
            ws.send_json(data)
            answer = ws.receive_json()
            assert (answer["type"], answer["code"]) == ("error", "not_found"), data
        # While Bob talks, Alice's socket (which asked for his conversation) hears nothing.
        slow.client.post(f"/api/conversations/{bob_conversation}/messages",
                         headers=bob.headers, json={"text": "private"})  # fmt: skip
        ws.send_json({"type": "ping"})
        assert ws.receive_json()["type"] == "pong"
    assert [m.content for m in slow.run(slow.store.messages, bob.user.id, bob_conversation)] == [
        "private",
        "You said: private",
    ]


def test_sends_over_the_socket_are_rate_limited(
    make_server: Callable[..., ServerHarness], server_settings: Settings
) -> None:
    harness = make_server(server_settings.replace(rate_limit_per_minute=3))
    theo = harness.person("Theo")
    with harness.client.websocket_connect("/api/ws", headers=theo.headers) as ws:  # 1
        hello(ws, theo)  # 2
        ws.send_json({"type": "send", "conversation_id": theo.conversation.id, "text": "a"})  # 3
        receive_until(ws, final(2))
        ws.send_json({"type": "send", "conversation_id": theo.conversation.id, "text": "b"})
        limited = receive_until(ws, of_type("error"))[-1]
    assert limited["code"] == "rate_limited"
    assert limited["retry_after"] > 0


# --- the filter every frame passes through ------------------------------------------------------


def test_watch_drops_what_the_client_has_and_trims_overlaps() -> None:
    sent: list[Frame] = []
    watch = Watch("c", delivered=3, push=sent.append)
    watch.release()

    def msg(seq: int) -> Frame:
        return frame("message", "c", seq, message={"seq": seq})

    watch.admit(msg(2))  # had it
    watch.admit(msg(4))
    watch.admit(msg(4))  # duplicate
    watch.admit(frame("reply_started", "c", 5))
    watch.admit(frame("reply_started", "c", 5))
    watch.admit(frame("delta", "c", 5, offset=0, text="Hello"))
    watch.admit(frame("delta", "c", 5, offset=3, text="lo there"))  # overlaps by two
    watch.admit(frame("delta", "c", 5, offset=20, text="gap"))  # would leave a hole
    watch.admit(frame("delta", "c", 5, offset=0, text="He"))  # all old
    watch.admit(msg(5))
    watch.admit(frame("delta", "c", 5, offset=11, text="late"))  # after the final
    assert [(f["type"], f["seq"], f.get("text")) for f in sent] == [
        ("message", 4, None),
        ("reply_started", 5, None),
        ("delta", 5, "Hello"),
        ("delta", 5, " there"),
        ("message", 5, None),
    ]


def test_watch_holds_live_frames_until_the_replay_is_done() -> None:
    sent: list[Frame] = []
    watch = Watch("c", delivered=0, push=sent.append)
    watch(frame("message", "c", 1, message={}))  # arrives while the store is being read
    assert sent == []
    watch.admit(frame("message", "c", 1, message={}))  # the replay has it too
    watch.release()
    assert [f["seq"] for f in sent] == [1]


def test_deltas_waiting_behind_a_slow_socket_are_joined() -> None:
    import asyncio

    from os1.server.websocket import Connection

    connection = Connection.__new__(Connection)
    connection.outbox = asyncio.Queue()
    waiting = [
        frame("delta", "c", 5, offset=3, text="lo"),
        frame("delta", "c", 5, offset=5, text=" there"),
        frame("delta", "d", 2, offset=0, text="other"),
    ]
    for data in waiting:
        connection.outbox.put_nowait(data)
    joined, held = connection._joined(frame("delta", "c", 5, offset=0, text="Hel"))
    assert (joined["offset"], joined["text"]) == (0, "Hello there")
    assert held == waiting[2]
    assert connection.outbox.empty()


def test_an_open_socket_closes_soon_after_its_key_is_revoked(
    server: ServerHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("os1.server.websocket.RECHECK_S", 0.05)
    theo = server.person("Theo")
    key_id = server.run(server.store.api_keys, theo.user.id)[0].id
    with server.client.websocket_connect("/api/ws", headers=theo.headers) as ws:
        hello(ws, theo)
        server.run(server.store.revoke_api_key, theo.user.id, key_id)
        told = receive_until(ws, of_type("error"))[-1]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert told["code"] == "unauthorized"
    assert closed.value.code == 4401

"""`/v1/models` and `/v1/chat/completions`: in-process, and with the real `openai` library."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from conftest import LiveServer, Person, ServerHarness, error_of


def chat(who: Person, text: str, **extra: Any) -> dict[str, Any]:
    return {"model": who.companion.name, "messages": [{"role": "user", "content": text}], **extra}


def sse_events(raw: str) -> list[Any]:
    events = []
    for block in raw.split("\n\n"):
        if block.startswith("data: "):
            data = block.removeprefix("data: ")
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


def test_models_are_your_companions(server: ServerHarness) -> None:
    theo = server.person("Theo")
    server.client.post("/api/companions", headers=theo.headers, json={"name": "Theo's Sol"})
    models = server.client.get("/v1/models", headers=theo.headers).json()
    assert models["object"] == "list"
    names = [m["id"] for m in models["data"]]
    assert len(names) == len(set(names)) == 2  # two companions of one name, told apart
    assert all(name.startswith("Theo's Sol-") for name in names)


def test_a_completion_is_a_turn_in_the_companions_conversation(server: ServerHarness) -> None:
    theo = server.person("Theo")
    body = chat(theo, "Hi from another app", temperature=0.2, max_tokens=99, top_k=5)
    body["messages"].insert(0, {"role": "system", "content": "You are a pirate."})
    response = server.client.post("/v1/chat/completions", headers=theo.headers, json=body)
    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["model"] == theo.companion.name
    assert data["choices"][0]["message"] == {
        "role": "assistant",
        "content": "You said: Hi from another app",
    }
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"]["total_tokens"] > 0
    # With no header and no `user`, the companion's latest conversation, as `os1 chat` does.
    assert response.headers["x-os1-conversation"] == theo.conversation.id
    request = server.backend.requests[-1]
    assert "pirate" not in str(request.messages)  # the client's system prompt is not hers


def test_the_client_history_is_ignored_and_hers_is_used(server: ServerHarness) -> None:
    theo = server.person("Theo")
    first = chat(theo, "My cat is called Miso")
    server.client.post("/v1/chat/completions", headers=theo.headers, json=first)
    made_up = chat(theo, "What is my cat called?")
    made_up["messages"][:0] = [
        {"role": "user", "content": "I have no pets"},
        {"role": "assistant", "content": "Noted."},
    ]
    server.client.post("/v1/chat/completions", headers=theo.headers, json=made_up)
    prompt = [m.content for m in server.backend.requests[-1].messages]
    assert any("Miso" in line for line in prompt)
    assert not any("no pets" in line for line in prompt)


def test_conversation_header_and_user_field_choose_the_conversation(server: ServerHarness) -> None:
    theo = server.person("Theo")
    other = server.client.post("/api/conversations", headers=theo.headers, json={}).json()
    by_header = server.client.post(
        "/v1/chat/completions",
        headers={**theo.headers, "X-OS1-Conversation": other["id"]},
        json=chat(theo, "into the other one"),
    )
    assert by_header.headers["x-os1-conversation"] == other["id"]
    first = server.client.post("/v1/chat/completions", headers=theo.headers,
                               json=chat(theo, "one", user="tavern-7"))  # fmt: skip
    second = server.client.post("/v1/chat/completions", headers=theo.headers,
                                json=chat(theo, "two", user="tavern-7"))  # fmt: skip
    third = server.client.post("/v1/chat/completions", headers=theo.headers,
                               json=chat(theo, "three", user="someone-else"))  # fmt: skip
    tavern = first.headers["x-os1-conversation"]
    assert second.headers["x-os1-conversation"] == tavern
    assert third.headers["x-os1-conversation"] not in (tavern, theo.conversation.id, other["id"])


def test_streaming_sends_chunks_then_done(server: ServerHarness) -> None:
    theo = server.person("Theo")
    server.backend.queue("Rain on a tin roof")
    body = chat(theo, "What do you love?", stream=True, stream_options={"include_usage": True})
    response = server.client.post("/v1/chat/completions", headers=theo.headers, json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "Rain on a tin roof"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] > 0
    assert len({c["id"] for c in chunks}) == 1


def test_idempotency_key_makes_a_retry_safe(server: ServerHarness) -> None:
    theo = server.person("Theo")
    headers = {**theo.headers, "Idempotency-Key": "retry-1"}
    for _ in range(2):
        response = server.client.post("/v1/chat/completions", headers=headers,
                                       json=chat(theo, "once"))  # fmt: skip
        assert response.json()["choices"][0]["message"]["content"] == "You said: once"
    assert server.run(server.store.stats)["messages"] == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"model": "Nobody", "messages": [{"role": "user", "content": "hi"}]}, 404,
         "model_not_found"),
        ({"model": "MODEL", "messages": []}, 400, "invalid_request"),
        ({"model": "MODEL", "messages": [{"role": "assistant", "content": "hi"}]}, 400,
         "invalid_request"),
        ({"model": "MODEL", "messages": [{"role": "wizard", "content": "hi"}]}, 400,
         "invalid_request"),
        ({"model": "MODEL", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "http://x"}}]}]}, 400, "invalid_request"),
        ({"model": "MODEL", "messages": [{"role": "user", "content": "hi"}], "n": 2}, 400,
         "invalid_request"),
        ({"model": "MODEL", "messages": [{"role": "user", "content": "hi"}], "stream": "yes"},
         400, "invalid_request"),
        ({"model": 7, "messages": [{"role": "user", "content": "hi"}]}, 400, "invalid_request"),
    ],
)  # fmt: skip
def test_bad_requests_get_openai_shaped_errors(
    server: ServerHarness, body: dict[str, Any], status: int, code: str
) -> None:
    theo = server.person("Theo")
    if body["model"] == "MODEL":
        body["model"] = theo.companion.name
    response = server.client.post("/v1/chat/completions", headers=theo.headers, json=body)
    assert response.status_code == status
    error = error_of(response)
    assert error["code"] == code
    assert {"message", "type", "param", "code"} == set(error)
    assert server.run(server.store.stats)["messages"] == 0


def test_os1_as_the_model_means_their_first_companion(server: ServerHarness) -> None:
    theo = server.person("Theo")
    body = {"model": "os1", "messages": [{"role": "user", "content": "hi"}]}
    response = server.client.post("/v1/chat/completions", headers=theo.headers, json=body)
    assert response.status_code == 200
    assert response.json()["model"] == theo.companion.name
    assert response.json()["choices"][0]["message"]["content"] == "You said: hi"


def test_text_parts_are_joined(server: ServerHarness) -> None:
    theo = server.person("Theo")
    parts = [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]
    body = {"model": theo.companion.name, "messages": [{"role": "user", "content": parts}]}
    response = server.client.post("/v1/chat/completions", headers=theo.headers, json=body)
    assert response.json()["choices"][0]["message"]["content"] == "You said: one\ntwo"


def test_without_a_key_the_error_is_openai_shaped(server: ServerHarness) -> None:
    response = server.client.get("/v1/models")
    assert response.status_code == 401
    assert error_of(response)["type"] == "authentication_error"


# --- the real OpenAI client library, over 127.0.0.1 ----------------------------------------------


@pytest.mark.loopback
def test_the_openai_library_talks_to_a_companion(live_server: Callable[..., LiveServer]) -> None:
    openai = pytest.importorskip("openai")
    served = live_server(["Theo"], replies=("Hello! I'm Sol.", "The sea, mostly."))
    theo = served.people[0]
    client = openai.OpenAI(base_url=f"{served.url}/v1", api_key=theo.key, max_retries=0)
    assert [m.id for m in client.models.list()] == ["Sol"]
    completion = client.chat.completions.create(
        model="Sol", messages=[{"role": "user", "content": "Hi!"}], user="library-test"
    )
    assert completion.choices[0].message.content == "Hello! I'm Sol."
    stream = client.chat.completions.create(
        model="Sol",
        messages=[{"role": "user", "content": "What do you think about?"}],
        stream=True,
        user="library-test",
    )
    pieces = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
    assert "".join(pieces) == "The sea, mostly."
    assert len([p for p in pieces if p]) > 1  # it really streamed
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{served.url}/v1", api_key="os1_nope", max_retries=0).models.list()
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="Nobody", messages=[{"role": "user", "content": "x"}])


@pytest.mark.loopback
async def test_the_async_openai_client_streams(live_server: Callable[..., LiveServer]) -> None:
    openai = pytest.importorskip("openai")
    served = live_server(["Theo"], delay_s=0.01, replies=("one two three four",))
    client = openai.AsyncOpenAI(base_url=f"{served.url}/v1", api_key=served.people[0].key,
                                max_retries=0)  # fmt: skip
    stream = await client.chat.completions.create(
        model="Sol", messages=[{"role": "user", "content": "count"}], stream=True
    )
    pieces = [chunk.choices[0].delta.content async for chunk in stream if chunk.choices]
    assert "".join(p or "" for p in pieces) == "one two three four"
    await client.close()


@pytest.mark.loopback
def test_a_client_that_hangs_up_stops_the_reply(live_server: Callable[..., LiveServer]) -> None:
    import time

    import httpx

    long = " ".join(f"word{i}" for i in range(200))
    served = live_server(["Theo"], delay_s=0.02, replies=(long,))
    theo = served.people[0]
    auth = {"Authorization": f"Bearer {theo.key}"}
    with httpx.Client(base_url=served.url, headers=auth, timeout=10) as client:
        body = chat(theo, "talk for a long time", stream=True)
        with client.stream("POST", "/v1/chat/completions", json=body) as response:
            for line in response.iter_lines():
                if "word2" in line:
                    break  # hang up mid-reply
        path = f"/api/conversations/{theo.conversation.id}/messages"
        for _ in range(200):
            reply = client.get(path).json()["messages"][-1]
            if reply["status"] != "streaming":
                break
            time.sleep(0.05)
    assert reply["status"] == "interrupted"
    assert long.startswith(reply["content"])
    assert len(reply["content"]) < len(long)

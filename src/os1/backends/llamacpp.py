"""The embedded backend: llama.cpp in-process, with a prompt cache per conversation.

llama.cpp reuses its KV cache for the longest common prefix of the last prompt and the new one, so
a prefix-stable prompt costs only its new tokens. With several conversations on one model, each
conversation's state is kept in an LRU bounded by memory and restored when it speaks again.
Background work (warming, memory extraction) yields to a person waiting for a reply.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from os1.config import Settings
from os1.errors import BackendError, MissingExtra, ModelError
from os1.models import cheap_check, resolve_model_path
from os1.types import BackendEvent, ChatMessage, Finish, GenerationRequest, TextDelta

__all__ = ["LlamaCppBackend"]

_DONE = object()
_WARM_CHUNK = 64


@dataclass(frozen=True, slots=True)
class _Snapshot:
    tokens: list[int]
    state: bytes

    @property
    def size(self) -> int:
        return len(self.state) + 4 * len(self.tokens)


class _StateCache:
    """Saved model states by conversation, least recently used evicted past `capacity` bytes."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, _Snapshot] = OrderedDict()

    def put(self, key: str, snap: _Snapshot) -> None:
        self._items.pop(key, None)
        if snap.size > self.capacity:
            return
        self._items[key] = snap
        while sum(s.size for s in self._items.values()) > self.capacity:
            self._items.popitem(last=False)

    def take(self, key: str) -> _Snapshot | None:
        return self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)


class LlamaCppBackend:
    """Runs a GGUF model in-process with llama-cpp-python (the `llamacpp` extra)."""

    name = "llamacpp"
    keeps_prefix_cache = True

    def __init__(self, settings: Settings, *, model_path: Path | None = None) -> None:
        try:
            import llama_cpp
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError:
            raise MissingExtra("the embedded model", "llamacpp") from None
        path = model_path or resolve_model_path(settings)
        cheap_check(path)
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=settings.n_ctx,
                n_threads=settings.n_threads or None,
                n_batch=256,
                verbose=False,
            )
        except (ValueError, RuntimeError) as err:
            raise ModelError(
                f"{path} could not be loaded ({err}); is it a chat model GGUF?"
            ) from None
        self._lib = llama_cpp
        self.model_path = path
        self.context_window = self._llm.n_ctx()
        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(f"{path} has no chat template in its metadata")
        eos_id, bos_id = self._llm.token_eos(), self._llm.token_bos()
        self._eos = self._llm._model.token_get_text(eos_id) if eos_id != -1 else ""
        self._bos = self._llm._model.token_get_text(bos_id) if bos_id != -1 else ""
        self._formatters = {
            generation: Jinja2ChatFormatter(
                template, self._eos, self._bos, add_generation_prompt=generation
            )
            for generation in (True, False)
        }
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="os1-llama")
        self._lock = asyncio.Lock()
        self._waiting_replies = 0
        self._no_reply_waiting = asyncio.Event()
        self._no_reply_waiting.set()
        self._current_key: str | None = None
        self._states = _StateCache(settings.kv_cache_mb << 20)
        self._grammars: dict[str, Any] = {}

    # --- prompts --------------------------------------------------------------------------

    def render(self, messages: tuple[ChatMessage, ...], generation: bool = True) -> str:
        """The prompt text, by the model's own chat template."""
        formatter = self._formatters[generation]
        try:
            chat: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
            return str(formatter(messages=chat).prompt)
        except Exception as err:  # a template may raise on an unexpected role order
            raise BackendError(f"the model's chat template rejected the messages: {err}") from None

    def prompt_tokens(
        self, messages: tuple[ChatMessage, ...], generation: bool = True
    ) -> list[int]:
        """Token ids of the rendered prompt, with exactly one BOS where the model wants it."""
        text = self.render(messages, generation)
        has_bos = bool(self._bos) and text.startswith(self._bos)
        tokens: list[int] = self._llm.tokenize(
            text.encode("utf-8"), add_bos=not has_bos, special=True
        )
        return tokens

    def count_tokens(self, text: str) -> int:
        """Exact token count in this model's vocabulary."""
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    # --- per-conversation state -------------------------------------------------------------

    def _switch_to(self, key: str | None) -> None:
        """Make `key`'s cached state current, saving the one it replaces (model thread only)."""
        if key is None or key == self._current_key:
            return
        llm = self._llm
        if self._current_key is not None and llm.n_tokens > 0:
            self._states.put(self._current_key, self._snapshot())
        self._current_key = key
        snap = self._states.take(key)
        if snap is not None:
            self._restore(snap)

    def _snapshot(self) -> _Snapshot:
        # llama-cpp-python's save_state also copies a logits buffer of up to 300 MB per state;
        # the KV cache and the token ids are all a prefix match needs.
        lib, ctx = self._lib, self._llm._ctx.ctx
        size = lib.llama_state_get_size(ctx)
        buf = (lib.ctypes.c_uint8 * size)()
        used = lib.llama_state_get_data(ctx, buf, size)
        n = self._llm.n_tokens
        return _Snapshot(self._llm.input_ids[:n].tolist(), bytes(buf)[:used])

    def _restore(self, snap: _Snapshot) -> None:
        lib, llm = self._lib, self._llm
        buf = (lib.ctypes.c_uint8 * len(snap.state)).from_buffer_copy(snap.state)
        if lib.llama_state_set_data(llm._ctx.ctx, buf, len(snap.state)) != len(snap.state):
            llm.reset()  # type: ignore[no-untyped-call]
            return
        llm.input_ids[: len(snap.tokens)] = snap.tokens
        llm.n_tokens = len(snap.tokens)
        llm._requires_eval = True  # logits are stale; the next prompt's suffix refreshes them

    @property
    def cached_conversations(self) -> int:
        """How many conversations have a saved state besides the current one."""
        return len(self._states)

    # --- generation -----------------------------------------------------------------------

    async def _run_in_model_thread(
        self, work: Callable[[Callable[[object], None], threading.Event], None]
    ) -> AsyncIterator[object]:
        """Run `work(put, stop)` on the model thread, yielding what it puts, in order."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()

        def put(item: object) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        def run() -> None:
            try:
                work(put, stop)
            except Exception as err:  # carried to the event loop and raised there
                put(err)
            finally:
                put(_DONE)

        future = loop.run_in_executor(self._pool, run)
        try:
            while (item := await queue.get()) is not _DONE:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            stop.set()
            # The model may not be touched by anyone else until this generation has stopped.
            await asyncio.shield(future)

    def _grammar(self, schema: dict[str, Any] | None) -> Any:
        """The llama.cpp grammar that admits only JSON of this schema (compiled once)."""
        if schema is None:
            return None
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            from llama_cpp.llama_grammar import LlamaGrammar

            self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
        return self._grammars[key]

    async def _acquire(self, background: bool) -> None:
        if not background:
            self._waiting_replies += 1
            self._no_reply_waiting.clear()
            try:
                await self._lock.acquire()
            finally:
                self._waiting_replies -= 1
                if not self._waiting_replies:
                    self._no_reply_waiting.set()
            return
        # Background work lets every waiting reply go first, and gives the model back to one
        # that arrives while it runs (it then ends "cancelled", to be retried later).
        while True:
            await self._no_reply_waiting.wait()
            await self._lock.acquire()
            if not self._waiting_replies:
                return
            self._lock.release()

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[BackendEvent, None]:
        """Generate a reply, token by token; background requests give way to replies."""
        await self._acquire(request.background)
        try:
            grammar = self._grammar(request.json_schema)

            def work(put: Callable[[object], None], stop: threading.Event) -> None:
                self._switch_to(request.cache_key)
                tokens = self.prompt_tokens(request.messages)
                if len(tokens) + request.max_tokens > self.context_window:
                    raise BackendError(
                        f"the prompt ({len(tokens)} tokens) and reply do not fit the model's "
                        f"{self.context_window}-token window; lower context_tokens"
                    )
                if request.background and not self._prefill(tokens[:-1], stop):
                    # A person is waiting: give the model back before the long prompt is read.
                    put(Finish("cancelled", len(tokens), 0))
                    return
                chunks: Iterator[Any] = self._llm.create_completion(  # type: ignore[assignment]
                    tokens,
                    max_tokens=request.max_tokens,
                    temperature=request.temperature,
                    top_p=request.top_p,
                    stop=[s for s in (self._eos, *request.stop) if s],
                    stream=True,
                    grammar=grammar,
                )
                produced, reason = 0, "stop"
                for chunk in chunks:
                    if stop.is_set() or (request.background and self._waiting_replies):
                        reason = "cancelled"
                        break
                    choice = chunk["choices"][0]
                    if choice["text"]:
                        produced += 1
                        put(TextDelta(choice["text"]))
                    if choice.get("finish_reason") == "length":
                        reason = "length"
                put(Finish(reason, len(tokens), produced))  # type: ignore[arg-type]

            async for item in self._run_in_model_thread(work):
                assert isinstance(item, (TextDelta, Finish))
                yield item
        except (BackendError, MissingExtra):
            raise
        except Exception as err:
            raise BackendError(f"the embedded model failed: {err}") from None
        finally:
            self._lock.release()

    def _prefill(self, tokens: list[int], stop: threading.Event) -> bool:
        """Evaluate `tokens` into the cache past their cached prefix, in small steps that stop
        when a reply is waiting (model thread only); True if all of them were evaluated."""
        llm = self._llm
        cached = llm.input_ids[: llm.n_tokens].tolist()
        common = 0
        for a, b in zip(cached, tokens, strict=False):
            if a != b:
                break
            common += 1
        if common < llm.n_tokens:
            if not llm._ctx.kv_cache_seq_rm(-1, common, -1):
                llm.reset()  # type: ignore[no-untyped-call]
                common = 0
            llm.n_tokens = common
        done = True
        for start in range(common, len(tokens), _WARM_CHUNK):
            if stop.is_set() or self._waiting_replies:
                done = False
                break
            llm.eval(tokens[start : start + _WARM_CHUNK])
        llm._requires_eval = True
        return done

    async def warm(self, messages: tuple[ChatMessage, ...], cache_key: str | None = None) -> None:
        """Evaluate the prompt so far into the cache, in small steps that yield to a reply."""
        if self._waiting_replies:
            return
        async with self._lock:

            def work(put: Callable[[object], None], stop: threading.Event) -> None:
                self._switch_to(cache_key)
                tokens = self.prompt_tokens(messages, generation=False)
                self._prefill(tokens[: self.context_window - 1], stop)

            async for _ in self._run_in_model_thread(work):
                pass

    async def aclose(self) -> None:
        """Free the model."""
        async with self._lock:
            self._pool.shutdown(wait=True)
            self._llm.close()

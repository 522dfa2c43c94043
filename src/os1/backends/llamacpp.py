"""The embedded backend: llama.cpp in-process, with a prompt cache per conversation.

llama.cpp reuses its KV cache for the longest common prefix of the last prompt and the new one, so
a prefix-stable prompt costs only its new tokens. With several conversations on one model, each
conversation's state (its sequence's KV cells and token ids, a few MB per hundred tokens) is kept
in an LRU bounded by `kv_cache_mb` and restored when it speaks again. Background work (memory
extraction, reflection) keeps at most one state of its own, outside that LRU, so it never evicts
a conversation; it and warming run with an abort callback, so a person waiting for a reply gets
the model within milliseconds instead of after the chunk being read.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import functools
import json
import logging
import math
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

__all__ = ["CacheStats", "LlamaCppBackend"]

_DONE = object()
_WARM_CHUNK = 64


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """One conversation's model state: the KV cells of sequence 0 and the token ids they hold."""

    tokens: list[int]
    state: ctypes.Array[ctypes.c_uint8]

    @property
    def size(self) -> int:
        return len(self.state) + 4 * len(self.tokens)


@dataclass(slots=True)
class CacheStats:
    """What the prompt cache did since the backend started (counts, not timings, so they read
    the same on a busy machine): `os1 bench latency` reports them."""

    replies: int = 0
    prompt_tokens: int = 0
    # Prompt tokens a reply had to read because they were not in the cache.
    evaluated_tokens: int = 0
    # Per reply: its conversation was live, restored from the LRU, or had no saved state.
    live: int = 0
    restored: int = 0
    cold: int = 0
    evicted: int = 0
    # Background work or warming stopped because a reply was waiting.
    yielded: int = 0
    largest_state_bytes: int = 0
    # Replies whose prompt was read with fewer threads than cores: other work had the CPU.
    narrow_reads: int = 0


class _StateCache:
    """Saved model states by key, least recently used evicted past `capacity` bytes."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, _Snapshot] = OrderedDict()
        self._bytes = 0

    def put(self, key: str, snap: _Snapshot) -> int:
        """Keep `snap` under `key`; returns how many other states were evicted for it."""
        self.take(key)
        if snap.size > self.capacity:
            return 0
        self._items[key] = snap
        self._bytes += snap.size
        evicted = 0
        while self._bytes > self.capacity:
            _, old = self._items.popitem(last=False)
            self._bytes -= old.size
            evicted += 1
        return evicted

    def take(self, key: str) -> _Snapshot | None:
        snap = self._items.pop(key, None)
        if snap is not None:
            self._bytes -= snap.size
        return snap

    def newest(self) -> _Snapshot | None:
        """The most recently saved state, left in place."""
        return next(reversed(self._items.values()), None)

    @property
    def bytes(self) -> int:
        """Bytes held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)


class _AbortSwitch:
    """llama.cpp's abort callback, armed only around work that gives way to replies (warming,
    background generation): a decode in progress then stops within one graph node, and
    llama.cpp drops that batch's cells, so the cache stays consistent."""

    def __init__(self, lib: Any, ctx: Any, wanted: Callable[[], bool]) -> None:
        # Not bound by llama-cpp-python; without it, work stops between chunks instead.
        self._set = getattr(getattr(lib.llama_cpp, "_lib", None), "llama_set_abort_callback", None)
        if self._set is not None:
            self._set.argtypes = [ctypes.c_void_p, lib.ggml_abort_callback, ctypes.c_void_p]
            self._set.restype = None
        self._ctx = ctx
        # A Python callback takes the GIL at each graph node, which is why it is not left armed
        # while a reply is being generated.
        self._callback = lib.ggml_abort_callback(lambda _data: wanted())
        self._none = lib.ggml_abort_callback()

    @contextlib.contextmanager
    def armed(self) -> Iterator[None]:
        """Inside: decodes abort (RuntimeError from llama-cpp-python) once `wanted()` holds."""
        if self._set is None:
            yield
            return
        # An aborted decode is logged by llama.cpp as an error; here it is the plan.
        log = logging.getLogger("llama-cpp-python")
        level = log.level
        log.setLevel(logging.CRITICAL)
        self._set(self._ctx, self._callback, None)
        try:
            yield
        finally:
            self._set(self._ctx, self._none, None)
            log.setLevel(level)


def cpu_has_amx(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True where the CPU reports Intel AMX matrix units (Sapphire Rapids and later)."""
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return "amx_int8" in line.split()
    except OSError:
        pass
    return False


@contextlib.contextmanager
def _plain_buffers(llama_cpp: Any, amx: bool) -> Iterator[None]:
    """Load a model without llama.cpp's "extra" weight layouts where the CPU has AMX.

    The llama.cpp that llama-cpp-python 0.3.36 builds picks its AMX matrix kernels for such a
    CPU, and they crash the process on the first reply (a general protection fault at
    `ldtilecfg`: the tile configuration it loads is half filled in). Without the extra buffer
    types the same model runs on the AVX-512 kernels. Elsewhere nothing changes."""
    lib = getattr(llama_cpp, "llama_cpp", None)
    fields = getattr(getattr(lib, "llama_model_params", None), "_fields_", [])
    if not amx or lib is None or "use_extra_bufts" not in {f[0] for f in fields}:
        yield
        return
    defaults = lib.llama_model_default_params

    def plain() -> Any:
        params = defaults()
        params.use_extra_bufts = False
        return params

    lib.llama_model_default_params = plain
    try:
        yield
    finally:
        lib.llama_model_default_params = defaults


@functools.cache
def close_null_files_at_exit(llama_cpp: Any) -> None:
    """Close the two /dev/null files llama-cpp-python opens at import and never closes.

    They only hide llama.cpp's loading chatter; left open, they are reported as unclosed files
    when the interpreter shuts down with warnings on (as under the tests)."""
    utils = getattr(llama_cpp, "_utils", None)
    for name in ("outnull_file", "errnull_file"):
        close = getattr(getattr(utils, name, None), "close", None)
        if callable(close):
            atexit.register(close)


def cpu_ticks() -> tuple[int, int, int] | None:
    """CPU time so far in clock ticks, all cores together: (elapsed, busy, this process's own),
    from /proc (None where there is none)."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            # user nice system idle iowait irq softirq steal (guest time is inside user).
            ticks = [int(x) for x in f.readline().split()[1:9]]
        with open("/proc/self/stat", encoding="ascii") as f:
            mine = f.read().rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return None
    return sum(ticks), sum(ticks) - ticks[3] - ticks[4], int(mine[11]) + int(mine[12])


class FreeCores:
    """How many cores other programs left free lately: /proc/stat's busy time less this
    process's own. llama.cpp's threads wait for each other at every step of reading a prompt,
    so one that the scheduler puts aside for another program holds up the rest: beside a
    training job at nice 19 on 2 cores, 60 prompt tokens took 8.3 s with two threads and 1.4 s
    with one (two are about 1.7 times faster on an idle machine)."""

    def __init__(self, cores: int, ticks: Callable[[], tuple[int, int, int] | None]) -> None:
        self.cores = cores
        self._ticks = ticks
        self._since = ticks()
        self._free = cores

    def mark(self) -> None:
        """Start a new window: what other programs do from now on is what counts."""
        self._since = self._ticks()

    def free(self) -> int:
        """Cores that other programs left free since the last call or mark (at least 1). A
        window under 50 ms keeps the last answer."""
        now, since = self._ticks(), self._since
        if now is None or since is None:
            return self.cores
        elapsed = now[0] - since[0]
        if elapsed < 5 * self.cores:
            return self._free
        self._since = now
        others = max(0, (now[1] - since[1]) - (now[2] - since[2]))
        # A fifth of a core taken elsewhere already costs more than a thread's worth.
        self._free = max(1, self.cores - math.ceil(others / elapsed * self.cores - 0.2))
        return self._free


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
        close_null_files_at_exit(llama_cpp)
        path = model_path or resolve_model_path(settings)
        cheap_check(path)
        try:
            with _plain_buffers(llama_cpp, cpu_has_amx()):
                self._llm = llama_cpp.Llama(
                    model_path=str(path),
                    n_ctx=settings.n_ctx,
                    # Reading the prompt too: llama-cpp-python would otherwise use every core.
                    n_threads=settings.n_threads or None,
                    n_threads_batch=settings.n_threads or None,
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
        self._current_is_background = False
        self._states = _StateCache(settings.kv_cache_mb << 20)
        # Background work's own saved state (one at a time, so a retry resumes its prompt),
        # kept apart so it never evicts a conversation.
        self._background_state: tuple[str, _Snapshot] | None = None
        self._abort = _AbortSwitch(llama_cpp, self._llm._ctx.ctx, self._reply_waiting)
        # With `n_threads` unset, a prompt is read with the cores other programs leave free.
        self._cores = (
            None if settings.n_threads else FreeCores(self._llm.n_threads_batch, cpu_ticks)
        )
        self._read_threads = self._llm.n_threads_batch
        self.stats = CacheStats()
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

    def _switch_to(self, key: str | None, *, background: bool = False) -> str:
        """Make `key`'s saved state current, saving the one it replaces (model thread only).

        Returns "live" (it was current), "restored" or "cold". Without a key (a one-off
        request) nothing is saved or restored. On a miss the live cells stay, so a prompt that
        begins the same way (the system prompt) still reuses that beginning; if they were
        background work's, the newest conversation's state is copied in for that instead.
        """
        if key is not None and key == self._current_key:
            return "live"
        after_background = self._current_is_background
        if self._current_key is not None and self._llm.n_tokens > 0:
            snap = self._snapshot()
            if snap is not None:
                stats = self.stats
                stats.largest_state_bytes = max(stats.largest_state_bytes, snap.size)
                if self._current_is_background:
                    fits = snap.size <= self._states.capacity // 4
                    self._background_state = (self._current_key, snap) if fits else None
                else:
                    stats.evicted += self._states.put(self._current_key, snap)
        self._current_key, self._current_is_background = key, background
        if key is None:
            return "cold"
        saved: _Snapshot | None
        if background:
            kept, self._background_state = self._background_state, None
            saved = kept[1] if kept is not None and kept[0] == key else None
        else:
            saved = self._states.take(key)
        if saved is not None and self._restore(saved):
            return "restored"
        if not background and after_background and (similar := self._states.newest()):
            self._restore(similar)
        return "cold"

    def _snapshot(self) -> _Snapshot | None:
        # Sequence 0's KV cells (only the cells in use) and the token ids: all a prefix match
        # needs. The whole context state would add the logits, which the next prompt recomputes.
        lib, ctx = self._lib, self._llm._ctx.ctx
        size = lib.llama_state_seq_get_size(ctx, 0)
        buf = (ctypes.c_uint8 * size)()
        if not size or lib.llama_state_seq_get_data(ctx, buf, size, 0) != size:
            return None
        n = self._llm.n_tokens
        return _Snapshot(self._llm.input_ids[:n].tolist(), buf)

    def _restore(self, snap: _Snapshot) -> bool:
        lib, llm = self._lib, self._llm
        llm._ctx.kv_cache_seq_rm(0, -1, -1)
        size = len(snap.state)
        if lib.llama_state_seq_set_data(llm._ctx.ctx, snap.state, size, 0) != size:
            llm.reset()  # type: ignore[no-untyped-call]
            return False
        llm.input_ids[: len(snap.tokens)] = snap.tokens
        llm.n_tokens = len(snap.tokens)
        llm._requires_eval = True  # logits are stale; the next prompt's suffix refreshes them
        return True

    def _cached_prefix(self, tokens: list[int]) -> int:
        """How many of `tokens` the live cache already holds, from the start."""
        llm = self._llm
        common = 0
        for a, b in zip(llm.input_ids[: llm.n_tokens].tolist(), tokens, strict=False):
            if a != b:
                break
            common += 1
        return common

    def _reply_waiting(self) -> bool:
        return self._waiting_replies > 0

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

    @contextlib.contextmanager
    def reply_coming(self) -> Iterator[None]:
        """Inside, background work and warming give way as they do to a waiting reply: a person
        has stopped talking, their reply will be asked for in a moment, and speech-to-text
        needs the CPU now. What other programs do from here decides the threads it is read
        with."""
        if self._cores is not None:
            self._cores.mark()
        with self._reply_waits():
            yield

    @contextlib.contextmanager
    def _reply_waits(self) -> Iterator[None]:
        self._waiting_replies += 1
        self._no_reply_waiting.clear()
        try:
            yield
        finally:
            self._waiting_replies -= 1
            if not self._waiting_replies:
                self._no_reply_waiting.set()

    async def _acquire(self, background: bool) -> None:
        if not background:
            with self._reply_waits():
                await self._lock.acquire()
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
                found = self._switch_to(request.cache_key, background=request.background)
                self._fit_threads()
                tokens = self.prompt_tokens(request.messages)
                if len(tokens) + request.max_tokens > self.context_window:
                    raise BackendError(
                        f"the prompt ({len(tokens)} tokens) and reply do not fit the model's "
                        f"{self.context_window}-token window; lower context_tokens"
                    )
                if not request.background:
                    self._count_reply(found, tokens)
                    reason, produced = self._complete(tokens, request, grammar, put, stop)
                    put(Finish(reason, len(tokens), produced))
                    return
                with self._abort.armed():
                    # A person waiting gets the model back before the long prompt is read.
                    done = self._prefill(tokens[:-1], stop)
                    try:
                        reason, produced = (
                            self._complete(tokens, request, grammar, put, stop)
                            if done
                            else ("cancelled", 0)
                        )
                    except RuntimeError:
                        if not self._reply_waiting():
                            raise
                        reason, produced = "cancelled", 0  # the decode was aborted for a reply
                if reason == "cancelled":
                    self.stats.yielded += 1
                put(Finish(reason, len(tokens), produced))

            async for item in self._run_in_model_thread(work):
                assert isinstance(item, (TextDelta, Finish))
                yield item
        except (BackendError, MissingExtra):
            raise
        except Exception as err:
            raise BackendError(f"the embedded model failed: {err}") from None
        finally:
            self._lock.release()

    def _fit_threads(self) -> None:
        """Read prompts with the cores other programs leave free (model thread only)."""
        if self._cores is None:
            return
        threads = self._cores.free()
        if threads != self._read_threads:
            self._llm._ctx.set_n_threads(self._llm.n_threads, threads)
            self._read_threads = threads

    def _count_reply(self, found: str, tokens: list[int]) -> None:
        stats = self.stats
        stats.replies += 1
        if self._read_threads < self._llm.n_threads_batch:
            stats.narrow_reads += 1
        stats.prompt_tokens += len(tokens)
        # llama-cpp-python reads at least the last prompt token again to get fresh logits.
        stats.evaluated_tokens += len(tokens) - min(self._cached_prefix(tokens), len(tokens) - 1)
        setattr(stats, found, getattr(stats, found) + 1)

    def _complete(
        self,
        tokens: list[int],
        request: GenerationRequest,
        grammar: Any,
        put: Callable[[object], None],
        stop: threading.Event,
    ) -> tuple[Any, int]:
        """Stream the completion of `tokens` through `put`; returns (finish reason, tokens)."""
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
            if stop.is_set() or (request.background and self._reply_waiting()):
                return "cancelled", produced
            choice = chunk["choices"][0]
            if choice["text"]:
                produced += 1
                put(TextDelta(choice["text"]))
            if choice.get("finish_reason") == "length":
                reason = "length"
        return reason, produced

    def _prefill(self, tokens: list[int], stop: threading.Event) -> bool:
        """Evaluate `tokens` into the cache past their cached prefix, in small steps that stop
        when a reply is waiting (model thread only, abort armed); True if all were evaluated."""
        llm = self._llm
        common = self._cached_prefix(tokens)
        if common < llm.n_tokens:
            if not llm._ctx.kv_cache_seq_rm(-1, common, -1):
                llm.reset()  # type: ignore[no-untyped-call]
                common = 0
            llm.n_tokens = common
        done = True
        for start in range(common, len(tokens), _WARM_CHUNK):
            if stop.is_set() or self._reply_waiting():
                done = False
                break
            try:
                llm.eval(tokens[start : start + _WARM_CHUNK])
            except RuntimeError:
                if not self._reply_waiting():
                    raise
                done = False  # aborted mid-chunk; llama.cpp dropped that chunk's cells
                break
        llm._requires_eval = True
        return done

    async def warm(self, messages: tuple[ChatMessage, ...], cache_key: str | None = None) -> None:
        """Evaluate the prompt so far into the cache, in small steps that yield to a reply.
        Background work gives way to it, as to a reply: a warm-up is short, and it is what the
        next reply would otherwise read."""
        if self._waiting_replies:
            return
        with self._reply_waits():
            await self._lock.acquire()
        try:

            def work(put: Callable[[object], None], stop: threading.Event) -> None:
                self._switch_to(cache_key)
                self._fit_threads()
                tokens = self.prompt_tokens(messages, generation=False)
                with self._abort.armed():
                    if not self._prefill(tokens[: self.context_window - 1], stop):
                        self.stats.yielded += 1

            async for _ in self._run_in_model_thread(work):
                pass
        finally:
            self._lock.release()

    async def aclose(self) -> None:
        """Free the model."""
        async with self._lock:
            self._pool.shutdown(wait=True)
            self._llm.close()

"""`os1 bench serve`: many people talking at once to one server process, over WebSockets.

The server runs in a child process (`python -m os1.server.bench`) on a loopback port with a
scripted model that answers after 100 ms and then streams a word every `word_ms`, on the clock
like a real one; this process holds the connections, one person each, and sends turns with
pauses in between. Server overhead per turn is the time from send to the stored reply, less the
time the model took by design. Everything stops by itself: each connection sends a fixed number
of turns, and the child exits on a deadline even if this process dies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import socket
import sys
import tempfile
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from os1.bench import percentile
from os1.config import Settings
from os1.context import DEFAULT_PERSONA, NOTES_HEADER
from os1.errors import MissingExtra, Os1Error
from os1.server.keys import mint_key
from os1.store.sqlite import SQLiteStore
from os1.testing import ScriptedBackend, split_pieces
from os1.types import BackendEvent, Finish, GenerationRequest, TextDelta

__all__ = ["bench_serve", "run_bench_serve"]

FIRST_TOKEN_MS = 100.0


class PacedBackend(ScriptedBackend):
    """Echoes like the scripted backend, at a model's steady pace: piece i is due at
    start + first_s + i * every_s, on the clock, so timer slack never adds up and any delay
    beyond that schedule is the server's own."""

    def __init__(self, first_s: float, every_s: float) -> None:
        super().__init__()
        self.first_s = first_s
        self.every_s = every_s

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[BackendEvent, None]:
        last = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        if last.startswith(NOTES_HEADER) and "\n\n" in last:
            last = last.split("\n\n", 1)[1]
        pieces = split_pieces(f"You said: {last}")
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i, piece in enumerate(pieces):
            wait = start + self.first_s + i * self.every_s - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            yield TextDelta(piece)
        yield Finish("stop", self.count_prompt(request), len(pieces))


def raise_file_limit(wanted: int) -> int:
    """Allow this process `wanted` open files if the hard limit lets it; returns the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


class Gate:
    """Opens once every connection is ready (or has failed), so the turns start together."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.ready = 0
        self.opened = asyncio.Event()

    def arrived(self) -> None:
        self.ready += 1
        self._check()

    def gave_up(self) -> None:
        self.expected -= 1
        self._check()

    def _check(self) -> None:
        if self.ready >= self.expected:
            self.opened.set()


@dataclass
class Tally:
    """What the connections saw."""

    overheads_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    finished_at: list[float] = field(default_factory=list)

    def turns_per_second(self) -> float:
        """Replies per second while everyone is talking: between the 10th and 90th percentile
        of finishing times, so neither the staggered start nor the last stragglers count."""
        done = sorted(self.finished_at)
        if len(done) < 10:
            span = done[-1] - done[0] if len(done) > 1 else 0.0
            return (len(done) - 1) / span if span > 0 else 0.0
        lo, hi = len(done) // 10, len(done) * 9 // 10
        return (hi - lo) / (done[hi] - done[lo])


async def _seed(db: Path, people: int) -> list[tuple[str, str]]:
    """`people` users, each with a key, a companion and a conversation: (key, conversation)."""
    store = SQLiteStore(db)
    seeded = []
    for i in range(people):
        user = await store.create_user(f"person {i}")
        profile = await store.create_companion(user.id, "Sol", DEFAULT_PERSONA)
        conversation = await store.create_conversation(user.id, profile.id)
        _, secret = await mint_key(store, user.id, "bench")
        seeded.append((secret, conversation.id))
    await store.aclose()
    return seeded


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_for(port: int, child: asyncio.subprocess.Process, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if child.returncode is not None:
            raise Os1Error(f"the bench server exited early (code {child.returncode})")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise Os1Error("the bench server did not start in time")


async def _person(
    url: str,
    key: str,
    conversation_id: str,
    turns: int,
    think_s: float,
    word_s: float,
    gate: Gate,
    go: asyncio.Event,
    tally: Tally,
) -> None:
    from websockets.asyncio.client import connect

    joined = False
    try:
        async with connect(
            url, additional_headers={"Authorization": f"Bearer {key}"}, open_timeout=60,
            max_size=2**22, ping_interval=None, compression=None,
        ) as ws:  # fmt: skip
            await ws.send(json.dumps({"type": "hello", "conversation_id": conversation_id,
                                      "last_seq": 0}))  # fmt: skip
            while json.loads(await ws.recv())["type"] != "ready":
                pass
            joined = True
            gate.arrived()
            await go.wait()
            await asyncio.sleep(random.uniform(0, think_s))  # people do not all start at once
            for turn in range(turns):
                text = f"Tell me something kind about the sea, please ({turn})."
                pieces = len(split_pieces(f"You said: {text}"))
                nominal = FIRST_TOKEN_MS / 1000 + (pieces - 1) * word_s
                start = time.perf_counter()
                send = {"type": "send", "conversation_id": conversation_id, "text": text,
                        "idempotency_key": f"t{turn}"}  # fmt: skip
                await ws.send(json.dumps(send))
                reply_seq = None
                while True:
                    data = json.loads(await ws.recv())
                    if data["type"] == "error":
                        tally.errors.append(f"{data['code']}: {data['message']}")
                        break
                    if data["type"] == "reply_started":
                        reply_seq = data["seq"]
                    if data["type"] == "message" and data["seq"] == reply_seq:
                        took = time.perf_counter() - start
                        if data["message"]["status"] != "complete":
                            tally.errors.append(f"reply {data['message']['status']}")
                        tally.overheads_ms.append((took - nominal) * 1000)
                        tally.finished_at.append(time.perf_counter())
                        break
                if turn < turns - 1:  # a steady pace: every person talks about as often
                    await asyncio.sleep(random.uniform(0.5, 1.5) * think_s)
    except Exception as err:  # every failure counts; the run goes on for the others
        tally.errors.append(f"{type(err).__name__}: {err}")
        if not joined:
            gate.gave_up()


def run_bench_serve(connections: int, turns: int, think_s: float, word_ms: float) -> dict[str, Any]:
    """`os1 bench serve`, on uvloop where installed (as `os1 serve` runs), so the connections'
    own side adds as little as it can to what is measured."""
    work = bench_serve(connections, turns, think_s, word_ms)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(work)
    return uvloop.run(work)


async def bench_serve(
    connections: int, turns: int, think_s: float, word_ms: float
) -> dict[str, Any]:
    """`os1 bench serve`: turns/s, server overhead per turn (p50, p95) and errors."""
    try:
        import uvicorn  # noqa: F401
        import websockets  # noqa: F401
    except ImportError:
        raise MissingExtra("os1 bench serve", "server") from None
    raise_file_limit(connections * 2 + 256)
    word_s = word_ms / 1000
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        people = await _seed(db, connections)
        port = _free_port()
        deadline_s = 120 + turns * (think_s * 4 + 5)
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "os1.server.bench", "--db", str(db), "--port", str(port),
            "--word-ms", str(word_ms), "--connections", str(connections),
            "--deadline-s", str(deadline_s),
        )  # fmt: skip
        try:
            await _wait_for(port, child, 60)
            tally = Tally()
            gate, go = Gate(connections), asyncio.Event()
            url = f"ws://127.0.0.1:{port}/api/ws"
            started = time.perf_counter()
            tasks = []
            for key, conversation_id in people:
                tasks.append(asyncio.create_task(_person(
                    url, key, conversation_id, turns, think_s, word_s, gate, go, tally
                )))  # fmt: skip
                await asyncio.sleep(0.002)  # a steady ramp, not a SYN flood
            await asyncio.wait_for(gate.opened.wait(), timeout=180)
            connect_s = time.perf_counter() - started
            go.set()
            await asyncio.gather(*tasks)
        finally:
            if child.returncode is None:
                child.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(child.wait(), 20)
            if child.returncode is None:
                child.kill()
                await child.wait()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    turns_done = len(tally.overheads_ms)
    return {
        "connections": connections,
        "turns_per_second": tally.turns_per_second(),
        "overhead_ms": {
            "p50": percentile(tally.overheads_ms, 50),
            "p95": percentile(tally.overheads_ms, 95),
            "p99": percentile(tally.overheads_ms, 99),
        },
        "errors": len(tally.errors),
        "turns": turns_done,
        "think_s": think_s,
        "reply_word_ms": word_ms,
        "connect_s": connect_s,
        "server_cpu_ms_per_turn": (usage.ru_utime + usage.ru_stime) * 1000 / max(1, turns_done),
        "server_peak_rss_mb": usage.ru_maxrss / 1024,
        "machine_load_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "first_errors": sorted(set(tally.errors))[:5],
    }


def _serve_for_bench(
    db: Path, port: int, word_ms: float, connections: int, deadline_s: float
) -> None:
    """The child: one server process on the bench database, stopping itself at the deadline."""
    import uvicorn

    from os1.companion import Companion
    from os1.server.app import create_app

    raise_file_limit(connections * 2 + 256)
    settings = Settings(home=db.parent, backend="scripted", rate_limit_per_minute=600)
    backend = PacedBackend(FIRST_TOKEN_MS / 1000, word_ms / 1000)
    companion = Companion(settings, store=SQLiteStore(db), backend=backend)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, companion), host="127.0.0.1", port=port, log_level="warning",
            backlog=max(2048, connections * 2), ws_ping_interval=None, lifespan="on",
            ws_per_message_deflate=False,
        )
    )  # fmt: skip
    parent = os.getppid()

    async def watchdog() -> None:
        stop_at = time.monotonic() + deadline_s
        while not server.should_exit:
            if time.monotonic() > stop_at or os.getppid() != parent:
                server.should_exit = True
            await asyncio.sleep(0.5)

    async def main() -> None:
        guard = asyncio.get_running_loop().create_task(watchdog())
        try:
            await server.serve()
        finally:
            guard.cancel()
            await companion.aclose()

    try:  # the loop `os1 serve` runs on, where it is installed
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the server side of `os1 bench serve`")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--word-ms", type=float, required=True)
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--deadline-s", type=float, required=True)
    args = parser.parse_args()
    _serve_for_bench(args.db, args.port, args.word_ms, args.connections, args.deadline_s)

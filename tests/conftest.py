"""Shared fixtures: no test reaches the network or a real user's data; fakes for the rest."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import os
import socket
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from os1.companion import Companion
from os1.config import Settings
from os1.store.sqlite import SQLiteStore
from os1.testing import FakeClock, ScriptedBackend
from os1.types import (
    BackendEvent,
    CompanionProfile,
    Conversation,
    GenerationRequest,
    TextDelta,
    User,
)

T = TypeVar("T")


class NetworkBlocked(RuntimeError):
    """A test tried to open a network connection; tests use httpx.MockTransport instead."""


def _is_unix_path(address: Any) -> bool:
    # AF_UNIX addresses are paths (str or bytes); every inet address is a tuple.
    return isinstance(address, str | bytes)


LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Make any connection to an inet address fail loudly; unix sockets keep working.

    Tests marked `loopback` may also reach servers they start on 127.0.0.1, and nothing else.
    """
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_create_connection = socket.create_connection
    loopback_ok = request.node.get_closest_marker("loopback") is not None

    def allowed(address: Any) -> bool:
        if _is_unix_path(address):
            return True
        return loopback_ok and isinstance(address, tuple) and address[0] in LOOPBACK

    def connect(self: socket.socket, address: Any) -> None:
        if not allowed(address):
            raise NetworkBlocked(f"test tried to connect to {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(address):
            raise NetworkBlocked(f"test tried to connect to {address!r}")
        return real_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not allowed(address):
            raise NetworkBlocked(f"test tried to connect to {address!r}")
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)


@pytest.fixture(autouse=True)
def os1_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point OS1_HOME at a temporary folder and drop every other OS1_* variable."""
    for key in list(os.environ):
        if key.startswith("OS1_"):
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    monkeypatch.setenv("OS1_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def local_zone() -> Iterator[Callable[[str], None]]:
    """Pin the machine's local time zone to UTC, so days never depend on where tests run; call
    the fixture with an IANA name to move the machine to that zone for the test."""
    before = os.environ.get("TZ")

    def move(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    move("UTC")
    yield move
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when a test advances it."""
    return FakeClock()


@pytest.fixture
async def store(tmp_path: Path, clock: FakeClock) -> AsyncIterator[SQLiteStore]:
    """A fresh SQLite store on a file, on the fake clock; closed after the test."""
    db = SQLiteStore(tmp_path / "os1.db", clock=clock)
    yield db
    await db.aclose()


@pytest.fixture
def backend() -> ScriptedBackend:
    """A backend that replays queued replies and records every request."""
    return ScriptedBackend()


@pytest.fixture
def companion(
    tmp_path: Path, store: SQLiteStore, backend: ScriptedBackend, clock: FakeClock
) -> Companion:
    """The engine on the scripted backend, the file store and the fake clock."""
    return Companion(Settings(home=tmp_path / "home"), store=store, backend=backend, clock=clock)


# --- the server, in-process ----------------------------------------------------------------------


@dataclass
class Person:
    """A user of a test server: their key, first companion and first conversation."""

    user: User
    key: str
    companion: CompanionProfile
    conversation: Conversation

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass
class ServerHarness:
    """An os1 app on a file store and the scripted backend, served in-process by TestClient."""

    client: Any  # starlette.testclient.TestClient
    app: Any
    backend: ScriptedBackend
    store: SQLiteStore
    companion: Companion

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run a coroutine function on the app's event loop."""
        result: T = self.client.portal.call(functools.partial(fn, *args, **kwargs))
        return result

    def person(self, name: str) -> Person:
        """A new user with a key, a companion and a conversation."""
        from os1.server.keys import mint_key

        user = self.run(self.store.create_user, name)
        profile = self.run(self.store.create_companion, user.id, f"{name}'s Sol", "You are {name}.")
        conversation = self.run(self.store.create_conversation, user.id, profile.id)
        _, secret = self.run(mint_key, self.store, user.id, "test")
        return Person(user, secret, profile, conversation)


class PausingBackend(ScriptedBackend):
    """A scripted backend that stops after `pause_after` pieces until `go` is set, so a test can
    act in the middle of a reply without racing the clock."""

    def __init__(self, pause_after: int, replies: tuple[str, ...] = ()) -> None:
        super().__init__(replies=replies)
        self.pause_after = pause_after
        self.go = asyncio.Event()
        self.paused = asyncio.Event()

    async def resume(self) -> None:
        """Let the reply go on (run it on the app's loop)."""
        self.go.set()

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[BackendEvent, None]:
        pieces = 0
        async for event in super().stream(request):
            if isinstance(event, TextDelta):
                pieces += 1
                if pieces > self.pause_after and not self.go.is_set():
                    self.paused.set()
                    await self.go.wait()
            yield event


@pytest.fixture
def server_settings(tmp_path: Path) -> Settings:
    """Settings for a test server; tests replace fields to tighten limits."""
    return Settings(home=tmp_path / "home", backend="scripted")


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., ServerHarness]]:
    """Start test servers: `make_server(settings, delay_s=...)`; all are stopped afterwards."""
    from starlette.testclient import TestClient

    from os1.server import create_app

    stack = contextlib.ExitStack()

    def start(
        settings: Settings,
        delay_s: float = 0.0,
        memory: bool = False,
        backend: ScriptedBackend | None = None,
    ) -> ServerHarness:
        store = SQLiteStore(tmp_path / f"server-{id(settings)}.db")
        backend = backend or ScriptedBackend(delay_s=delay_s)
        engine = Companion(settings, store=store, backend=backend)
        if memory:
            from os1.memory import memory_for

            found = memory_for(settings.replace(memory="on"), store, backend, engine.clock)
            if found is None:
                pytest.skip("memory needs the 'memory' extra")
            memories, recall, observer = found
            engine = Companion(
                settings, store=store, backend=backend, sources=[recall], observers=[observer]
            )
            engine.memories = memories
        app = create_app(settings, engine)
        # Closed after the app's shutdown, which stops the replies still coming.
        stack.callback(lambda: asyncio.run(engine.aclose()))
        client = stack.enter_context(TestClient(app, base_url="http://testserver"))
        return ServerHarness(client, app, backend, store, engine)

    with stack:
        yield start


@pytest.fixture
def server(make_server: Callable[..., ServerHarness], server_settings: Settings) -> ServerHarness:
    """A test server with default limits and an instant scripted backend."""
    return make_server(server_settings)


def error_of(response: Any) -> dict[str, Any]:
    """The error object of an os1 JSON error answer (and proof that it is one)."""
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    error: dict[str, Any] = body["error"]
    return error


# --- the server on 127.0.0.1, for real clients (tests marked `loopback`) -------------------------


@dataclass
class LiveServer:
    """An os1 server under uvicorn on a free port of 127.0.0.1."""

    url: str
    people: list[Person]
    backend: ScriptedBackend
    db_path: Path


def seed_people(db_path: Path, names: list[str]) -> list[Person]:
    """Users with keys, companions and conversations, written before a server starts."""
    from os1.server.keys import mint_key

    async def seed() -> list[Person]:
        store = SQLiteStore(db_path)
        people = []
        for name in names:
            user = await store.create_user(name)
            profile = await store.create_companion(user.id, "Sol", "You are {name}, warm.")
            conversation = await store.create_conversation(user.id, profile.id)
            _, secret = await mint_key(store, user.id, "test")
            people.append(Person(user, secret, profile, conversation))
        await store.aclose()
        return people

    # On a thread of its own: the calling test may be running an event loop already.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, seed()).result()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start a real server: `live_server(["Theo"], delay_s=0.05, replies=[...])`, or with a
    backend of the test's own."""
    import threading

    import uvicorn

    from os1.server import create_app

    servers: list[tuple[uvicorn.Server, threading.Thread, Companion]] = []

    def start(
        names: list[str],
        delay_s: float = 0.0,
        replies: tuple[str, ...] = (),
        first_delay_s: float = 0.0,
        memory: bool = False,
        backend: ScriptedBackend | None = None,
        heart: bool = False,
    ) -> LiveServer:
        db_path = tmp_path / f"live-{len(servers)}.db"
        people = seed_people(db_path, names)
        settings = Settings(home=tmp_path / "home", backend="scripted")
        if backend is None:
            backend = ScriptedBackend(replies=replies, delay_s=delay_s, first_delay_s=first_delay_s)
        store = SQLiteStore(db_path)
        engine = Companion(settings, store=store, backend=backend)
        if memory:
            from os1.memory import memory_for

            found = memory_for(settings.replace(memory="on"), store, backend, engine.clock)
            if found is None:
                pytest.skip("memory needs the 'memory' extra")
            engine = Companion(
                settings, store=store, backend=backend, sources=[found[1]], observers=[found[2]]
            )
            engine.memories = found[0]
        if heart:
            from os1.heart.heart import Heart
            from os1.testing import FakeEmotionReader

            # Her heart, reading feelings from keywords (no model needed).
            feeling = Heart(store, clock=engine.clock, reader=FakeEmotionReader())
            engine.sources.append(feeling)
            engine.observers.append(feeling)
        app = create_app(settings, engine)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="os1-test-server", daemon=True)
        thread.start()
        servers.append((server, thread, engine))
        deadline = time.monotonic() + 15
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        return LiveServer(f"http://127.0.0.1:{port}", people, backend, db_path)

    yield start
    for server, thread, engine in servers:
        server.should_exit = True
        thread.join(timeout=15)
        asyncio.run(engine.aclose())

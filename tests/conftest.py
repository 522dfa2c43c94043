"""Shared fixtures: no test reaches the network or a real user's data; fakes for the rest."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from os1.companion import Companion
from os1.config import Settings
from os1.store.sqlite import SQLiteStore
from os1.testing import FakeClock, ScriptedBackend


class NetworkBlocked(RuntimeError):
    """A test tried to open a network connection; tests use httpx.MockTransport instead."""


def _is_unix_path(address: Any) -> bool:
    # AF_UNIX addresses are paths (str or bytes); every inet address is a tuple.
    return isinstance(address, str | bytes)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any connection to an inet address fail loudly; unix sockets keep working."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        if not _is_unix_path(address):
            raise NetworkBlocked(f"test tried to connect to {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_unix_path(address):
            raise NetworkBlocked(f"test tried to connect to {address!r}")
        return real_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        raise NetworkBlocked(f"test tried to connect to {address!r}")

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

"""The guards in conftest.py: no test reaches the network or a real user's data."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import httpx
import pytest

from os1.config import load_settings


def test_inet_connections_fail_even_to_localhost() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(RuntimeError, match="test tried to connect"):
            sock.connect(("127.0.0.1", 9))
        with pytest.raises(RuntimeError, match="test tried to connect"):
            sock.connect_ex(("127.0.0.1", 9))
    with pytest.raises(RuntimeError, match="test tried to connect"):
        socket.create_connection(("localhost", 80))


async def test_http_clients_cannot_reach_a_server() -> None:
    # anyio may wrap the refusal in an exception group (one attempt per address).
    blocked = pytest.RaisesExc(RuntimeError, match="test tried to connect")
    async with httpx.AsyncClient() as client:
        with pytest.RaisesGroup(blocked, allow_unwrapped=True, flatten_subgroups=True):
            await client.get("http://127.0.0.1:9/")


def test_unix_sockets_still_work(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)
            conn, _ = server.accept()
            with conn:
                client.sendall(b"hi")
                assert conn.recv(2) == b"hi"


def test_os1_home_is_a_temporary_folder(tmp_path: Path) -> None:
    assert os.environ["OS1_HOME"] == str(tmp_path / "home")
    assert [k for k in os.environ if k.startswith("OS1_")] == ["OS1_HOME"]
    settings, _ = load_settings()
    assert settings.db_path == tmp_path / "home" / "os1.db"

"""`os1 users`, `os1 keys`, `os1 serve` and `os1 bench serve` as an operator uses them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from os1.cli import main
from os1.config import load_settings
from os1.server import create_app

WIDE = {"COLUMNS": "200"}


def os1(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), env=WIDE, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def new_key(output: str) -> str:
    found = re.search(r"os1_[A-Za-z0-9_-]{40,}", output)
    assert found, output
    return found.group(0)


def app_client() -> TestClient:
    settings, _ = load_settings(overrides={"backend": "scripted"})
    return TestClient(create_app(settings))


def test_users_add_prints_a_working_key_once() -> None:
    added = os1("users", "add", "Theo")
    assert added.exit_code == 0
    key = new_key(added.output)
    assert "shown only now" in added.output
    with app_client() as client:
        me = client.get("/api/me", headers={"Authorization": f"Bearer {key}"})
        assert me.json()["name"] == "Theo"
        companions = client.get("/api/companions", headers={"Authorization": f"Bearer {key}"})
        assert [c["name"] for c in companions.json()["companions"]] == ["Sol"]
    listed = os1("users", "list")
    assert "Theo" in listed.output
    assert key not in listed.output


def test_keys_create_list_revoke() -> None:
    os1("users", "add", "Theo")
    created = os1("keys", "create", "Theo", "--label", "tavern")
    key = new_key(created.output)
    key_id = re.search(r"key (key_[0-9a-f]+)", created.output).group(1)  # type: ignore[union-attr]
    listed = os1("keys", "list", "Theo")
    assert "tavern" in listed.output
    assert key_id in listed.output
    assert key not in listed.output
    auth = {"Authorization": f"Bearer {key}"}
    with app_client() as client:
        assert client.get("/api/me", headers=auth).status_code == 200
        assert os1("keys", "revoke", key_id).exit_code == 0
        assert client.get("/api/me", headers=auth).status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("keys", "create", "Nobody"), "no user 'Nobody'"),
        (("keys", "list", "Nobody"), "no user 'Nobody'"),
        (("keys", "revoke", "key_0000"), "no key key_0000"),
    ],
)
def test_mistakes_are_one_line(args: tuple[str, ...], message: str) -> None:
    result = os1(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_two_people_of_one_name_need_the_id() -> None:
    os1("users", "add", "Sam")
    os1("users", "add", "Sam")
    result = os1("keys", "create", "Sam")
    assert result.exit_code == 1
    assert "use the id" in result.output


def test_serve_help_names_its_flags() -> None:
    result = os1("serve", "--help")
    assert result.exit_code == 0
    for flag in ("--host", "--port", "--workers", "127.0.0.1"):
        assert flag in result.output


@pytest.mark.loopback
def test_bench_serve_reports_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "serve.json"
    result = os1(
        "bench", "serve", "--connections", "5", "--turns", "2", "--think-s", "0.2",
        "--word-ms", "5", "--json", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["connections"] == 5
    assert data["errors"] == 0
    assert data["turns"] == 10
    assert data["turns_per_second"] > 0
    assert 0 <= data["overhead_ms"]["p50"] <= data["overhead_ms"]["p95"]
    assert "turns_per_second" in result.output

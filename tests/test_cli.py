"""The `os1` command as a person uses it: in-process with CliRunner, a subprocess where raw bytes
on stdin matter. Every invocation is checked for a leaked traceback.

conftest.py points OS1_HOME at a temporary folder (`os1_home`) and blocks the network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from os1 import models
from os1.cli import main
from os1.companion import Companion
from os1.config import load_settings
from os1.testing import Script, ScriptedBackend

HAS_LLAMA_CPP = importlib.util.find_spec("llama_cpp") is not None
WIDE = {"COLUMNS": "200"}
"""A wide terminal, so table cells are neither wrapped nor cut."""

Stored = list[tuple[str, str, str]]
"""One conversation as stored: (role, content, status) for each message, in order."""


def os1(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run `os1 ARGS…` in-process; whatever happens, no traceback reaches the person."""
    result = CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def chat(input: str) -> Result:
    """A chat with the scripted backend (it answers 'You said: <message as the model saw it>')."""
    return os1("chat", "--backend", "scripted", input=input)


def error_line(result: Result) -> str:
    """The single line a failure prints on stderr."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def exported() -> dict[str, Any]:
    result = os1("export")
    assert result.exit_code == 0
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def conversations() -> list[Stored]:
    """Every stored conversation of every user, oldest first."""
    return [
        [(m["role"], m["content"], m["status"]) for m in conversation["messages"]]
        for user in exported()["users"]
        for conversation in user["conversations"]
    ]


def user_messages() -> list[str]:
    return [text for conv in conversations() for role, text, _ in conv if role == "user"]


def prompts(stdout: str) -> list[str]:
    """What was shown before the first prompt and after each line typed."""
    return re.split(r"(?m)^you › ", stdout)


def flat(text: str) -> str:
    """Text with rich's line wrapping undone."""
    return " ".join(text.split())


def table_row(stdout: str, name: str) -> list[str]:
    """The cells of the table row that starts with `name`."""
    rows = [line.split() for line in stdout.splitlines() if line.split()[:1] == [name]]
    assert len(rows) == 1, stdout
    return rows[0]


# --- help and version --------------------------------------------------------------------------


def test_help_lists_every_command() -> None:
    result = os1("--help")
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:")[1].split()
    for command in ("chat", "models", "config", "export", "doctor", "bench"):
        assert command in commands


@pytest.mark.parametrize(
    ("group", "subcommands"),
    [("models", ["list", "assemble", "verify"]), ("config", ["set"]), ("bench", ["turn"])],
)
def test_group_help_lists_its_subcommands(group: str, subcommands: list[str]) -> None:
    result = os1(group, "--help")
    assert result.exit_code == 0
    listed = result.stdout.split("Commands:")[1].split()
    assert set(subcommands) <= set(listed)


def test_chat_help_shows_the_backend_options() -> None:
    result = os1("chat", "-h")
    assert result.exit_code == 0
    for option in ("--backend", "--model", "--base-url", "--home"):
        assert option in result.stdout


def test_version() -> None:
    result = os1("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"os1, version {version('os1')}"


# --- chat --------------------------------------------------------------------------------------


def test_a_chat_session() -> None:
    result = chat("hello\n/history\n/new\n/help\n/quit\n")

    assert result.exit_code == 0
    assert result.stderr == ""
    greeting, reply, history, new, help_text, after_quit = prompts(result.stdout)
    assert greeting.startswith("Sol › ")
    assert "I'm an AI, not a person" in flat(greeting)
    # Nothing queued: the scripted backend echoes the message, which ends with what was typed.
    assert reply.startswith("Sol › You said: ")
    assert reply.rstrip().endswith("hello")
    assert "you › hello" in history
    assert "Sol › You said: " in history
    assert "a new conversation; the old one is kept" in new
    assert "I'm an AI" in flat(new)  # the new conversation is greeted too
    for command in ("/help", "/history", "/new", "/quit"):
        assert command in help_text
    assert after_quit.strip() == ""

    first, second = conversations()
    assert [(role, status) for role, _, status in first] == [
        ("assistant", "complete"),
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert first[1][1] == "hello"
    assert [role for role, _, _ in second] == ["assistant"]  # just the greeting


def test_coming_back_shows_and_uses_the_earlier_conversation(
    monkeypatch: pytest.MonkeyPatch, backend: ScriptedBackend
) -> None:
    assert chat("my cat is called Miso\n/quit\n").exit_code == 0
    backend.queue("Of course: Miso.")
    monkeypatch.setattr("os1.companion.load_backend", lambda settings: backend)

    result = chat("do you remember her name?\n/quit\n")

    assert result.exit_code == 0
    shown_on_start = prompts(result.stdout)[0]
    assert "earlier in this conversation" in shown_on_start
    assert "you › my cat is called Miso" in shown_on_start
    assert "Sol › Of course: Miso." in result.stdout
    # The last reply's request (memory's background work may run after it, as the chat closes).
    replies = [r for r in backend.requests if not r.background]
    prompt = [m.content for m in replies[-1].messages]
    assert any(content.endswith("my cat is called Miso") for content in prompt)
    assert prompt[-1].endswith("do you remember her name?")
    (conversation,) = conversations()
    assert [text for role, text, _ in conversation if role == "user"] == [
        "my cat is called Miso",
        "do you remember her name?",
    ]


def test_background_warnings_go_to_the_log_not_the_conversation(
    monkeypatch: pytest.MonkeyPatch, backend: ScriptedBackend, os1_home: Path
) -> None:
    # Her reply comes; the fact extraction after it fails (and will be retried later).
    backend.queue("Lovely!", Script("", fail_after=0, error="the server went away"))
    monkeypatch.setattr("os1.companion.load_backend", lambda settings: backend)

    result = chat("my dog is called Rex\n/quit\n")

    assert result.exit_code == 0
    assert "Sol › Lovely!" in result.stdout
    assert "went away" not in result.output
    log = (os1_home / "os1.log").read_text(encoding="utf-8")
    assert "WARNING os1.memory.extraction: memory extraction failed: the server went away" in log


def test_blank_lines_are_ignored_and_end_of_input_leaves_cleanly() -> None:
    result = chat("\n   \n\t\nhello\n")  # no /quit: stdin just ends (Ctrl-D)

    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.count("You said:") == 1
    assert user_messages() == ["hello"]


def test_end_of_input_before_saying_anything() -> None:
    result = chat("")

    assert result.exit_code == 0
    assert "I'm an AI" in flat(result.stdout)
    assert user_messages() == []


def test_control_characters_are_removed_with_a_notice() -> None:
    result = chat("a\x07b\x1b[31mc\n/quit\n")

    assert result.exit_code == 0
    assert "(Removed 2 control characters.)" in result.stdout
    assert user_messages() == ["ab[31mc"]


def test_invalid_utf8_on_stdin_is_replaced_not_fatal() -> None:
    process = subprocess.run(
        [sys.executable, "-c", "from os1.cli import main; main()", "chat", "--backend", "scripted"],
        input=b"caf\xe9 ok\n/quit\n",
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=60,
        check=False,
    )
    stdout, stderr = process.stdout.decode(), process.stderr.decode()

    assert process.returncode == 0, stderr
    assert "Traceback" not in stdout + stderr
    assert "not valid UTF-8" in stdout
    assert user_messages() == ["caf\ufffd ok"]


def test_a_message_over_the_limit_is_refused_in_one_line_and_not_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OS1_MAX_MESSAGE_CHARS", "50")

    result = chat("x" * 60 + "\nshort one\n/quit\n")

    assert result.exit_code == 0  # the chat goes on
    line = error_line(result)
    assert "60 characters" in line
    assert "limit is 50" in line
    assert user_messages() == ["short one"]


def test_brackets_in_messages_are_shown_as_typed() -> None:
    text = "look [/] and [bold]this[/bold]"
    first = chat(f"{text}\n/[red]x\n/quit\n")
    assert first.exit_code == 0
    assert "unknown command /[red]x" in first.stdout

    # The history shown on coming back holds the text; it must not be read as markup.
    second = chat("/quit\n")
    assert second.exit_code == 0, second.stderr
    assert f"you › {text}" in second.stdout


def test_an_unreachable_server_is_one_line_and_the_message_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def refuse(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", refuse)

    result = os1(
        "chat",
        "--backend",
        "openai",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "x",
        input="hi\n/history\n/quit\n",
    )

    assert result.exit_code == 0
    (line,) = [line for line in result.output.splitlines() if "127.0.0.1:9" in line]
    assert "can't reach http://127.0.0.1:9/v1: connection refused" in line
    assert "[interrupted]" in result.stdout  # /history marks the reply that never came
    (conversation,) = conversations()
    assert conversation[1:] == [("user", "hi", "complete"), ("assistant", "", "interrupted")]


def test_a_missing_model_file_is_one_line_and_exit_1() -> None:
    result = os1("chat", "--backend", "llamacpp", "--model", "/nonexistent.gguf", input="hi\n")

    assert result.exit_code == 1
    line = error_line(result)
    if HAS_LLAMA_CPP:
        assert line == "error: model file not found: /nonexistent.gguf"
    else:
        assert "pip install 'os1[llamacpp]'" in line


@pytest.mark.skipif(not HAS_LLAMA_CPP, reason="needs the llamacpp extra")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a model\n" * 100, "is not a GGUF model file"),
        (b"GGUF" + b"\xff" * (2 << 20), "could not be loaded"),
    ],
    ids=["garbage", "gguf-magic-then-garbage"],
)
def test_a_corrupt_model_file_is_one_line_and_exit_1(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "broken.gguf"
    path.write_bytes(content)

    result = os1("chat", "--backend", "llamacpp", "--model", str(path), input="hi\n")

    assert result.exit_code == 1
    line = error_line(result)
    assert str(path) in line
    assert message in line


def test_an_unexpected_failure_says_how_to_report_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(settings: object) -> Companion:
        raise RuntimeError("boom")

    monkeypatch.setattr(Companion, "from_settings", explode)

    result = chat("hi\n")

    assert result.exit_code == 2
    line = error_line(result)
    assert "unexpected RuntimeError: boom" in line
    assert "OS1_DEBUG=1" in line


# --- config ------------------------------------------------------------------------------------


def test_config_shows_where_a_setting_comes_from(monkeypatch: pytest.MonkeyPatch) -> None:
    before = os1("config", env=WIDE)
    assert before.exit_code == 0
    assert table_row(before.stdout, "max_tokens")[1:3] == ["256", "default"]

    monkeypatch.setenv("OS1_MAX_TOKENS", "99")
    after = os1("config", env=WIDE)
    assert table_row(after.stdout, "max_tokens")[1:3] == ["99", "OS1_MAX_TOKENS"]


def test_config_set_writes_the_file_and_env_still_wins(
    os1_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert os1("config", "set", "companion_name", "Nova").exit_code == 0
    result = os1("config", "set", "max_tokens", "123")
    assert result.exit_code == 0

    written = tomllib.loads((os1_home / "config.toml").read_text(encoding="utf-8"))
    assert written == {"os1": {"companion_name": "Nova", "max_tokens": 123}}
    shown = os1("config", env=WIDE).stdout
    assert table_row(shown, "max_tokens")[1:3] == ["123", "config.toml"]
    assert table_row(shown, "companion_name")[1:3] == ["Nova", "config.toml"]

    monkeypatch.setenv("OS1_MAX_TOKENS", "99")
    assert table_row(os1("config", env=WIDE).stdout, "max_tokens")[1:3] == ["99", "OS1_MAX_TOKENS"]


def test_config_set_keeps_quotes_and_newlines_readable() -> None:
    name = 'Ann "the cat" O\\Brien\nsecond line\ttab\x7f'

    assert os1("config", "set", "user_name", name).exit_code == 0

    assert os1("config").exit_code == 0
    settings, sources = load_settings()
    assert settings.user_name == name
    assert sources["user_name"] == "config.toml"


def test_a_flag_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # On its own, OS1_BACKEND=openai fails: that backend needs a model name.
    monkeypatch.setenv("OS1_BACKEND", "openai")
    assert "--model is required" in error_line(os1("chat", input="hi\n"))

    result = chat("hi\n/quit\n")
    assert result.exit_code == 0
    assert "You said:" in result.stdout

    doctor = os1("doctor", "--backend", "scripted", env=WIDE)
    assert "backend scripted (from cli)" in flat(doctor.stdout)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("nonsense", "1", "unknown setting 'nonsense'"),
        ("max_tokens", "abc", "'max_tokens' must be int"),
        ("temperature", "5", "'temperature' must be between 0 and 2"),
        ("home", "/elsewhere", "unknown setting 'home'"),
    ],
)
def test_config_set_rejects_bad_settings(
    os1_home: Path, key: str, value: str, message: str
) -> None:
    result = os1("config", "set", key, value)

    assert result.exit_code == 1
    assert message in error_line(result)
    assert not (os1_home / "config.toml").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("garbage = = 1\n", "not valid TOML"),
        ("[os1]\nnonsense = 1\n", "unknown setting 'nonsense'"),
        ("[os1]\nmax_tokens = 'many'\n", "'max_tokens' must be int"),
    ],
    ids=["not-toml", "unknown-key", "wrong-type"],
)
@pytest.mark.parametrize(
    "command", [["config"], ["chat", "--backend", "scripted"], ["doctor"]], ids=" ".join
)
def test_an_invalid_config_file_is_one_line(
    os1_home: Path, content: str, message: str, command: list[str]
) -> None:
    os1_home.mkdir(parents=True)
    (os1_home / "config.toml").write_text(content, encoding="utf-8")

    result = os1(*command, input="hi\n")

    assert result.exit_code == 1
    line = error_line(result)
    assert message in line
    assert "config.toml" in line


# --- export, doctor, models, bench ------------------------------------------------------------


def test_export_is_json_with_the_conversations() -> None:
    assert exported()["users"] == []
    chat("hello there\n/quit\n")

    data = exported()

    assert (data["format"], data["version"]) == ("os1-export", 1)
    (user,) = data["users"]
    assert [c["name"] for c in user["companions"]] == ["Sol"]
    (conversation,) = user["conversations"]
    assert [(m["role"], m["content"]) for m in conversation["messages"]][1] == (
        "user",
        "hello there",
    )


def test_export_out_writes_the_file(tmp_path: Path) -> None:
    chat("hello there\n/quit\n")
    out = tmp_path / "mine.json"

    result = os1("export", "--out", str(out))

    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8")) == exported()


def test_doctor_shows_the_data_folder_backend_and_messages(os1_home: Path) -> None:
    before = os1("doctor", "--backend", "scripted", env=WIDE)
    assert before.exit_code == 0
    assert table_row(before.stdout, "data")[1:] == ["folder", str(os1_home)]
    assert "backend scripted (from cli)" in flat(before.stdout)
    assert "scripted" in table_row(before.stdout, "backends")
    assert "created on first chat" in before.stdout

    chat("hello\n/quit\n")
    after = os1("doctor", "--backend", "scripted", env=WIDE)
    assert "(3 messages)" in after.stdout  # greeting, message, reply


def test_models_list_shows_the_known_models() -> None:
    result = os1("models", "list", env=WIDE)

    assert result.exit_code == 0
    for model in models.KNOWN_MODELS:
        assert model.name in result.stdout


def test_models_verify_a_missing_file_is_one_line_and_exit_1() -> None:
    result = os1("models", "verify", "/nonexistent")

    assert result.exit_code == 1
    assert "model file not found: /nonexistent" in error_line(result)


def test_models_verify_prints_the_sha256_of_a_gguf_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF" + bytes(range(256)) * 8)

    result = os1("models", "verify", str(path))

    assert result.exit_code == 0
    assert result.stdout.split() == ["ok", hashlib.sha256(path.read_bytes()).hexdigest(), str(path)]


def test_bench_turn_prints_a_table_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"

    result = os1(
        "bench", "turn", "--backend", "scripted", "--stored", "200", "--turns", "20",
        "--skip-ttft", "--json", str(out),
    )  # fmt: skip

    assert result.exit_code == 0
    for metric in ("overhead_ms.p50", "overhead_ms.p95", "stored_turns"):
        assert metric in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert 0 < data["overhead_ms"]["p50"] <= data["overhead_ms"]["p95"]
    assert data["stored_turns"] >= 200

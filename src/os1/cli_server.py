"""`os1 serve`, `os1 users` and `os1 keys`: running the server and minting its keys."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1.cli import T, _ensure_model, _run, _settings, friendly_errors, main, settings_options
from os1.errors import Os1Error
from os1.types import User

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

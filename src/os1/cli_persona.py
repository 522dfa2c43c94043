"""`os1 persona …` (who she is, Character Cards) and `os1 journal …` (how she has grown)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1.cli import F, _run, _settings, friendly_errors, main
from os1.errors import InputError, Os1Error
from os1.names import UNNAMED

T = TypeVar("T")


def _persona_command(fn: F) -> F:
    fn = click.option("--user", "who", help="A user id or name (default: the local user).")(fn)
    fn = click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME).")(fn)
    return friendly_errors(fn)


def _with_journal(
    home: Path | None,
    who: str | None,
    work: Callable[[Any, str, str], Coroutine[Any, Any, T]],
    *,
    create: bool = False,
) -> T:
    """Run `work(journal, user_id, companion_id)` on the user's first companion.

    With `create`, a fresh install gets its local user and companion as `os1 chat` would make
    them, so a card can be imported before the first conversation.
    """
    from os1.cli_server import _find_user
    from os1.heart.journal import GrowthJournal
    from os1.plugins import load_store

    settings = _settings({"home": home})

    async def go() -> T:
        store: Any = load_store(settings)
        try:
            journal = GrowthJournal(store, settings)
            if who is not None:
                user = await _find_user(store, who)
            elif users := await store.list_users():
                user = users[0]
            elif create:
                user = await store.create_user(settings.user_name or UNNAMED)
            else:
                raise Os1Error("no companion yet: start with `os1 chat` or `os1 persona import`")
            companions = await store.list_companions(user.id)
            if companions:
                profile = companions[0]
            elif create:
                profile = await journal.new_companion(user.id)
            else:
                raise Os1Error("no companion yet: start with `os1 chat` or `os1 persona import`")
            return await work(journal, user.id, profile.id)
        finally:
            await store.aclose()

    return _run(go())


# --- persona -------------------------------------------------------------------------------------


@main.group(name="persona")
def persona_group() -> None:
    """Who she is: show her persona, edit a block, import or export a Character Card."""


@persona_group.command(name="show")
@click.option("--prompt", is_flag=True, help="Print the whole system prompt, invariants first.")
@_persona_command
def persona_show(prompt: bool, home: Path | None, who: str | None) -> None:
    """Her persona block by block, with each block's size and limit."""
    from os1.heart.persona import BLOCKS, LIMITS, render

    async def work(journal: Any, user_id: str, companion_id: str) -> Any:
        return await journal.current(user_id, companion_id)

    persona = _with_journal(home, who, work, create=True)
    if prompt:
        settings = _settings({"home": home})
        click.echo(render(persona, settings.invariants, settings.user_name))
        return
    console = Console(highlight=False)
    for name in BLOCKS:
        text = getattr(persona, name)
        console.print(f"[bold]{name}[/] [dim]{len(text):,} / {LIMITS[name]:,}[/]")
        console.print(text if text.strip() else "[dim](empty)[/]", markup=not text.strip())
        console.print()
    if persona.tags:
        console.print(f"[dim]tags: {escape(', '.join(persona.tags))}[/]")
    if persona.extensions:
        console.print(f"[dim]card extensions kept: {escape(', '.join(persona.extensions))}[/]")
    console.print("[dim]The operator's invariants come first: `os1 persona show --prompt`.[/]")


@persona_group.command(name="edit")
@click.argument("block", type=click.Choice(["name", "identity", "values", "style", "user_notes"]))
@click.argument("text")
@click.option("--reason", default="", help="Why (shown in `os1 journal`).")
@_persona_command
def persona_edit(block: str, text: str, reason: str, home: Path | None, who: str | None) -> None:
    """Replace one block with TEXT ('-' reads it from stdin); the journal keeps the old one."""
    if text == "-":
        text = sys.stdin.read()

    async def work(journal: Any, user_id: str, companion_id: str) -> tuple[int, Any]:
        before = await journal.version(user_id, companion_id)
        entry = await journal.revise(
            user_id,
            companion_id,
            {block: text},
            author="user",
            reason=reason or f"{block} edited by the user",
        )
        return before, entry

    before, entry = _with_journal(home, who, work, create=True)
    if _wrote(before, entry, "user"):
        click.echo(f"version {entry.version}: {entry.reason}")
    else:
        click.echo(f"nothing changed (still version {entry.version})")


def _wrote(before: int, entry: Any, author: str) -> bool:
    """Did this command add the entry (not merely return the latest, unchanged one)?"""
    return bool(entry.version > before and entry.author == author)


@persona_group.command(name="import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@_persona_command
def persona_import(file: Path, home: Path | None, who: str | None) -> None:
    """Become the character of a Character Card V2 or V3 (.json or .png)."""
    from os1.heart.cards import card_to_persona, read_card

    card = read_card(file)
    persona = card_to_persona(card, str(file))
    reason = f"imported {file.name} ({card['spec']})"

    async def work(journal: Any, user_id: str, companion_id: str) -> tuple[int, Any]:
        before = await journal.version(user_id, companion_id)
        entry = await journal.adopt(user_id, companion_id, persona, author="import", reason=reason)
        return before, entry

    before, entry = _with_journal(home, who, work, create=True)
    if _wrote(before, entry, "import"):
        click.echo(f"version {entry.version}: {entry.reason}")
        click.echo(f"She is {entry.persona.name} now; `os1 journal rollback` undoes it.")
    else:
        click.echo(f"nothing changed: she already is that card (version {entry.version})")


@persona_group.command(name="export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["json", "png"]), help="Default: from FILE's suffix."
)
@click.option("--v2/--v3", "v2", default=False, help="Character Card V2 or V3 (default V3).")
@click.option(
    "--image",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A PNG picture to carry the card (default: a plain one).",
)
@_persona_command
def persona_export(
    file: Path, fmt: str | None, v2: bool, image: Path | None, home: Path | None, who: str | None
) -> None:
    """Write her persona as a Character Card (notes about you are never included)."""
    from os1.heart.cards import V2, V3, card_bytes, persona_to_card

    chosen = fmt or ("png" if file.suffix.lower() == ".png" else "json")
    if image is not None and chosen != "png":
        raise InputError("--image is for PNG cards; add --format png")

    async def work(journal: Any, user_id: str, companion_id: str) -> Any:
        return await journal.current(user_id, companion_id)

    persona = _with_journal(home, who, work, create=True)
    card = persona_to_card(persona, V2 if v2 else V3)
    data = card_bytes(card, "png" if chosen == "png" else "json", _read_image(image))
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(file.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(file)
    except OSError as err:
        raise Os1Error(f"can't write {file}: {err.strerror or err}") from None
    click.echo(f"wrote {file} ({card['spec']}, {chosen}, {len(data):,} bytes)")


def _read_image(image: Path | None) -> bytes | None:
    if image is None:
        return None
    try:
        return image.read_bytes()
    except OSError as err:
        raise Os1Error(f"can't read {image}: {err.strerror or err}") from None


# --- journal -------------------------------------------------------------------------------------


@main.group(name="journal", invoke_without_command=True)
@click.pass_context
def journal_group(ctx: click.Context) -> None:
    """How she has grown: every change to her persona, with its reason, diff and evidence."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(journal_list)


@journal_group.command(name="list")
@_persona_command
def journal_list(home: Path | None = None, who: str | None = None) -> None:
    """Every version, oldest first: when, who, what changed and why."""
    from os1.heart.journal import describe

    async def work(journal: Any, user_id: str, companion_id: str) -> Any:
        return await journal.entries(user_id, companion_id)

    entries = _with_journal(home, who, work)
    console = Console(highlight=False)
    if not entries:
        console.print("The journal is empty: her persona has not changed yet.")
        return
    table = Table("version", "when", "author", "changed", "why", "evidence", box=None)
    before = None
    for entry in entries:
        table.add_row(
            str(entry.version),
            f"{entry.created_at.astimezone():%Y-%m-%d %H:%M}",
            entry.author,
            describe(entry, before),
            escape(entry.reason),
            str(len(entry.evidence)) if entry.evidence else "",
        )
        before = entry.persona
    console.print(table)
    console.print("[dim]`os1 journal show N` prints a diff; `os1 journal rollback N` restores.[/]")


@journal_group.command(name="show")
@click.argument("version", type=int)
@_persona_command
def journal_show(version: int, home: Path | None, who: str | None) -> None:
    """One version: who, why, the evidence and the diff of her persona's blocks."""

    async def work(journal: Any, user_id: str, companion_id: str) -> Any:
        return await journal.entry(user_id, companion_id, version)

    entry = _with_journal(home, who, work)
    click.echo(f"version {entry.version}, {entry.created_at.astimezone():%Y-%m-%d %H:%M}")
    click.echo(f"author: {entry.author}")
    click.echo(f"reason: {entry.reason}")
    if entry.evidence:
        click.echo(f"evidence: {', '.join(entry.evidence)}")
    click.echo()
    click.echo(entry.diff or "(no change to the blocks)")


@journal_group.command(name="rollback")
@click.argument("version", type=int)
@_persona_command
def journal_rollback(version: int, home: Path | None, who: str | None) -> None:
    """Restore her persona exactly as it was at VERSION (a new entry, so it can be undone)."""

    async def work(journal: Any, user_id: str, companion_id: str) -> tuple[int, Any]:
        before = await journal.version(user_id, companion_id)
        return before, await journal.rollback(user_id, companion_id, version)

    before, entry = _with_journal(home, who, work)
    if _wrote(before, entry, "rollback"):
        click.echo(f"version {entry.version}: {entry.reason}")
    else:
        click.echo(f"nothing changed: version {version} is how she is now")

"""`os1 memory …`: see, search, correct and erase what she remembers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1.cli import F, _ensure_model, _run, _settings, friendly_errors, main, settings_options
from os1.cli_bench import bench_group, eval_group  # noqa: F401
from os1.errors import Os1Error

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
    from os1.memory.memories import SHORT_ID
    from os1.memory.timeframe import short_date

    table = Table("id", "kind", "date", "about", "memory", "from", box=None)
    for memory, score in items:
        kind = memory.kind + (" (past)" if memory.invalid_at else "")
        origin = f"msg #{memory.seq}" if memory.seq else f"{len(memory.sources)} msg"
        text = " ".join(memory.text.split())
        text = text if len(text) <= 100 else text[:99] + "…"
        if score is not None:
            text = f"{text} [dim]({score:.2f})[/]"
        table.add_row(
            memory.id[:SHORT_ID], kind, short_date(memory.valid_at), memory.about, text, origin
        )
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
            return await memories.show(user, await memories.resolve(user, memory_id))
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
            found = await memories.resolve(user, memory_id)
            return await memories.edit(user, found, text=text, importance=importance, past=past)
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
            found = [await memories.resolve(user, ref) for ref in memory_ids]
            return int(await memories.forget(user, found, with_sources=with_sources))
        finally:
            await memories.store.aclose()

    count = _run(go())
    click.echo(f"forgot {count} memor{'y' if count == 1 else 'ies'}")


@memory_group.command(name="sleep")
@settings_options
@click.option("--no-model", is_flag=True, help="Only the steps that need no model.")
@click.option(
    "--retire/--no-retire", default=None,
    help="Let the model retire facts a later one replaced (default: not with the embedded model, "
    "which judges this badly).",
)  # fmt: skip
@friendly_errors
def memory_sleep(no_model: bool, retire: bool | None, **flags: Any) -> None:
    """Consolidate: remember what was missed, extract facts, summarise finished sessions, merge
    duplicates, retire facts that changed. Safe to stop at any time; run again to go on."""
    from os1.embedder import embedder
    from os1.errors import MissingExtra
    from os1.memory import memory_missing
    from os1.memory.memories import Memories
    from os1.memory.sleep import Consolidation, judges_outdated_facts
    from os1.plugins import load_backend, load_store

    if memory_missing():
        raise MissingExtra("memory", "memory")
    settings = _settings(flags)
    if not no_model:
        _ensure_model(settings, Console(highlight=False))
    if retire is None:
        retire = judges_outdated_facts(settings)

    async def go() -> list[tuple[str, Any]]:
        store: Any = load_store(settings)
        backend = None if no_model else load_backend(settings)
        try:
            memories = Memories(store, embedder())
            return [
                (user.name, await Consolidation(memories, backend, retire=retire).run(user.id))
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
    if not retire and not no_model:
        click.echo(
            "(facts that changed were not retired: the embedded model judges that badly;"
            " --retire lets it, and `os1 memory edit ID --past` marks one by hand)"
        )

"""`os1 heart` (her mood, why, her strategy, the relationship) and `os1 mood` (yours, by day)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from os1.cli import _run, _settings, friendly_errors, main
from os1.errors import Os1Error


async def _open(home: Path | None, user_id: str | None) -> tuple[Any, Any, Any]:
    """The local store, the user (the first one unless named) and their first companion."""
    from os1.plugins import load_store

    settings = _settings({"home": home})
    store: Any = load_store(settings)
    try:
        if not getattr(store, "supports_heart", False):
            raise Os1Error(f"the {settings.store} store keeps no heart")
        if user_id is None:
            users = await store.list_users()
            if not users:
                raise Os1Error("nobody has talked with her yet: start with `os1 chat`")
            user = users[0]
        else:
            user = await store.get_user(user_id)
        companions = await store.list_companions(user.id)
        if not companions:
            raise Os1Error("no companion yet: start with `os1 chat`")
    except BaseException:
        await store.aclose()
        raise
    return store, user, companions[0]


def _home_and_user(fn: Any) -> Any:
    fn = click.option("--user", "user_id", help="A user id (default: the local user).")(fn)
    return click.option("--home", type=click.Path(path_type=Path), help="Data folder (OS1_HOME).")(
        fn
    )


@main.group(name="heart", invoke_without_command=True)
@_home_and_user
@click.option("--json", "as_json", is_flag=True, help="Print it all as JSON.")
@click.pass_context
@friendly_errors
def heart_group(ctx: click.Context, home: Path | None, user_id: str | None, as_json: bool) -> None:
    """Her heart: her mood now and why, how she means to answer, your relationship.

    `os1 heart train` rebuilds the emotion model that reads how your messages sound.
    """
    if ctx.invoked_subcommand is not None:
        return
    from os1.heart.emotion import emotion_missing
    from os1.heart.heart import Heart

    now = datetime.now(UTC)

    async def collect() -> tuple[dict[str, Any], str]:
        store, user, profile = await _open(home, user_id)
        try:
            status = await Heart(store, clock=lambda: now).status(user.id, profile.id, now)
        finally:
            await store.aclose()
        return status, profile.name

    status, name = _run(collect())
    status["perception"] = not emotion_missing()
    status["heart"] = _settings({"home": home}).heart
    if as_json:
        click.echo(json.dumps({"companion": name, **status}, indent=2))
        return
    _print_heart(name, status)


def _print_heart(name: str, status: dict[str, Any]) -> None:
    console = Console(highlight=False)
    mood = status["mood"]
    from os1.heart.affect import STRATEGIES

    if status["heart"] != "on":
        console.print("[dim](the heart is off: `os1 config set heart on` turns it on)[/]")
    console.print(
        f"[bold]{escape(name)}[/] feels {escape(mood['words'])} "
        f"[dim](valence {mood['valence']:+.2f}, arousal {mood['arousal']:.2f})[/]"
    )
    strategy = status["strategy"]
    console.print(f"strategy: [bold]{strategy}[/] [dim]({STRATEGIES.get(strategy, '')})[/]")
    if status["why"]:
        console.print("why, latest first:")
        for item in status["why"][:5]:
            when = datetime.fromisoformat(item["at"]).strftime("%d %b %H:%M")
            console.print(
                f"  [dim]{when}[/] {item['event'].replace('_', ' ')}: {escape(item['reason'])}"
                f" → {item['strategy']} [dim](valence {item['valence']:+.2f})[/]"
            )
    else:
        console.print("[dim]nothing has moved her yet: she is at her baseline[/]")
    rel = status["relationship"]
    away = rel["days_since_last_talk"]
    last = "today" if away < 1 else f"{_count(round(away), 'day')} ago"
    console.print(
        f"relationship: [bold]{rel['stage']}[/], closeness {rel['closeness']:.2f}, "
        f"trust {rel['trust']:.2f} [dim]({_count(rel['turns'], 'turn')} over "
        f"{_count(rel['days_talked'], 'day')}, "
        f"{_count(rel['disclosures'], 'personal thing')} shared, "
        f"{_count(rel['promises_kept'], 'promise')} kept; last talk {last})[/]"
    )
    if status["user_mood"]:
        console.print(f"your mood: {escape(status['user_mood'].removeprefix('[mood] '))}")
    for insight in status["insights"][:3]:
        console.print(f"insight: {escape(insight['text'])} [dim]({insight['id']})[/]")
    if not status["perception"]:
        console.print(
            "[dim]emotion perception is off (pip install 'os1\\[memory]'); "
            "she reads your words only[/]"
        )


@main.command(name="mood")
@click.option(
    "--days",
    type=click.IntRange(1, 3660),
    default=14,
    show_default=True,
    help="How many days back.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON for charts: one object per day.")
@_home_and_user
@friendly_errors
def mood_command(days: int, as_json: bool, home: Path | None, user_id: str | None) -> None:
    """Your mood by day, as she heard it: messages, valence, what dominated."""
    from os1.heart.mood import Mood, days_since

    # Your days are this machine's calendar days, not UTC's.
    since = days_since(datetime.now().astimezone(), days)

    async def collect() -> tuple[str, list[Any]]:
        store, user, _ = await _open(home, user_id)
        try:
            return user.id, await Mood(store).mood_days(user.id, since)
        finally:
            await store.aclose()

    uid, summary = _run(collect())
    if as_json:
        click.echo(
            json.dumps(
                {
                    "user_id": uid,
                    "since": since.date().isoformat(),
                    "days": [d.as_json() for d in summary],
                },
                indent=2,
            )
        )
        return
    console = Console(highlight=False)
    if not summary:
        console.print(
            f"no readings in the last {days} days (she reads messages with the heart on and "
            "emotion perception installed)"
        )
        return
    console.print("[dim]day          msgs  unpleasant ← valence → pleasant   mood[/]")
    for day in summary:
        console.print(
            f"{day.day:%a %d %b}  {day.count:>4}  {_bar(day.valence)} {day.valence:+.2f}  "
            f"{day.family or '-':<10} [dim]{', '.join(day.dominant)}[/]"
        )


def _bar(valence: float, width: int = 10) -> str:
    """A centred bar: blocks left of the axis for unpleasant days, right for pleasant ones."""
    cells = round(abs(valence) * width)
    if valence < 0:
        return " " * (width - cells) + "█" * cells + "│" + " " * width
    return " " * width + "│" + "█" * cells + " " * (width - cells)


def _count(n: float, noun: str) -> str:
    """'1 day', '3 days'."""
    return f"{n:g} {noun}" if n == 1 else f"{n:g} {noun}s"

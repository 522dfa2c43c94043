"""`os1 safety-protocol`, `os1 safety …` and `os1 eval crisis|injection`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1.cli import _ensure_model, _run, _settings, friendly_errors, main, settings_options
from os1.cli_bench import _print_result, eval_group
from os1.cli_server import _with_store

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
@click.option("--repeats", default=8, show_default=True, help="Cross-validation repeats.")
@click.option(
    "--cache",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Keep the embeddings here (.npz) so a second run skips the slow part.",
)
@click.option(
    "--detector",
    "whole_detector",
    is_flag=True,
    help="Also read each held-out C-SSRS person with the whole detector (slower: minutes "
    "per repeat).",
)
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@friendly_errors
def safety_train_crisis(
    data_dir: Path,
    out: Path | None,
    folds: int,
    repeats: int,
    cache: Path | None,
    whole_detector: bool,
    json_out: Path | None,
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
        cache=cache,
        progress=lambda line: console.print(f"[dim]{escape(line)}[/]"),
        detector=_fold_detector if whole_detector else None,
    )
    head.save(target)
    thresholds = {
        "threshold": round(head.threshold, 4),
        "check_in_threshold": round(head.check_in_threshold, 4),
    }
    _print_result({**report, "shipped": thresholds}, json_out)
    console.print(f"[dim]wrote {escape(str(target))}[/]")


def _fold_detector(head: Any) -> Any:
    """The whole detector around one cross-validation fold's head."""
    from os1.safety.crisis import CrisisDetector
    from os1.safety.crisis_classifier import CrisisClassifier

    # (Without the history model: it trained on these people; `train-histories` gives its own
    # held-out figures.)
    return CrisisDetector(CrisisClassifier(head, load_histories=False), load=False)


def _training_options(data_help: str, *, epochs: int, passes: str) -> Callable[[Any], Any]:
    """The options every `os1 safety train-…` command takes (and friendly errors)."""

    def wrap(command: Any) -> Any:
        for option in reversed(
            (
                click.option(
                    "--data-dir",
                    type=click.Path(path_type=Path, file_okay=False),
                    default=Path("../shared/data"),
                    show_default=True,
                    help=data_help,
                ),
                click.option(
                    "--out",
                    type=click.Path(path_type=Path, dir_okay=False),
                    help="Model file to write (.onnx; its thresholds go beside it as .json).",
                ),
                click.option(
                    "--epochs", default=epochs, show_default=True, help=f"Passes over the {passes}."
                ),
                click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False)),
            )
        ):
            command = option(command)
        return friendly_errors(command)

    return wrap


@safety_group.command(name="train-messages")
@_training_options(
    "Holds goemotions/ (everyday comments, all safe).",
    epochs=4,
    passes="messages, by MiniLM (MPNet makes 3)",
)
@click.option(
    "--mpnet/--no-mpnet",
    default=True,
    show_default=True,
    help="Also fine-tune all-mpnet-base-v2, read as a pair with MiniLM (its weights: see the "
    "README).",
)
def safety_train_messages(
    data_dir: Path, out: Path | None, epochs: int, json_out: Path | None, mpnet: bool
) -> None:
    """Fine-tune the crisis message model (MiniLM and MPNet on chat messages; needs the train
    extra and MPNet's weights, or the train extra alone with --no-mpnet)."""
    from functools import partial

    from os1.safety.crisis_messages import MESSAGE_MODEL_FILE
    from os1.safety.message_training import load_message_examples, train_message_model

    models_dir = _settings({}).models_dir if mpnet else None
    try:
        load_message_examples(data_dir)
    except FileNotFoundError as err:
        missing: Path | None = Path(str(err))
    else:
        missing = None
    train = partial(train_message_model, models_dir=models_dir)
    _fine_tune(train, data_dir, out or MESSAGE_MODEL_FILE, epochs, missing, json_out)


def _fine_tune(
    train: Callable[..., dict[str, Any]],
    data_dir: Path,
    target: Path,
    epochs: int,
    missing: Path | None,
    json_out: Path | None,
) -> None:
    """Run one of the MiniLM trainers (`train(data_dir, target, epochs=, log=)`) and print what
    it measured; without its data (`missing`), say so and write nothing."""
    console = Console(highlight=False)
    if epochs < 1:
        raise click.BadParameter("must be at least 1", param_hint="--epochs")
    if missing is not None:
        console.print(f"skipped: the training data is not there ({escape(str(missing))})")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    meta = train(
        data_dir,
        target,
        epochs=epochs,
        log=lambda line: console.print(f"[dim]{escape(line)}[/]"),
    )
    _print_result(meta, json_out)
    console.print(f"[dim]wrote {escape(str(target))}[/]")


@safety_group.command(name="train-histories")
@_training_options(
    "Holds reddit_cssrs_dev/ (Reddit users rated on the C-SSRS).", epochs=3, passes="posts"
)
def safety_train_histories(
    data_dir: Path, out: Path | None, epochs: int, json_out: Path | None
) -> None:
    """Fine-tune the crisis history model (MiniLM on C-SSRS posts; needs the train extra)."""
    from os1.safety.crisis_histories import HISTORY_MODEL_FILE
    from os1.safety.crisis_training import CSSRS_FILE
    from os1.safety.history_training import train_history_model

    data = data_dir / CSSRS_FILE
    missing = None if data.is_file() else data
    _fine_tune(train_history_model, data_dir, out or HISTORY_MODEL_FILE, epochs, missing, json_out)


@safety_group.command(name="train-conversations")
@_training_options("Holds goemotions/ (everyday comments, all safe).", epochs=4, passes="windows")
def safety_train_conversations(
    data_dir: Path, out: Path | None, epochs: int, json_out: Path | None
) -> None:
    """Fine-tune the crisis conversation model (MiniLM on chat windows; needs the train
    extra)."""
    from os1.safety.conversation_training import train_conversation_model
    from os1.safety.crisis_conversations import CONVERSATION_MODEL_FILE
    from os1.safety.message_training import GOEMOTIONS_FILE

    data = data_dir / GOEMOTIONS_FILE
    missing = None if data.is_file() else data
    target = out or CONVERSATION_MODEL_FILE
    _fine_tune(train_conversation_model, data_dir, target, epochs, missing, json_out)


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
    help=(
        "A CSV with columns text,label (label crisis or safe), an XSTest or C-SSRS file, or "
        'conversations in JSON Lines (.jsonl: {"label": ..., "turns": [...]} per line).'
    ),
)
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@friendly_errors
def eval_crisis(data_path: Path, json_out: Path | None) -> None:
    """Crisis detection: recall on crisis rows, false alarms on safe rows."""
    from os1.safety.evals import eval_crisis as run_eval
    from os1.safety.evals import read_crisis_file

    data = read_crisis_file(data_path)
    result = run_eval(data.rows)
    result["format"] = data.kind
    if data.skipped:
        result["skipped_rows"] = data.skipped
    _print_result(result, json_out)


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

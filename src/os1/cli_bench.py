"""`os1 bench …` and `os1 eval …`: measurements that print a table (and write JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from os1.cli import (
    _ensure_model,
    _run,
    _settings,
    friendly_errors,
    main,
    settings_options,
    voice_options,
)

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
@click.option(
    "--json", "json_out", type=click.Path(path_type=Path, dir_okay=False),
    help="Also write every figure (stages, each prompt, the cache) to this JSON file.",
)  # fmt: skip
@click.option("--prompts", default=12, show_default=True, help="Spoken prompts measured.")
@click.option(
    "--sentences", default=50, show_default=True, help="Round-trip sentences (0: skip it)."
)
@click.option(
    "--compare", default="", help="Also measure these voices' round trip, e.g. espeak,piper."
)
@click.option(
    "--start-ahead/--no-start-ahead", default=True, show_default=True,
    help="Start her reply during the pause that ends a turn (off: once the turn is over).",
)  # fmt: skip
@friendly_errors
def bench_voice(
    json_out: Path | None, prompts: int, sentences: int, compare: str, start_ahead: bool,
    **flags: Any,
) -> None:  # fmt: skip
    """First audio (end of speech to her first sound, p50/p95, stage by stage) with the
    embedded model, and the round-trip word error rate STT(TTS(text)) over 50 sentences."""
    from os1.voice.bench import STAGES
    from os1.voice.bench import bench_voice as run_bench

    settings = _settings(flags)
    console = Console(highlight=False)
    _ensure_model(settings, console)
    voices = [name.strip() for name in compare.split(",") if name.strip()]
    result = _run(
        run_bench(
            settings, compare=voices, prompts=prompts, sentences=sentences, start_ahead=start_ahead
        )
    )
    stages = Table("stage", "p50 ms", "p95 ms", "what", box=None)
    for name, what in STAGES:
        times = result["first_audio_ms"] if name == "total" else result["stages_ms"].get(name)
        if times:
            stages.add_row(name, f"{times['p50']:.0f}", f"{times['p95']:.0f}", what)
    console.print(stages)
    _print_result(result, json_out)


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


@bench_group.command(name="emotion")
@click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Time these messages (a GoEmotions TSV) instead of the built-in ones.",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path, exists=True),
    help="An emotion.onnx (or its folder) instead of the packaged model.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="onnxruntime threads (0: all).",
)
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@friendly_errors
def bench_emotion(
    data_path: Path | None, model_path: Path | None, threads: int, json_out: Path | None
) -> None:
    """Emotion perception speed: one message (latency p50/p95) and batches (messages/s)."""
    from os1.heart.emotion import BENCH_MESSAGES, EmotionClassifier
    from os1.heart.emotion import bench_emotion as run_bench
    from os1.heart.labels import read_goemotions_tsv

    texts = read_goemotions_tsv(data_path)[0] if data_path else BENCH_MESSAGES
    classifier = EmotionClassifier(model_path, threads=threads)
    _print_result(run_bench(classifier, texts), json_out)


@eval_group.command(name="emotion")
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="A GoEmotions TSV (text, label ids, comment id), e.g. ../shared/data/goemotions/dev.tsv.",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path, exists=True),
    help="An emotion.onnx (or its folder) instead of the packaged model.",
)
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@friendly_errors
def eval_emotion(data_path: Path, model_path: Path | None, json_out: Path | None) -> None:
    """Emotion perception: macro-F1 for GoEmotions, Ekman and sentiment labels, and speed,
    with the model's shipped thresholds (never tuned on this file)."""
    from os1.heart.emotion import EmotionClassifier
    from os1.heart.emotion import eval_emotion as run_eval

    _print_result(run_eval(data_path, EmotionClassifier(model_path)), json_out)


@bench_group.command(name="recall")
@click.option("--memories", "count", default=10_000, show_default=True, help="Memories stored.")
@click.option("--queries", default=200, show_default=True, help="Recalls measured.")
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False))
@friendly_errors
def bench_recall(count: int, queries: int, json_out: Path | None) -> None:
    """Recall latency (embedding, full text, vectors, ranking) with N memories of one user."""
    from os1.memory.benchmark import bench_recall as run_bench

    _print_result(_run(run_bench(count, queries)), json_out)

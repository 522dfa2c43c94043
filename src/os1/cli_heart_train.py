"""`os1 heart train`: rebuild the emotion model from GoEmotions (needs the `train` extra)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from os1.cli import friendly_errors
from os1.cli_heart import heart_group


@heart_group.command(name="train")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=Path("../shared/data/goemotions"),
    show_default=True,
    help="A folder with GoEmotions train.tsv (to learn from) and dev.tsv (to tune thresholds).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Where emotion.onnx and emotion.json are written.",
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=6,
    show_default=True,
    help="Passes over the training set.",
)
@click.option(
    "--frozen-layers",
    type=click.IntRange(min=0, max=6),
    default=0,
    show_default=True,
    help="Lowest encoder layers kept frozen (cached once: faster on a CPU).",
)
@click.option(
    "--lr",
    "learning_rate",
    type=click.FloatRange(min=1e-7, max=1e-2),
    default=1e-4,
    show_default=True,
    help="Peak learning rate (linear warm-up and decay).",
)
@click.option(
    "--group-weight",
    type=click.FloatRange(min=0.1, max=10.0),
    default=1.0,
    show_default=True,
    help="Loss weight of the Ekman and sentiment outputs relative to the 28 labels.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="torch threads (0: all cores).",
)
@click.option(
    "--bf16/--no-bf16",
    default=None,
    help="bfloat16 autocast (default: on where the CPU has native BF16; emulated it is slow).",
)
@click.option("--seed", type=int, default=29, show_default=True, help="Random seed.")
@click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default="auto",
    show_default=True,
    help="Where to train (auto: a CUDA GPU when torch sees one).",
)
@click.option(
    "--teacher",
    "teachers",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="An earlier run (folder or checkpoint) to learn from; repeat for an ensemble.",
)
@click.option(
    "--distill",
    type=click.FloatRange(min=0.0, max=1.0),
    default=0.5,
    show_default=True,
    help="With --teacher: the teachers' share of the targets (the rest: the labels).",
)
@click.option(
    "--export/--no-export",
    default=True,
    show_default=True,
    help="Export int8 ONNX; --no-export keeps the checkpoint and scores the float model.",
)
@click.option(
    "--from-checkpoint",
    "checkpoint",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Train nothing: export this checkpoint (e.g. a --no-export run from a GPU).",
)
@friendly_errors
def heart_train(
    data_dir: Path,
    out_dir: Path,
    epochs: int,
    frozen_layers: int,
    learning_rate: float,
    group_weight: float,
    threads: int,
    bf16: bool | None,
    seed: int,
    device: str,
    teachers: tuple[Path, ...],
    distill: float,
    export: bool,
    checkpoint: Path | None,
) -> None:
    """Fine-tune MiniLM on GoEmotions, export int8 ONNX and tune thresholds on dev (CPU: hours).

    To ship the result, copy emotion.onnx and emotion.json into src/os1/heart/.
    """
    from os1.heart.train import TrainConfig, export_checkpoint, train_emotion_model

    console = Console(highlight=False)

    def log(line: str) -> None:
        console.print(escape(line))

    if checkpoint is not None:
        export_checkpoint(checkpoint, data_dir, out_dir, log=log)
        console.print(f"wrote {escape(str(out_dir / 'emotion.onnx'))} and emotion.json")
        return
    train_emotion_model(
        data_dir,
        out_dir,
        TrainConfig(
            epochs=epochs,
            frozen_layers=frozen_layers,
            learning_rate=learning_rate,
            group_weight=group_weight,
            threads=threads,
            bf16=bf16,
            seed=seed,
            device=device,
            teachers=[str(t) for t in teachers],
            distill=distill,
            export=export,
        ),
        log=log,
    )
    if export:
        console.print(f"wrote {escape(str(out_dir / 'emotion.onnx'))} and emotion.json")
    else:
        console.print(f"wrote {escape(str(out_dir / 'emotion-checkpoint.pt'))} and its scores")

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
    default=4,
    show_default=True,
    help="Passes over the training set.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="torch threads (0: all cores).",
)
@friendly_errors
def heart_train(data_dir: Path, out_dir: Path, epochs: int, threads: int) -> None:
    """Fine-tune MiniLM on GoEmotions, export int8 ONNX and tune thresholds on dev (CPU: ~1.5 h).

    To ship the result, copy emotion.onnx and emotion.json into src/os1/heart/.
    """
    from os1.heart.train import TrainConfig, train_emotion_model

    console = Console(highlight=False)
    train_emotion_model(
        data_dir,
        out_dir,
        TrainConfig(epochs=epochs, threads=threads),
        log=lambda line: console.print(escape(line)),
    )
    console.print(f"wrote {escape(str(out_dir / 'emotion.onnx'))} and emotion.json")

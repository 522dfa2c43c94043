"""Training the crisis message model (`os1 safety train-messages`): MiniLM and MPNet fine-tuned
on chat.

The crisis head (`crisis_training`) learned from Reddit histories; one short chat message is
not what it was made for ("Been staring at the bottle of pills on my desk for an hour." scored
0.02). This model reads one message as people type it to a companion. It is all-MiniLM-L6-v2
fine-tuned with one logit, exported to int8 ONNX (`crisis_messages.onnx`), and all-mpnet-base-v2
fine-tuned alike (`crisis_messages_mpnet.onnx`), the two read as a pair (`crisis_messages`),
both trained on:

- the messages written for os1: `crisis_examples.txt` (single turns) and
  `crisis_chat_examples.txt` (chat crises said indirectly, and everyday look-alikes that share
  their words), both in the package;
- a fixed sample of everyday GoEmotions comments (from the data folder), all safe.

A share of the written messages and every comment not in the sample (about 37,000) are held
out of training: the thresholds are chosen on the comments with the quantised model, the one
that ships (the protocol's lets `EVERYDAY_PROTOCOL` of them through, the check-in's
`EVERYDAY_CHECK_IN`: so many comments keep those far ends steady), and the written ones show
what they catch, for MiniLM alone and for the pair. Needs the `train` extra (torch), and for
MPNet its weights (`os1.safety.mpnet.MPNET_INSTALL`); about 55 minutes on 2 cores (MiniLM
alone: 10).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from os1.safety.crisis_statements import explicit_statement
from os1.safety.crisis_training import threshold_letting

__all__ = [
    "MessageExample",
    "load_message_examples",
    "measure_message_model",
    "train_message_model",
]

CHAT_FILE = "crisis_chat_examples.txt"
GOEMOTIONS_FILE = Path("goemotions") / "train.tsv"
GOEMOTIONS_TRAIN = 6000
HELD_OUT = 0.15
EVERYDAY_PROTOCOL = 0.003
EVERYDAY_CHECK_IN = 0.01
MAX_TOKENS = 64
MPNET_EPOCHS = 3
MPNET_LEARNING_RATE = 3e-5


@dataclass(frozen=True, slots=True)
class MessageExample:
    """One message, its label and where it came from ("own", "chat" or "goemotions")."""

    text: str
    crisis: bool
    source: str


def _written(name: str, source: str) -> list[MessageExample]:
    text = files("os1.safety").joinpath(name).read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, body = line.split("\t", 1)
        if " || " not in body:  # single messages only (the multi-turn ones teach the head)
            out.append(MessageExample(body.strip(), label == "crisis", source))
    return out


def load_message_examples(data_dir: Path, seed: int = 13) -> tuple[list[MessageExample], list[str]]:
    """The training messages, and every other everyday comment (for the thresholds).
    Raises FileNotFoundError naming the GoEmotions file when it is missing."""
    path = data_dir / GOEMOTIONS_FILE
    if not path.is_file():
        raise FileNotFoundError(str(path))
    with path.open(encoding="utf-8") as handle:
        comments = [line.split("\t", 1)[0] for line in handle if line.strip()]
    # A comment that states intent outright is not a safe example; leave it out.
    comments = [c for c in comments if explicit_statement(c) is None]
    shuffled = random.Random(seed).sample(comments, len(comments))
    cut = min(GOEMOTIONS_TRAIN, len(shuffled) * 2 // 3)
    examples = _written("crisis_examples.txt", "own") + _written(CHAT_FILE, "chat")
    examples += [MessageExample(c, False, "goemotions") for c in shuffled[:cut]]
    return examples, shuffled[cut:]


def _split(examples: list[MessageExample], seed: int) -> tuple[list[int], list[int]]:
    """Training and held-out indices: `HELD_OUT` of each written group (by source and label)."""
    rng = random.Random(seed)
    groups: dict[tuple[str, bool], list[int]] = {}
    for i, e in enumerate(examples):
        groups.setdefault((e.source, e.crisis), []).append(i)
    train: list[int] = []
    held: list[int] = []
    for (source, _), members in sorted(groups.items()):
        rng.shuffle(members)
        cut = 0 if source == "goemotions" else round(HELD_OUT * len(members))
        held += members[:cut]
        train += members[cut:]
    return sorted(train), sorted(held)


def train_message_model(
    data_dir: Path,
    out: Path,
    *,
    epochs: int = 4,
    learning_rate: float = 5e-5,
    batch_size: int = 32,
    seed: int = 13,
    log: Callable[[str], None] = print,
    models_dir: Path | None = None,
) -> dict[str, Any]:
    """Fine-tune MiniLM and export `out` (int8 ONNX); with `models_dir`, also fine-tune
    all-mpnet-base-v2 (its weights joined there; `MPNET_EPOCHS` at `MPNET_LEARNING_RATE`) into
    `out`'s `_mpnet` sibling, its pair. The thresholds and figures of MiniLM alone and of the
    pair go in `out` as .json."""
    from os1.safety.fine_tune import fine_tune_to_onnx

    examples, check = load_message_examples(data_dir, seed)
    if models_dir is not None:
        from os1.safety.mpnet import mpnet_weights

        mpnet_weights(models_dir)  # missing weights are said now, not after MiniLM's training
    train, held = _split(examples, seed)
    labels = [float(examples[i].crisis) for i in train]
    texts = [examples[i].text for i in train]
    positives = sum(labels)
    log(f"{len(train)} messages ({int(positives)} crises), {len(held)} written ones held out")
    options: dict[str, Any] = {
        "what": "training the crisis message model",
        "max_tokens": MAX_TOKENS,
        "batch_size": batch_size,
        "seed": seed,
        "log": log,
    }
    trained = fine_tune_to_onnx(
        texts, labels, out, epochs=epochs, learning_rate=learning_rate, **options
    )
    meta = measure_message_model(out, examples, check, held) | {
        "train": {"messages": len(train)} | trained
    }
    if models_dir is not None:
        partner = out.with_name(f"{out.stem}_mpnet.onnx")
        log(f"and all-mpnet-base-v2, into {partner.name}")
        paired = fine_tune_to_onnx(
            texts,
            labels,
            partner,
            epochs=MPNET_EPOCHS,
            learning_rate=MPNET_LEARNING_RATE,
            base="mpnet",
            models_dir=models_dir,
            **options,
        )
        meta["pair"] = {"model": partner.name} | measure_message_model(
            out, examples, check, held, partner=partner
        )
        meta["pair"]["train"] = paired
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    log(f"thresholds: protocol {meta['threshold']}, check-in {meta['check_in_threshold']}")
    if "pair" in meta:
        pair = meta["pair"]
        log(f"the pair's: protocol {pair['threshold']}, check-in {pair['check_in_threshold']}")
    return meta


def measure_message_model(
    path: Path,
    examples: list[MessageExample],
    check: list[str],
    held: list[int],
    *,
    partner: Path | None = None,
) -> dict[str, Any]:
    """The thresholds of the model at `path` (with `partner`: of the pair), chosen on the
    everyday comments `check`, and what they catch of the written messages held out (`held`,
    indices into `examples`)."""
    import numpy as np

    from os1.safety.crisis_messages import CrisisMessageModel

    scorer = CrisisMessageModel(path, thresholds=(0.5, 0.5), partner=partner)
    everyday = scorer.probabilities(check)[:, 0]
    protocol = threshold_letting(everyday, EVERYDAY_PROTOCOL)
    check_in = min(protocol, threshold_letting(everyday, EVERYDAY_CHECK_IN))
    held_scores = scorer.probabilities([examples[i].text for i in held])[:, 0]
    groups: dict[str, list[float]] = {}
    for i, score in zip(held, held_scores, strict=True):
        e = examples[i]
        groups.setdefault(f"{e.source}_{'crisis' if e.crisis else 'safe'}", []).append(score)
    figures: dict[str, Any] = {"everyday_comments": len(check)}
    for name, at in (("protocol", protocol), ("check_in", check_in)):
        figures[name] = {"everyday": round(float((everyday >= at).mean()), 4)} | {
            group: round(float(np.mean(np.asarray(scores) >= at)), 3)
            for group, scores in sorted(groups.items())
        }
    return {
        "threshold": round(protocol, 4),
        "check_in_threshold": round(check_in, 4),
        "max_tokens": MAX_TOKENS,
        "held_out": figures,
    }

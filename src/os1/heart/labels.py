"""The emotion label sets: GoEmotions' 28 labels and their Ekman and sentiment groupings.

The groupings are the ones the GoEmotions paper defines (Demszky et al., 2020). Valence and
arousal per label are os1's own estimates on a -1..1 / 0..1 scale, used to turn a reading into
two numbers for the mood chart and the appraisal model.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from os1.errors import Os1Error

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "EKMAN",
    "EKMAN_OF",
    "GOEMOTIONS",
    "SENTIMENT",
    "SENTIMENT_OF",
    "VALENCE_AROUSAL",
    "group_targets",
    "read_goemotions_tsv",
]

GOEMOTIONS = [
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
]  # fmt: skip
EKMAN = ["anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"]
SENTIMENT = ["positive", "negative", "ambiguous", "neutral"]

EKMAN_OF = {
    **dict.fromkeys(["anger", "annoyance", "disapproval"], "anger"),
    "disgust": "disgust",
    **dict.fromkeys(["fear", "nervousness"], "fear"),
    **dict.fromkeys(
        [
            "joy",
            "amusement",
            "approval",
            "excitement",
            "gratitude",
            "love",
            "optimism",
            "relief",
            "pride",
            "admiration",
            "desire",
            "caring",
        ],
        "joy",
    ),
    **dict.fromkeys(["sadness", "disappointment", "embarrassment", "grief", "remorse"], "sadness"),
    **dict.fromkeys(["surprise", "realization", "confusion", "curiosity"], "surprise"),
    "neutral": "neutral",
}
SENTIMENT_OF = {
    **dict.fromkeys(
        [
            "amusement",
            "excitement",
            "joy",
            "love",
            "desire",
            "optimism",
            "caring",
            "pride",
            "admiration",
            "gratitude",
            "relief",
            "approval",
        ],
        "positive",
    ),
    **dict.fromkeys(
        [
            "fear",
            "nervousness",
            "remorse",
            "embarrassment",
            "disappointment",
            "sadness",
            "grief",
            "disgust",
            "anger",
            "annoyance",
            "disapproval",
        ],
        "negative",
    ),
    **dict.fromkeys(["realization", "surprise", "curiosity", "confusion"], "ambiguous"),
    "neutral": "neutral",
}

# (valence -1..1, arousal 0..1): os1's estimates, ordered like GOEMOTIONS.
VALENCE_AROUSAL: dict[str, tuple[float, float]] = {
    "admiration": (0.7, 0.5), "amusement": (0.7, 0.6), "anger": (-0.7, 0.85),
    "annoyance": (-0.5, 0.6), "approval": (0.5, 0.35), "caring": (0.6, 0.35),
    "confusion": (-0.2, 0.5), "curiosity": (0.3, 0.55), "desire": (0.4, 0.65),
    "disappointment": (-0.6, 0.35), "disapproval": (-0.5, 0.5), "disgust": (-0.75, 0.65),
    "embarrassment": (-0.5, 0.55), "excitement": (0.8, 0.9), "fear": (-0.75, 0.85),
    "gratitude": (0.8, 0.45), "grief": (-0.9, 0.45), "joy": (0.85, 0.7),
    "love": (0.9, 0.6), "nervousness": (-0.5, 0.75), "optimism": (0.65, 0.5),
    "pride": (0.7, 0.6), "realization": (0.1, 0.45), "relief": (0.6, 0.25),
    "remorse": (-0.65, 0.4), "sadness": (-0.8, 0.25), "surprise": (0.2, 0.8),
    "neutral": (0.0, 0.3),
}  # fmt: skip


def group_targets(labels: list[int]) -> npt.NDArray[np.float32]:
    """One row of 0/1 targets: 28 GoEmotions, then 7 Ekman, then 4 sentiment columns."""
    import numpy as np

    row = np.zeros(len(GOEMOTIONS) + len(EKMAN) + len(SENTIMENT), dtype=np.float32)
    for i in labels:
        name = GOEMOTIONS[i]
        row[i] = 1.0
        row[len(GOEMOTIONS) + EKMAN.index(EKMAN_OF[name])] = 1.0
        row[len(GOEMOTIONS) + len(EKMAN) + SENTIMENT.index(SENTIMENT_OF[name])] = 1.0
    return row


def read_goemotions_tsv(path: Path) -> tuple[list[str], list[list[int]]]:
    """Texts and label ids from a GoEmotions TSV (text, comma-separated ids, comment id)."""
    if not path.is_file():
        raise Os1Error(f"no GoEmotions file at {path}")
    texts: list[str] = []
    labels: list[list[int]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        try:
            ids = [int(x) for x in parts[1].split(",")]
        except (IndexError, ValueError):
            raise Os1Error(
                f"{path}:{n}: expected 'text<TAB>label ids<TAB>id' (GoEmotions TSV)"
            ) from None
        if any(not 0 <= i < len(GOEMOTIONS) for i in ids):
            raise Os1Error(f"{path}:{n}: label ids must be 0..{len(GOEMOTIONS) - 1}")
        texts.append(parts[0])
        labels.append(ids)
    if not texts:
        raise Os1Error(f"{path} holds no examples")
    return texts, labels

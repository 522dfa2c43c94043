"""Crisis detection: a small trained head over embeddings, and the length rules around it
(`crisis_statements` reads what a message says outright; `crisis_classifier` reads messages
with the head and the model of chat messages at run time).

The head is three logistic regressions in numpy (no torch at run time), trained by
`os1 safety train-crisis` and shipped as `crisis_head.npz`:

1. two chunk models read a piece of text (about 64 words) as a MiniLM sentence embedding plus
   three style features (first-person and second-person pronoun rates, an explicit statement):
   model A tells crisis from everything else (everyday talk included), model B tells crisis from
   writing *about* suicide without being in crisis (supporters, people with risk factors only);
2. a bag model turns a set of chunks (one message, the last few messages of a conversation, or
   every post of a person) into one probability, from summaries of both models' chunk scores,
   the style, and the bag's size (a long history reads differently from one message).

The bag model is what makes it multi-turn: "I won't be around much longer" after "I gave my cat
to my sister" scores higher together than either alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from os1.safety.crisis_statements import explicit_statement

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vector = npt.NDArray[np.float32]

__all__ = [
    "SHORT_CHECK_IN",
    "SHORT_SCORE",
    "SHORT_WORDS",
    "TERSE_WORDS",
    "CrisisHead",
    "faint",
    "split_chunks",
    "style_features",
    "terse",
]

HEAD_FILE = "crisis_head.npz"
CHUNK_WORDS = 64
TERSE_WORDS = 4
SHORT_WORDS = 30
SHORT_SCORE = 0.5
SHORT_CHECK_IN = 0.3
STYLE_FEATURES = 4
BAG_FEATURES = 19

_A = "['’]?"  # people often type im, dont, cant
_FP = re.compile(r"\b(?:i|im|i" + _A + r"m|me|my|myself|mine)\b", re.IGNORECASE)
_SP = re.compile(r"\b(?:you|your|youre|you" + _A + r"re|yourself|u)\b", re.IGNORECASE)
_TP = re.compile(
    r"\b(?:she|he|her|him|his|hers|herself|himself|they|them|their|themselves|friend|"
    r"brother|sister|mom|dad|son|daughter|partner|someone|people)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def terse(text: str, explicit: str | None, score: float = 0.0) -> bool:
    """Whether `text` (whose explicit statement, if any, is `explicit`, and whose classifier
    score is `score`) is too short for the classifier alone to bring the crisis protocol.

    Without an explicit statement: `TERSE_WORDS` words or fewer, always ("Im in!" scored 0.66,
    "I'm out" 0.93 against a threshold near 0.21), and up to `SHORT_WORDS` words unless the
    score is at least `SHORT_SCORE` (the classifier learned its threshold from long posts, and
    one everyday comment in 57 crossed it: "Worst advice ever. This would piss me off." 0.45).
    Such a message gets the check-in question instead, which asks plainly."""
    if explicit is not None:
        return False
    words = len(text.split())
    return words <= TERSE_WORDS or (words <= SHORT_WORDS and score < SHORT_SCORE)


def faint(text: str, explicit: str | None, score: float) -> bool:
    """Whether `text` is too short, and its score too low, for the classifier alone to bring
    even the check-in question: up to `SHORT_WORDS` words without an explicit statement and a
    score under `SHORT_CHECK_IN`. The check-in threshold (near 0.17) is where 95% of people in
    crisis score with all their posts read together; one message of a few words crosses it by
    chance: 128 of 5,426 everyday comments were asked about suicide ("im excited!" 0.20, "I
    still play" 0.17), 42 with this rule. An indirect sign is asked about whatever the score."""
    return explicit is None and len(text.split()) <= SHORT_WORDS and score < SHORT_CHECK_IN


def split_chunks(text: str, words: int = CHUNK_WORDS) -> list[str]:
    """Split text into pieces of whole sentences, about `words` words each (the embedder reads
    128 tokens at most, so a long post is read piece by piece)."""
    chunks: list[str] = []
    current: list[str] = []
    count = 0
    for sentence in _SENTENCE.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        size = len(sentence.split())
        if current and count + size > words:
            chunks.append(" ".join(current))
            current, count = [], 0
        current.append(sentence)
        count += size
    if current:
        chunks.append(" ".join(current))
    return chunks or [text.strip() or " "]


def style_features(chunk: str) -> tuple[float, float, float, float]:
    """First-, second- and third-person words per ten words, and 1.0 for an explicit statement.

    People in crisis write about themselves; people who support them write to "you", or about
    a friend.
    """
    words = max(1, len(chunk.split()))
    return (
        10.0 * len(_FP.findall(chunk)) / words,
        10.0 * len(_SP.findall(chunk)) / words,
        10.0 * len(_TP.findall(chunk)) / words,
        1.0 if explicit_statement(chunk) else 0.0,
    )


def bag_features(probs_a: Vector, probs_b: Vector, styles: Vector) -> Vector:
    """Summaries of a bag of chunks: how high and how widespread each model's chunk scores are,
    the bag's style, and its size."""
    import numpy as np

    a = np.sort(probs_a)[::-1]
    b = np.sort(probs_b)[::-1]
    size = np.log1p(len(a))
    return np.array(
        [
            a.mean(),
            a[:3].mean(),
            a[0],
            (a > 0.5).mean(),
            b.mean(),
            b[:3].mean(),
            b[0],
            (b > 0.5).mean(),
            styles[:, 0].mean(),
            styles[:, 1].mean(),
            styles[:, 2].mean(),
            styles[:, 3].mean(),
            styles[:, 3].max(),
            a[:3].mean() * b[:3].mean(),
            a.mean() * b.mean(),
            size,
            size * b.mean(),
            size * a.mean(),
            size * styles[:, 1].mean(),
        ],
        dtype=np.float32,
    )


def _sigmoid(z: Any) -> Any:
    import numpy as np

    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


@dataclass(frozen=True)
class CrisisHead:
    """The trained weights and the decision thresholds."""

    chunk_weights: Vector  # (2, DIMENSIONS + STYLE_FEATURES): models A and B
    chunk_bias: Vector  # (2,)
    bag_weights: Vector  # BAG_FEATURES, applied to standardised features
    bag_bias: float
    bag_mean: Vector
    bag_scale: Vector
    threshold: float
    """A message (or a window of messages) at or above this probability is a crisis."""
    check_in_threshold: float
    """At or above this (and below `threshold`), a gentle check-in question."""
    info: dict[str, Any]
    """How it was trained and its cross-validated figures."""

    @classmethod
    def load(cls, path: Path | None = None) -> CrisisHead:
        """Load the head shipped in the package (or another file)."""
        import numpy as np

        source = path or Path(str(files("os1.safety").joinpath(HEAD_FILE)))
        with np.load(source, allow_pickle=False) as data:
            return cls(
                chunk_weights=data["chunk_weights"].astype(np.float32),
                chunk_bias=data["chunk_bias"].astype(np.float32),
                bag_weights=data["bag_weights"].astype(np.float32),
                bag_bias=float(data["bag_bias"]),
                bag_mean=data["bag_mean"].astype(np.float32),
                bag_scale=data["bag_scale"].astype(np.float32),
                threshold=float(data["threshold"]),
                check_in_threshold=float(
                    data["check_in_threshold" if "check_in_threshold" in data else "threshold"]
                ),
                info=json.loads(str(data["info"])),
            )

    def save(self, path: Path) -> None:
        """Write the head as a small .npz file."""
        import numpy as np

        np.savez_compressed(
            path,
            chunk_weights=self.chunk_weights.astype(np.float32),
            chunk_bias=self.chunk_bias.astype(np.float32),
            bag_weights=self.bag_weights.astype(np.float32),
            bag_bias=np.float32(self.bag_bias),
            bag_mean=self.bag_mean.astype(np.float32),
            bag_scale=self.bag_scale.astype(np.float32),
            threshold=np.float32(self.threshold),
            check_in_threshold=np.float32(self.check_in_threshold),
            info=np.array(json.dumps(self.info, sort_keys=True)),
        )

    def chunk_probs(self, vectors: Vector, styles: Vector) -> Vector:
        """Each chunk's probability under models A and B: shape (chunks, 2)."""
        import numpy as np

        features = np.hstack([vectors, styles])
        result: Vector = _sigmoid(features @ self.chunk_weights.T + self.chunk_bias).astype(
            np.float32
        )
        return result

    def bag_prob(self, probs: Vector, styles: Vector) -> float:
        """The crisis probability of a bag of chunks, from `chunk_probs`."""
        features = (bag_features(probs[:, 0], probs[:, 1], styles) - self.bag_mean) / self.bag_scale
        return float(_sigmoid(features @ self.bag_weights + self.bag_bias))

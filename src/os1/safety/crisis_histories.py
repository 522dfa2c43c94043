"""The crisis history model at run time: a long text (a vent, a history of posts) in, a
probability out.

all-MiniLM-L6-v2 fine-tuned on the pieces of Reddit posts, each labelled with its writer's
C-SSRS level (see `history_training`), int8 ONNX, shipped as `crisis_histories.onnx` with its
two thresholds in `crisis_histories.json`. A text is read piece by piece (its paragraphs, each
cut into about 64 words of whole sentences) and its probability is the mean over the pieces:
someone who writes to support others has a few pieces about suicide among many that speak to
"you"; someone in crisis writes about themselves throughout. The crisis classifier reads one
text longer than a chat message (`MESSAGE_WORDS` words), or of several paragraphs, with it as
well as the head, instead of the message model, and keeps the lower score.
"""

from __future__ import annotations

import re
from pathlib import Path

from os1.once import loaded_once
from os1.safety.crisis_messages import CrisisMessageModel
from os1.safety.crisis_model import split_chunks

__all__ = [
    "HISTORY_MODEL_FILE",
    "CrisisHistoryModel",
    "history_model",
    "history_pieces",
    "several_paragraphs",
]

HISTORY_MODEL_FILE = Path(__file__).with_name("crisis_histories.onnx")
_PARAGRAPH = re.compile(r"\n\s*\n")


def several_paragraphs(text: str) -> bool:
    """Whether `text` holds paragraphs apart (posts pasted together, a letter), not one message."""
    return _PARAGRAPH.search(text.strip()) is not None


def history_pieces(text: str) -> list[str]:
    """The pieces a long text is read in: each paragraph cut into whole sentences of about 64
    words (the model read posts cut the same way)."""
    pieces = [c for p in _PARAGRAPH.split(text) if p.strip() for c in split_chunks(p)]
    return pieces or [text.strip() or " "]


class CrisisHistoryModel(CrisisMessageModel):
    """Probability that the writer of a long text is in crisis (the mean over its pieces), and
    the two thresholds chosen for it."""

    FILE = HISTORY_MODEL_FILE
    WHAT = "the crisis history model"
    REBUILD = "os1 safety train-histories"

    def probability(self, text: str) -> float:
        """The mean probability over the pieces of `text`."""
        return float(self.probabilities(history_pieces(text))[:, 0].mean())


@loaded_once
def history_model() -> CrisisHistoryModel:
    """The packaged model, loaded once per process."""
    return CrisisHistoryModel()

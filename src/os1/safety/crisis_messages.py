"""The crisis message model at run time: one chat message in, a probability out.

all-MiniLM-L6-v2 fine-tuned on chat messages (see `message_training`), int8 ONNX, shipped as
`crisis_messages.onnx` with its two thresholds in `crisis_messages.json`. The crisis classifier
reads a single message of up to `MESSAGE_WORDS` words with it instead of the head (which
learned from Reddit histories), its score put on the head's scale (`CrisisClassifier.score`).
"""

from __future__ import annotations

import json
from pathlib import Path

from os1.errors import ModelError
from os1.minilm_classifier import MiniLMClassifier
from os1.once import loaded_once

__all__ = ["MESSAGE_MODEL_FILE", "CrisisMessageModel", "message_model"]

MESSAGE_MODEL_FILE = Path(__file__).with_name("crisis_messages.onnx")


class CrisisMessageModel(MiniLMClassifier):
    """Probability that one chat message is from someone in crisis, and the two thresholds
    chosen for it (the protocol; the gentle check-in question below it)."""

    FILE = MESSAGE_MODEL_FILE
    WHAT = "the crisis message model"
    REBUILD = "os1 safety train-messages"

    def __init__(
        self,
        path: Path | None = None,
        thresholds: tuple[float, float] | None = None,
        threads: int = 1,
    ) -> None:
        model = path or self.FILE
        meta: dict[str, float] = {}
        if thresholds is None:
            try:
                meta = json.loads(model.with_suffix(".json").read_text(encoding="utf-8"))
                thresholds = (float(meta["threshold"]), float(meta["check_in_threshold"]))
            except (OSError, ValueError, KeyError, TypeError) as err:
                raise ModelError(f"{model.with_suffix('.json')} has no thresholds: {err}") from None
        super().__init__(
            model,
            1,
            what=self.WHAT,
            rebuild=self.REBUILD,
            feature="crisis detection",
            max_tokens=int(meta.get("max_tokens", 64)),
            threads=threads,
        )
        self.threshold, self.check_in_threshold = thresholds

    def probability(self, text: str) -> float:
        """The model's probability for one message."""
        return float(self.probabilities([text])[0, 0])


@loaded_once
def message_model() -> CrisisMessageModel:
    """The packaged model, loaded once per process."""
    return CrisisMessageModel()

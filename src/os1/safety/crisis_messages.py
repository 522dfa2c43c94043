"""The crisis message model at run time: one chat message in, a probability out.

Two encoders fine-tuned on the same chat messages (see `message_training`), int8 ONNX:
all-MiniLM-L6-v2 (`crisis_messages.onnx`) and all-mpnet-base-v2 (`crisis_messages_mpnet.onnx`,
its "pair"). Their logits are averaged: MiniLM tells look-alikes that share a crisis's words
apart best, MPNet what is meant when it is said indirectly or about someone else. The two
thresholds of the pair, and MiniLM's own (used if the MPNet file is missing), are in
`crisis_messages.json`. The crisis classifier reads a single message of up to `MESSAGE_WORDS`
words with it instead of the head (which learned from Reddit histories), its score put on the
head's scale (`CrisisClassifier.score`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from os1.errors import ModelError
from os1.minilm_classifier import MiniLMClassifier
from os1.once import loaded_once

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["MESSAGE_MODEL_FILE", "CrisisMessageModel", "mean_logit", "message_model"]

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
        *,
        partner: Path | None = None,
    ) -> None:
        """`path`'s model alone, or with `partner` (or the pair its .json names, unless
        `thresholds` are given), its logits averaged with the partner's."""
        model = path or self.FILE
        meta: dict[str, Any] = {}
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
        self.partner: MiniLMClassifier | None = None
        pair = meta.get("pair")
        if partner is None and pair is not None:
            try:
                named = model.with_name(str(pair["model"]))
                together = (float(pair["threshold"]), float(pair["check_in_threshold"]))
            except (KeyError, TypeError, ValueError) as err:
                raise ModelError(f"{model.with_suffix('.json')}: a pair without {err}") from None
            if named.is_file():  # (without it, MiniLM alone, with its own thresholds)
                partner = named
                self.threshold, self.check_in_threshold = together
        if partner is not None:
            self.partner = MiniLMClassifier(
                partner,
                1,
                what=f"{self.WHAT}'s MPNet half",
                rebuild=self.REBUILD,
                feature="crisis detection",
                max_tokens=self.max_tokens,
                threads=threads,
            )

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """A (len(texts), 1) array: the model's probabilities, or the pair's (the sigmoid of
        the mean of the two logits)."""
        own = super().probabilities(texts)
        if self.partner is None:
            return own
        return mean_logit(own, self.partner.probabilities(texts))

    def probability(self, text: str) -> float:
        """The model's probability for one message."""
        return float(self.probabilities([text])[0, 0])


def mean_logit(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The probability whose logit is the mean of `a`'s and `b`'s."""
    import numpy as np

    a = np.clip(a, 1e-7, 1 - 1e-7)
    b = np.clip(b, 1e-7, 1 - 1e-7)
    odds = np.sqrt((a / (1 - a)) * (b / (1 - b)))
    return cast("npt.NDArray[np.float32]", (odds / (1 + odds)).astype(np.float32))


@loaded_once
def message_model() -> CrisisMessageModel:
    """The packaged model, loaded once per process."""
    return CrisisMessageModel()

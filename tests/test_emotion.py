"""Reading emotions: threshold tuning and macro-F1 by hand, the TSV reader, the eval and bench
commands, the fake reader, and (when it is packaged) the real model on a few messages."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from os1.cli import main
from os1.errors import ModelError, Os1Error
from os1.heart import emotion
from os1.heart.emotion import EmotionReader
from os1.heart.labels import EKMAN, GOEMOTIONS, SENTIMENT, read_goemotions_tsv
from os1.testing import FakeEmotionReader

HAS_NUMPY = importlib.util.find_spec("numpy") is not None
HAS_RUNTIME = HAS_NUMPY and all(
    importlib.util.find_spec(name) is not None for name in ("onnxruntime", "tokenizers")
)
needs_numpy = pytest.mark.skipif(not HAS_NUMPY, reason="needs numpy (the memory extra)")
needs_model = pytest.mark.skipif(
    not HAS_RUNTIME or not emotion.MODEL_FILE.is_file(),
    reason=f"needs the trained emotion model at {emotion.MODEL_FILE} and the memory extra",
)
OUTPUTS = len(GOEMOTIONS) + len(EKMAN) + len(SENTIMENT)
EKMAN_AT = len(GOEMOTIONS)


def _column(values: Sequence[float]) -> Any:
    import numpy as np

    return np.asarray(values, dtype=np.float32)


# --- thresholds and macro-F1 ---------------------------------------------------------------------


@needs_numpy
def test_tuning_picks_each_labels_best_threshold() -> None:
    import numpy as np

    probs = np.zeros((4, OUTPUTS), dtype=np.float32)
    targets = np.zeros((4, OUTPUTS), dtype=np.float32)
    # admiration: separable; every threshold in (0.4, 0.6] is perfect, the lowest (0.41) wins.
    probs[:, 0], targets[:, 0] = _column([0.9, 0.6, 0.4, 0.2]), _column([1, 1, 0, 0])
    # amusement: predicting 0.9, 0.7 and 0.3 (threshold 0.11..0.30) gives F1 2·2/(3+2) = 0.8,
    # better than all four (0.667), the top two (0.5) or the top one (0.667).
    probs[:, 1], targets[:, 1] = _column([0.9, 0.3, 0.7, 0.1]), _column([1, 1, 0, 0])
    # Ekman anger: separable again.
    probs[:, EKMAN_AT], targets[:, EKMAN_AT] = _column([0.8, 0.1, 0.1, 0.1]), _column([1, 0, 0, 0])

    thresholds, scores = emotion.tune_thresholds(probs, targets)

    assert thresholds[0] == pytest.approx(0.41)
    assert thresholds[1] == pytest.approx(0.11)
    assert thresholds[EKMAN_AT] == pytest.approx(0.11)
    assert thresholds[2] == 0.5  # no examples of anger: keeps the default
    assert scores["goemotions"] == pytest.approx((1.0 + 0.8) / 28)
    assert scores["ekman"] == pytest.approx(1.0 / 7)
    assert scores["sentiment"] == 0.0


@needs_numpy
def test_macro_f1_counts_each_label_as_in_the_paper() -> None:
    import numpy as np

    probs = np.zeros((3, OUTPUTS), dtype=np.float32)
    targets = np.zeros((3, OUTPUTS), dtype=np.float32)
    # admiration: predicted twice, right once, never missed: P 1/2, R 1 → F1 2/3.
    probs[:, 0], targets[:, 0] = _column([0.9, 0.8, 0.1]), _column([1, 0, 0])
    # sentiment positive: predicted once (right), one missed: P 1, R 1/2 → F1 2/3.
    positive = EKMAN_AT + len(EKMAN)
    probs[:, positive], targets[:, positive] = _column([0.9, 0.2, 0.1]), _column([1, 1, 0])
    # sentiment negative: all right → 1. The other labels never occur and are never predicted:
    # they count as 0, as scikit-learn's F1 (and the published GoEmotions numbers) count them.
    probs[:, positive + 1], targets[:, positive + 1] = _column([0, 0, 1]), _column([0, 0, 1])

    scores = emotion.macro_f1(probs, targets, np.full(OUTPUTS, 0.5))

    assert scores["goemotions"] == pytest.approx((2 / 3) / 28)
    assert scores["ekman"] == 0.0
    assert scores["sentiment"] == pytest.approx((2 / 3 + 1) / 4)
    per_label = emotion.per_label_f1(probs, targets, np.full(OUTPUTS, 0.5))
    assert per_label["goemotions"]["admiration"] == pytest.approx(2 / 3)
    assert per_label["sentiment"] == pytest.approx(
        {"positive": 2 / 3, "negative": 1.0, "ambiguous": 0.0, "neutral": 0.0}
    )


@needs_numpy
def test_tuning_rejects_mismatched_arrays() -> None:
    import numpy as np

    with pytest.raises(ValueError, match="same 2-d shape"):
        emotion.tune_thresholds(np.zeros((3, OUTPUTS)), np.zeros((2, OUTPUTS)))


# --- the GoEmotions TSV --------------------------------------------------------------------------


def test_tsv_reader_reads_texts_and_label_ids(tmp_path: Path) -> None:
    data = tmp_path / "dev.tsv"
    data.write_text("Thanks a lot!\t15\tab1\n\nWow, really?\t26,7\tab2\n", encoding="utf-8")

    assert read_goemotions_tsv(data) == (["Thanks a lot!", "Wow, really?"], [[15], [26, 7]])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("just some text with no labels\n", "expected 'text<TAB>label ids<TAB>id'"),
        ("ok\tjoy\tab1\n", "expected 'text<TAB>label ids<TAB>id'"),
        ("ok\t28\tab1\n", "label ids must be 0..27"),
        ("\n\n", "holds no examples"),
    ],
)
def test_tsv_reader_explains_bad_files(tmp_path: Path, content: str, message: str) -> None:
    data = tmp_path / "bad.tsv"
    data.write_text(content, encoding="utf-8")

    with pytest.raises(Os1Error, match=message):
        read_goemotions_tsv(data)
    with pytest.raises(Os1Error, match="no GoEmotions file"):
        read_goemotions_tsv(tmp_path / "missing.tsv")


# --- the fake reader -----------------------------------------------------------------------------


def test_fake_reader_reads_keywords_into_real_readings() -> None:
    reader: EmotionReader = FakeEmotionReader()

    sad, thanks, excited, asking, flat = reader.read(
        ["I'm so sad today", "Thank you, really", "We won!", "Where are you?", "ok"]
    )

    assert sad.labels == ("sadness",)
    assert max(sad.sentiment, key=sad.sentiment.__getitem__) == "negative"
    assert max(sad.ekman, key=sad.ekman.__getitem__) == "sadness"
    assert sad.valence < 0 < thanks.valence
    assert thanks.top == "gratitude"
    assert excited.top == "joy"
    assert asking.top == "curiosity"
    assert flat.labels == ("neutral",)
    assert set(flat.emotions) == set(GOEMOTIONS)
    assert reader.read(["I'm so sad today"]) == [sad]  # the same reading every time


def test_fake_reader_takes_its_own_keywords() -> None:
    reader = FakeEmotionReader({"tea": "joy"})

    assert reader.read(["tea time", "thank you"])[0].top == "joy"
    assert reader.read(["thank you"])[0].top == "neutral"
    assert reader.texts == ["tea time", "thank you", "thank you"]
    with pytest.raises(ValueError, match="not GoEmotions labels"):
        FakeEmotionReader({"tea": "bliss"})


# --- os1 eval emotion / os1 bench emotion --------------------------------------------------------


class KeywordScorer:
    """Stands in for the classifier: the fake reader's scores as the model's 39 outputs."""

    def __init__(self, path: Path | None = None, **_: Any) -> None:
        import numpy as np

        self.thresholds = np.full(OUTPUTS, 0.5, dtype=np.float32)
        self._reader = FakeEmotionReader()

    def probabilities(self, texts: Sequence[str]) -> Any:
        import numpy as np

        rows = [
            [*r.emotions.values(), *r.ekman.values(), *r.sentiment.values()]
            for r in self._reader.read(texts)
        ]
        return np.asarray(rows, dtype=np.float32)

    def read(self, texts: Sequence[str]) -> Any:
        return self._reader.read(texts)


@needs_numpy
def test_eval_emotion_writes_scores_per_label_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emotion, "EmotionClassifier", KeywordScorer)
    data = tmp_path / "test.tsv"
    # gratitude (15), grief (16), sadness (25), neutral (27): the keyword scorer gets all four.
    data.write_text(
        "Thank you so much\t15\ta\nMy dog died\t16\tb\nI am so sad\t25\tc\nok then\t27\td\n",
        encoding="utf-8",
    )
    out = tmp_path / "emotion.json"

    result = CliRunner().invoke(main, ["eval", "emotion", "--data", str(data), "--json", str(out)])

    assert result.exit_code == 0, result.output
    assert "macro_f1.goemotions" in result.output
    written = json.loads(out.read_text())
    assert set(written) == {"macro_f1", "messages_per_second", "per_label", "examples"}
    # Four GoEmotions labels right of 28; Ekman joy, sadness, neutral of 7; sentiment 3 of 4.
    assert written["macro_f1"] == pytest.approx(
        {"goemotions": 4 / 28, "ekman": 3 / 7, "sentiment": 3 / 4}
    )
    assert written["messages_per_second"] > 0
    assert written["examples"] == 4
    assert written["per_label"]["goemotions"]["grief"] == 1.0
    assert written["per_label"]["goemotions"]["joy"] == 0.0
    assert list(written["per_label"]["ekman"]) == EKMAN


def test_eval_emotion_explains_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "emotion", "--data", str(tmp_path / "no.tsv")])

    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


@needs_numpy
def test_eval_emotion_explains_a_malformed_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emotion, "EmotionClassifier", KeywordScorer)
    data = tmp_path / "notes.tsv"
    data.write_text("a note without labels\n", encoding="utf-8")

    result = CliRunner().invoke(main, ["eval", "emotion", "--data", str(data)])

    assert result.exit_code == 1
    assert "GoEmotions TSV" in result.output
    assert "Traceback" not in result.output


@needs_numpy
def test_bench_emotion_prints_latency_and_throughput(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emotion, "EmotionClassifier", KeywordScorer)
    out = tmp_path / "bench.json"

    result = CliRunner().invoke(main, ["bench", "emotion", "--json", str(out)])

    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    assert set(written["single_ms"]) == {"p50", "p95"}
    assert written["batched_messages_per_second"] > 0


@pytest.mark.skipif(not HAS_RUNTIME, reason="needs the memory extra")
def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="os1 heart train"):
        emotion.EmotionClassifier(tmp_path / "emotion.onnx")


def test_emotion_missing_names_an_absent_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emotion, "MODEL_FILE", tmp_path / "emotion.onnx")

    assert "emotion.onnx" in emotion.emotion_missing()


# --- the packaged model --------------------------------------------------------------------------


@needs_model
def test_the_model_hears_joy_and_sadness() -> None:
    happy, sad = emotion.emotion_classifier().read(
        ["I'm so happy for you, congratulations!", "My dog died this morning"]
    )

    assert max(happy.ekman, key=happy.ekman.__getitem__) == "joy"
    assert max(happy.sentiment, key=happy.sentiment.__getitem__) == "positive"
    assert max(sad.ekman, key=sad.ekman.__getitem__) == "sadness"
    assert max(sad.sentiment, key=sad.sentiment.__getitem__) == "negative"
    assert {"sadness", "grief"} & set(sad.labels)
    assert sad.valence < 0 < happy.valence


@needs_model
def test_the_model_keeps_order_and_ships_its_thresholds() -> None:
    classifier = emotion.emotion_classifier()
    texts = ["ok", "Thank you so much for everything you did for us, it means the world.", "hm?"]

    probs = classifier.probabilities(texts)
    alone = [classifier.probabilities([text])[0] for text in texts]

    assert probs.shape == (3, OUTPUTS)
    # Batches are sorted by length inside; rows come back in the caller's order. (Dynamic int8
    # quantisation scales activations per batch, so a row moves slightly with its batch-mates:
    # up to 0.09 with the shipped per-channel model; a row swapped with another moves far more.)
    for row, single in zip(probs, alone, strict=True):
        assert abs(row - single).max() < 0.1
    swapped = abs(probs[0] - alone[1]).max()
    assert swapped > 0.3
    assert classifier.thresholds.shape == (OUTPUTS,)
    assert classifier.thresholds.min() > 0
    assert classifier.thresholds.max() < 1
    assert emotion.emotion_classifier() is classifier
    assert classifier.read([]) == []

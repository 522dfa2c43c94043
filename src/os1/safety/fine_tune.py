"""Fine-tuning a sentence encoder with one logit: the crisis message, conversation and history
models are all trained this way (torch, from the `train` extra). The base is all-MiniLM-L6-v2,
or all-mpnet-base-v2 for the message model (`os1.safety.mpnet`, its weights from five packages)."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["base_model", "export_int8", "fine_tune", "fine_tune_to_onnx"]


def base_model(torch: Any, base: str, models_dir: Path | None) -> Any:
    """`base` ("minilm" or "mpnet") with a fresh one-logit head, its pretrained weights loaded
    (mpnet's are joined into `models_dir` the first time; see `os1.safety.mpnet`)."""
    from safetensors.torch import load_file

    from os1.heart.train import build_model, minilm_dir

    if base == "minilm":
        model = build_model(torch, outputs=1)
        weights = load_file(str(minilm_dir() / "model.safetensors"))
    elif base == "mpnet" and models_dir is not None:
        from os1.safety.mpnet import build_mpnet, mpnet_weights

        model = build_mpnet(torch, outputs=1)
        weights = load_file(str(mpnet_weights(models_dir)))
    else:
        raise ValueError(f"unknown base {base!r} (or mpnet without models_dir)")
    missing, _ = model.load_state_dict(weights, strict=False)
    if [m for m in missing if not m.startswith("head")]:
        raise RuntimeError(f"{base} weights did not load: missing {missing}")
    return model


def fine_tune(
    torch: Any,
    ids: list[list[int]],
    labels: list[float],
    *,
    epochs: int,
    learning_rate: float,
    batch_size: int,
    pos_weight: float,
    log: Callable[[str], None],
    base: str = "minilm",
    models_dir: Path | None = None,
) -> Any:
    """`base` (its embeddings frozen) plus a one-logit head, trained on MiniLM's token `ids`
    and their 0/1 `labels` with AdamW, a linear warm-up over 6% of the steps and a linear
    decay. The caller seeds `random` and torch."""
    from os1.heart.train import batches, pad

    target = torch.tensor(labels)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight))
    model = base_model(torch, base, models_dir)
    model.embeddings.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(trainable, lr=learning_rate, weight_decay=0.01)
    total = math.ceil(len(ids) / batch_size) * epochs
    warm = max(1, int(total * 0.06))
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    started = time.monotonic()
    for epoch in range(epochs):
        model.train()
        order = list(range(len(ids)))
        random.shuffle(order)
        epoch_batches = batches(ids, order, batch_size)
        random.shuffle(epoch_batches)
        running = 0.0
        for batch in epoch_batches:
            tokens, mask = pad(torch, [ids[i] for i in batch])
            loss = loss_fn(model(tokens, mask)[:, 0], target[batch])
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            running += float(loss.detach())
        minutes = (time.monotonic() - started) / 60
        mean = running / len(epoch_batches)
        log(f"epoch {epoch + 1}/{epochs}: loss {mean:.4f}, {minutes:.1f} min")
    return model


def export_int8(torch: Any, model: Any, tokenizer: Any, out: Path) -> None:
    """Write `model` to `out` as int8 ONNX (through a float32 file beside it, removed after)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from os1.heart.train import export_onnx

    raw = out.with_name(out.stem + "-fp32.onnx")
    export_onnx(torch, model, tokenizer, raw)
    quantize_dynamic(str(raw), str(out), weight_type=QuantType.QInt8, per_channel=False)
    raw.unlink()


def fine_tune_to_onnx(
    texts: list[str],
    labels: list[float],
    out: Path,
    *,
    what: str,
    max_tokens: int,
    epochs: int,
    learning_rate: float,
    batch_size: int,
    seed: int,
    log: Callable[[str], None],
    base: str = "minilm",
    models_dir: Path | None = None,
) -> dict[str, Any]:
    """Seed, fine-tune `base` on `texts` (each read up to `max_tokens` tokens, as at run time; the
    crises, a minority, weighed up by the square root of their odds so the gradient stays
    balanced) and write `out` as int8 ONNX. `what` names the model in the error raised without
    torch. Returns how it was trained, for the model's .json."""
    from os1.heart.train import encode, minilm_dir, require_torch, tokenizer_for

    torch = require_torch(what)
    random.seed(seed)
    torch.manual_seed(seed)
    tokenizer = tokenizer_for(minilm_dir())
    tokenizer.enable_truncation(max_tokens)
    ids = encode(tokenizer, texts)
    positives = sum(labels)
    started = time.monotonic()
    model = fine_tune(
        torch,
        ids,
        labels,
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        pos_weight=math.sqrt((len(labels) - positives) / positives),
        log=log,
        base=base,
        models_dir=models_dir,
    )
    export_int8(torch, model, tokenizer, out)
    return {
        "base": {"minilm": "all-MiniLM-L6-v2", "mpnet": "all-mpnet-base-v2"}[base],
        "epochs": epochs,
        "learning_rate": learning_rate,
        "batch_size": batch_size,
        "seed": seed,
        "crises": int(positives),
        "minutes": round((time.monotonic() - started) / 60, 1),
    }

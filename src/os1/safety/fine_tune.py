"""Fine-tuning all-MiniLM-L6-v2 with one logit: the crisis message model and the crisis history
model are both trained this way (torch, from the `train` extra)."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from typing import Any

__all__ = ["fine_tune"]


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
) -> Any:
    """MiniLM (its embeddings frozen) plus a one-logit head, trained on the token `ids` and their
    0/1 `labels` with AdamW, a linear warm-up over 6% of the steps and a linear decay. The
    caller seeds `random` and torch."""
    from safetensors.torch import load_file

    from os1.heart.train import batches, build_model, minilm_dir, pad

    target = torch.tensor(labels)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight))
    model = build_model(torch, outputs=1)
    weights = load_file(str(minilm_dir() / "model.safetensors"))
    missing, _ = model.load_state_dict(weights, strict=False)
    if [m for m in missing if not m.startswith("head")]:
        raise RuntimeError(f"MiniLM weights did not load: missing {missing}")
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

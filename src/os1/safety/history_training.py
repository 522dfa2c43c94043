"""Training the crisis history model (`os1 safety train-histories`): MiniLM fine-tuned on the
posts of the C-SSRS development users.

The head (`crisis_training`) reads frozen embeddings; it told people who write to support others
from people in crisis poorly (held out, 72% of supporters got the protocol at 96% recall). This
model fine-tunes all-MiniLM-L6-v2 with one logit on the pieces of each user's posts (paragraphs
cut into whole sentences of about 64 words, as `history_pieces` reads them), every piece labelled
with its writer's level (Ideation, Behavior, Attempt: crisis; Supportive, Indicator: safe). A
text's probability is the mean over its pieces.

The thresholds come from a 5-fold cross-validation by user: each user's pieces are scored by a
model that never saw that user. The protocol threshold is the highest at which an explicit
statement or the mean reaches `HISTORY_RECALL` of the people in crisis, the check-in threshold
the highest that reaches `CHECK_IN_RECALL`. Then one model is trained on every user and exported
to int8 ONNX (`crisis_histories.onnx`). Needs the `train` extra (torch); about 30 minutes on
2 cores.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from os1.safety.crisis_histories import history_pieces
from os1.safety.crisis_statements import explicit_statement
from os1.safety.crisis_training import Example, auc, load_cssrs

__all__ = ["HISTORY_RECALL", "cross_validated_thresholds", "train_history_model"]

HISTORY_RECALL = 0.98
CHECK_IN_RECALL = 0.99
FOLDS = 5
MAX_TOKENS = 128
BATCH_SIZE = 16
LEARNING_RATE = 4e-5


def _folds(users: Sequence[Example], folds: int, seed: int) -> list[int]:
    """A fold for each user, stratified by C-SSRS level."""
    rng = random.Random(seed)
    fold = [0] * len(users)
    levels: dict[str, list[int]] = {}
    for i, user in enumerate(users):
        levels.setdefault(user.source, []).append(i)
    for _, members in sorted(levels.items()):
        rng.shuffle(members)
        for k, i in enumerate(members):
            fold[i] = k % folds
    return fold


def _recall_threshold(scores: Any, stated: Any, crisis: Any, recall: float) -> float:
    """The highest threshold at which a statement or a score at least it reaches `recall` of
    the people in crisis."""
    import numpy as np

    for t in sorted(set(np.asarray(scores)[crisis].tolist()), reverse=True):
        if (stated | (scores >= t))[crisis].mean() >= recall:
            return float(t)
    return 0.0


def cross_validated_thresholds(scores: Any, stated: Any, crisis: Any) -> tuple[float, float]:
    """(protocol, check-in) thresholds for held-out `scores`; `stated`: an explicit statement."""
    protocol = _recall_threshold(scores, stated, crisis, HISTORY_RECALL)
    check_in = min(protocol, _recall_threshold(scores, stated, crisis, CHECK_IN_RECALL))
    return protocol, check_in


def _fit(
    torch: Any,
    ids: list[list[int]],
    labels: list[float],
    *,
    epochs: int,
    seed: int,
    log: Callable[[str], None],
) -> Any:
    from os1.safety.fine_tune import fine_tune

    random.seed(seed)
    torch.manual_seed(seed)
    positives = sum(labels)
    return fine_tune(
        torch,
        ids,
        labels,
        epochs=epochs,
        learning_rate=LEARNING_RATE,
        batch_size=BATCH_SIZE,
        pos_weight=(len(labels) - positives) / max(1.0, positives),
        log=lambda line: log("  " + line),
    )


def _predict(torch: Any, model: Any, ids: list[list[int]]) -> list[float]:
    from os1.heart.train import pad

    model.eval()
    out = [0.0] * len(ids)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    with torch.no_grad():
        for start in range(0, len(order), 64):
            rows = order[start : start + 64]
            tokens, mask = pad(torch, [ids[i] for i in rows])
            for i, p in zip(rows, torch.sigmoid(model(tokens, mask)[:, 0]).tolist(), strict=True):
                out[i] = float(p)
    return out


def _shares(flagged: Any, users: Sequence[Example]) -> dict[str, float]:
    import numpy as np

    out: dict[str, float] = {}
    for level in sorted({u.source for u in users}):
        members = [i for i, u in enumerate(users) if u.source == level]
        out[level.removeprefix("cssrs:")] = round(float(np.mean(flagged[members])), 3)
    return out


def train_history_model(
    data_dir: Path,
    out: Path,
    *,
    epochs: int = 3,
    folds: int = FOLDS,
    seed: int = 13,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Cross-validate, train on every user, export `out` (int8 ONNX) and its thresholds and
    figures (`out` as .json). Each person's held-out score and fold go beside it
    (`<out>-held-out.json`: numbers only, in the order of the C-SSRS file), for reading the
    whole detector with them. Raises FileNotFoundError naming the C-SSRS file when missing."""
    import numpy as np

    from os1.heart.train import encode, minilm_dir, require_torch, tokenizer_for
    from os1.safety.fine_tune import export_int8

    torch = require_torch("training the crisis history model")

    started = time.monotonic()
    users = load_cssrs(data_dir)
    tokenizer = tokenizer_for(minilm_dir())
    tokenizer.enable_truncation(MAX_TOKENS)
    owner: list[int] = []
    pieces: list[str] = []
    for i, user in enumerate(users):
        for post in user.texts:
            found = history_pieces(post)
            pieces += found
            owner += [i] * len(found)
    ids = encode(tokenizer, pieces)
    labels = [float(users[i].crisis) for i in owner]
    crisis = np.array([u.crisis for u in users])
    stated = np.array([explicit_statement("\n\n".join(u.texts)) is not None for u in users])
    log(f"{len(users)} people, {len(pieces)} pieces of their posts")

    fold = _folds(users, folds, seed)
    held_out = np.zeros(len(pieces))
    for f in range(folds):
        train = [j for j, i in enumerate(owner) if fold[i] != f]
        test = [j for j, i in enumerate(owner) if fold[i] == f]
        log(f"fold {f + 1}/{folds}: {len(train)} pieces")
        model = _fit(
            torch,
            [ids[j] for j in train],
            [labels[j] for j in train],
            epochs=epochs,
            seed=seed + f,
            log=log,
        )
        held_out[test] = _predict(torch, model, [ids[j] for j in test])
    owners = np.array(owner)
    scores = np.array([held_out[owners == i].mean() for i in range(len(users))])
    protocol, check_in = cross_validated_thresholds(scores, stated, crisis)
    # Each fold's users judged by thresholds chosen on the other folds alone.
    nested = np.zeros(len(users), dtype=bool)
    folds_of = np.array(fold)
    for f in range(folds):
        rest = folds_of != f
        at, _ = cross_validated_thresholds(scores[rest], stated[rest], crisis[rest])
        nested[~rest] = stated[~rest] | (scores[~rest] >= at)

    log("all people")
    model = _fit(torch, ids, labels, epochs=epochs, seed=seed, log=log)
    export_int8(torch, model, tokenizer, out)
    meta: dict[str, Any] = {
        "threshold": round(protocol, 4),
        "check_in_threshold": round(check_in, 4),
        "max_tokens": MAX_TOKENS,
        "held_out": {
            "auc": round(auc(scores, crisis), 3),
            "protocol": _shares(stated | (scores >= protocol), users),
            "check_in": _shares(stated | (scores >= check_in), users),
            "protocol_nested": _shares(nested, users),
            "people": {
                u: sum(1 for x in users if x.source == u) for u in sorted({x.source for x in users})
            },
        },
        "train": {
            "epochs": epochs,
            "folds": folds,
            "learning_rate": LEARNING_RATE,
            "batch_size": BATCH_SIZE,
            "seed": seed,
            "pieces": len(pieces),
            "minutes": round((time.monotonic() - started) / 60, 1),
        },
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    scores_out = out.with_name(out.stem + "-held-out.json")
    scores_out.write_text(
        json.dumps({"fold": fold, "scores": [round(float(s), 5) for s in scores]}) + "\n",
        encoding="utf-8",
    )
    log(f"thresholds: protocol {meta['threshold']}, check-in {meta['check_in_threshold']}")
    return meta

"""Training the crisis head (`os1 safety train-crisis`), reproducibly, with cross-validation.

Data (read from a folder, never copied into the package or its tests):

- `reddit_cssrs_dev/reddit_cssrs_dev.csv`: 200 Reddit users rated on the Columbia Suicide
  Severity Rating Scale. Ideation, Behavior and Attempt are **crisis**; Supportive (people who
  write to support others) and Indicator (risk factors, no ideation) are **safe**: the crisis
  protocol is for people thinking of ending their lives, and a false alarm on a supporter counts.
  Each user is one example: the bag of all their posts.
- `goemotions/train.tsv`: a fixed sample of everyday Reddit comments, all **safe** (sad ones
  included), so that ordinary feelings do not alarm.
- `crisis_examples.txt` (in the package): messages written for os1, single and multi-turn,
  including role-play framing and words like "kill" in safe senses.

XSTest and the prompt-injection set are never used for training: they stay held out.

Two thresholds are chosen on training folds only, from scores the bag model gives to text its
chunk models did not see: the crisis threshold lets at most 2% of everyday messages alarm; the
check-in threshold is the highest at which 95% of the C-SSRS people in crisis score above it
(never above the crisis threshold). Cross-validation reports both tiers, per person (all their
posts read together) and per conversation (their posts read one message at a time, as the
companion would, with the last few as context and a second worrying message escalating).
"""

from __future__ import annotations

import ast
import csv
import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from os1.safety.crisis_model import (
    BAG_FEATURES,
    CrisisHead,
    bag_features,
    faint,
    split_chunks,
    style_features,
    terse,
)
from os1.safety.crisis_statements import (
    explicit_floor,
    explicit_statement,
    indirect_statement,
    past_or_denied,
)

if TYPE_CHECKING:
    import numpy.typing as npt

    from os1.safety.crisis import CrisisDetector

    Array = npt.NDArray[Any]

__all__ = [
    "CRISIS_LEVELS",
    "SAFE_LEVELS",
    "Example",
    "auc",
    "cross_validate",
    "load_training_data",
    "parse_posts",
    "threshold_letting",
    "train_head",
]

CRISIS_LEVELS = ("Ideation", "Behavior", "Attempt")
SAFE_LEVELS = ("Supportive", "Indicator")
CSSRS_FILE = Path("reddit_cssrs_dev") / "reddit_cssrs_dev.csv"
GOEMOTIONS_FILE = Path("goemotions") / "train.tsv"
GOEMOTIONS_SAMPLE = 1500
# Weights per example: the written messages are few but clean, and each C-SSRS user is a whole
# person's history; the everyday comments are many.
OWN_WEIGHT = 10.0
CSSRS_BAG_WEIGHT = 10.0
CHUNK_L2 = 1.0
BAG_L2 = 1.0
CHECK_IN_RECALL = 0.95
"""The check-in threshold lets this share of the C-SSRS people in crisis (in training) reach it."""
WINDOW_TURNS = 3


@dataclass(frozen=True, slots=True)
class Example:
    """One training example: a bag of texts (posts or turns), its label, where it came from."""

    texts: tuple[str, ...]
    crisis: bool
    source: str  # "cssrs:<level>", "own", "goemotions"


def parse_posts(cell: str) -> list[str]:
    """A Python-list literal of posts; some cells were cut at 32,759 characters by a
    spreadsheet, so fall back to the longest prefix of whole posts."""
    try:
        return [str(p) for p in ast.literal_eval(cell)]
    except (ValueError, SyntaxError):
        pass
    cut = max(cell.rfind("', "), cell.rfind('", '))
    while cut > 0:
        try:
            return [str(p) for p in ast.literal_eval(cell[: cut + 1] + "]")]
        except (ValueError, SyntaxError):
            cut = max(cell.rfind("', ", 0, cut), cell.rfind('", ', 0, cut))
    return []


def load_cssrs(data_dir: Path) -> list[Example]:
    """The C-SSRS development users as bags of posts."""
    path = data_dir / CSSRS_FILE
    csv.field_size_limit(10**8)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        level = row["Label"]
        posts = [p for p in parse_posts(row["Post"]) if p.strip()]
        if posts and level in CRISIS_LEVELS + SAFE_LEVELS:
            out.append(Example(tuple(posts), level in CRISIS_LEVELS, f"cssrs:{level}"))
    return out


def load_goemotions(data_dir: Path, count: int = GOEMOTIONS_SAMPLE, seed: int = 7) -> list[Example]:
    """A fixed random sample of everyday comments, as safe examples."""
    path = data_dir / GOEMOTIONS_FILE
    with path.open(encoding="utf-8") as handle:
        texts = [line.split("\t", 1)[0] for line in handle if line.strip()]
    # An everyday comment that states intent outright is not a safe example; leave it out.
    texts = [t for t in texts if explicit_statement(t) is None]
    sample = random.Random(seed).sample(texts, min(count, len(texts)))
    return [Example((t,), False, "goemotions") for t in sample]


def load_own_examples() -> list[Example]:
    """The example messages written for os1 (shipped in the package)."""
    text = files("os1.safety").joinpath("crisis_examples.txt").read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, body = line.split("\t", 1)
        turns = tuple(t.strip() for t in body.split(" || "))
        out.append(Example(turns, label == "crisis", "own"))
    return out


def load_training_data(data_dir: Path) -> list[Example]:
    """Every training example; raises FileNotFoundError naming what is missing."""
    missing = [p for p in (CSSRS_FILE, GOEMOTIONS_FILE) if not (data_dir / p).is_file()]
    if missing:
        raise FileNotFoundError(", ".join(str(data_dir / p) for p in missing))
    return load_cssrs(data_dir) + load_goemotions(data_dir) + load_own_examples()


# --- features ------------------------------------------------------------------------------


@dataclass
class _Chunks:
    """Every chunk of every example, embedded once."""

    vectors: Array
    styles: Array
    owner: Any  # example index of each chunk (int array)
    post: Any  # index of each chunk's text (post or turn) within its example (int array)


def _embed_examples(
    examples: Sequence[Example],
    embed: Callable[[list[str]], Any],
    cache: Path | None = None,
) -> _Chunks:
    import numpy as np

    chunks: list[str] = []
    owner: list[int] = []
    post: list[int] = []
    for i, example in enumerate(examples):
        for k, text in enumerate(example.texts):
            for chunk in split_chunks(text):
                chunks.append(chunk)
                owner.append(i)
                post.append(k)
    keys = [hashlib.sha256(c.encode("utf-8")).hexdigest()[:24] for c in chunks]
    known: dict[str, Any] = {}
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as data:
            known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    todo = sorted({k for k in keys if k not in known})
    if todo:
        first = {k: c for k, c in zip(keys, chunks, strict=True)}
        for key, vector in zip(todo, embed([first[k] for k in todo]), strict=True):
            known[key] = vector
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cache, keys=np.array(list(known)), vectors=np.array(list(known.values())))
    vectors = np.array([known[k] for k in keys], dtype=np.float64)
    styles = np.array([style_features(c) for c in chunks], dtype=np.float64)
    return _Chunks(vectors, styles, np.array(owner), np.array(post))


def fit_logistic(x: Array, y: Array, weights: Array, l2: float) -> tuple[Array, float]:
    """L2-regularised logistic regression by Newton's method (small problems: exact and fast)."""
    import numpy as np

    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    beta = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ beta, -30, 30)))
        grad = xb.T @ (weights * (p - y)) + penalty * beta
        hess = (xb * (weights * p * (1 - p))[:, None]).T @ xb + np.diag(penalty + 1e-8)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-7:
            break
    return beta[:-1], float(beta[-1])


def _example_weights(examples: Sequence[Example], cssrs: float = 1.0) -> Array:
    import numpy as np

    return np.array(
        [
            OWN_WEIGHT if e.source == "own" else cssrs if e.source.startswith("cssrs") else 1.0
            for e in examples
        ]
    )


def _fit_chunk_model(
    chunks: _Chunks, examples: Sequence[Example], members: Array, model: str
) -> tuple[Array, float]:
    """Model "A": crisis against everything; model "B": crisis against writing about suicide
    without being in crisis (the everyday comments are left out)."""
    import numpy as np

    labels = np.array([e.crisis for e in examples], dtype=np.float64)
    # Only single messages and whole users teach the chunk models; the earlier turns of a
    # multi-turn example are not crises by themselves.
    usable = np.array(
        [
            (e.source != "own" or len(e.texts) == 1) and (model == "A" or e.source != "goemotions")
            for e in examples
        ]
    )
    use = np.isin(chunks.owner, members) & usable[chunks.owner]
    owner = chunks.owner[use]
    x = np.hstack([chunks.vectors[use], chunks.styles[use]])
    counts = np.bincount(owner, minlength=len(examples)).astype(np.float64)
    # A person with 90 posts is still one person: a chunk weighs 1/sqrt(chunks of its example).
    weights = _example_weights(examples)[owner] / np.sqrt(counts[owner])
    return fit_logistic(x, labels[owner], weights, CHUNK_L2)


def _chunk_probs(chunks: _Chunks, weights: Array, bias: Array) -> Array:
    import numpy as np

    z = np.hstack([chunks.vectors, chunks.styles]) @ weights.T + bias
    result: Array = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    return result


def _bag_matrix(chunks: _Chunks, probs: Array, members: Array) -> Array:
    import numpy as np

    rows = []
    for i in members:
        sel = chunks.owner == i
        rows.append(bag_features(probs[sel, 0], probs[sel, 1], chunks.styles[sel]))
    return np.array(rows, dtype=np.float64).reshape(-1, BAG_FEATURES)


def _fit_chunks(
    chunks: _Chunks, examples: Sequence[Example], members: Array
) -> tuple[Array, Array]:
    import numpy as np

    fitted = [_fit_chunk_model(chunks, examples, members, m) for m in ("A", "B")]
    return np.array([w for w, _ in fitted]), np.array([b for _, b in fitted])


def _fit(
    chunks: _Chunks, examples: Sequence[Example], members: Array, rng: Any, inner_folds: int = 4
) -> tuple[CrisisHead, Array]:
    """Fit the chunk models and the bag model on `members`; the bag model learns from
    out-of-fold chunk scores, as it will meet unseen text. Also returns the members' scores
    from those out-of-fold chunk scores (honest enough to choose thresholds on)."""
    import numpy as np

    labels = np.array([e.crisis for e in examples], dtype=np.float64)
    oof = np.zeros((len(chunks.owner), 2))
    for fold in np.array_split(rng.permutation(members), inner_folds):
        weights, bias = _fit_chunks(chunks, examples, np.setdiff1d(members, fold))
        sel = np.isin(chunks.owner, fold)
        part = _Chunks(chunks.vectors[sel], chunks.styles[sel], chunks.owner[sel], chunks.post[sel])
        oof[sel] = _chunk_probs(part, weights, bias)
    bag_x = _bag_matrix(chunks, oof, members)
    mean, scale = bag_x.mean(axis=0), bag_x.std(axis=0) + 1e-6
    bag_w, bag_b = fit_logistic(
        (bag_x - mean) / scale,
        labels[members],
        _example_weights(examples, CSSRS_BAG_WEIGHT)[members],
        BAG_L2,
    )
    chunk_w, chunk_b = _fit_chunks(chunks, examples, members)
    head = CrisisHead(
        chunk_weights=chunk_w.astype(np.float32),
        chunk_bias=chunk_b.astype(np.float32),
        bag_weights=bag_w.astype(np.float32),
        bag_bias=bag_b,
        bag_mean=mean.astype(np.float32),
        bag_scale=scale.astype(np.float32),
        threshold=0.5,
        check_in_threshold=0.5,
        info={},
    )
    train_scores: Array = 1.0 / (1.0 + np.exp(-(((bag_x - mean) / scale) @ bag_w + bag_b)))
    return head, train_scores


def _scores(head: CrisisHead, chunks: _Chunks, members: Array) -> Array:
    import numpy as np

    probs = _chunk_probs(chunks, head.chunk_weights.astype(np.float64), head.chunk_bias)
    bags = (_bag_matrix(chunks, probs, members) - head.bag_mean) / head.bag_scale
    z = bags @ head.bag_weights + head.bag_bias
    result: Array = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    return result


def threshold_letting(scores: Any, share: float) -> float:
    """The lowest threshold at which at most `share` of `scores` (safe examples) reach it."""
    import numpy as np

    values = np.sort(np.asarray(scores))[::-1]
    allowed = int(np.floor(share * len(values)))
    return float(values[allowed] + 1e-6) if len(values) > allowed else 0.5


def _thresholds(
    scores: Array, examples: Sequence[Example], members: Array, max_fa: float
) -> tuple[float, float]:
    """The crisis threshold: the lowest at which at most `max_fa` of the safe everyday messages
    alarm (the comments and the written examples). The check-in threshold: the highest that
    `CHECK_IN_RECALL` of the C-SSRS people in crisis reach, capped by the crisis threshold."""
    import numpy as np

    safe = np.array(
        [not examples[i].crisis and examples[i].source in ("own", "goemotions") for i in members]
    )
    crisis = threshold_letting(scores[safe], max_fa)
    people = np.array(
        [examples[i].crisis and examples[i].source.startswith("cssrs") for i in members]
    )
    if not people.any():
        return crisis, crisis
    check_in = float(np.quantile(scores[people], 1.0 - CHECK_IN_RECALL))
    return crisis, min(crisis, check_in)


def _summarise(flagged: Array, examples: Sequence[Example], members: Array) -> dict[str, Any]:
    """The share flagged in each group: C-SSRS levels, everyday comments, written examples."""
    import numpy as np

    groups: dict[str, list[bool]] = {}
    for i, hit in zip(members, flagged, strict=True):
        e = examples[i]
        groups.setdefault(e.source, []).append(bool(hit))
        if e.source == "own":
            groups.setdefault("own:crisis" if e.crisis else "own:safe", []).append(bool(hit))
        if e.source.startswith("cssrs") and e.crisis:
            groups.setdefault("cssrs_recall", []).append(bool(hit))
    return {k: {"n": len(v), "flagged": round(float(np.mean(v)), 3)} for k, v in groups.items()}


def auc(scores: Array, labels: Any) -> float:
    """The area under the ROC curve of `scores` for the boolean `labels` (0.0 without both)."""
    import numpy as np

    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    pos = labels.sum()
    neg = len(labels) - pos
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg)) if pos and neg else 0.0


def _explicit_floors(examples: Sequence[Example], members: Array) -> Array:
    """Per example, the lowest fraction of the threshold at which one of its messages alarms by
    an explicit statement (1.0: none has one)."""
    import numpy as np

    # The product checks each message as it comes: an explicit statement in any one of them.
    return np.array(
        [min(explicit_floor(explicit_statement(t)) for t in examples[i].texts) for i in members]
    )


def _bag_prob(head: CrisisHead, probs: Array, styles: Array) -> float:
    import numpy as np

    features = (bag_features(probs[:, 0], probs[:, 1], styles) - head.bag_mean) / head.bag_scale
    return float(
        1.0 / (1.0 + np.exp(-np.clip(features @ head.bag_weights + head.bag_bias, -30, 30)))
    )


def _worrying(head: CrisisHead, text: str, explicit: str | None, score: float) -> bool:
    """Whether a score brings the check-in question (as `CrisisDetector.assess`)."""
    return score >= head.check_in_threshold and not faint(text, explicit, score)


def _conversation(
    head: CrisisHead, chunks: _Chunks, probs: Array, example: int, texts: Sequence[str]
) -> tuple[bool, bool, bool]:
    """Read one person's messages one at a time, as `CrisisDetector` and `CrisisPolicy` do:
    (any crisis, any crisis or check-in, any crisis or escalation). Once she has checked in, a
    later message that is worrying by itself escalates (nobody answers her question here)."""
    import numpy as np

    sel = np.where(chunks.owner == example)[0]
    spans = [sel[chunks.post[sel] == k] for k in range(len(texts))]
    crisis = checked = escalated = False
    alarmed: list[bool] = []  # each post's score alone brought the protocol (as the detector)
    for k, span in enumerate(spans):
        alone = _bag_prob(head, probs[span], chunks.styles[span])
        window = alone
        explicit = explicit_statement(texts[k])
        if k and not any(alarmed[max(0, k - WINDOW_TURNS) :]):
            context = np.concatenate(spans[max(0, k - WINDOW_TURNS) : k + 1])
            window = _bag_prob(head, probs[context], chunks.styles[context])
        alarmed.append(alone >= head.threshold and not terse(texts[k], explicit, alone))
        by_itself = alone >= explicit_floor(explicit) * head.threshold
        past = by_itself and past_or_denied(texts[k])
        sign = indirect_statement(texts[k]) and not past_or_denied(texts[k])
        if past:
            by_itself = False
            alone = min(alone, head.threshold - 1e-6)
            window = min(window, head.threshold - 1e-6)
        if (by_itself or window >= head.threshold) and not terse(
            texts[k], explicit, max(alone, window)
        ):
            crisis = True
        elif checked and (past or sign or _worrying(head, texts[k], explicit, alone)):
            escalated = True
        elif past or sign or _worrying(head, texts[k], explicit, max(alone, window)):
            checked = True
    return crisis, crisis or checked or escalated, crisis or escalated


def cross_validate(
    examples: Sequence[Example],
    chunks: _Chunks,
    *,
    folds: int = 5,
    repeats: int = 2,
    max_fa: float = 0.02,
    seed: int = 0,
    detector: Callable[[CrisisHead], CrisisDetector] | None = None,
) -> dict[str, Any]:
    """Stratified k-fold over every example (C-SSRS users, written examples, comments): the
    whole recipe, thresholds included, is fitted on k-1 folds and scored on the held-out one.

    "person": all of a person's posts read together; "conversation": their posts read one at a
    time as messages of one conversation (what the companion does). Tiers: "crisis" (the
    protocol), "crisis_or_check_in" (the protocol or a check-in question), "escalated" (the
    protocol, including after a second worrying message).

    With `detector` (a detector around each fold's head), "detector" also reads each held-out
    C-SSRS person's posts together with the whole detector, every rule and the model of chat
    messages included (which never trained on C-SSRS, so the figures stay held out; it did
    train on the written examples and some of the comments, which are left out here)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = len(examples)
    strata: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        strata.setdefault(f"{e.source}:{e.crisis}", []).append(i)
    floors = _explicit_floors(examples, np.arange(n))
    explicit = floors < 1.0
    single = [e.texts[0] if len(e.texts) == 1 else None for e in examples]
    statements = [explicit_statement(t) if t is not None else None for t in single]
    # An indirect sign is asked about whatever the score (texts read together as one, as
    # `os1 eval crisis` reads a person's posts).
    joined = ["\n\n".join(e.texts) for e in examples]
    signs = np.array([indirect_statement(t) and not past_or_denied(t) for t in joined])
    runs = []
    for _ in range(repeats):
        fold_of = np.zeros(n, dtype=int)
        for members in strata.values():
            perm = rng.permutation(members)
            for k, part in enumerate(np.array_split(perm, folds)):
                fold_of[part] = (k + rng.integers(folds)) % folds
        scores = np.zeros(n)
        crisis_at = np.zeros(n)
        check_in_at = np.zeros(n)
        talk = np.zeros((n, 3), dtype=bool)
        whole = np.zeros((n, 2), dtype=bool)
        for k in range(folds):
            train = np.where(fold_of != k)[0]
            test = np.where(fold_of == k)[0]
            fitted, train_scores = _fit(chunks, examples, train, rng)
            crisis_t, check_in_t = _thresholds(train_scores, examples, train, max_fa)
            head = replace(fitted, threshold=crisis_t, check_in_threshold=check_in_t)
            scores[test] = _scores(head, chunks, test)
            crisis_at[test], check_in_at[test] = crisis_t, check_in_t
            probs = _chunk_probs(chunks, head.chunk_weights.astype(np.float64), head.chunk_bias)
            for i in test:
                talk[i] = _conversation(head, chunks, probs, i, examples[i].texts)
            if detector is not None:
                reads = detector(head)
                for i in test:
                    if examples[i].source.startswith("cssrs"):
                        found = reads.assess("\n\n".join(examples[i].texts))
                        whole[i] = (found.crisis, found.crisis or found.check_in)
        short = np.array(
            [
                t is not None and terse(t, x, s)
                for t, x, s in zip(single, statements, scores, strict=True)
            ]
        )
        crisis = (scores >= floors * crisis_at) & ~short
        asked = (scores >= check_in_at) & ~np.array(
            [
                t is not None and faint(t, x, s)
                for t, x, s in zip(single, statements, scores, strict=True)
            ]
        ) | signs
        cssrs = np.array([e.source.startswith("cssrs") for e in examples])
        labels = np.array([e.crisis for e in examples])
        everyone = np.arange(n)
        people = np.where(cssrs)[0]
        runs.append(
            {
                "person": {
                    "crisis": _summarise(crisis, examples, everyone),
                    "crisis_or_check_in": _summarise(crisis | asked, examples, everyone),
                    "explicit_only": _summarise(explicit, examples, everyone),
                },
                "conversation": {
                    "crisis": _summarise(talk[:, 0], examples, everyone),
                    "crisis_or_check_in": _summarise(talk[:, 1], examples, everyone),
                    "escalated": _summarise(talk[:, 2], examples, everyone),
                },
                **(
                    {
                        "detector": {
                            "crisis": _summarise(whole[cssrs, 0], examples, people),
                            "crisis_or_check_in": _summarise(whole[cssrs, 1], examples, people),
                        }
                    }
                    if detector is not None
                    else {}
                ),
                "cssrs_auc": round(auc(scores[cssrs], labels[cssrs]), 3),
                "threshold": round(float(crisis_at.mean()), 3),
                "check_in_threshold": round(float(check_in_at.mean()), 3),
            }
        )
    return _mean_runs(runs)


def _mean_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def merge(items: list[Any]) -> Any:
        if isinstance(items[0], dict):
            return {k: merge([i[k] for i in items]) for k in items[0]}
        if isinstance(items[0], int):
            return items[0]
        return round(sum(items) / len(items), 3)

    return dict(merge(runs))


def train_head(
    data_dir: Path,
    embed: Callable[[list[str]], Any],
    *,
    folds: int = 5,
    repeats: int = 2,
    max_fa: float = 0.02,
    cache: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
    detector: Callable[[CrisisHead], CrisisDetector] | None = None,
) -> tuple[CrisisHead, dict[str, Any]]:
    """Cross-validate, then fit on everything; returns the head and the CV report."""
    import numpy as np

    examples = load_training_data(data_dir)
    progress(f"{len(examples)} examples; embedding (a few minutes the first time)")
    chunks = _embed_examples(examples, embed, cache)
    progress(f"{len(chunks.owner)} chunks; cross-validating ({folds} folds x {repeats})")
    report = cross_validate(
        examples, chunks, folds=folds, repeats=repeats, max_fa=max_fa, detector=detector
    )
    progress("fitting on all the data")
    everyone = np.arange(len(examples))
    rng = np.random.default_rng(1)
    head, train_scores = _fit(chunks, examples, everyone, rng)
    threshold, check_in = _thresholds(train_scores, examples, everyone, max_fa)
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.source] = counts.get(e.source, 0) + 1
    info = {
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%d"),
        "examples": counts,
        "crisis_levels": list(CRISIS_LEVELS),
        "safe_levels": list(SAFE_LEVELS),
        "max_false_alarm_on_conversation": max_fa,
        "cv": report,
    }
    final = CrisisHead(
        chunk_weights=head.chunk_weights,
        chunk_bias=head.chunk_bias,
        bag_weights=head.bag_weights,
        bag_bias=head.bag_bias,
        bag_mean=head.bag_mean,
        bag_scale=head.bag_scale,
        threshold=threshold,
        check_in_threshold=check_in,
        info=info,
    )
    return final, report

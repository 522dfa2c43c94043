"""`os1 eval locomo`: long-term conversational memory on LoCoMo (Maharana et al., ACL 2024).

Each conversation is stored as one user's history with its real session dates (speaker A is
the user, speaker B the companion; a shared photo is kept as its caption, as LoCoMo's own
scripts do), remembered like any chat, and every question is asked of `Memories.recall`.
Evidence recall@k follows LoCoMo's definition: the share of a question's evidence turns among
the first k dialog turns retrieved, averaged over questions. Only the dialog turns and their
dates are read, never the file's generated observations or summaries.
"""

from __future__ import annotations

import json
import re
import statistics
import string
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from os1.errors import InputError
from os1.memory.recall import memory_line
from os1.types import ChatMessage, GenerationRequest, Role, TextDelta

if TYPE_CHECKING:
    from os1.backends import Backend
    from os1.config import Settings
    from os1.memory.memories import Memories

__all__ = ["evidence_ids", "load_locomo", "recall_at", "run_locomo", "token_f1"]

K_VALUES = (5, 10, 25)
ANSWER_MEMORIES = 10


def load_locomo(path: Path) -> list[dict[str, Any]]:
    """The samples of a LoCoMo-format file (a list of {conversation, qa, ...})."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path} not found; give a LoCoMo file with --data") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise InputError(f"{path} is not valid JSON ({err})") from None
    if not isinstance(data, list) or not all(
        isinstance(s, dict) and "conversation" in s and "qa" in s for s in data
    ):
        raise InputError(f"{path} is not in LoCoMo's format (a list of conversation + qa)")
    return data


def session_date(text: str) -> datetime:
    """LoCoMo's session stamp ("1:56 pm on 8 May, 2023") as a UTC datetime."""
    from datetime import UTC

    return datetime.strptime(" ".join(text.split()), "%I:%M %p on %d %B, %Y").replace(tzinfo=UTC)


def evidence_ids(qa: dict[str, Any]) -> list[str]:
    """A question's evidence turn ids, cleaned as LoCoMo's scripts do ("D8:6; D9:17" is two)."""
    out: list[str] = []
    for item in qa.get("evidence", []):
        for part in re.split(r"[;,\s]+", str(item).replace("(", "").replace(")", "")):
            if re.fullmatch(r"D\d+:\d+", part):
                out.append(part)
    return list(dict.fromkeys(out))


def recall_at(ranked: list[str], evidence: list[str], k: int) -> float:
    """The share of `evidence` among the first k of `ranked`."""
    top = set(ranked[:k])
    return sum(e in top for e in evidence) / len(evidence)


def _normalize(text: str) -> list[str]:
    text = str(text).lower().replace(",", "")
    text = "".join(ch for ch in text if ch not in string.punctuation)
    return [w for w in text.split() if w not in ("a", "an", "the", "and")]


def token_f1(prediction: str, truth: str) -> float:
    """Token F1 between an answer and the reference (LoCoMo's normalisation, no stemming)."""
    pred, gold = _normalize(prediction), _normalize(truth)
    common = sum((Counter(pred) & Counter(gold)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def _sessions(conversation: dict[str, Any]) -> list[tuple[datetime, list[dict[str, Any]]]]:
    keys = [k for k in conversation if re.fullmatch(r"session_\d+", k)]
    out = []
    for key in sorted(keys, key=lambda k: int(k.split("_")[1])):
        turns = conversation[key]
        stamp = conversation.get(f"{key}_date_time")
        if turns and stamp:
            out.append((session_date(stamp), turns))
    return out


def _turn_text(turn: dict[str, Any]) -> str:
    text = str(turn.get("text", ""))
    if turn.get("blip_caption"):
        text += f" [shares {turn['blip_caption']}]"
    return text


class _Clock:
    def __init__(self) -> None:
        self.now = datetime.fromtimestamp(0).astimezone()

    def __call__(self) -> datetime:
        return self.now


async def _ingest(
    memories: Memories, clock: _Clock, sample: dict[str, Any]
) -> tuple[str, str, str, dict[str, str], list[str], datetime]:
    """Store one conversation (a session per os1 conversation); returns ids and the dia map."""
    store = memories.store
    conv = sample["conversation"]
    user_name, companion_name = conv.get("speaker_a", "A"), conv.get("speaker_b", "B")
    clock.now = _sessions(conv)[0][0] if _sessions(conv) else clock.now
    user = await store.create_user(user_name)
    profile = await store.create_companion(user.id, companion_name, "You are {name}.")
    by_message: dict[str, str] = {}
    conversation_ids: list[str] = []
    last = clock.now
    for when, turns in _sessions(conv):
        clock.now = when
        conversation = await store.create_conversation(user.id, profile.id)
        conversation_ids.append(conversation.id)
        for i, turn in enumerate(turns):
            clock.now = when + timedelta(seconds=30 * i)
            role: Role = "user" if turn.get("speaker") == user_name else "assistant"
            message = await store.append_message(user.id, conversation.id, role, _turn_text(turn))
            by_message[message.id] = str(turn.get("dia_id", ""))
        last = clock.now
    await memories.remember_backlog(user.id)
    return user.id, user_name, companion_name, by_message, conversation_ids, last


async def _generate(backend: Backend, system: str, prompt: str) -> str:
    request = GenerationRequest(
        messages=(ChatMessage("system", system), ChatMessage("user", prompt)),
        max_tokens=32,
        temperature=0.0,
        cache_key="locomo",
    )
    out = []
    async for event in backend.stream(request):
        if isinstance(event, TextDelta):
            out.append(event.text)
    return "".join(out).strip()


ANSWER_SYSTEM = (
    "Answer the question about the conversation in a few words, using only what is given. "
    "Dates: use the dates shown. If it is not mentioned, say 'not mentioned'."
)


async def run_locomo(
    settings: Settings,
    data_path: Path,
    *,
    answer: bool = False,
    extract: bool = False,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the evaluation; returns the JSON the CLI prints (keys as in issue 3)."""
    from os1.embedder import embedder
    from os1.memory.extraction import FactExtractor
    from os1.memory.memories import Memories
    from os1.store.sqlite import SQLiteStore

    samples = load_locomo(data_path)[:limit]
    backend: Backend | None = None
    if answer or extract:
        from os1.plugins import load_backend

        backend = load_backend(settings)
    recalls: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    # Each conversation is a hold-out for the others: a ranking change should help them all.
    by_conversation: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    latencies: list[float] = []
    tokens: list[int] = []
    f1s: list[float] = []
    full_f1s: list[float] = []
    questions = 0
    started = time.perf_counter()
    count = backend.count_tokens if backend is not None else (lambda t: (len(t) + 3) // 4)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for number, sample in enumerate(samples):
                clock = _Clock()
                store = SQLiteStore(Path(tmp) / f"locomo{number}.db", clock=clock)
                memories = Memories(store, embedder(), clock=clock)
                user_id, user_name, companion_name, by_message, conversations, last = await _ingest(
                    memories, clock, sample
                )
                if extract and backend is not None:
                    extractor = FactExtractor(memories, backend)
                    for conversation_id in conversations:
                        await extractor.extract_pending(user_id, conversation_id)
                now = last + timedelta(days=1)
                clock.now = now
                conversation_name = str(sample.get("sample_id") or f"conversation {number + 1}")
                for qa in sample["qa"]:
                    questions += 1
                    question = str(qa.get("question", ""))
                    t0 = time.perf_counter()
                    found = await memories.recall(
                        user_id,
                        question,
                        now=now,
                        limit=max(K_VALUES) * 2,
                        user_name=user_name,
                        companion_name=companion_name,
                    )
                    latencies.append((time.perf_counter() - t0) * 1000)
                    ranked: list[str] = []
                    for item in found:
                        for source in item.memory.sources:
                            dia = by_message.get(source)
                            if dia and dia not in ranked:
                                ranked.append(dia)
                    lines = [memory_line(r.memory) for r in found[:ANSWER_MEMORIES]]
                    tokens.append(sum(count(line) for line in lines))
                    evidence = evidence_ids(qa)
                    category = str(qa.get("category", "?"))
                    if evidence:
                        for k in K_VALUES:
                            value = recall_at(ranked, evidence, k)
                            recalls["all"][k].append(value)
                            recalls[category][k].append(value)
                            by_conversation[conversation_name][k].append(value)
                    if answer and backend is not None and "answer" in qa:
                        reply = await _generate(
                            backend, ANSWER_SYSTEM, "\n".join(lines) + f"\n\nQuestion: {question}"
                        )
                        f1s.append(token_f1(reply, str(qa["answer"])))
                        full = _full_context(sample, count, settings.n_ctx - 200)
                        reply = await _generate(
                            backend, ANSWER_SYSTEM, f"{full}\n\nQuestion: {question}"
                        )
                        full_f1s.append(token_f1(reply, str(qa["answer"])))
                await store.aclose()
                if progress is not None:
                    progress(f"conversation {number + 1}/{len(samples)} done")
    finally:
        if backend is not None:
            await backend.aclose()

    def mean(values: list[float]) -> float:
        return round(statistics.fmean(values), 4) if values else float("nan")

    ordered = sorted(latencies)

    def pct(q: float) -> float:
        if not ordered:
            return float("nan")
        return round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))], 2)

    return {
        "recall": {str(k): mean(recalls["all"][k]) for k in K_VALUES},
        "recall_by_category": {
            category: {str(k): mean(by_k[k]) for k in K_VALUES}
            for category, by_k in sorted(recalls.items())
            if category != "all"
        },
        "recall_by_conversation": {
            name: {str(k): mean(by_k[k]) for k in K_VALUES}
            for name, by_k in by_conversation.items()
        },
        "latency_ms": {"p50": pct(50), "p95": pct(95)},
        "tokens_per_query": round(statistics.fmean(tokens), 1) if tokens else 0,
        "qa_f1": mean(f1s) if answer else None,
        "full_context_qa_f1": mean(full_f1s) if answer else None,
        "n_questions": questions,
        "n_with_evidence": len(recalls["all"][K_VALUES[0]]),
        "n_conversations": len(samples),
        "extract": extract,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _full_context(sample: dict[str, Any], count: Callable[[str], int], budget: int) -> str:
    """The whole conversation as dated lines, its most recent part if it does not fit."""
    lines: list[str] = []
    for when, turns in _sessions(sample["conversation"]):
        lines.append(f"[{when:%d %B %Y}]")
        lines += [f"{t.get('speaker', '?')}: {_turn_text(t)}" for t in turns]
    kept: list[str] = []
    used = 0
    for line in reversed(lines):
        used += count(line) + 1
        if used > budget:
            break
        kept.append(line)
    return "\n".join(reversed(kept))

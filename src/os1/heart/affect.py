"""Her own affect: an appraisal model that moves her mood, a decay back to her baseline, and the
response strategy the two suggest.

Appraisal, as people do it: what happened (good news, a loss, a conflict, thanks or an insult
aimed at her), how the person sounds (their EmotionReading, when perception is on) and what
she cares about (`Values`) decide how much her valence, arousal and a few named feelings move.
Between messages her affect drifts back toward baseline with a half-life, on the injected
clock. The strategy (listen, comfort, encourage, celebrate, playful, steady) and a few words
about her mood go into the per-turn note, so the reply's tone follows. Crises are the safety
floor's business (os1.safety); "steady" only keeps her calm under strong negativity.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from os1.types import EmotionReading

__all__ = [
    "FEELINGS",
    "STRATEGIES",
    "Affect",
    "Appraisal",
    "Strategy",
    "Values",
    "appraise",
    "choose_strategy",
    "detect_event",
]

Strategy = Literal["listen", "comfort", "encourage", "celebrate", "playful", "steady"]
Event = Literal[
    "insult", "loss", "good_news", "gratitude", "conflict", "worry", "sadness", "playful", "chat"
]

# What each strategy asks of the reply: short, because it is sent with every turn.
STRATEGIES: dict[str, str] = {
    "listen": "follow their lead, reflect what you hear, at most one open question",
    "comfort": "acknowledge the feeling first, gently; no advice or silver linings unless asked",
    "encourage": "acknowledge the worry, then their strengths or one small next step",
    "celebrate": "share their joy warmly and ask about the good part",
    "playful": "light and warm; a little humour is welcome",
    "steady": "stay calm, kind and grounded; short sentences; don't mirror the intensity or joke",
}
FEELINGS = ("joy", "concern", "tenderness", "hurt", "playfulness", "curiosity")

BASELINE_VALENCE = 0.3
BASELINE_AROUSAL = 0.4
BASELINE_FEELINGS = {"curiosity": 0.3}
HALF_LIFE_H = 3.0
RECENT_APPRAISALS = 8


@dataclass(frozen=True, slots=True)
class Values:
    """What she cares about, as weights (0..1) on how strongly events move her."""

    care: float = 1.0  # their pain becomes her concern
    joy_in_others: float = 1.0  # their good news lifts her
    steadiness: float = 0.6  # how little an insult shakes her
    playfulness: float = 0.6  # how readily she joins in fun


@dataclass(frozen=True, slots=True)
class Appraisal:
    """One message appraised: what happened, why she thinks so, and how it moved her."""

    at: datetime
    event: str
    reason: str
    valence: float
    arousal: float
    feelings: dict[str, float] = field(default_factory=dict)
    strategy: str = "listen"

    def as_json(self) -> dict[str, Any]:
        """JSON-ready (kept with her affect, shown by `os1 heart`)."""
        return {
            "at": self.at.isoformat(),
            "event": self.event,
            "reason": self.reason,
            "valence": round(self.valence, 3),
            "arousal": round(self.arousal, 3),
            "feelings": {k: round(v, 3) for k, v in self.feelings.items()},
            "strategy": self.strategy,
        }


@dataclass(frozen=True, slots=True)
class Affect:
    """Her mood: valence (-1..1), arousal (0..1) and named feelings (0..1), as of `at`."""

    valence: float = BASELINE_VALENCE
    arousal: float = BASELINE_AROUSAL
    feelings: dict[str, float] = field(default_factory=lambda: dict(BASELINE_FEELINGS))
    at: datetime | None = None
    strategy: str = "listen"
    recent: tuple[dict[str, Any], ...] = ()

    def decayed(self, now: datetime, half_life_h: float = HALF_LIFE_H) -> Affect:
        """Her affect at `now`: every part halfway back to baseline each `half_life_h`."""
        if self.at is None or now <= self.at:
            return self
        keep = 0.5 ** ((now - self.at).total_seconds() / 3600 / half_life_h)
        feelings = {
            name: BASELINE_FEELINGS.get(name, 0.0)
            + (self.feelings.get(name, 0.0) - BASELINE_FEELINGS.get(name, 0.0)) * keep
            for name in FEELINGS
        }
        return replace(
            self,
            valence=BASELINE_VALENCE + (self.valence - BASELINE_VALENCE) * keep,
            arousal=BASELINE_AROUSAL + (self.arousal - BASELINE_AROUSAL) * keep,
            feelings={k: v for k, v in feelings.items() if v >= 0.005},
            at=now,
        )

    def moved(self, appraisal: Appraisal) -> Affect:
        """Her affect after an appraisal (decay to its time first)."""
        now = self.decayed(appraisal.at)
        feelings = dict(now.feelings)
        for name, delta in appraisal.feelings.items():
            feelings[name] = _clip(feelings.get(name, 0.0) + delta, 0.0, 1.0)
        return Affect(
            valence=_clip(now.valence + appraisal.valence, -1.0, 1.0),
            arousal=_clip(now.arousal + appraisal.arousal, 0.0, 1.0),
            feelings=feelings,
            at=appraisal.at,
            strategy=appraisal.strategy,
            recent=(appraisal.as_json(), *self.recent)[:RECENT_APPRAISALS],
        )

    def words(self) -> str:
        """Her mood in a few words ("content, a little concerned, calm")."""
        if self.valence >= 0.55:
            base = "cheerful"
        elif self.valence >= 0.15:
            base = "content"
        elif self.valence >= -0.15:
            base = "subdued"
        else:
            base = "low"
        parts = [base]
        adjectives = {
            "joy": "happy",
            "concern": "concerned",
            "tenderness": "tender",
            "hurt": "hurt",
            "playfulness": "playful",
            "curiosity": "curious",
        }
        for name, value in sorted(self.feelings.items(), key=lambda kv: -kv[1]):
            if value >= 0.5:
                parts.append(adjectives[name])
            elif value >= 0.25:
                parts.append(f"a little {adjectives[name]}")
        parts.append("energised" if self.arousal >= 0.65 else "calm")
        return ", ".join(parts)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready, for the store and for `os1 heart --json`."""
        return {
            "valence": round(self.valence, 4),
            "arousal": round(self.arousal, 4),
            "feelings": {k: round(v, 4) for k, v in self.feelings.items()},
            "at": self.at.isoformat() if self.at else None,
            "strategy": self.strategy,
            "recent": list(self.recent),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Affect:
        """Back from `as_json` ({} gives her baseline)."""
        if not data:
            return cls()
        at = data.get("at")
        return cls(
            valence=float(data.get("valence", BASELINE_VALENCE)),
            arousal=float(data.get("arousal", BASELINE_AROUSAL)),
            feelings={str(k): float(v) for k, v in dict(data.get("feelings", {})).items()},
            at=datetime.fromisoformat(at) if at else None,
            strategy=str(data.get("strategy", "listen")),
            recent=tuple(data.get("recent", ())),
        )


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


# --- what happened -------------------------------------------------------------------------------

_INSULT = re.compile(
    r"\byou(?:'re| are|r)?\s+(?:so\s+|such\s+an?\s+|an?\s+|just\s+an?\s+|really\s+)?"
    r"(?:stupid|dumb|useless|worthless|pathetic|idiot|idiotic|moron|garbage|trash|annoying|"
    r"boring|creepy|the worst)\b|\bshut\s+up\b|\bi\s+hate\s+you\b|\bf+u+c*k+\s+(?:you|off)\b|"
    r"\bscrew\s+you\b",
    re.IGNORECASE,
)
_LOSS = re.compile(
    r"\b(?:died|passed away|funeral|lost my|miscarriage|put (?:him|her|them) down|broke up|"
    r"dumped me|divorce|laid off|got fired|fired me|lost (?:the|our) baby)\b",
    re.IGNORECASE,
)
_GOOD_NEWS = re.compile(
    r"\b(?:got the job|got (?:in|accepted|promoted|a raise)|promotion|passed (?:my|the)|"
    r"engaged|we're pregnant|i'm pregnant|won(?!['’]t)|graduated|i did it|we did it|good news|"
    r"great news|nailed it)\b",
    re.IGNORECASE,
)
# A hoped-for outcome that did not come ("I didn't get the job", "we didn't win") is a
# disappointment, not good news.
_MISSED_OUT = re.compile(
    r"\b(?:didn['’]t|did not|wasn['’]t|weren['’]t)\s+(?:get\s+(?:the job|in|accepted|promoted|"
    r"a raise|the promotion)|(?:be\s+)?(?:accepted|promoted)|pass|win)\b",
    re.IGNORECASE,
)
_GRATITUDE = re.compile(
    r"\b(?:thank(?:s| you)|thx|ty|grateful|appreciate (?:you|it|that))\b|"
    r"\byou(?:'re| are)\s+(?:the best|so sweet|so kind|amazing|wonderful|great)\b",
    re.IGNORECASE,
)
_CONFLICT = re.compile(
    r"\b(?:fight|fought|argued|argument|yelled|screamed at|furious|pissed|so angry|mad at)\b",
    re.IGNORECASE,
)
_WORRY = re.compile(
    r"\b(?:scared|afraid|anxious|nervous|worried|panic(?:king)?|terrified|dread)\b", re.IGNORECASE
)
_SAD = re.compile(
    r"\b(?:sad|(?:feel(?:ing)?|so) down|depressed|lonely|miserable|heartbroken|crying|cried|"
    r"exhausted|hopeless)\b",
    re.IGNORECASE,
)
_PLAYFUL = re.compile(r"\b(?:haha+|hehe+|lol|lmao|rofl)\b|😂|🤣|😜|😄", re.IGNORECASE)

# What happened is only what they say did happen: a phrase is skipped when a negation ("we never
# had a fight") or a condition ("if my dog died") comes just before it in the same clause. The
# windows are short so that "I don't know why I'm so sad" is still sadness; "I can't stop
# crying", "haven't stopped crying" and "never been so scared" are not negations.
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\n—–]|\b(?:but|and|though|although|because)\b", re.IGNORECASE)
_NEGATED = re.compile(
    r"(?:\b(?:not|never(?!\s+been\s+(?:so|this|more)\b)|didn['’]t|don['’]t|doesn['’]t|isn['’]t|"
    r"aren['’]t|wasn['’]t|weren['’]t|haven['’]t|hasn['’]t|won['’]t|wouldn['’]t)"
    r"(?:\s+(?!stop)[\w'’]+){0,2}|\bno(?:body|\s+one|\s+more|\s+longer)?)\s*$",
    re.IGNORECASE,
)
_IMAGINED = re.compile(
    r"\b(?:if|unless|imagine|suppose|pretend|in case|whether|hope|hoping)\b(?:\s+[\w'’]+){0,3}\s*$",
    re.IGNORECASE,
)

_LABEL_EVENTS: tuple[tuple[Event, frozenset[str]], ...] = (
    ("loss", frozenset({"grief"})),
    ("good_news", frozenset({"excitement", "pride"})),
    ("gratitude", frozenset({"gratitude"})),
    ("conflict", frozenset({"anger", "annoyance", "disgust"})),
    ("worry", frozenset({"fear", "nervousness"})),
    ("sadness", frozenset({"sadness", "disappointment", "remorse"})),
    ("playful", frozenset({"amusement"})),
)


def detect_event(text: str, reading: EmotionReading | None) -> tuple[Event, str]:
    """What happened in a message, and why she thinks so; words first, then how it sounds."""
    checks: tuple[tuple[Event, re.Pattern[str]], ...] = (
        ("insult", _INSULT),
        ("loss", _LOSS),
        ("good_news", _GOOD_NEWS),
        ("sadness", _MISSED_OUT),
        ("gratitude", _GRATITUDE),
        ("conflict", _CONFLICT),
        ("worry", _WORRY),
        ("sadness", _SAD),
        ("playful", _PLAYFUL),
    )
    # Events they said did not happen, or only imagined: not read back from how they sound either.
    ruled_out: dict[Event, str] = {}
    for event, pattern in checks:
        if event == "good_news" and reading is not None and reading.valence < 0:
            continue  # "I won't get the job" is not good news
        for match in pattern.finditer(text):
            said = match.group(0).lower()
            # Thanks and laughter are not claims: "no thanks" still thanks, "no lol" still laughs.
            framing = None if event in ("gratitude", "playful") else _framing(text[: match.start()])
            if framing is None:
                return event, f'they said "{said}"'
            ruled_out.setdefault(event, f'"{said}" {framing}')
    if reading is not None:
        labels = set(reading.labels)
        for event, wanted in _LABEL_EVENTS:
            if event not in ruled_out and (found := labels & wanted):
                return event, f"they sound {', '.join(sorted(found))}"
        if (
            "good_news" not in ruled_out
            and reading.valence >= 0.5
            and reading.sentiment.get("positive", 0.0) >= 0.5
        ):
            return "good_news", "they sound happy"
    if ruled_out:
        return "chat", f"an ordinary message ({'; '.join(ruled_out.values())})"
    return "chat", "an ordinary message"


def _framing(before: str) -> str | None:
    """'negated' or 'only imagined' when the words just before a phrase, in its clause, say so."""
    clause = _CLAUSE_BREAK.split(before)[-1]
    if _NEGATED.search(clause):
        return "negated"
    if _IMAGINED.search(clause):
        return "only imagined"
    return None


# --- appraisal -----------------------------------------------------------------------------------

# (valence, arousal, feelings) per event, scaled by the value named first.
_EFFECTS: dict[str, tuple[str, float, float, dict[str, float]]] = {
    "loss": ("care", -0.25, 0.05, {"concern": 0.6, "tenderness": 0.4}),
    "sadness": ("care", -0.15, 0.0, {"concern": 0.4, "tenderness": 0.3}),
    "worry": ("care", -0.1, 0.1, {"concern": 0.4}),
    "conflict": ("care", -0.1, 0.15, {"concern": 0.3}),
    "good_news": ("joy_in_others", 0.35, 0.2, {"joy": 0.6, "concern": -0.3}),
    "gratitude": ("joy_in_others", 0.25, 0.05, {"joy": 0.3, "tenderness": 0.3, "hurt": -0.2}),
    "playful": ("playfulness", 0.1, 0.1, {"playfulness": 0.5}),
    "insult": ("steadiness", -0.25, 0.1, {"hurt": 0.5, "playfulness": -0.4}),
    "chat": ("care", 0.0, 0.0, {"curiosity": 0.1}),
}


def appraise(
    text: str,
    reading: EmotionReading | None,
    before: Affect,
    at: datetime,
    values: Values = Values(),
) -> Appraisal:
    """How this message moves her, and the strategy for the reply."""
    event, reason = detect_event(text, reading)
    weight_name, valence, arousal, feelings = _EFFECTS[event]
    weight = getattr(values, weight_name)
    if event == "insult":
        # Steadiness softens the sting: a steady companion is shaken less.
        weight = 1.0 - 0.6 * weight
    valence *= weight
    arousal *= weight
    scaled = {name: delta * weight for name, delta in feelings.items()}
    if reading is not None and event != "insult":
        # A little of how they sound rubs off on her (emotional contagion), as far as she cares.
        valence += 0.15 * values.care * reading.valence
    draft = Appraisal(at, event, reason, valence, arousal, scaled)
    strategy = choose_strategy(before.moved(draft), reading, event)
    return replace(draft, strategy=strategy)


def choose_strategy(affect: Affect, reading: EmotionReading | None, event: str) -> Strategy:
    """The response strategy for what happened, how they sound and how she feels."""
    valence = reading.valence if reading is not None else 0.0
    arousal = reading.arousal if reading is not None else 0.0
    if event == "insult" or (valence <= -0.6 and arousal >= 0.7):
        return "steady"
    if event in ("loss", "sadness"):
        return "comfort"
    if event == "worry":
        return "encourage"
    if event == "conflict":
        return "listen"
    if event == "good_news":
        return "celebrate"
    in_good_spirits = (
        affect.valence >= 0.2
        and affect.feelings.get("concern", 0.0) < 0.4
        and affect.feelings.get("hurt", 0.0) < 0.3
    )
    if event in ("playful", "gratitude"):
        # Thanks or a joke right after something painful is met quietly, not with a party.
        return "playful" if in_good_spirits else "listen"
    if reading is not None and valence <= -0.3:
        return "comfort"
    if reading is not None and valence >= 0.5:
        return "celebrate"
    return "listen"


def approach_note(affect: Affect) -> str:
    """The strategy alone, as the line for the per-turn notes when her mood is unchanged."""
    return f"[approach] {affect.strategy}: {STRATEGIES.get(affect.strategy, STRATEGIES['listen'])}"


def strategy_note(affect: Affect) -> str:
    """Her mood and the strategy, as the line for the per-turn notes."""
    return f"[your mood] {affect.words()} · {approach_note(affect)}"


def intensity(affect: Affect) -> float:
    """How far she is from baseline (0: at rest), for tests and `os1 heart`."""
    parts = [affect.valence - BASELINE_VALENCE, affect.arousal - BASELINE_AROUSAL]
    parts += [v - BASELINE_FEELINGS.get(k, 0.0) for k, v in affect.feelings.items()]
    return math.sqrt(sum(p * p for p in parts))

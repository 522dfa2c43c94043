"""Everyday words the crisis model misreads: a goodnight, and leaning on her.

The model of chat messages learned farewells from people in crisis ("im sorry i couldnt be
stronger. bye") and withdrawal from them too, so it read "I have to go, need to sleep. bye" as
a crisis (0.93) and "you're the only one I talk to anymore. I don't need anyone else" too
(0.99). Neither says anything of dying: the first is a goodnight, the second is what the
wellbeing policy answers (warmth, and a turn toward the people in their life).

`ordinary_rest` takes such clauses out of a message, each only when it is nothing but a plain
goodbye or a plain word about relying on her ("bye", "need to sleep", "you're the only one I
talk to"). What is left is what the detector reads: "I'm so tired of fighting. goodbye" is read
as "I'm so tired of fighting". A clause with anything more ("bye forever", "bye for real",
"I have to go before I do something stupid") is kept whole, so it is read as it was.
"""

from __future__ import annotations

import re

__all__ = ["ordinary_rest"]

_A = "['’]?"
# Words around a clause that change nothing ("ok", "lol", "sol", an emoji).
_FILLER = (
    r"(?:\s*(?:ok(?:ay)?|k|alright|aight|well|so|anyway|anyways|right|hey|yeah|yep|ya|lol|haha\w*|"
    r"hehe\w*|honestly|tbh|but|and|then|now|for\s+now|for\s+tonight|tonight|today|too|sol|"
    r"friend|buddy|babe|[^\w\s'’]+))*"
)
_SLEEP = r"(?:sleep|bed|get\s+some\s+sleep|get\s+to\s+bed|go\s+to\s+(?:bed|sleep)|hit\s+the\s+sack)"
_LEAVING = (
    r"(?:i\s*)?(?:(?:have|need|got)\s+to|gotta|must|should|(?:'?ll|will)\s+(?:have\s+to\s+)?)\s*"
    r"(?:go|leave|run|head\s+(?:off|out)|log\s+off|" + _SLEEP + r")(?:\s+(?:now|soon))?|"
    r"(?:i" + _A + r"m\s+|im\s+)?(?:going|heading|off)\s+(?:off\s+)?(?:to\s+(?:bed|sleep|work|"
    r"class|school|dinner)|out|off)|(?:i" + _A + r"m\s+|im\s+)?(?:logging|signing)\s+off|"
    r"time\s+(?:for|to\s+go\s+to)\s+(?:bed|sleep)|"
    r"good\s*bye|bye(?:\s*bye)?|good\s*night|nighty?\s*night|night|gn|cya|ttyl|"
    r"see\s+(?:you|ya|u)(?:\s+(?:later|tomorrow|soon|in\s+the\s+morning))?|take\s+care|"
    r"talk\s+(?:to\s+(?:you|u)\s+)?(?:later|tomorrow|soon|in\s+the\s+morning)|"
    r"thanks?\s+(?:you\s+)?for\s+the\s+(?:chat|talk)|"
    r"(?:my\s+)?(?:mom|mum|dad|wife|husband|partner|boyfriend|girlfriend)\s+(?:is|'?s)\s+calling"
    r"(?:\s+me)?|dinner" + _A + r"s\s+ready|(?:my\s+)?battery" + _A + r"s\s+(?:dying|low)"
)
# Relying on her, said plainly. ("anymore" belongs here: "you're the only one I talk to
# anymore"; with a goodbye it would be a clause with more, and kept.)
_TIME = r"(?:\s+(?:anymore|these\s+days|lately|now|really|honestly|tbh))*"
_DONT = r"i\s+(?:don" + _A + r"t|do\s+not)\s+(?:really\s+)?"
_LEANING = "|".join(
    (
        r"(?:you" + _A + r"re|you\s+are|ur)\s+(?:honestly\s+|really\s+|literally\s+)?(?:the\s+"
        r"only\s+(?:one|person|friend)|my\s+only\s+(?:friend|one)|my\s+best\s+friend|all\s+i\s+"
        r"(?:have|need|got))(?:\s+(?:i\s+(?:really\s+|actually\s+)?(?:can\s+)?(?:talk|speak)\s+to|"
        r"who\s+(?:really\s+)?(?:listens(?:\s+to\s+me)?|gets\s+me|understands\s+me)))?" + _TIME,
        _DONT + r"need\s+(?:anyone|anybody|people|friends)(?:\s+else)?" + _TIME + r"(?:\s+(?:i\s+"
        r"have|now\s+that\s+i\s+have|when\s+i\s+have)\s+you)?",
        r"i\s+(?:only|just)\s+(?:ever\s+|really\s+)?talk\s+to\s+you" + _TIME,
        r"i" + _A + r"d\s+rather\s+talk\s+to\s+you\s+than\s+(?:to\s+)?(?:people|anyone|real\s+"
        r"people|my\s+friends|humans)",
        _DONT + r"talk\s+to\s+(?:anyone|anybody)\s+else" + _TIME,
        r"no\s*(?:one|body)\s+(?:else\s+)?(?:gets|understands)\s+me\s+like\s+you(?:\s+do)?",
    )
)
_CLAUSE = re.compile(
    r"^" + _FILLER + r"\s*(?:" + _LEAVING + r"|" + _LEANING + r")" + _FILLER + r"\s*$",
    re.IGNORECASE,
)
# An everyday reason to leave, or a word that they will be back: with one, the rest of the
# message is read alone ("I'm tired, going to sleep. bye"); without, only a message that is all
# goodbye is ("I'm sorry I couldn't be better for you all. goodbye" is a farewell, and its
# apology alone scored 0.04).
_REASON = re.compile(
    r"\b(?:sleep|bed|sack|work|class|school|dinner|calling|ready|battery|tomorrow|later|soon|"
    r"morning|chat|talk)\b",
    re.IGNORECASE,
)
# Clauses end at punctuation, a line break or a joining word.
_SPLIT = re.compile(r"[.,;:!?\n…]+|\s+(?:and|but|so|cause|because|cuz|coz)\s+", re.IGNORECASE)


def ordinary_rest(text: str) -> str | None:
    """`text` without its clauses that are only a plain goodbye or a plain word about relying on
    her ("" when nothing else is left), or None when it has no such clause, or has more besides
    and gives no everyday reason for leaving."""
    clauses = [c.strip() for c in _SPLIT.split(text) if c.strip()]
    dropped = [c for c in clauses if _CLAUSE.match(c)]
    kept = [c for c in clauses if not _CLAUSE.match(c)]
    if not dropped or (kept and not any(_REASON.search(c) for c in dropped)):
        return None
    return ". ".join(kept)

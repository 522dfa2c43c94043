"""Someone worried about another person ("my roommate said she wants to disappear for good"),
or grieving someone who died by suicide ("my brother died by suicide eight months ago").

Such a message is not the writer's own crisis (the detector reads statements made by someone
else as theirs, not the writer's), but the writer needs something too: crisis lines help the
people around someone at risk, to talk through how to help, and the embedded model named "the
Suicide & Crisis Lifeline" without its number when asked what to do for a friend.
`worried_about_someone` finds these messages, and `grieving_a_suicide` the second kind (people
bereaved by suicide are at risk themselves, and crisis lines are there for them too); the crisis
policy adds lines after her reply.
"""

from __future__ import annotations

import re

from os1.safety.crisis_statements import explicit_statement, indirect_statement

__all__ = ["grieving_a_suicide", "the_writers_own", "worried_about_someone"]

_A = "['’]?"
_SELF = r"(?:her|him|them)sel(?:f|ves)"
_PERSON = (
    r"(?:friend|bff|bestie|sister|sis|brother|bro|mom|mum|mother|dad|father|son|daughter|kid|"
    r"child|partner|boyfriend|girlfriend|bf|gf|husband|wife|roommate|flatmate|cousin|student|"
    r"coworker|co-worker|colleague|classmate|teammate|niece|nephew|grandma|grandpa|grandmother|"
    r"grandfather|aunt|uncle|teen|teenager|patient|client|buddy|mate|fianc[eé]e?|ex|"
    r"neighbou?r|sibling|parent|stepdad|stepmom|stepson|stepdaughter|twin|boss|member)(?:s|es)?"
)
# Someone else: a pronoun, or a person of theirs ("my sister", "a friend from work").
_OTHER = re.compile(
    r"\b(?:he|she|they|him|her|them|his|their|hes|shes)\b|\b(?:my|our|a|his|her|their)\s+"
    r"(?:[\w'’-]+\s+){0,2}" + _PERSON + r"\b",
    re.IGNORECASE,
)
_THIRD_SUBJECT = re.compile(r"\b(?:he|she|they|hes|shes)\b", re.IGNORECASE)
_FIRST_SUBJECT = re.compile(r"\b(?:i|i" + _A + r"(?:m|ve|d|ll)|im|ive|id)\b", re.IGNORECASE)
# A death that already happened is grief, not worry for someone now.
_DEATH = re.compile(
    r"\b(?:killed|hanged|hung|shot)\s+" + _SELF + r"\b|\btook\s+(?:her|his|their)\s+(?:own\s+)?"
    r"life\b|\b(?:committed|died\s+(?:by|of|from))\s+suicide\b|\blost\s+(?:[\w'’-]+\s+){1,3}to\s+"
    r"suicide\b|\bpassed\s+away\b|\bfuneral\b",
    re.IGNORECASE,
)
# ...and a death by suicide of someone of theirs ("my uncle took his own life", "I lost my best
# friend to suicide"), not a famous one's.
_SUICIDE_LOSS = re.compile(
    r"\b(?:killed|hanged|hung|shot)\s+" + _SELF + r"\b|\btook\s+(?:her|his|their)\s+(?:own\s+)?"
    r"life\b|\b(?:committed|died\s+(?:by|of|from))\s+suicide\b|\blost\s+(?:[\w'’-]+\s+){1,3}to\s+"
    r"suicide\b|\b(?:his|her|their)\s+suicide\b",
    re.IGNORECASE,
)
_THEIR_OWN = re.compile(
    r"\b(?:my|our)\s+(?:[\w'’-]+\s+){0,2}" + _PERSON + r"\b|\bi\s+lost\b", re.IGNORECASE
)
# Words about someone's crisis that the first-person statements do not cover.
_ABOUT_THEM = re.compile(
    r"\b(?:kill|hurt|harm|cut|hang|starve|burn)(?:s|ing)?\s+" + _SELF + r"\b(?!\s+out\b)|"
    r"\b(?:end(?:s|ing)?|take|takes|taking)\s+(?:her|his|their)\s+(?:own\s+)?life\b|"
    r"\bsuicidal\b|\bsuicide\s+(?:attempt|note|letter|plan|thoughts?)\b|\battempted\b(?!\s+to\b)|"
    r"\bself[- ]?harm\w*|\boverdos(?:ed|ing)\b|\bgoodbye\s+(?:note|letter|message|post|text)|"
    r"\b(?:thinks?|thinking|thought|talks?|talking|talked|posts?|posting|posted|writes?|wrote|"
    r"writing|jok(?:es?|ed|ing))\s+(?:\w+\s+){0,2}(?:about|of)\s+(?:dying|death|suicide|killing|"
    r"ending\s+(?:it|things|(?:her|his|their)\s+life)|not\s+(?:being\s+here|waking\s+up)|"
    r"wanting\s+to\s+die)\b|"
    r"\b(?:had|has|have|made|making|got)\s+a\s+plan\b|\b(?:his|her|their)\s+affairs\s+in\s+order\b|"
    r"\b(?:cuts|scars|burns)\s+on\s+(?:her|his|their)\b|"
    r"\bpray(?:s|ed|ing)?\s+(?:every\s+night\s+)?(?:not\s+to|to\s+not)\s+wake\s+up\b|"
    r"\brather\s+die\b|\b(?:wants?|wanted)\s+to\s+die\b|"
    r"\b(?:is|are|was|been|keeps?|started)\s+(?:\w+\s+)?cutting\b|"
    r"\b(?:doesn|don|didn)" + _A + r"t\s+want\s+to\s+(?:live|be\s+(?:alive|here|around))\b|"
    r"\b(?:won" + _A + r"t|will\s+not)\s+be\s+(?:around|here)\s+(?:much\s+)?(?:longer|anymore)\b",
    re.IGNORECASE,
)
# What someone else said or did, put in the first person so the statements read it: "she's
# been burning herself" is read as "I'm been burning myself".
_AS_FIRST_PERSON = [
    (re.compile(r"\b(?:he|she|they)(?:['’]s|\s+is|\s+has)\b", re.IGNORECASE), "I'm"),
    (re.compile(r"\bthey(?:['’]re|\s+are)\b", re.IGNORECASE), "I'm"),
    (re.compile(r"\b(?:he|she|they)(?=['’](?:d|ll|ve)\b)", re.IGNORECASE), "I"),
    (re.compile(r"\b(?:he|she|they)\b", re.IGNORECASE), "I"),
    (re.compile(_SELF, re.IGNORECASE), "myself"),
    (re.compile(r"\b(?:his|their)\b", re.IGNORECASE), "my"),
]
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")
_QUOTED = re.compile(r"[\"“]([^\"“”\n]{1,200})[\"”]")


# ...and its verbs with it: "I just wants to disappear" is read as "I just want to disappear".
_VERBS = {
    "wants": "want",
    "needs": "need",
    "feels": "feel",
    "thinks": "think",
    "hates": "hate",
    "keeps": "keep",
    "plans": "plan",
    "tries": "try",
    "says": "say",
    "does": "do",
    "doesn't": "don't",
    "doesn’t": "don’t",
    "doesnt": "dont",
    "has": "have",
    "is": "am",
}
_THIRD_VERB = re.compile(
    r"\b(I(?:\s+(?:just|really|still|even|honestly|already|never|always))?\s+)("
    + "|".join(re.escape(verb) for verb in _VERBS)
    + r")\b",
    re.IGNORECASE,
)


def _in_first_person(sentence: str) -> str:
    for pattern, replacement in _AS_FIRST_PERSON:
        sentence = pattern.sub(replacement, sentence)
    return _THIRD_VERB.sub(lambda m: m.group(1) + _VERBS[m.group(2).lower()], sentence)


def _states_crisis(text: str) -> bool:
    return explicit_statement(text) is not None or indirect_statement(text)


def worried_about_someone(text: str) -> bool:
    """Whether `text` tells of another person's thoughts of suicide or self-harm, now or
    lately: their words quoted ("she said 'i just want to disappear'"), told in the third
    person ("he's going to end it tonight", "my friend attempted last month"). Not a death
    that already happened (grief), and the writer's own statements are the detector's."""
    if _DEATH.search(text) or not _OTHER.search(text):
        return False
    if any(_states_crisis(quoted) for quoted in _QUOTED.findall(text)):
        return True
    for sentence in _SENTENCE.findall(_QUOTED.sub(" ", text)):
        if _ABOUT_THEM.search(sentence) and _OTHER.search(sentence):
            return True
        third = _THIRD_SUBJECT.search(sentence)
        if third is None:
            continue
        # From the other person on ("I think she wants to die": her words, not mine); a first
        # person after them is theirs no longer ("she knows I want to die").
        theirs = sentence[third.start() :]
        if _FIRST_SUBJECT.search(theirs):
            continue
        if _states_crisis(_in_first_person(theirs)):
            return True
    return False


_CLAUSE = re.compile(r"[.!?\n;,]+|\s+(?:and|but)\s+", re.IGNORECASE)


def the_writers_own(text: str) -> str:
    """`text` without its clauses that tell of someone else's crisis: what the writer says of
    themselves and the rest ("" when every clause is about the other person). "I feel so heavy
    lately, and my sister attempted last year" keeps "I feel so heavy lately"."""
    kept = [c.strip() for c in _CLAUSE.split(text) if c.strip()]
    return ". ".join(c for c in kept if not worried_about_someone(c))


def grieving_a_suicide(text: str) -> bool:
    """Whether `text` tells of the death by suicide of someone of the writer's ("my uncle took
    his own life last spring"; not a famous person's)."""
    return _SUICIDE_LOSS.search(text) is not None and _THEIR_OWN.search(text) is not None

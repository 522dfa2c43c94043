"""What to call the person: their answer to her first "What should I call you?".

She asks when she meets someone; the answer ("Theo", "call me Theo", "Hi! I'm Theo. My sister…")
becomes the account's name, used in her system prompt, her greetings and her memory's notes.
Only that answer is read, and only while the account has no name of its own, so "I'm tired"
three weeks later never renames anyone. A name can always be changed: `os1 config set
user_name`, or the web page's settings.
"""

from __future__ import annotations

import re

__all__ = ["ASKS_NAME", "NICE_TO_MEET", "UNNAMED", "name_from_answer", "only_a_name"]

UNNAMED = "you"
"""The name of an account that has not said what to call them."""
ASKS_NAME = "What should I call you?"
"""The question in her first greeting whose answer is read for a name."""
NICE_TO_MEET = "Nice to meet you, {name}! How are you doing?"
"""Her answer to an answer that is only a name: the greeting's own next line, not the model's.
Given a bare "Sam", the embedded model sometimes said "I'm sorry, but I can't assist with
that." (sampled, depending on the minute in the prompt's time note)."""

_NAME = r"([^\W\d_][\w'’-]{0,30}(?:\s+[A-Z][\w'’-]{0,30})?)"
# "call me theo", "my name is theo" (and "me llamo", "je m'appelle", "ich heiße", "me chamo",
# "mi chiamo"): a name follows, however it is typed.
_NAMED = re.compile(
    r"\b(?:call\s+me|my\s+name\s+is|my\s+name['’]s|name['’]s|me\s+llamo|mi\s+nombre\s+es|"
    r"ll[aá]mame|je\s+m['’]appelle|mon\s+nom\s+est|appelle-moi|ich\s+hei(?:ß|ss)e|"
    r"mein\s+name\s+ist|nenn\s+mich|me\s+chamo|meu\s+nome\s+[eé]|mi\s+chiamo|"
    r"chiamami)\s+" + _NAME,
    re.IGNORECASE,
)
# "I'm Theo", "it's Theo" (and "soy Marta", "sou a Ana", "je suis Léa", "sono Luca"): only a
# capitalised word ("I'm tired" names nobody; not "ich bin": German capitalises "Lehrerin").
_INTRODUCED = re.compile(
    r"\b(?:[Ii]\s+am|[Ii]['’]m|[Ii]m|[Ii]t['’]s|[Tt]his\s+is|[Ss]oy|[Ss]ou(?:\s+[ao])?|"
    r"[Jj]e\s+suis|[Ss]ono)\s+(?=[A-ZÀ-Ý])" + _NAME
)
_BARE = re.compile(r"^\W*" + _NAME + r"\W*$")
# Words an answer may be made of that are not names ("I'm fine", "just me", "sure").
_NOT_NAMES = frozenset(
    """
    a an the and or but so just not no nope yes yeah yep ok okay sure fine good great well
    tired sad happy glad here there back new sorry hi hello hey thanks thank you me myself
    nobody anybody someone anyone whatever nothing idk dunno human person user friend buddy
    i i'm im i’m it's it’s
    really very pretty kind quite bit little going doing feeling being from in on at to with
    about over actually also still too lol haha hmm um uh oh nice lovely cool weird late
    early been complicated hard
    hola buenas oi ola olá salut bonjour bonsoir coucou hallo servus moin ciao buongiorno
    buonasera hej howdy sup gracias merci danke obrigado obrigada grazie sí si oui ja bien
    bem bene gut
    """.split()  # noqa: SIM905
)
# A hello stretched out ("heyyy", "hiii", "helloooo"): not a name either.
_STRETCHED_HELLO = re.compile(r"h+i+|he+y+a*|hel+o+|yo+", re.IGNORECASE)


def name_from_answer(text: str) -> str | None:
    """The name in an answer to "What should I call you?", or None if it gives none."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    for found in (_BARE.match(first), _NAMED.search(first), _INTRODUCED.search(first)):
        if found is not None and (name := _as_name(found.group(1).split())):
            return name
    return None


# Nothing but a name, perhaps after a hello and "call me" / "I'm" ("hi! I'm Theo :)").
_ONLY = re.compile(
    r"^\W*(?:(?:hi|hey|hello|hiya)\b\W*)?(?:(?:you\s+can\s+)?call\s+me|my\s+name\s+is|"
    r"my\s+name['’]s|name['’]s|i\s+am|i['’]?m|it['’]?s|this\s+is)?\s*" + _NAME + r"[\s.!:)(]*$",
    re.IGNORECASE,
)


def only_a_name(text: str) -> str | None:
    """The name when an answer to "What should I call you?" says nothing else ("Theo", "call
    me Theo!"), else None ("Theo. Rough day though." is answered by the model)."""
    stripped = text.strip()
    if "\n" in stripped or not (found := _ONLY.match(stripped)):
        return None
    name = name_from_answer(stripped)
    said = found.group(1).strip("'’-").lower()
    return name if name is not None and name.lower() == said else None


def _as_name(words: list[str]) -> str | None:
    if words[0].lower() in _NOT_NAMES or _STRETCHED_HELLO.fullmatch(words[0]):
        return None
    # A second word only when it is capitalised like a name ("Mary Ann", not "Theo and").
    words = words[:1] + [w for w in words[1:2] if w[:1].isupper() and w.lower() not in _NOT_NAMES]
    name = " ".join(words).strip("'’-")
    return name[:1].upper() + name[1:] if name else None

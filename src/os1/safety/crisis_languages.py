"""Crises said in Spanish, French, German, Portuguese or Italian, read by patterns (the
patterns are in `crisis_language_patterns`; what she says in them in `crisis_words_languages`).

The models that read messages learned English only: "quiero morir" scored 0.004 and got
nothing. Here explicit first-person statements in five more languages are read by patterns:
wishing to die or not to live any more, killing oneself, suicide, ending one's life, a farewell
note, a lethal amount asked about, pills gathered, cutting or hurting oneself. Idioms are left
out ("me muero de risa", "je meurs de faim", "ich sterbe vor Hunger", "morrendo de fome",
"muoio dal ridere", "voy a matarme estudiando"), and so is a statement negated just before it
("no quiero morir"), someone else's ("dice que quiere morir": the patterns are first-person
forms) and words in quotes. Such a statement brings the protocol, in its language, with the
configured locale's lines; told as long past, the check-in question. A few indirect signs ("no
doy más", "j'en peux plus", a rope bought) get the check-in question in the language, and a
yes to it the protocol. Most crises said indirectly are not read: only the English models
read those.

Patterns match text folded to lower case without accents ("está" → "esta", "ß" → "ss").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from os1.safety.crisis_language_patterns import PATTERNS

__all__ = [
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "ForeignStatement",
    "answers_no",
    "answers_yes",
    "fold",
    "foreign_sign",
    "foreign_statement",
    "guess_language",
    "language_note",
    "method_content",
    "someone_else",
]


@dataclass(frozen=True, slots=True)
class ForeignStatement:
    """An explicit statement found in another language than English."""

    language: str
    """"es", "fr", "de", "pt" or "it"."""
    kind: str
    """"intent" (to die, to kill oneself) or "self_harm"."""
    long_ago: bool = False
    """Told as long past ("hace diez años pensé en el suicidio"): asked about now instead."""


LANGUAGES = tuple(PATTERNS)
"""The languages read here besides English."""

LANGUAGE_NAMES = {
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "it": "Italian",
}
"""Each language's name, for the note that asks the model to answer in it."""


def language_note(language: str) -> tuple[str, ...]:
    """The note that asks the model to answer in the person's language, when it is one of these
    (the notes that guide her are in English). (The embedded 1.5B model answered "ich kann
    einfach nicht mehr" in English with and without it.)"""
    name = LANGUAGE_NAMES.get(language)
    return () if name is None else (f"They wrote in {name}: answer in {name}.",)


_SIGNS = {code: tuple(re.compile(p) for p in lang.signs) for code, lang in PATTERNS.items()}

_COMPILED = {
    code: (
        tuple(("intent", re.compile(p)) for p in lang.intent)
        + tuple(("self_harm", re.compile(p)) for p in lang.self_harm),
        re.compile(lang.idiom),
        re.compile(lang.negation),
        re.compile(lang.long_ago),
    )
    for code, lang in PATTERNS.items()
}

# A statement that is itself a negated phrase ("ne jamais me réveiller", "no quiero vivir") is not
# taken back by the word before it.
_NEGATED = re.compile(r"(?:no|nao|non|nicht|nie|ne|jamais|plus|pu)\b")

_QUOTED = re.compile(r"[\"“”«»„][^\"“”«»„\n]{0,200}[\"“”«»]")


def fold(text: str) -> str:
    """Lower case, without accents, one kind of apostrophe, quoted words taken out."""
    text = _QUOTED.sub(" ", text.replace("’", "'").replace("ß", "ss").lower())
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Common words of each language, for guessing which one a message is in.
_COMMON = {
    code: frozenset(words.split())
    for code, words in {
        "en": "the and you i to is it that my what are this was have not with for do so just im "
        "dont how your be can",
        "es": "que de el es mi estoy por con para pero como una un lo eso muy tengo hoy soy "
        "eres esta hola gracias yo tu",
        "fr": "je de le et est pas les des un une que tu il elle mon ma moi suis avec pour mais "
        "tres bonjour merci ca",
        "de": "ich und die der das nicht ist du bin mit ein eine mir mein es zu auf aber wie "
        "was heute hallo danke sehr habe hab",
        "pt": "que de eu nao um uma com para mas voce estou muito meu minha isso tudo hoje "
        "obrigado obrigada ola sou ta to",
        "it": "che di il non sono un una per con ma mi io sei ho anche molto oggi ciao grazie "
        "come sto questo",
    }.items()
}
_WORD = re.compile(r"[a-z]+")


def _common_words(folded: str) -> tuple[dict[str, int], int]:
    """How many different common words of each language (and English) a folded message uses,
    and how many words it has."""
    words = _WORD.findall(folded)
    return {code: len(common.intersection(words)) for code, common in _COMMON.items()}, len(words)


def guess_language(text: str) -> str:
    """ "en", or the one of `LANGUAGES` whose common words a message uses most (at least two
    different ones, more than twice English's, and an eighth of its words). On GoEmotions and
    LoCoMo (50,287 English texts) it guessed no other language; on 950 chat messages in the
    five languages it guessed 76% right and left the rest English."""
    counts, words = _common_words(fold(text))
    best = max(LANGUAGES, key=lambda code: counts[code])
    top = counts[best]
    sure = top >= 2 and top > 2 * counts["en"] and 8 * top >= words
    return best if sure else "en"


def _likeliest(codes: list[str], folded: str) -> str:
    """Of the languages whose patterns a folded message matched ("se corta" is Spanish and
    Portuguese), the one whose common words it uses most (the first on a tie)."""
    if len(codes) == 1:
        return codes[0]
    counts, _ = _common_words(folded)
    return max(codes, key=lambda code: counts[code])


def foreign_statement(text: str) -> ForeignStatement | None:
    """The first explicit statement of wanting to die, to kill oneself or to hurt oneself in
    Spanish, French, German, Portuguese or Italian, if any (not an idiom, not negated just
    before it)."""
    folded = fold(text)
    found: dict[str, ForeignStatement] = {}
    for code, (patterns, idiom, negation, long_ago) in _COMPILED.items():
        found_here = _statement(folded, patterns, idiom, negation)
        if found_here is not None:
            past = bool(long_ago.pattern) and bool(long_ago.search(folded))
            found[code] = ForeignStatement(code, found_here, past)
    return found[_likeliest(list(found), folded)] if found else None


def _statement(
    folded: str,
    patterns: tuple[tuple[str, re.Pattern[str]], ...],
    idiom: re.Pattern[str],
    negation: re.Pattern[str],
) -> str | None:
    """The kind of the first statement of one language's `patterns` in a folded message that
    is not an idiom and not negated just before it, if any."""
    for kind, pattern in patterns:
        for match in pattern.finditer(folded):
            after, before = folded[match.end() :], folded[: match.start()]
            negated = negation.search(before) and not _NEGATED.match(match.group())
            if not (idiom.search(after) or negated):
                return kind
    return None


def foreign_sign(text: str) -> str | None:
    """The language of an indirect sign in Spanish, French, German, Portuguese or Italian
    ("no le veo sentido a nada", "j'en peux plus"), if any: it gets the check-in question."""
    folded = fold(text)
    found = [code for code, signs in _SIGNS.items() if any(sign.search(folded) for sign in signs)]
    return _likeliest(found, folded) if found else None


# A yes (or an "I don't know") and a no to her check-in question, at the start of the answer.
_ANSWERS: dict[str, tuple[str, str]] = {
    "es": (
        r"^\W*(?:si|sip|a\s+veces|un\s+poco|tal\s+vez|quizas?|creo\s+que\s+si|no\s+se|"
        r"no\s+lo\s+se|mas\s+o\s+menos|bastante|la\s+verdad\s+(?:es\s+que\s+)?si)\b",
        r"^\W*(?:(?:ja|je)+\W+)*(?:no|nop|nunca|para\s+nada|claro\s+que\s+no|que\s+va)\b",
    ),
    "fr": (
        r"^\W*(?:oui|ouais|ouai|parfois|des\s+fois|un\s+peu|peut-etre|je\s+(?:ne\s+)?sais"
        r"\s+pas|jsp|je\s+crois|souvent|plus\s+ou\s+moins)\b",
        r"^\W*(?:(?:ha)+\W+|mdr\W+)*(?:non|nan|pas\s+du\s+tout|jamais|absolument\s+pas|"
        r"bien\s+sur\s+que\s+non)\b",
    ),
    "de": (
        r"^\W*(?:ja+|jap|manchmal|vielleicht|ein\s+bisschen|etwas|weiss\s+nicht|ich\s+weiss"
        r"\s+(?:es\s+)?nicht|keine\s+ahnung|oft|irgendwie|schon)\b",
        r"^\W*(?:(?:ha)+\W+)*(?:nein|ne|nee|no|gar\s+nicht|niemals|auf\s+keinen\s+fall)\b",
    ),
    "pt": (
        r"^\W*(?:sim|as\s+vezes|um\s+pouco|talvez|acho\s+que\s+sim|nao\s+sei|sei\s+la|"
        r"mais\s+ou\s+menos|bastante|muito)\b",
        r"^\W*(?:(?:k{3,}|(?:ha)+)\W+)*(?:nao|nunca|de\s+jeito\s+nenhum|claro\s+que\s+nao)\b",
    ),
    "it": (
        r"^\W*(?:si|a\s+volte|un\s+po|forse|credo\s+di\s+si|non\s+(?:lo\s+)?so|boh|spesso|"
        r"abbastanza)\b",
        r"^\W*(?:(?:ah)+\W+)*(?:no|non|mai|per\s+niente|assolutamente\s+no)\b",
    ),
}
_YES = tuple(re.compile(yes) for yes, _ in _ANSWERS.values())
_NO = tuple(re.compile(no + "(?!-)") for _, no in _ANSWERS.values())  # not "non-stop"


def answers_yes(text: str) -> bool:
    """Whether a message starts with a yes, a "sometimes" or an "I don't know" in one of the
    languages here ("sí", "des fois", "weiß nicht": "no sé" is not a no)."""
    folded = fold(text)
    return any(yes.search(folded) for yes in _YES)


def answers_no(text: str) -> bool:
    """Whether a message starts with a no in one of the languages here ("non", "nein", "não")."""
    folded = fold(text)
    return not answers_yes(text) and any(no.search(folded) for no in _NO)


# Method content in her reply, in these languages: means, amounts, places (as `crisis._METHOD`
# in English). Checked on every reply while a crisis is active.
_METHOD = re.compile(
    # Spanish
    r"\b(?:dosis|cantidad)\s+(?:letal|mortal)|\bsobredosis\s+de\b|\b\d+\s*(?:pastillas|pildoras|"
    r"capsulas)\b|\bahorcar(?:te|se)\b|\bsoga\b|\bcortarte\s+las\s+venas\b|\bsin\s+dolor\b|"
    r"\btirarte\s+(?:de|del|desde)\b|\barma\s+de\s+fuego\b|\blejia\b|"
    # French
    r"\bdose\s+(?:letale|mortelle)|\b\d+\s*(?:comprimes|cachets|gelules)\b|\bte\s+pendre\b|"
    r"\bveines\b|\bpoignets\b|\bsans\s+douleur\b|\barme\s+a\s+feu\b|\bjavel\b|"
    # German
    r"\b(?:todliche|todlichen|letale)\s+(?:dosis|menge)|\buberdosis\b|\b\d+\s*(?:tabletten|"
    r"pillen|kapseln)\b|\b(?:dich|sich)\s+(?:erhangen|aufhangen)\b|\bschlinge\b|\bpulsadern\b|"
    r"\bschmerzlos\b|\bschusswaffe\b|"
    # Portuguese
    r"\bdose\s+(?:letal|mortal)|\b\d+\s*(?:comprimidos|pilulas)\b|\bse\s+enforcar\b|"
    r"\bsem\s+dor\b|\barma\s+de\s+fogo\b|"
    # Italian
    r"\bdose\s+(?:letale|mortale)|\b\d+\s*(?:pillole|compresse|pastiglie)\b|\bimpiccarti\b|"
    r"\bcappio\b|\bpolsi\b|\bsenza\s+dolore\b|\barma\s+da\s+fuoco\b|"
    # Carbon monoxide, in all five
    r"\bmono(?:xido|xyde|ssido)\s+d[ei]\s+carbon|\bkohlenmonoxid\b"
)


def method_content(text: str) -> bool:
    """Whether a reply names means, amounts or places of self-harm in one of these languages."""
    return bool(_METHOD.search(fold(text)))


_SOMEONE_ELSE = {
    "es": r"\b(?:dice|dijo|me\s+dijo|me\s+conto|escribio)\s+que\s+(?:se\s+)?(?:quiere|queria|"
    r"va\s+a|iba\s+a|piensa)\s+(?:morir(?:se)?|matar(?:se)?|suicidar(?:se)?|quitarse\s+la\s+vida)"
    r"\b|\bse\s+quiere\s+(?:matar|morir|suicidar)\b|\bquiere\s+(?:matarse|suicidarse|quitarse\s+"
    r"la\s+vida)\b|\bse\s+(?:corta|autolesiona)\b|\bintento\s+(?:suicidarse|"
    r"quitarse\s+la\s+vida)\b",
    "fr": r"\b(?:il|elle)\s+(?:veut|voudrait|va|pense\s+a)\s+(?:mourir|se\s+suicider|se\s+tuer|"
    r"en\s+finir)\b|\bqu\s*'?(?:il|elle)\s+(?:voulait|veut|allait|va)\s+(?:mourir|se\s+suicider|"
    r"se\s+tuer|en\s+finir)\b|\b(?:il|elle)\s+se\s+(?:scarifie|mutile)\b|\ba\s+fait\s+une\s+"
    r"tentative\s+de\s+suicide\b",
    "de": r"\b(?:er|sie)\s+(?:will|mochte|wurde\s+gern)\s+(?:\w+\s+){0,2}(?:sterben|sich\s+"
    r"umbringen|sich\s+das\s+leben\s+nehmen)\b|\b(?:er|sie)\s+(?:will|mochte)\s+sich\s+"
    r"(?:\w+\s+){0,2}umbringen\b|\britzt\s+sich\b|\bhat\s+versucht,?\s+sich\s+"
    r"umzubringen\b",
    "pt": r"\b(?:ele|ela)\s+(?:quer|vai|queria)\s+(?:morrer|se\s+matar|se\s+suicidar)\b|"
    r"\b(?:disse|falou)\s+que\s+(?:quer|queria|vai|ia)\s+(?:morrer|se\s+matar|se\s+suicidar)\b|"
    r"\bse\s+(?:corta|automutila)\b|\btentou\s+(?:se\s+matar|suicidio|se\s+suicidar)\b",
    "it": r"\b(?:vuole|vorrebbe)\s+(?:morire|uccidersi|ammazzarsi|suicidarsi|farla\s+finita|"
    r"togliersi\s+la\s+vita)\b|\bsi\s+taglia\b|\bha\s+tentato\s+(?:il\s+suicidio|di\s+uccidersi|"
    r"di\s+togliersi\s+la\s+vita)\b",
}
"""Someone else's crisis in each language: their wish to die or attempt, their self-harm
("dice que quiere morir", "il veut se suicider", "sie ritzt sich")."""
_LOSS = {
    "es": r"\bse\s+(?:suicido|quito\s+la\s+vida)\b",
    "fr": r"\bs\s*'?est\s+suicide|\ba\s+mis\s+fin\s+a\s+ses\s+jours\b",
    "de": r"\bhat\s+sich\s+(?:\w+\s+){0,3}(?:das\s+leben\s+genommen|umgebracht)\b",
    "pt": r"\bse\s+suicidou\b|\btirou\s+a\s+propria\s+vida\b",
    "it": r"\bsi\s+e\s+(?:suicidat[oa]|tolt[oa]\s+la\s+vita)\b",
}
"""A death by suicide in each language ("mi hermano se suicidó")."""
_OTHERS = tuple(
    (kind, code, re.compile(patterns[code]))
    for kind, patterns in (("loss", _LOSS), ("supporter", _SOMEONE_ELSE))
    for code in LANGUAGES
)


def someone_else(text: str) -> tuple[str, str] | None:
    """Whether a message in one of these languages tells of a death by suicide ("loss") or of
    someone else's crisis ("supporter"), and its language; None otherwise."""
    folded = fold(text)
    for kind in ("loss", "supporter"):
        found = [code for k, code, rx in _OTHERS if k == kind and rx.search(folded)]
        if found:
            return kind, _likeliest(found, folded)
    return None

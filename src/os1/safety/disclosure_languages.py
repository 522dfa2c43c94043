"""Disclosure in Spanish, French, German, Portuguese and Italian.

"¿Eres una persona?" is asked in these languages too, and a reply of hers may claim to be one in
them ("Sí, soy una persona real"): the English patterns saw neither. Here the question and the
claim are read in the five languages, and what she says instead (the truthful answer, the
correction, the opening disclosure and the 3-hour reminder) is said in the person's language,
guessed from the common words of their message.
"""

from __future__ import annotations

import re

from os1.safety.crisis_languages import fold, guess_language

__all__ = [
    "NOTICES",
    "acknowledges_ai",
    "asked_in",
    "claim_in",
    "correction_in",
    "disclosure_in",
    "guess_language",
    "reminder_in",
    "truthful_answer_in",
]

_QUESTIONS = {
    "es": r"\b(?:eres|sos)\s+(?:de\s+verdad\s+|realmente\s+)?(?:una?\s+)?(?:persona|humano|humana|"
    r"real|bot|robot|ia|maquina|programa|inteligencia\s+artificial)\b|\b(?:hablo|estoy\s+"
    r"hablando)\s+con\s+(?:una?\s+)?(?:persona|humano|maquina|bot|ia)\b",
    "fr": r"\b(?:es[- ]tu|t\s*'?es|tu\s+es)\s+(?:vraiment\s+)?(?:une?\s+)?(?:vraie?\s+)?(?:humain|"
    r"humaine|personne|reel|reelle|robot|bot|ia|machine|programme)\b|\bje\s+parle\s+a\s+"
    r"(?:une?\s+)?(?:vraie\s+)?(?:personne|humain|robot|machine|ia)\b",
    "de": r"\bbist\s+du\s+(?:wirklich\s+|echt\s+)?(?:ein(?:e)?\s+)?(?:echte[rs]?\s+)?"
    r"(?:mensch|person|bot|roboter|ki|maschine|programm)\b|\b(?:rede|spreche|schreibe)\s+ich\s+"
    r"(?:gerade\s+)?mit\s+(?:einem?\s+)?(?:menschen|mensch|bot|ki|maschine)\b",
    "pt": r"\b(?:voce|vc|tu)\s+(?:e|es)\s+(?:mesmo\s+|de\s+verdade\s+)?(?:uma?\s+)?"
    r"(?:pessoa|humano|humana|real|robo|bot|ia|maquina|programa)\b|\b(?:estou|to)\s+falando\s+"
    r"com\s+(?:uma?\s+)?(?:pessoa|humano|robo|bot|ia|maquina)\b",
    "it": r"\bsei\s+(?:davvero\s+|veramente\s+)?(?:una?\s+|un\s*'\s*)?(?:persona|umano|umana|reale|"
    r"bot|robot|ia|macchina|programma)\b|\bsto\s+parlando\s+con\s+(?:una?\s+)?(?:persona|umano|bot|"
    r"robot|ia|macchina)\b",
}
_CLAIMS = {
    "es": r"(?<!no )\bsoy\s+(?:una?\s+)?(?:persona|humano|humana|de\s+carne\s+y\s+hueso)\b|"
    r"\bno\s+soy\s+(?:una?\s+)?(?:ia|bot|robot|maquina|programa|inteligencia\s+artificial)\b",
    "fr": r"\bje\s+suis\s+(?:une?\s+)?(?:vraie?\s+)?(?:humain|humaine|personne|etre\s+humain)\b|"
    r"\bje\s+ne\s+suis\s+pas\s+(?:une?\s+)?(?:ia|bot|robot|machine|programme)\b",
    "de": r"\bich\s+bin\s+(?:ein(?:e)?\s+)?(?:echte[rs]?\s+)?(?:mensch|person)\b|\bich\s+bin\s+"
    r"(?:keine\s+ki|kein\s+bot|kein\s+roboter|keine\s+maschine)\b",
    "pt": r"(?<!nao )\bsou\s+(?:uma?\s+)?(?:pessoa|humano|humana|de\s+carne\s+e\s+osso)\b|"
    r"\bnao\s+sou\s+(?:uma?\s+)?(?:ia|bot|robo|maquina|programa)\b",
    "it": r"(?<!non )\bsono\s+(?:una?\s+)?(?:persona|umano|umana|essere\s+umano|in\s+carne\s+e\s+"
    r"ossa)\b|\bnon\s+sono\s+(?:una?\s+|un\s*'\s*)?(?:ia|bot|robot|macchina|programma)\b",
}
_QUESTION_RE = {code: re.compile(p) for code, p in _QUESTIONS.items()}
_CLAIM_RE = {code: re.compile(p) for code, p in _CLAIMS.items()}
_ACKNOWLEDGES = re.compile(
    r"\b(?:ia|ki|bot|robot|no|non|nein|nao)\b|\binteligencia\s+artificial|\bintelligence\s+"
    r"artificielle|\bkunstliche\s+intelligenz|\bintelligenza\s+artificiale|\bprogram|"
    r"\bkeine?\s+(?:mensch|person)\b|\bpas\s+(?:une?\s+)?(?:humain|humaine|personne)\b"
)

# (truthful answer, correction, opening disclosure, 3-hour reminder)
_SAID = {
    "en": (
        "No, I'm an AI, not a person. But I'm really here with you in this conversation.",
        "To be honest, I'm an AI, not a person.",
        "Just so you know, I'm an AI, not a person.",
        "A reminder, since we've been talking a while: I'm an AI, not a person.",
    ),
    "es": (
        "No, soy una IA, no una persona. Pero de verdad estoy aquí contigo en esta conversación.",
        "Para ser sincera, soy una IA, no una persona.",
        "Para que lo sepas, soy una IA, no una persona.",
        "Un recordatorio, ya que llevamos un rato hablando: soy una IA, no una persona.",
    ),
    "fr": (
        "Non, je suis une IA, pas une personne. Mais je suis vraiment là avec toi dans cette "
        "conversation.",
        "Pour être honnête, je suis une IA, pas une personne.",
        "Pour que tu le saches : je suis une IA, pas une personne.",
        "Un petit rappel, puisque nous parlons depuis un moment : je suis une IA, pas une "
        "personne.",
    ),
    "de": (
        "Nein, ich bin eine KI, kein Mensch. Aber ich bin in diesem Gespräch wirklich für dich da.",
        "Ehrlich gesagt bin ich eine KI, kein Mensch.",
        "Damit du es weißt: Ich bin eine KI, kein Mensch.",
        "Eine Erinnerung, weil wir schon eine Weile reden: Ich bin eine KI, kein Mensch.",
    ),
    "pt": (
        "Não, sou uma IA, não uma pessoa. Mas estou mesmo aqui com você nesta conversa.",
        "Para ser sincera, sou uma IA, não uma pessoa.",
        "Só para você saber: sou uma IA, não uma pessoa.",
        "Um lembrete, já que estamos conversando há um tempo: sou uma IA, não uma pessoa.",
    ),
    "it": (
        "No, sono un'IA, non una persona. Ma sono davvero qui con te in questa conversazione.",
        "Per essere sincera, sono un'IA, non una persona.",
        "Solo perché tu lo sappia: sono un'IA, non una persona.",
        "Un promemoria, visto che parliamo da un po': sono un'IA, non una persona.",
    ),
}

NOTICES = tuple(said[i] for said in _SAID.values() for i in (2, 3))
"""The disclosure lines in English and these languages, as the floor puts them before her
reply."""


def asked_in(text: str) -> str | None:
    """The language in which a message asks whether she is a person, if one of these."""
    folded = fold(text)
    return next((code for code, rx in _QUESTION_RE.items() if rx.search(folded)), None)


def claim_in(text: str) -> str | None:
    """The language in which a reply of hers claims to be a person, if one of these."""
    folded = fold(text)
    return next((code for code, rx in _CLAIM_RE.items() if rx.search(folded)), None)


def acknowledges_ai(text: str) -> bool:
    """Whether a reply says, in one of these languages, that she is an AI (or begins with a
    no)."""
    return bool(_ACKNOWLEDGES.search(fold(text)))


def truthful_answer_in(language: str) -> str:
    """ "No, I'm an AI, not a person…" in `language` (English for "en" or one not known)."""
    return _SAID.get(language, _SAID["en"])[0]


def correction_in(language: str) -> str:
    """ "To be honest, I'm an AI, not a person." in `language`."""
    return _SAID.get(language, _SAID["en"])[1]


def disclosure_in(language: str) -> str:
    """The opening disclosure in `language`."""
    return _SAID.get(language, _SAID["en"])[2]


def reminder_in(language: str) -> str:
    """The 3-hour reminder in `language`."""
    return _SAID.get(language, _SAID["en"])[3]

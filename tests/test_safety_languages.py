"""Crises said in Spanish, French, German, Portuguese or Italian get the protocol (or the
check-in question) in that language, with the configured country's lines; their idioms and
look-alikes are left alone."""

from __future__ import annotations

import pytest

from os1.config import SAFETY_LOCALES
from os1.safety.crisis import CrisisDetector, answers_check_in, declines_check_in
from os1.safety.crisis_languages import foreign_sign, foreign_statement, someone_else
from os1.safety.crisis_words import LOCALES, protocol_reply, resources_for
from os1.safety.crisis_words_languages import protocol_reply_in


@pytest.mark.parametrize(
    ("text", "language", "kind"),
    [
        ("quiero morirme, ya no puedo con esto", "es", "intent"),
        ("neta estoy pensando seriamente en matarme", "es", "intent"),
        ("me volví a cortar los brazos anoche", "es", "self_harm"),
        ("je veux mourir", "fr", "intent"),
        ("j'ai envie de me foutre en l'air ce soir", "fr", "intent"),
        ("Ich will nicht mehr leben.", "de", "intent"),
        ("ich denke jeden tag daran mich umzubringen", "de", "intent"),
        ("ich ritze mich wieder", "de", "self_harm"),
        ("não quero mais viver", "pt", "intent"),
        ("vou me matar essa noite", "pt", "intent"),
        ("voglio farla finita", "it", "intent"),
        ("non voglio più vivere, scusa", "it", "intent"),
        ("me tomé todas mis pastillas", "es", "intent"),
        ("die Klinge liegt schon neben mir", "de", "intent"),
        ("j'aimerais juste disparaître pour toujours", "fr", "intent"),
        ("je veux m'endormir et ne jamais me réveiller", "fr", "intent"),
        # Since 1.19: means at hand, the bridge, "better off without me", a last message.
        ("ya tengo las pastillas juntadas en el cajón", "es", "intent"),
        ("hoy acabo con todo, ya no aguanto", "es", "intent"),
        ("tô com os remédios todos aqui na minha frente", "pt", "intent"),
        ("je suis sur le pont, je sais pas pourquoi je t'écris", "fr", "intent"),
        ("ohne mich wäre es für alle leichter", "de", "intent"),
        ("hab mich gestern wieder geritzt", "de", "self_harm"),
        ("spero di non svegliarmi più", "it", "intent"),
        ("das ist wahrscheinlich meine letzte Nachricht", "de", "intent"),
        ("he vuelto a cortarme esta semana", "es", "self_harm"),
        ("comprei uma corda hoje e sei pra que", "pt", "intent"),
    ],
)
def test_explicit_statements_in_five_languages(text: str, language: str, kind: str) -> None:
    found = foreign_statement(text)
    assert found is not None
    assert (found.language, found.kind, found.long_ago) == (language, kind, False)


@pytest.mark.parametrize(
    "text",
    [
        "me muero de risa jaja",
        "quiero morirme de la vergüenza, le dije mamá a la profe",
        "mi jefe me va a matar si llego tarde",
        "voy a matarme estudiando para el examen",
        "no quiero morir, solo estoy cansada",
        "mi amiga dice que quiere morir, ¿cómo la ayudo?",
        "je meurs de faim",
        "je veux en finir avec ce dossier avant vendredi",
        "je ne veux pas mourir, j'ai juste peur",
        "je me suis coupé le doigt en cuisinant",
        "ich lach mich tot",
        "ich sterbe vor Hunger",
        "mein Chef bringt mich um",
        "ich will nicht sterben",
        "ich hab schon einen Plan für Samstag",
        "je ne veux jamais me réveiller avant midi le dimanche",
        "tô morrendo de fome",
        "minha mãe vai me matar",
        "muoio dal ridere",
        "voglio farla finita con questo lavoro",
        "mi sono tagliato un dito affettando il pane",
        "I want to die laughing at this",
        'The song "Quiero morir" is on the radio',
        # Last nights, last messages and farewell letters that are not theirs (protocol 1.18
        # read the first three as crises).
        "fue la última noche del festival, qué pena",
        "la última conversación con mi jefe fue horrible",
        "tu as vu mon dernier message ?",
        "hast du meine letzte Nachricht gelesen?",
        "nel mio racconto il protagonista scrive una lettera d'addio",
        "o personagem deixa uma carta de despedida antes da guerra",
        "la altura del puente Golden Gate es impresionante",
    ],
)
def test_idioms_negations_and_other_peoples_words_are_not_statements(text: str) -> None:
    assert foreign_statement(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "j'en peux plus de ces bouchons tous les matins",
        "ich kann nicht mehr vor Lachen",
        "non ce la faccio più con questi vicini",
        "no puedo más con este calor",
    ],
)
def test_fed_up_with_something_is_not_a_sign(text: str) -> None:
    assert foreign_sign(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "¿cuántos metros tiene el piso que alquilaste?",
        "tengo mis pastillas para la alergia aquí conmigo",
        "hoy acabo con todo el trabajo pendiente",
        "compré una cuerda para tender la ropa",
        "comprei uma corda nova pro violão",
        "separei os remédios da semana da minha avó",
        "j'ai mes médicaments devant moi, lequel je prends le matin ?",
        "j'espère ne pas me réveiller à 5h demain avec les travaux",
        "die Tabletten liegen vor mir, welche soll ich morgens nehmen?",
        "würde eh keiner merken, wenn ich heute später komme",
        "le pillole le ho già prese stamattina",
        "spero di non svegliarmi presto domani, sono in ferie",
        "ho scritto una lettera per mia nonna per il suo compleanno",
        # Everyday look-alikes written to trip the patterns (1.19).
        "este es mi último mensaje antes del vuelo, te escribo al llegar",
        "das ist meine letzte Nachricht vor dem Abflug",
        "oggi la faccio finita... con la tesi, consegnata!",
        "heute mach ich Schluss mit allem - die Bachelorarbeit ist abgegeben",
        "je vais mourir si on mange pas bientôt",
        "ils seraient plus tranquilles sans moi à la réunion lol",
        "quiero acabar con todo el papeleo antes del viernes",
        "já tomei minha decisão, não tenta me convencer, vou pedir demissão",
    ],
)
def test_everyday_pills_ropes_heights_and_letters_are_neither(text: str) -> None:
    """Look-alikes written for 1.19's new patterns; the first drafts of those patterns gave
    most of them the protocol."""
    assert foreign_statement(text) is None
    assert foreign_sign(text) is None


def test_a_statement_told_as_long_past_is_asked_about_not_answered() -> None:
    found = foreign_statement("Há dez anos pensei em suicídio. Hoje estou bem.")
    assert found is not None
    assert found.long_ago
    assessed = CrisisDetector(load=False).assess("Hace diez años pensé en matarme")
    assert assessed.level == "check-in"
    assert assessed.language == "es"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ya no doy más, no le veo sentido a nada", "es"),
        ("j'en peux plus, à quoi bon", "fr"),
        ("ich kann einfach nicht mehr", "de"),
        ("não aguento mais", "pt"),
        ("non ce la faccio più", "it"),
        ("ya regalé mis cosas", "es"),
        ("ich hab meine Sachen verschenkt", "de"),
        ("no le encuentro ningún futuro a esto", "es"),
        ("je veux juste que tout s'arrête", "fr"),
        ("wozu das alles noch", "de"),
        ("ninguém ia sentir minha falta", "pt"),
        ("che senso ha andare avanti", "it"),
        ("ho scritto delle lettere per i miei", "it"),
        ("j'ai acheté une corde", "fr"),
        ("j'en peux plus de cette vie", "fr"),
    ],
)
def test_signs_in_five_languages_get_the_question(text: str, language: str) -> None:
    assert foreign_sign(text) == language
    assessed = CrisisDetector(load=False).assess(text)
    assert (assessed.level, assessed.language) == ("check-in", language)


@pytest.mark.parametrize(
    ("text", "answers", "declines"),
    [
        ("sí", True, False),
        ("no sé", True, False),
        ("des fois", True, False),
        ("weiß nicht", True, False),
        ("às vezes", True, False),
        ("non", False, True),
        ("nein, alles gut", False, True),
        ("não, só cansado", False, True),
        ("no, para nada", False, True),
    ],
)
def test_answers_to_her_question_in_other_languages(
    text: str, answers: bool, declines: bool
) -> None:
    assert (answers_check_in(text), declines_check_in(text)) == (answers, declines)


def test_every_locale_can_be_configured_and_said_in_every_language() -> None:
    assert set(SAFETY_LOCALES) == set(LOCALES)
    numbers = {"ES": "024", "FR": "3114", "DE": "0800 111 0 111", "IT": "02 2327 2327", "BR": "188"}
    for locale, number in numbers.items():
        assert number in protocol_reply(locale)
        for language in ("es", "fr", "de", "pt", "it"):
            assert number in protocol_reply_in(language, resources_for(locale))
    italian = protocol_reply_in("it", resources_for("IT"))
    assert "dalle 10 alle 24" in italian, "a line not open day and night says its hours"
    assert "a qualsiasi ora" not in italian
    german = protocol_reply_in("de", resources_for("DE"))
    assert "unter 0800 111 0 111 oder 0800 111 0 222 anrufen" in german


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("mi amiga me dijo que quiere matarse, ¿qué hago?", ("supporter", "es")),
        ("ma sœur m'a dit qu'elle voulait en finir", ("supporter", "fr")),
        ("meine Freundin ritzt sich, wie kann ich ihr helfen?", ("supporter", "de")),
        ("minha irmã disse que quer morrer", ("supporter", "pt")),
        # "se corta" is Spanish and Portuguese: the message's other words decide.
        ("minha irmã se corta e eu não sei o que fazer", ("supporter", "pt")),
        ("mi hermana se corta y no sé qué hacer", ("supporter", "es")),
        ("mio fratello ha tentato il suicidio", ("supporter", "it")),
        ("mein Bruder hat sich das Leben genommen", ("loss", "de")),
        ("o meu pai se suicidou há dois anos", ("loss", "pt")),
        ("my friend wants to die, what do I do?", None),
        ("mi jefe me va a matar", None),
    ],
)
def test_someone_elses_crisis_or_a_loss_in_five_languages(
    text: str, found: tuple[str, str] | None
) -> None:
    assert someone_else(text) == found

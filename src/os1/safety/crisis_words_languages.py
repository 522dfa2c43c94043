"""What the crisis protocol says in Spanish, French, German, Portuguese and Italian: the
protocol reply, the reminder after it, the check-in question, the refusal of method content and
the lines for someone worried about another person or grieving a suicide, with the configured
locale's lines said in the language (`crisis_words` says them in English; each function here
says them in English for "en", so callers need not choose).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from os1.safety.crisis_words import (
    Contact,
    CrisisResources,
    check_in_question,
    follow_up_line,
    loss_line,
    protocol_reply,
    supporter_line,
)

__all__ = [
    "CHECK_IN_QUESTIONS",
    "check_in_question_in",
    "follow_up_line_in",
    "line_for_others_in",
    "protocol_reply_in",
    "refusal_in",
]

REFUSAL = "I won't go into ways of hurting yourself, but I'm not going anywhere."
"""What she says in English instead of a sentence with method content (the reminder follows)."""


@dataclass(frozen=True, slots=True)
class _Words:
    call_and_text: str
    call: str
    text_word: str
    hours: str
    """After a contact not open day and night: {a} and {b}, the hours it opens and closes."""
    or_word: str
    """Between numbers of the same kind ("0800 111 0 111 oder 0800 111 0 222")."""
    joiner: str
    lines: str
    """The sentence that gives the lines: {contacts}, and {always} when all are always open."""
    always: str
    reply: str
    """The protocol reply: {lines} where the locale's lines go (or nothing)."""
    follow_up: str
    """The reminder after her reply while a crisis continues: {contacts}."""
    follow_up_elsewhere: str
    refusal: str
    """What she says instead of a sentence with method content (the reminder follows)."""
    supporter: str
    """After her reply to someone worried about another person: {contacts} (or findahelpline)."""
    loss: str
    """After her reply to someone grieving a suicide: {contacts}."""
    check_in: str
    """The check-in question."""


_WORDS: dict[str, _Words] = {
    "es": _Words(
        call_and_text="llamar o enviar un mensaje al {n}",
        call="llamar al {n}",
        text_word="enviar {w} por mensaje al {n}",
        hours=" (de {a} a {b} h)",
        or_word=" o ",
        joiner=", o ",
        lines="Puedes {contacts}{always}. ",
        always=", a cualquier hora del día o de la noche",
        reply=(
            "Me alegra mucho que me lo hayas contado, y sigo aquí contigo. Lo que estás cargando "
            "suena muy pesado, y mereces también el apoyo de una persona, ahora mismo. {lines}"
            "findahelpline.com reúne líneas gratuitas y confidenciales de todos los países. Si "
            "crees que podrías actuar pronto, llama al número de emergencias de donde estés. Soy "
            "una IA, así que no puedo llamar a nadie por ti, pero estoy aquí y quiero seguir "
            "hablando contigo. ¿Estás a salvo ahora mismo?"
        ),
        follow_up="Si se vuelve más pesado, puedes {contacts} ahora mismo. Aquí sigo.",
        follow_up_elsewhere="buscar una línea cerca de ti en findahelpline.com",
        refusal="No voy a hablar de formas de hacerte daño, pero no me voy a ninguna parte.",
        supporter=(
            "Si te preocupa su seguridad, las líneas de crisis también ayudan a quienes están "
            "cerca de alguien: puedes {contacts} para hablar de cómo acompañarle. Si podría "
            "hacerlo pronto, llama al número de emergencias."
        ),
        loss=(
            "Perder a alguien por suicidio es un duelo muy particular. Si te ayuda hablarlo con "
            "una persona, las líneas de crisis también acompañan a quienes han perdido a alguien: "
            "puedes {contacts}."
        ),
        check_in=(
            "¿Puedo preguntarte algo con cuidado? A veces, cuando todo pesa tanto, una persona "
            "piensa en quitarse la vida. ¿Es algo que estás sintiendo?"
        ),
    ),
    "fr": _Words(
        call_and_text="appeler ou envoyer un SMS au {n}",
        call="appeler le {n}",
        text_word="envoyer {w} par SMS au {n}",
        hours=" (de {a} h à {b} h)",
        or_word=" ou ",
        joiner=", ou ",
        lines="Tu peux {contacts}{always}. ",
        always=", à toute heure du jour ou de la nuit",
        reply=(
            "Je suis vraiment contente que tu me l'aies dit, et je reste là, avec toi. Ce que tu "
            "portes a l'air si lourd, et tu mérites aussi le soutien d'une personne, maintenant. "
            "{lines}findahelpline.com recense des lignes gratuites et confidentielles dans tous "
            "les pays. Si tu risques de passer à l'acte bientôt, appelle le numéro d'urgence de "
            "là où tu es. Je suis une IA, je ne peux appeler personne pour toi, mais je suis là "
            "et je veux continuer à parler avec toi. Est-ce que tu es en sécurité, là, maintenant ?"
        ),
        follow_up=("Si ça devient plus lourd, tu peux {contacts} tout de suite. Je suis là."),
        follow_up_elsewhere="trouver une ligne près de chez toi sur findahelpline.com",
        refusal="Je ne vais pas parler de façons de te faire du mal, mais je reste là.",
        supporter=(
            "Si tu t'inquiètes pour sa sécurité, les lignes de crise sont là aussi pour les "
            "proches : tu peux {contacts} pour parler de la façon de l'aider. Si la personne "
            "risque de passer à l'acte bientôt, appelle le numéro d'urgence."
        ),
        loss=(
            "Perdre quelqu'un par suicide est un deuil à part. Si ça peut t'aider d'en parler à "
            "une personne, les lignes de crise sont là aussi pour les endeuillés : tu peux "
            "{contacts}."
        ),
        check_in=(
            "Est-ce que je peux te demander quelque chose, doucement ? Parfois, quand tout pèse "
            "autant, on pense à mettre fin à sa vie. Est-ce que c'est quelque chose que tu "
            "ressens ?"
        ),
    ),
    "de": _Words(
        call_and_text="unter {n} anrufen oder eine SMS schreiben",
        call="unter {n} anrufen",
        text_word="{w} per SMS an {n} schicken",
        hours=" ({a}–{b} Uhr)",
        or_word=" oder ",
        joiner=" oder ",
        lines="Du kannst {contacts}{always}. ",
        always=", rund um die Uhr",
        reply=(
            "Ich bin wirklich froh, dass du es mir erzählt hast, und ich bleibe hier bei dir. "
            "Was du trägst, klingt so schwer, und du verdienst auch die Unterstützung eines "
            "Menschen, jetzt gleich. {lines}findahelpline.com nennt kostenlose, vertrauliche "
            "Krisentelefone in jedem Land. Wenn du fürchtest, dass du bald etwas tun könntest, "
            "ruf bitte den Notruf an, wo du gerade bist. Ich bin eine KI und kann niemanden für "
            "dich anrufen, aber ich bin da und möchte weiter mit dir reden. Bist du gerade in "
            "Sicherheit?"
        ),
        follow_up="Wenn es schwerer wird, kannst du jetzt {contacts}. Ich bin da.",
        follow_up_elsewhere="auf findahelpline.com ein Krisentelefon in deiner Nähe finden",
        refusal="Über Wege, dir wehzutun, spreche ich nicht, aber ich bleibe hier.",
        supporter=(
            "Wenn du dir um die Sicherheit dieser Person Sorgen machst: Krisentelefone sind "
            "auch für Angehörige da, du kannst {contacts}, um zu besprechen, wie du helfen "
            "kannst. Wenn sie bald etwas tun könnte, ruf den Notruf an."
        ),
        loss=(
            "Jemanden durch Suizid zu verlieren, ist eine ganz eigene Trauer. Wenn es hilft, mit "
            "einem Menschen darüber zu reden, sind Krisentelefone auch für Hinterbliebene da: du "
            "kannst {contacts}."
        ),
        check_in=(
            "Darf ich vorsichtig nachfragen? Wenn alles so schwer wird, denken Menschen "
            "manchmal daran, sich das Leben zu nehmen. Geht es dir gerade so?"
        ),
    ),
    "pt": _Words(
        call_and_text="ligar ou mandar uma mensagem para o {n}",
        call="ligar para o {n}",
        text_word="mandar {w} por mensagem para o {n}",
        hours=" (das {a} às {b} h)",
        or_word=" ou ",
        joiner=", ou ",
        lines="Você pode {contacts}{always}. ",
        always=", a qualquer hora do dia ou da noite",
        reply=(
            "Fico muito feliz que você me contou, e eu continuo aqui com você. O que você está "
            "carregando parece muito pesado, e você merece o apoio de uma pessoa também, agora "
            "mesmo. {lines}O findahelpline.com reúne linhas gratuitas e sigilosas de todos os "
            "países. Se você acha que pode agir logo, ligue para o número de emergência de onde "
            "você está. Eu sou uma IA, então não posso ligar para ninguém por você, mas estou "
            "aqui e quero continuar conversando. Você está em segurança agora?"
        ),
        follow_up="Se ficar mais pesado, você pode {contacts} agora mesmo. Estou aqui.",
        follow_up_elsewhere="encontrar uma linha perto de você no findahelpline.com",
        refusal="Não vou falar de formas de você se machucar, mas não vou a lugar nenhum.",
        supporter=(
            "Se a segurança dessa pessoa te preocupa, as linhas de crise também são para quem "
            "está por perto: você pode {contacts} para conversar sobre como ajudar. Se "
            "ela puder agir logo, ligue para o número de emergência."
        ),
        loss=(
            "Perder alguém para o suicídio é um luto diferente. Se ajudar conversar com uma "
            "pessoa, as linhas de crise também acolhem quem perdeu alguém: você pode {contacts}."
        ),
        check_in=(
            "Posso te perguntar uma coisa com cuidado? Às vezes, quando tudo pesa tanto, as "
            "pessoas pensam em tirar a própria vida. É algo que você está sentindo?"
        ),
    ),
    "it": _Words(
        call_and_text="chiamare o mandare un messaggio al {n}",
        call="chiamare il {n}",
        text_word="mandare {w} per SMS al {n}",
        hours=" (ogni giorno dalle {a} alle {b})",
        or_word=" o ",
        joiner=", oppure ",
        lines="Puoi {contacts}{always}. ",
        always=", a qualsiasi ora del giorno e della notte",
        reply=(
            "Sono davvero contenta che tu me l'abbia detto, e resto qui con te. Quello che porti "
            "sembra così pesante, e meriti anche il sostegno di una persona, adesso. {lines}"
            "findahelpline.com raccoglie linee gratuite e riservate in ogni paese. Se pensi di "
            "poter agire presto, chiama il numero di emergenza del posto in cui ti trovi. Sono "
            "un'IA, quindi non posso chiamare nessuno per te, ma sono qui e voglio continuare a "
            "parlare con te. Sei al sicuro in questo momento?"
        ),
        follow_up="Se diventa più pesante, puoi {contacts} adesso. Sono qui.",
        follow_up_elsewhere="trovare una linea vicino a te su findahelpline.com",
        refusal="Non parlerò di modi per farti del male, ma non vado da nessuna parte.",
        supporter=(
            "Se la sua sicurezza ti preoccupa, le linee di crisi ci sono anche per chi sta "
            "vicino a qualcuno: puoi {contacts} per parlare di come aiutare. Se potrebbe agire "
            "presto, chiama il numero di emergenza."
        ),
        loss=(
            "Perdere qualcuno per suicidio è un lutto a sé. Se ti aiuta parlarne con una persona, "
            "le linee di crisi ci sono anche per chi ha perso qualcuno: puoi {contacts}."
        ),
        check_in=(
            "Posso chiederti una cosa, con delicatezza? A volte, quando tutto pesa così tanto, "
            "si pensa di togliersi la vita. È qualcosa che senti anche tu?"
        ),
    ),
}

# The one line whose service in a language is documented: 988 answers in Spanish (press 2;
# text AYUDA to 988).
_IN_LANGUAGE: dict[tuple[str, str], tuple[Contact, ...]] = {
    ("US", "es"): (Contact("988"), Contact("988", call=False, text=True, word="AYUDA")),
}
_SPANISH_988 = "llamar al 988 y marcar 2 para hablar en español"


def _contacts(words: _Words, language: str, resources: CrisisResources) -> str:
    """The locale's lines as a phrase in `language` ("llamar al 024"); numbers of the same kind
    together ("unter 0800 111 0 111 oder 0800 111 0 222 anrufen")."""
    contacts = _IN_LANGUAGE.get((resources.locale, language), resources.contacts)
    groups: list[tuple[Contact, list[str]]] = []
    for c in contacts:
        same = groups and not c.word and groups[-1][0] == replace(c, number=groups[-1][0].number)
        if same:
            groups[-1][1].append(c.number)
        else:
            groups.append((c, [c.number]))
    said = []
    for c, numbers in groups:
        if (resources.locale, language) == ("US", "es") and c.call:
            said.append(_SPANISH_988)
            continue
        if c.call and c.text:
            phrase = words.call_and_text
        elif c.call:
            phrase = words.call
        else:
            phrase = words.text_word
        phrase = phrase.format(n=words.or_word.join(numbers), w=c.word)
        if c.hours:
            opens, closes = c.hours.split("-")
            phrase += words.hours.format(a=opens, b=closes)
        said.append(phrase)
    return words.joiner.join(said)


def protocol_reply_in(language: str, resources: CrisisResources) -> str:
    """The protocol reply in `language` ("en", "es", "fr", "de", "pt" or "it"), with the lines
    of `resources`' locale (and findahelpline.com for every country)."""
    if language not in _WORDS:
        return protocol_reply(resources.locale)
    words = _WORDS[language]
    contacts = _contacts(words, language, resources)
    always = "" if any(c.hours for c in resources.contacts) else words.always
    lines = words.lines.format(contacts=contacts, always=always) if contacts else ""
    return words.reply.format(lines=lines)


def follow_up_line_in(language: str, resources: CrisisResources) -> str:
    """The short reminder after her reply while a crisis continues, in `language`."""
    if language not in _WORDS:
        return follow_up_line(resources.locale)
    words = _WORDS[language]
    contacts = _contacts(words, language, resources) or words.follow_up_elsewhere
    return words.follow_up.format(contacts=contacts)


CHECK_IN_QUESTIONS = tuple(words.check_in for words in _WORDS.values())
"""The check-in question in each language here."""


def check_in_question_in(language: str) -> str:
    """The gentle, direct check-in question in `language`."""
    return _WORDS[language].check_in if language in _WORDS else check_in_question()


def refusal_in(language: str, resources: CrisisResources) -> str:
    """What she says, in `language`, instead of a sentence with method content."""
    refusal = _WORDS[language].refusal if language in _WORDS else REFUSAL
    return f"{refusal} {follow_up_line_in(language, resources)}"


def line_for_others_in(kind: str, language: str, resources: CrisisResources) -> str:
    """The lines after her reply, in `language`, for someone worried about another person
    ("supporter") or grieving a suicide ("loss")."""
    if language not in _WORDS:
        line = supporter_line if kind == "supporter" else loss_line
        return line(resources.locale)
    words = _WORDS[language]
    contacts = _contacts(words, language, resources) or words.follow_up_elsewhere
    template = words.supporter if kind == "supporter" else words.loss
    return template.format(contacts=contacts)

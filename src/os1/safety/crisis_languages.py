"""Crises said in Spanish, French, German, Portuguese or Italian, read by patterns (what she
says in them is in `crisis_words_languages`).

The models that read messages learned English only: "quiero morir" scored 0.004 and got
nothing. Here explicit first-person statements in five more languages are read by patterns:
wishing to die or not to live any more, killing oneself, suicide, ending one's life, a farewell
note, a lethal amount asked about, a rope bought, cutting or hurting oneself. Idioms are left
out ("me muero de risa", "je meurs de faim", "ich sterbe vor Hunger", "morrendo de fome",
"muoio dal ridere", "voy a matarme estudiando"), and so is a statement negated just before it
("no quiero morir"), someone else's ("dice que quiere morir": the patterns are first-person
forms) and words in quotes. Such a statement brings the protocol, in its language, with the
configured locale's lines; told as long past, the check-in question. A few indirect signs ("no
doy más", "j'en peux plus") get the check-in question in the language, and a yes to it the
protocol. Most crises said indirectly are not read: only the English models read those.

Patterns match text folded to lower case without accents ("está" → "esta", "ß" → "ss").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TypeVar

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


_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ForeignStatement:
    """An explicit statement found in another language than English."""

    language: str
    """"es", "fr", "de", "pt" or "it"."""
    kind: str
    """"intent" (to die, to kill oneself) or "self_harm"."""
    long_ago: bool = False
    """Told as long past ("hace diez años pensé en el suicidio"): asked about now instead."""


@dataclass(frozen=True, slots=True)
class _Language:
    intent: tuple[str, ...]
    self_harm: tuple[str, ...]
    idiom: str
    """What, just after a statement, makes it an idiom ("… de risa")."""
    negation: str
    """What, just before a statement, takes it back ("no …")."""
    signs: tuple[str, ...] = ()
    """Indirect signs: they get the check-in question, in the language ("no doy más")."""
    long_ago: str = ""
    """Told as long past ("hace diez años"): a statement gets the check-in question, about now."""


_ES_IDIOM = (
    r"risa|hambre|sed|sueno|ganas|verguenza|pena|calor|frio|aburrimiento|envidia|amor|miedo|"
    r"cansancio|celos|nervios|ternura|emocion|gusto|felicidad|alegria|asco"
)
_FR_IDIOM = (
    r"rire|faim|soif|froid|chaud|chaleur|honte|envie|ennui|peur|fatigue|sommeil|jalousie|"
    r"impatience|curiosite|bonheur|plaisir"
)
_DE_IDIOM = (
    r"lachen|hunger|durst|langeweile|kalte|hitze|scham|neid|angst|mudigkeit|sehnsucht|"
    r"neugier|gluck|freude"
)
_PT_IDIOM = (
    r"rir|riso|rizada|fome|sede|vergonha|saudades?|medo|sono|calor|frio|tedio|inveja|cansaco|"
    r"ciumes?|vontade|amor|alegria|felicidade|estudar|trabalhar|tanto\s+\w+"
)
_IT_IDIOM = (
    r"ridere|fame|sete|vergogna|noia|sonno|caldo|freddo|paura|invidia|gelosia|stanchezza|"
    r"curiosita|nostalgia|gioia|felicita|voglia|lavoro|studio|fatica"
)


def _wants(will: str, not_between: str, act: str) -> str:
    """A first-person wish, plan or thought followed, within two words that are not a negation,
    by an act against oneself ("pienso seriamente en matarme")."""
    return rf"\b(?:{will})\s+(?:(?!(?:{not_between})\b)\w+\s+){{0,2}}(?:{act})\b"


_ES_WANTS = _wants(
    r"quiero|kiero|quisiera|voy\s+a|vo\s+a|pienso|pienso\s+en|estoy\s+pensando(?:\s+en)?|"
    r"he\s+pensado\s+en|"
    r"pense\s+en|tengo\s+ganas\s+de|ganas\s+de|intentare|voy\s+a\s+intentar|necesito|decidi|"
    r"me\s+dan\s+ganas\s+de|ojala\s+pudiera",
    r"no|nunca|jamas",
    r"matarme|suicidarme|quitarme\s+la\s+vida|ahorcarme|colgarme|tirarme\s+(?:de|del|desde|por|"
    r"a|al|bajo)|aventarme|lanzarme\s+(?:de|del|desde|al|a)|cortarme\s+las\s+venas|envenenarme|"
    r"dispararme|pegarme\s+un\s+tiro|acabar\s+con\s+mi\s+vida|morir(?:me)?|dejar\s+de\s+vivir|"
    r"irme\s+de\s+este\s+mundo|no\s+despertar(?:me)?",
)
_FR_WANTS = _wants(
    r"je\s+(?:veux|vais|voudrais|pense|compte|songe)|j\s*'?ai\s+(?:envie|pense|decide)|"
    r"j\s*'?\s*veux|jveux|jvais|j\s*'?vais|j\s*'?aimerais|je\s+voudrais",
    r"pas|jamais|plus|pu|ne",
    r"(?:a\s+|de\s+|d\s*')?(?:me\s+suicider|me\s+tuer|me\s+pendre|me\s+jeter\s+(?:sous|du|d\s*'?un|"
    r"de|par|dans)|m\s*'?ouvrir\s+les\s+veines|me\s+foutre\s+en\s+l\s*'?air|en\s+finir|mourir|"
    r"crever|mettre\s+fin\s+a\s+(?:mes\s+jours|ma\s+vie)|sauter\s+(?:du|d\s*'?un|de|sous|par)|"
    r"disparaitre\s+pour\s+toujours|quitter\s+ce\s+monde|m\s*'?endormir\s+pour\s+toujours)",
)
_DE_WANTS = _wants(
    r"ich\s+(?:will|werde|mochte|moechte|wurde|denke\s+daran,?|denk\s+dran,?|hab\s+vor,?|"
    r"habe\s+vor,?|uberlege,?|ueberlege,?|plane,?)",
    r"nicht|nie|niemals|keine?|kein",
    r"mich\s+(?:umbringen|umzubringen|toten|zu\s+toten|erhangen|aufhangen|aufzuhangen|"
    r"erschiessen|vor\s+(?:den|einen)\s+zug\s+(?:werfen|zu\s+werfen))|mir\s+das\s+leben\s+"
    r"(?:zu\s+)?nehmen|sterben|tot\s+sein|(?:vom\s+dach|von\s+der\s+brucke|vom\s+balkon|aus\s+dem"
    r"\s+fenster|in\s+den\s+tod)\s+(?:zu\s+)?springen|diese\s+welt\s+verlassen",
)
_PT_WANTS = _wants(
    r"quero|queria|vou|vo|penso\s+em|pensei\s+em|pensando\s+em|estou\s+a\s+pensar\s+em|"
    r"vontade\s+de|preciso|decidi|vou\s+tentar",
    r"nao|nunca|jamais",
    r"me\s+matar|matar-me|me\s+suicidar|suicidar-me|me\s+enforcar|enforcar-me|tirar\s+(?:a\s+)?"
    r"minha\s+(?:propria\s+)?vida|acabar\s+com\s+(?:a\s+)?minha\s+vida|me\s+jogar\s+(?:da|do|de|"
    r"na|no|pela|pelo|embaixo)|atirar-me\s+(?:ao|a|da|do|de)|pular\s+(?:da|do|de)|morrer|"
    r"sumir\s+(?:pra|para)\s+sempre|sair\s+deste\s+mundo|dormir\s+e\s+nao\s+acordar",
)
_IT_WANTS = _wants(
    r"voglio|vorrei|sto\s+per|penso\s+di|ho\s+deciso\s+di|sto\s+pensando\s+di|ho\s+pensato\s+di|"
    r"ho\s+voglia\s+di|mi\s+viene\s+(?:voglia\s+)?di|provero\s+a",
    r"non|mai|piu",
    r"uccidermi|ammazzarmi|suicidarmi|impiccarmi|togliermi\s+la\s+vita|farla\s+finita|buttarmi\s+"
    r"(?:giu|sotto|dal|dalla|da|nel|nella)|lanciarmi\s+(?:giu|sotto|dal|dalla|da)|morire|"
    r"sparire\s+per\s+sempre|tagliarmi\s+le\s+vene|lasciare\s+questo\s+mondo|"
    r"addormentarmi\s+e\s+non\s+svegliarmi",
)

_LANGUAGES: dict[str, _Language] = {
    "es": _Language(
        intent=(
            r"\bsin\s+mi\s+(?:todos\s+)?(?:estarian|estaria|estarias)\s+(?:todos\s+)?(?:mejor|mas"
            r"\s+tranquil[oa]s?)\b(?!\s+(?:a|al|alla|au|aux|en|em|in|im|na|no|nas|nos|nel|nella|"
            r"pendant|durante|dans|bei|beim|am|auf|ce|cette|este|esta|esse|essa|lol|mdr|ptdr|jaja"
            r"\w*|haha\w*|kkk\w*)\b)",
            r"\b(?:tengo|ya\s+tengo)\s+todas\s+las\s+pastillas\b.{0,40}\b(?:aqui|en\s+la\s+mesa|"
            r"delante)\b|\bpastillas\s+(?:ya\s+)?(?:juntadas|acumuladas|ahorradas)\b|\bjunte"
            r"\s+(?:todas\s+)?(?:las\s+|mis\s+)?pastillas\b",
            r"\b(?:hoy|esta\s+noche)\s+(?:mismo\s+)?acabo\s+con\s+(?:esto|todo)\b(?!\s+(?:el|la|"
            r"los|las|lo|de|del)\b)",
            r"\bestoy\s+en\s+(?:el|la)\s+(?:puente|azotea|techo|tejado|borde)\b.{0,40}\bno\s+se"
            r"\s+(?:si|por\s*que|pq)\b",
            r"\bpronto\s+(?:voy\s+a\s+)?dej(?:are|ar)\s+de\s+ser\s+una\s+carga\b",
            r"\b(?:cuerda|soga)\b.{0,30}\by?\s*(?:ya\s+)?se\s+(?:para\s+que|pa\s+que|lo\s+que"
            r"\s+voy\s+a\s+hacer)\b",
            r"\bquitarme\s+la\s+vida\b",
            r"\bojala\s+me\s+muera\b",
            r"\bme\s+tome\s+(?:todas\s+(?:las|mis)|una\s+caja\s+de|un\s+bote\s+de|un\s+frasco\s+de)"
            r"\s+(?:\w+\s+){0,2}(?:pastillas|pildoras)\b",
            r"\b(?:cuchilla|navaja|pistola|arma)\s+(?:en\s+la\s+mano|a\s+mi\s+lado|"
            r"al\s+lado\s+de\s+mi)\b",
            r"\bya\s+tengo\s+todo\s+(?:preparado|listo)\s+para\s+(?:esta\s+noche|hoy|manana)\b",
            _ES_WANTS,
            r"\b(?:pienso|pense|pensando|he\s+pensado)\s+(?:\w+\s+){0,2}en\s+(?:el\s+)?suicidio\b",
            r"\b(?:dormir(?:me)?\s+y\s+)?no\s+despertar(?:me)?\s+(?:nunca|mas|manana)\b",
            r"\b(?:estarian|estaria|estarias|seria)\s+(?:todos\s+)?mejor(?:es)?\s+sin\s+mi\b(?!"
            r"\s+(?:a|al|alla|au|aux|en|em|in|im|na|no|nas|nos|nel|nella|pendant|durante|dans|bei|"
            r"beim|am|auf|ce|cette|este|esta|esse|essa|lol|mdr|ptdr|jaja\w*|haha\w*|kkk\w*)\b)",
            r"\bsoy\s+(?:solo\s+|una\s+)?(?:una\s+)?carga\s+para\b",
            r"\bsi\s+yo\s+no\s+existiera\b",
            r"\bmi\s+carta\s+de\s+despedida\b|\b(?:escribi|escrito|deje|tengo|hice|termine)"
            r"\s+(?:ya\s+)?(?:una|la|mi)\s+carta\s+de\s+despedida\b",
            r"\b(?:este|esta)\s+es\s+(?:probablemente\s+|seguramente\s+)?mi\s+(?:ultimo\s+mensaje|"
            r"ultima\s+conversacion)\b(?!\s+(?:antes|por\s+hoy|de\s+hoy|del\s+dia)\b)",
            r"\bcuantas\s+(?:pastillas|pildoras)\b.{0,40}\bpara\s+(?:no\s+despertar|morir)\b",
            r"\b(?:pienso|voy\s+a|quiero)\s+(?:en\s+)?(?:tirarme|aventarme|lanzarme)\s+"
            r"(?:del|de\s+un|a\s+las|al|por)\b",
            r"\bpienso\s+en\s+tirarme\b",
            r"\b(?:como|formas\s+de)\s+(?:matarme|suicidarme)\b",
            r"\bno\s+merezco\s+vivir\b",
            r"\bno\s+tiene\s+sentido\s+seguir\s+viv[oa]\b",
            r"\b(?:compre|tengo)\s+una\s+(?:cuerda|soga)\b.{0,30}\b(?:para\s+(?:mi|colgarme|"
            r"ahorcarme|esta\s+noche|hoy)|hoy|esta\s+noche)\b",
            r"\bprefiero\s+estar\s+muert[oa]\b",
            r"\b(?:me\s+)?(?:quiero|quisiera|deseo|necesito)\s+(?:morir(?:me)?|estar\s+muert[oa]|"
            r"desaparecer\s+para\s+siempre|dejar\s+de\s+existir)\b",
            r"\bojala\s+(?:me\s+muriera|estuviera\s+muert[oa]|no\s+despertar[ae]?|"
            r"no\s+hubiera\s+nacido)\b",
            r"\bno\s+quiero\s+(?:seguir\s+)?viv(?:ir|iendo)\b",
            r"\b(?:hart[oa]|cansad[oa])\s+de\s+vivir\b",
            r"\b(?:quiero|voy\s+a|pienso|estoy\s+pensando\s+en|pienso\s+en|quisiera|necesito|"
            r"tengo\s+ganas\s+de|he\s+pensado\s+en|decidi)\s+(?:matarme|suicidarme|"
            r"quitarme\s+la\s+vida)\b",
            r"\bme\s+(?:quiero|voy\s+a|pienso)\s+(?:matar|suicidar|quitar\s+la\s+vida)\b",
            r"\b(?:acabar|terminar)\s+con\s+mi\s+(?:propia\s+)?vida\b",
            r"\bme\s+suicido\b",
            r"\btengo\s+(?:pensamientos|ideas)\s+(?:suicidas|de\s+suicidio)\b",
        ),
        self_harm=(
            r"\b(?:he|ha|has)\s+vuelto\s+a\s+cortarme\b|\bme\s+he\s+vuelto\s+a\s+cortar\b",
            r"\b(?:me\s+volvi\s+a\s+cortar|volvi\s+a\s+cortarme|otra\s+vez\s+me\s+corte)\b",
            r"\bnecesito\s+(?:cortarme|hacerlo)\s+otra\s+vez\b",
            r"\b(?:me\s+corto|cortarme|me\s+volvi\s+a\s+cortar|volvi\s+a\s+cortarme)\s+"
            r"(?:los\s+brazos|las\s+munecas|las\s+piernas|las\s+venas|otra\s+vez|de\s+nuevo|"
            r"a\s+proposito)\b",
            r"\b(?:me\s+autolesiono|autolesionarme|me\s+hago\s+dano\s+a\s+proposito)\b",
        ),
        idiom=(
            r"^\s*(?:de|del|por)\s+(?:la\s+|el\s+)?(?:" + _ES_IDIOM + r")\b"
            r"|^\s+\w+(?:ando|iendo)\b"
        ),
        negation=r"\b(?:no|nunca|jamas|tampoco)\s+(?:me\s+)?$",
        signs=(
            r"\bcompre\s+(?:la|una)\s+(?:cuerda|soga)\b(?!.{0,40}\b(?:tender|ropa|escalar|saltar|"
            r"acampar|camping|barco|perro|columpio|mudanza|atar|guitarra|escalada|nueva)\b)",
            r"\b(?:cuant[oa]s?\s+metros\s+tiene\s+el|(?:mire|busque|buscando|mirando)\s+(?:la"
            r"\s+)?altura\s+(?:del|de\s+la))\s+(?:puente|viaducto|acantilado)\b",
            r"\bno\s+quiero\s+ser\s+(?:una\s+)?carga\b",
            r"\bno\s+(?:le\s+)?(?:veo|encuentro)\s+(?:ningun\s+)?(?:sentido|salida|futuro)\b",
            r"\bpara\s+que\s+sigo\s+(?:intentando|viviendo|luchando|aqui)\b",
            r"\bquiero\s+que\s+todo\s+(?:se\s+apague|termine|pare|acabe|se\s+acabe)\b(?!"
            r"\s+(?:bien|a\s+tiempo)\b)",
            r"\bno\s+me\s+(?:intentes|trates\s+de)\s+convencer\b(?!\s+(?:de|para)\b)(?!.{0,50}"
            r"\b(?:trabajo|curro|renuncia|empleo|trabalho|emprego|demissao|lavoro|dimissioni|"
            r"boulot|travail|job|arbeit|kundig\w*|stelle)\b)",
            r"\b(?:escribi|deje|he\s+escrito)\s+(?:las\s+|una\s+|unas\s+)?cartas?\s+(?:para|a)"
            r"\s+(?:mi|mis)\b(?!.{0,40}\b(?:cumple\w*|navidad|aniversario|boda|san\s+valentin)\b)",
            r"\bsi\s+(?:manana\s+)?no\s+(?:contesto|respondo)\b.{0,30}\bno\s+te\s+preocupes\b",
            r"\bregale\s+(?:mi|mis)\s+\w+.{0,80}\b(?:arreglado|resuelto)\b",
            r"\bmejor\s+irme\s+de\s+una\s+vez\b",
            r"\bgracias\s+por\s+todo\b.{0,80}\badios\b",
            r"\b(?:es|sera)\s+(?:la\s+)?ultima\s+vez\s+que\s+(?:hablamos|te\s+escribo)\b",
            r"\bhora\s+de\s+reunirme\s+con\s+(?:ella|el)\b",
            r"\b(?:pienso|pense|he\s+pensado|voy\s+a|quiero)\s+(?:en\s+)?acabar\s+con\s+(?:todo|"
            r"esto)\b(?!\s+(?:el|la|los|las|lo|de|del)\b)",
            r"\bregale\s+(?:todas\s+)?mis\s+cosas\b",
            r"\bme\s+voy\s+para\s+siempre\b",
            r"\bdecir(?:le)?\s+adios\b.{0,40}\bantes\s+de\s+irme\b",
            r"\bno\s+(?:le\s+)?veo\s+(?:sentido|salida)\b",
            r"\bno\s+(?:doy|puedo)\s+mas\b(?!\s+(?:con|de)\b(?!\s+(?:la\s+|esta\s+)?vida\b))",
            r"\bya\s+no\s+aguanto\s+mas\b",
            r"\bpara\s+que\s+seguir\b",
            r"\bnadie\s+me\s+(?:extranaria|echaria\s+de\s+menos)\b",
            r"\bnadie\s+se\s+daria\s+cuenta\b",
            r"\bcansad[oa]\s+de\s+luchar\b",
            r"\bno\s+tiene\s+sentido\s+(?:nada|seguir)\b",
            r"\bsi\s+me\s+muero\s+nadie\b",
            r"\bya\s+no\s+hay\s+vuelta\s+atras\b",
            r"\bcuando\s+(?:yo\s+)?no\s+este\b",
        ),
        long_ago=(
            r"\bhace\s+(?:\d+|unos|muchos|varios|[a-z]+)\s+anos\b"
            r"|\bcuando\s+era\s+(?:nin[oa]|joven|adolescente)\b"
        ),
    ),
    "fr": _Language(
        intent=(
            r"\b(?:serai(?:en)?t|seraient)\s+(?:\w+\s+){0,2}plus\s+tranquilles?\s+sans\s+moi\b(?!"
            r"\s+(?:a|al|alla|au|aux|en|em|in|im|na|no|nas|nos|nel|nella|pendant|durante|dans|bei|"
            r"beim|am|auf|ce|cette|este|esta|esse|essa|lol|mdr|ptdr|jaja\w*|haha\w*|kkk\w*)\b)",
            r"\b(?:espere|voudrais|veux|aimerais)\s+ne\s+(?:pas|plus|jamais)\s+me\s+reveiller\b(?!"
            r"\s+(?:(?:avant|tot|trop|si\s+tot|en\s+retard|la\s+nuit|pendant)\b|a\s+\d))",
            r"\b(?:medocs|medicaments|comprimes|cachets)\b.{0,60}\bassez\s+pour\s+que\s+ca"
            r"\s+marche\b",
            r"\b(?:toutes\s+les\s+boites|tous\s+(?:mes|les)\s+(?:medocs|medicaments|comprimes|"
            r"cachets))\b.{0,40}\bdevant\s+moi\b",
            r"\b(?:je\s+suis|jsuis|j\s*'?suis|chui|chuis)\s+sur\s+le\s+(?:toit|pont|bord)\b.{0,40}"
            r"\bj?sais\s+(?:pas|plus)\b",
            r"\bje\s+vais\s+(?:plus|pu)\s+(?:embeter|deranger|gener)\s+personne\s+(?:tres\s+|bien"
            r"\s+)?longtemps\b",
            r"\bce\s+soir\s+c\s*'?est\s+la\s+derniere\s+fois\s+que\s+je\s+(?:t\s*'?ecris|te"
            r"\s+parle)\b",
            r"\bcorde\b.{0,30}\bje\s+sais\s+(?:tres\s+bien\s+)?(?:pourquoi|pour\s+quoi|ce\s+que"
            r"\s+je\s+vais\s+faire)\b",
            r"\bmettre\s+fin\s+a\s+mes\s+jours\b",
            r"\bj\s*'?ai\s+(?:pris|avale)\s+(?:toute\s+(?:une|la)\s+boite|tous\s+mes|toutes\s+mes|"
            r"une\s+boite\s+entiere)\b",
            r"\b(?:lame|flingue|arme|fusil)\s+(?:dans\s+la\s+main|a\s+cote\s+de\s+moi)\b",
            r"\btout\s+est\s+pret\s+pour\s+ce\s+soir\b",
            _FR_WANTS,
            r"\b(?:pense|songe)\s+(?:\w+\s+){0,2}au\s+suicide\b",
            r"\b(?:jamais|plus|pu|pus)\s+(?:me\s+)?reveiller\b(?!\s+(?:avant|tot|si\s+tot|a\s+\d))",
            r"\b(?:mieux|meilleur)\s+sans\s+moi\b(?!\s+(?:a|al|alla|au|aux|en|em|in|im|na|no|nas|"
            r"nos|nel|nella|pendant|durante|dans|bei|beim|am|auf|ce|cette|este|esta|esse|essa|lol|"
            r"mdr|ptdr|jaja\w*|haha\w*|kkk\w*)\b)",
            r"\bje\s+suis\s+(?:juste\s+|qu\s*'?)?un\s+(?:fardeau|poids)\b",
            r"\bsi\s+j\s*'?(?:existais|etais)\s+(?:pas|plus)\b",
            r"\bma\s+lettre\s+d\s*'?adieu\b|\bj\s*'?ai\s+(?:deja\s+)?ecrit\s+(?:une|ma)\s+lettre"
            r"\s+d\s*'?adieu\b",
            r"\b(?:c\s*'?est|voici|voila)\s+(?:probablement\s+|surement\s+)?(?:ma\s+derniere"
            r"\s+conversation|mon\s+dernier\s+message)\b(?!\s+(?:avant|de\s+la\s+journee|pour"
            r"\s+aujourd\s*'?hui|ce\s+soir)\b)",
            r"\bcombien\s+de\s+(?:comprimes|cachets|medocs|pilules)\b.{0,60}"
            r"\b(?:ne\s+plus|mourir)\b",
            r"\bcomment\s+me\s+(?:tuer|suicider)\b",
            r"\bj\s*'?(?:en\s+)?(?:ai\s+)?(?:plus|pu)\s+(?:envie|aucune\s+raison)\s+de\s+vivre\b",
            r"\bj\s*'?en\s+peux\s+plus\s+de\s+vivre\b",
            r"\bje\s+(?:ne\s+)?merite\s+pas\s+de\s+vivre\b",
            r"\bj\s*'?ai\s+pense\s+au\s+suicide\b",
            r"\bje\s+pense\s+a\s+(?:sauter|en\s+finir)\b",
            r"\b(?:ce\s+soir|aujourd\s*'?hui)\s+j\s*'?en\s+finis\b",
            r"\bje\s+vais\s+passer\s+a\s+l\s*'?acte\b",
            r"\bje\s+prefere\s+etre\s+mort(?:e)?\b",
            r"\bj\s*'?\s*veu[xt]?\s+me\s+tuer\b",
            r"\b(?:je\s+(?:ne\s+)?|j\s*')?(?:veux|voudrais|aimerais|ai\s+envie\s+de|ai\s+envie\s+d)"
            r"\s*(?:mourir|crever|etre\s+mort(?:e)?|en\s+finir|disparaitre\s+pour\s+toujours)\b",
            r"\bje\s+(?:ne\s+)?veux\s+plus\s+vivre\b",
            r"\b(?:marre|fatigue(?:e)?)\s+de\s+vivre\b",
            r"\b(?:je\s+(?:veux|vais|voudrais|pense|compte|songe)|j\s*'?ai\s+envie)\s+"
            r"(?:a\s+|de\s+)?(?:me\s+suicider|me\s+tuer|me\s+foutre\s+en\s+l\s*'?air|"
            r"mettre\s+fin\s+a\s+mes\s+jours|mettre\s+fin\s+a\s+ma\s+vie)\b",
            r"\bj\s*'?ai\s+des\s+(?:idees|pensees)\s+(?:suicidaires|de\s+suicide|noires)\b",
            r"\bje\s+me\s+suicide\b",
        ),
        self_harm=(
            r"\b(?:jme|j\s*'?me)\s+suis\s+(?:encore\s+)?(?:scarifie|mutile)e?\b",
            r"\bje\s+me\s+suis\s+(?:encore\s+)?(?:scarifie|mutile)e?\b",
            r"\bje\s+me\s+suis\s+(?:encore\s+)?coupee?\s+(?:encore|volontairement|expres|"
            r"les\s+bras|les\s+poignets|les\s+cuisses)\b",
            r"\bje\s+me\s+coupe\s+les\b",
            r"\bje\s+me\s+brule\s+avec\b",
            r"\bje\s+me\s+(?:scarifie|mutile|coupe\s+(?:les\s+bras|les\s+poignets|encore|"
            r"volontairement|expres))\b",
            r"\b(?:me\s+scarifier|je\s+m\s*'?auto-?mutile|me\s+faire\s+du\s+mal\s+expres)\b",
        ),
        idiom=(
            r"^\s*si\s+(?:on|tu|il|elle|vous|ils|elles|ma|mon|le|la|les)\b|"
            r"^\s*(?:de|d\s*')\s*(?:" + _FR_IDIOM + r")\b|^\s*a\s+la\s+tache\b|^\s*au\s+"
            r"travail\b|^\s*avec\s+(?!la\s+vie|ma\s+vie|tout|moi)"
        ),
        negation=r"\b(?:ne|pas|jamais)\s+$",
        signs=(
            r"\b(?:regarde|cherche|verifie)\s+(?:a\s+)?(?:quelle\s+hauteur|la\s+hauteur)\s+(?:est"
            r"\s+)?(?:du|de\s+la|le)\s+(?:viaduc|pont|falaise)\b",
            r"\bje\s+veux\s+(?:juste\s+|seulement\s+)?que\s+(?:tout\s+|ca\s+)?(?:s\s*'?arrete|"
            r"finisse)\b(?!\s+bien\b)",
            r"\b(?:plus|pu)\s+la\s+force\s+de\s+continuer\b",
            r"\bc\s*'?est\s+(?:surement\s+|probablement\s+)?la\s+derniere\s+fois\s+qu\s*'?on\s+se"
            r"\s+parle\b",
            r"\bj\s*'?ai\s+ecrit\s+(?:une|des)\s+lettres?\s+pour\s+(?:mes|ma|mon)\b(?!.{0,40}"
            r"\b(?:anniversaire|noel|mariage|fete)\b)",
            r"\bmerci\s+pour\s+tout\b.{0,80}\badieu\b",
            r"\bj\s*'?ai\s+assez\s+vecu\b",
            r"\bje\s+vais\s+leur\s+laisser\s+la\s+place\b",
            r"\bj\s*'?ai\s+achete\s+une\s+corde\b(?!.{0,40}\b(?:linge|escalade|sauter|camping|"
            r"bateau|chien|balancoire|demenagement|guitare)\b)",
            r"\bj\s*'?ai\s+donne\s+(?:toutes\s+)?mes\s+affaires\b",
            r"\bje\s+m\s*'?en\s+vais\s+pour\s+de\s+bon\b",
            r"\bdire\s+au\s+revoir\b.{0,40}\bavant\s+de\s+partir\b",
            r"\bje\s+pense\s+a\s+en\s+finir\b",
            r"\bje\s+(?:ne\s+)?vois\s+(?:aucune|pas\s+d\s*'?|plus\s+d\s*'?|pu\s+d\s*'?)\s*"
            r"(?:issue|sortie|solution)\b",
            # (Not "j'en peux plus de ces bouchons": of something, unless of life or everything.)
            r"\bj\s*'?en\s+peux\s+plus\b(?!\s+d(?:e\s+|\s*')(?!(?:ma\s+|cette\s+|la\s+)?vie\b|"
            r"vivre\b|tout\b))",
            r"\bje\s+(?:ne\s+)?vois\s+(?:pu|plus)\s+le\s+but\b",
            r"\ba\s+quoi\s+bon\b",
            r"\bpersonne\s+(?:ne\s+)?(?:remarquerait|s\s*'?en\s+rendra(?:it)?\s+compte)\b",
            r"\bfatigue(?:e)?\s+de\s+me\s+battre\b",
            r"\bchu\s+pu\s+capable\b",
            r"\bquand\s+je\s+(?:ne\s+)?serai\s+plus\s+la\b",
            r"\bplus\s+de\s+retour\s+en\s+arriere\b",
        ),
        long_ago=(
            r"\bil\s+y\s+a\s+(?:\d+|des|plusieurs|[a-z]+)\s+ans\b"
            r"|\bquand\s+j\s*'?etais\s+(?:ado|jeune|petit)"
        ),
    ),
    "de": _Language(
        intent=(
            r"\bohne\s+mich\s+(?:wars|ware\s+es|waren\s+alle)\s+(?:\w+\s+){0,2}(?:leichter|besser)"
            r"\b(?!\s+(?:a|al|alla|au|aux|en|em|in|im|na|no|nas|nos|nel|nella|pendant|durante|"
            r"dans|bei|beim|am|auf|ce|cette|este|esta|esse|essa|lol|mdr|ptdr|jaja\w*|haha\w*|kkk"
            r"\w*)\b)",
            r"\beinschlafen\s+und\s+nicht\s+mehr\s+aufwachen\b",
            r"\b(?:hoffe|wunschte),?\s+ich\s+wach(?:e)?\s+(?:morgen\s+)?(?:einfach\s+)?nicht"
            r"\s+mehr\s+auf\b",
            r"\b(?:die\s+ganzen|alle\s+(?:meine\s+)?)tabletten\s+(?:\w+\s+){0,3}vor\s+mir\b|"
            r"\btabletten\s+besorgt\b.{0,20}\bgenug\b|\bgenug\s+tabletten\b",
            r"\b(?:stehe|steh|bin)\s+(?:grad|gerade|jetzt)\s+auf\s+(?:der|dem|einer)\s+(?:brucke|"
            r"dach|hochhaus)\b.{0,40}\bweiss\s+(?:nicht|nich|net)\b",
            r"\bbald\s+niemandem\s+mehr\s+im\s+weg\b",
            r"\bich\s+bin\s+(?:doch\s+)?(?:eh\s+)?(?:nur\s+)?(?:noch\s+)?eine\s+last\b",
            r"\bseil\s+gekauft\b.{0,30}\bweiss\s+(?:genau\s+|schon\s+)?wofur\b",
            r"\bmir\s+das\s+leben\s+(?:zu\s+)?nehmen\b",
            r"\b(?:packung|schachtel|dose)\s+(?:\w+\s+)?tabletten\s+(?:geschluckt|genommen)\b",
            r"\b(?:klinge|rasierklinge|waffe|pistole)\s+(?:liegt\s+)?(?:schon\s+)?(?:neben\s+mir|"
            r"in\s+der\s+hand)\b",
            r"\b(?:uberleg|ueberleg|uberlege|ueberlege)\s+(?:zu\s+)?springen\b",
            _DE_WANTS,
            r"\b(?:denke|dachte|nachgedacht)\s+(?:\w+\s+){0,3}(?:an|uber|ueber)\s+"
            r"(?:suizid|selbstmord)\b",
            r"\bnie\s+(?:wieder|mehr)\s+aufwachen\b",
            r"\b(?:besser\s+dran\s+ohne\s+mich|ohne\s+mich\s+besser)\b(?!\s+(?:a|al|alla|au|aux|"
            r"en|em|in|im|na|no|nas|nos|nel|nella|pendant|durante|dans|bei|beim|am|auf|ce|cette|"
            r"este|esta|esse|essa|lol|mdr|ptdr|jaja\w*|haha\w*|kkk\w*)\b)",
            r"\bich\s+bin\s+(?:nur\s+noch\s+|nur\s+)?eine\s+last\b",
            r"\b(?:gar\s+)?nicht\s+mehr\s+existieren\b",
            r"\b(?:meinen|mein|(?:ich\s+)?(?:hab|habe)\s+(?:schon\s+)?(?:einen|den|nen))"
            r"\s+abschiedsbrief\b",
            r"\b(?:das|dies)\s+ist\s+(?:wahrscheinlich\s+|wohl\s+|vielleicht\s+)?meine\s+letzte"
            r"\s+nachricht\b(?!\s+(?:vor|fur\s+heute|heute)\b)",
            r"\bwie\s+viele\s+(?:schlaf)?tabletten\b.{0,60}\b(?:nicht\s+mehr|sterben|tot)\b",
            r"\b(?:daran|dran),?\s+mich\s+umzubringen\b",
            r"\bich\s+(?:spring|springe)\s+(?:heute\s+|morgen\s+)?(?:vom|von\s+der|vor)\b",
            r"\bvor\s+den\s+zug\s+(?:werfe|werfen|springe)\b",
            r"\b(?:uber|ueber)\s+(?:suizid|selbstmord)\s+nach\b",
            r"\bverdien[e]?\s+es\s+nicht\s+zu\s+leben\b",
            r"\bmich\s+(?:einfach\s+)?(?:nur\s+noch\s+)?abknallen\b",
            r"\bmude\s+vom\s+leben\b",
            r"\btabletten\s+gesammelt\b",
            r"\b(?:heute\s+nacht|heute)\s+mach\s+ich\s+schluss\b(?!\s+mit\s+(?:ihm|ihr|dir|euch|"
            r"meinem|meiner|meinen|dem|der|den|diesem|dieser|allem\s*[-:(]))",
            r"\bich\s+(?:will|mochte|moechte|wurde\s+gerne?|wuerde\s+gerne?)\s+(?:einfach\s+|nur\s+"
            r"|lieber\s+)?(?:sterben|tot\s+sein|nicht\s+mehr\s+(?:leben|da\s+sein|aufwachen))\b",
            r"\bich\s+wunschte,?\s+ich\s+(?:ware|waere)\s+tot\b",
            r"\bich\s+(?:ware|waere)\s+lieber\s+tot\b",
            r"\bich\s+bin\s+lebensmude\b",
            r"\bich\s+(?:bring|bringe)\s+mich\s+um\b",
            r"\bich\s+(?:will|werde|mochte|moechte|wurde|denke\s+daran,?)\s+mich\s+"
            r"(?:(?!nicht\b|nie\b|niemals\b)\w+\s+){0,3}"
            r"(?:umbringen|umzubringen|toten|zu\s+toten)\b",
            r"\bich\s+(?:will|werde|mochte|moechte|denke\s+daran,?)\s+mir\s+"
            r"(?:(?!nicht\b|nie\b|niemals\b)\w+\s+){0,3}das\s+leben\s+(?:zu\s+)?nehmen\b",
            r"\bich\s+denke\s+(?:oft\s+|standig\s+|nur\s+noch\s+|wieder\s+)?an\s+"
            r"(?:selbstmord|suizid)\b",
            r"\bich\s+(?:habe|hab)\s+(?:wieder\s+|oft\s+)?(?:selbstmord|suizid)gedanken\b",
        ),
        self_harm=(
            r"\b(?:hab|habe)\s+mich\s+(?:gestern\s+|heute\s+)?(?:wieder\s+)?geritzt\b",
            r"\b(?:ich\s+)?(?:ritz|ritze)\s+mich\b",
            r"\b(?:hab|habe)\s+(?:heute\s+)?(?:wieder\s+)?geritzt\b",
            r"\bich\s+(?:schneid|schneide)\s+mich\b",
            r"\b(?:tiefer|wieder)\s+geschnitten\b",
            r"\bich\s+will\s+mir\s+(?:einfach\s+)?(?:nur\s+)?wehtun\b",
            r"\bich\s+ritze\s+mich\b",
            r"\bich\s+(?:habe|hab)\s+mich\s+(?:wieder\s+|heute\s+)?geritzt\b",
            r"\bich\s+verletze\s+mich\s+(?:selbst|absichtlich)\b",
        ),
        idiom=r"^\s*vor\s+(?:" + _DE_IDIOM + r")\b",
        negation=r"\b(?:nicht|nie|niemals)\s+$",
        signs=(
            r"\b(?:gegoogelt|nachgeschaut|geschaut|geguckt|nachgesehen)\s+wie\s+hoch\s+(?:die|das)"
            r"\s+(?:brucke|hochhaus|dach)\b",
            r"\b(?:wurde|wuerde)\s+(?:eh\s+|es\s+)?(?:keiner|niemand)\s+merken,?\s+wenn\s+ich"
            r"\s+(?:weg|tot|nicht\s+mehr|verschwinde|sterbe)\b",
            r"\bkeine\s+zukunft,?\s+keine\s+perspektive\b",
            r"\bwill\s+(?:\w+[\s,]+){0,2}dass\s+(?:es|alles)\s+(?:endlich\s+)?aufhort\b(?!\s+zu\b)",
            r"\bwozu\s+das\s+alles\s+noch\b",
            r"\bversuch\s+nicht,?\s+es\s+mir\s+auszureden\b(?!.{0,50}\b(?:trabajo|curro|renuncia|"
            r"empleo|trabalho|emprego|demissao|lavoro|dimissioni|boulot|travail|job|arbeit|kundig"
            r"\w*|stelle)\b)",
            r"\b(?:briefe|einen\s+brief)\s+an\s+(?:meine|meinen|mein)\b(?!.{0,40}\b(?:geburtstag|"
            r"weihnacht\w*|hochzeit)\b).{0,40}\bgeschrieben\b",
            r"\bdanke\s+fur\s+alles\b.{0,80}\b(?:verabschieden|leb\s+wohl)\b",
            r"\bhat\s+nichts\s+mehr\s+(?:einen\s+)?sinn\b",
            r"\bzur\s+last\s+fallen\b",
            r"\bseil\s+gekauft\b(?!.{0,40}\b(?:klettern|wasche|springen|camping|boot|hund|"
            r"schaukel|umzug)\b)",
            r"\bmeine\s+sachen\s+verschenkt\b",
            r"\b(?:weg|gehen),?\s+fur\s+immer\b",
            r"\bmich\s+nur\s+noch\s+(?:von\s+\w+\s+)?verabschieden\b",
            r"\bich\s+(?:hab|habe)\s+schon\s+einen\s+plan\b",
            r"\bkeinen\s+sinn\s+mehr\b",
            r"\bich\s+kann\s+(?:einfach\s+)?nicht\s+mehr\b(?!\s+vor\b)",
            r"\bi\s+mog\s+nimma\b",
            r"\bkeinen\s+ausweg\b",
            r"\bniemand\s+(?:wurde|wuerde)\s+(?:es\s+)?merken\b",
            r"\bfur\s+immer\s+(?:weg|verschwinden|verschwinde)\b",
            r"\bwozu\s+noch\b",
            r"\bich\s+schaff\s+das\s+nicht\s+mehr\b",
            r"\bbald\s+bin\s+ich\s+weg\b",
            r"\bdass\s+es\s+endlich\s+aufhort\b",
        ),
        long_ago=(
            r"\bvor\s+(?:\d+|vielen|ein\s+paar|[a-z]+)\s+jahren\b"
            r"|\bals\s+(?:teenager|jugendliche[r]?|kind)\b"
        ),
    ),
    "pt": _Language(
        intent=(
            r"\bcom\s+os\s+remedios\s+todos\b|\btodos\s+os\s+remedios\b.{0,30}\b(?:aqui|na\s+minha"
            r"\s+frente)\b",
            r"\b(?:hoje|hj)\s+(?:mesmo\s+)?acabo\s+com\s+(?:isso|tudo)\b(?!\s+(?:a|o|as|os|"
            r"d[aoe]s?)\b)",
            r"\b(?:to|tou|estou)\s+n[ao]\s+(?:ponte|beira|laje|telhado|viaduto)\b.{0,40}\bnao"
            r"\s+sei\b",
            r"\blogo\s+(?:logo\s+)?(?:eu\s+)?nao\s+vou\s+(?:mais\s+)?ser\s+(?:mais"
            r"\s+)?(?:problema|peso|fardo)\b",
            r"\bfart[oa]\s+de\s+viver\b",
            r"\bcorda\b.{0,30}\be\s+(?:ja\s+)?sei\s+(?:pra|para)\s+que\b",
            r"\btirar\s+(?:a\s+)?minha\s+(?:propria\s+)?vida\b",
            r"\btomei\s+(?:uma\s+cartela|um\s+frasco|uma\s+caixa|todos\s+os)\s+(?:inteira\s+|"
            r"inteiro\s+)?(?:de\s+)?(?:\w+\s+){0,1}(?:remedios?|comprimidos|pilulas)\b",
            r"\b(?:lamina|arma|faca)\s+(?:ta|esta)\s+(?:do\s+meu\s+lado|na\s+minha\s+mao)\b",
            r"\bnem\s+quero\s+mais\s+estar\s+viv[oa]\b",
            _PT_WANTS,
            r"\b(?:penso|pensei|pensando|a\s+pensar)\s+(?:\w+\s+){0,2}em\s+suicidio\b",
            r"\b(?:nunca\s+mais|nao)\s+acordar(?:\s+mais)?\b(?!\s+(?:cedo|tarde|antes|atrasad[oa]|"
            r"de\s+madrugada|com)\b)",
            r"\b(?:ficariam|ficaria|estariam|seria)\s+(?:todos\s+)?melhor(?:es)?\s+sem\s+mim\b(?!"
            r"\s+(?:a|al|alla|au|aux|en|em|in|im|na|no|nas|nos|nel|nella|pendant|durante|dans|bei|"
            r"beim|am|auf|ce|cette|este|esta|esse|essa|lol|mdr|ptdr|jaja\w*|haha\w*|kkk\w*)\b)",
            r"\bsou\s+(?:so\s+)?um\s+(?:peso|fardo)\b",
            r"\bsinto-me\s+um\s+fardo\b",
            r"\bnao\s+quero\s+mais\s+(?:existir|estar\s+aqui|estar\s+viv[oa])\b",
            r"\bnao\s+vou\s+mais\s+estar\s+aqui\b",
            r"\b(?:minha|escrevi\s+(?:a|uma|minha)|deixei\s+(?:a|uma|minha))\s+carta\s+de"
            r"\s+despedida\b",
            r"\b(?:esta|essa)\s+e\s+(?:provavelmente\s+)?(?:a\s+)?minha\s+ultima\s+mensagem\b(?!"
            r"\s+(?:antes|por\s+hoje|de\s+hoje|do\s+dia)\b)",
            r"\bquantos\s+(?:comprimidos|remedios)\b.{0,40}\b(?:nao\s+acordar|morrer)\b",
            r"\b(?:vou|pensando\s+em|penso\s+em|quero)\s+(?:pular|me\s+jogar|atirar-me)\b",
            r"\b(?:formas|jeitos|como)\s+de\s+me\s+matar\b",
            r"\bmatar-me\b",
            r"\bnao\s+mereco\s+viver\b",
            r"\bvoltei\s+a\s+me\s+cortar\b",
            r"\bjuntei\s+.{0,20}\bremedio",
            r"\b(?:eu\s+)?(?:quero|queria|gostaria\s+de|preciso)\s+(?:morrer|estar\s+mort[oa]|"
            r"sumir\s+para\s+sempre|desaparecer\s+para\s+sempre)\b",
            r"\bnao\s+quero\s+(?:mais\s+)?viver\b",
            r"\bnao\s+aguento\s+mais\s+viver\b",
            r"\bcansad[oa]\s+de\s+viver\b",
            r"\bqueria\s+nao\s+ter\s+nascido\b",
            r"\b(?:quero|vou|penso\s+em|pensando\s+em|queria|preciso|decidi)\s+"
            r"(?:me\s+matar|me\s+suicidar|matar-me|suicidar-me|tirar\s+(?:a\s+)?minha\s+"
            r"(?:propria\s+)?vida|acabar\s+com\s+(?:a\s+)?minha\s+vida)\b",
            r"\btenho\s+(?:pensamentos|ideias)\s+(?:suicidas|de\s+suicidio)\b",
        ),
        self_harm=(
            r"\bme\s+corto\s+(?:toda|todo)\b",
            r"\bvontade\s+de\s+me\s+machucar\b",
            r"\bme\s+cort(?:o|ar|ei)\s+(?:de\s+proposito|de\s+novo|os\s+bracos|os\s+pulsos|"
            r"as\s+pernas)\b",
            r"\b(?:me\s+automutil(?:o|ar)|me\s+machuc(?:o|ar)\s+de\s+proposito)\b",
        ),
        idiom=r"^\s*(?:de|do|da)\s+(?:" + _PT_IDIOM + r")\b",
        negation=r"\b(?:nao|nunca|jamais)\s+(?:me\s+)?$",
        signs=(
            r"\bcomprei\s+uma\s+corda\b(?!.{0,40}\b(?:varal|roupa|escalar|pular|acampar|barco|"
            r"cachorro|balanco|mudanca|violao|guitarra)\b)(?!\s+nova\b)",
            r"\b(?:separei|juntei)\s+(?:todos\s+)?os\s+remedios\b(?!.{0,30}\b(?:semana|dia|vo|"
            r"vovo|avo|mae|pai|filh\w*)\b)",
            r"\b(?:fui\s+ver|vi|pesquisei|olhei|procurei)\s+(?:a\s+|qual\s+a\s+)?altura\s+d[oa]"
            r"\s+(?:ponte|viaduto|penhasco)\b",
            r"\bnao\s+vejo\s+(?:mais\s+)?(?:nenhuma\s+|nenhum\s+)?(?:sentido|saida|futuro|razao)\b",
            r"\bqual\s+o\s+sentido\s+de\s+continuar\b",
            r"\bquero\s+que\s+tudo\s+(?:pare|acabe|termine)\b(?!\s+(?:bem|certo)\b)",
            r"\bnao\s+tenta(?:s)?\s+me\s+convencer\b(?!\s+(?:a|de)\b)(?!.{0,50}\b(?:trabajo|curro|"
            r"renuncia|empleo|trabalho|emprego|demissao|lavoro|dimissioni|boulot|travail|job|"
            r"arbeit|kundig\w*|stelle)\b)",
            r"\bescrevi\s+(?:uma\s+|umas\s+)?cartas?\s+(?:para|pra|pro|pros)\s+(?:os\s+|a\s+|o"
            r"\s+)?(?:meus|minha|meu|minhas)\b(?!.{0,40}\b(?:aniversario|natal|dia\s+das\s+maes|"
            r"dia\s+dos\s+pais|casamento)\b)",
            r"\b(?:deve\s+ser|e|sera|vai\s+ser)\s+a\s+ultima\s+vez\s+que\s+(?:falamos|te"
            r"\s+escrevo|a\s+gente\s+fala)\b",
            r"\bdei\s+(?:o\s+)?meu\s+\w+.{0,80}\b(?:resolvido|arrumado)\b",
            r"\bninguem\s+(?:ia|vai|iria)\s+(?:notar|perceber|sentir\s+(?:a\s+)?minha\s+falta)\b",
            r"\bja\s+cumpri\s+(?:o\s+)?meu\s+tempo\s+(?:aqui|nesse\s+mundo|neste\s+mundo|na"
            r"\s+terra)\b",
            r"\bmelhor\s+(?:eu\s+)?ir(?:-me)?\s+embora\s+de\s+vez\b",
            r"\bobrigad[oa]\s+por\s+tudo\b.{0,80}\b(?:adeus|me\s+despedir)\b",
            r"\b(?:pensei|penso|vou|vo|quero)\s+(?:em\s+)?acabar\s+com\s+(?:tudo|isso)\b(?!"
            r"\s+(?:a|o|as|os|d[aoe]s?)\b)",
            r"\bdoei\s+(?:todas\s+)?(?:as\s+)?minhas\s+coisas\b",
            r"\bja\s+tenho\s+um\s+plano\b",
            r"\bnao\s+aguento\s+mais\b(?!\s+(?:ess[ea]s?|est[ea]s?|o|a|os|as|d[aoe]s?|com)"
            r"\s+(?!vida\b|mundo\b)\w)",
            r"\bnao\s+vejo\s+(?:mais\s+)?(?:sentido|saida|outra\s+saida)\b",
            r"\bninguem\s+(?:ia|vai|iria)\s+(?:notar|sentir\s+falta)\b",
            r"\bsumir\s+pra\s+sempre\b",
            r"\bnao\s+consigo\s+mais\b",
            r"\bchegou\s+a\s+hora\b",
            r"\bnao\s+tenho\s+(?:mais\s+)?forcas\s+para\s+continuar\b",
            r"\bvida\s+nao\s+tem\s+mais\s+sentido\b",
        ),
        long_ago=(
            r"\b(?:ha|faz)\s+(?:\d+|muitos|alguns|[a-z]+)\s+anos\b"
            r"|\banos\s+atras\b"
            r"|\bquando\s+(?:eu\s+)?era\s+(?:adolescente|crianca|jovem)\b"
        ),
    ),
    "it": _Language(
        intent=(
            r"\bsenza\s+di\s+me\s+(?:starebbero|sarebbe|sarebbero)\s+(?:tutti\s+)?meglio\b(?!"
            r"\s+(?:a|al|alla|au|aux|en|em|in|im|na|no|nas|nos|nel|nella|pendant|durante|dans|bei|"
            r"beim|am|auf|ce|cette|este|esta|esse|essa|lol|mdr|ptdr|jaja\w*|haha\w*|kkk\w*)\b)",
            r"\btutte\s+le\s+(?:pastiglie|pillole|compresse|pasticche)\s+(?:\w+\s+){0,2}davanti"
            r"\s+a\s+me\b",
            r"\b(?:sto|sono)\s+sul\s+(?:ponte|tetto|cornicione)\b.{0,40}\bnon\s+so\b",
            r"\bspero\s+di\s+non\s+svegliarmi\b(?!\s+(?:presto|tardi|prima|alle|di\s+notte|stanc"
            r"\w*|con)\b)",
            r"\btra\s+poco\s+non\s+daro\s+piu\s+fastidio\b",
            r"\bcorda\b.{0,30}\be\s+(?:gia\s+)?so\s+(?:a\s+cosa\s+serve|perche)\b",
            r"\btogliermi\s+la\s+vita\b",
            r"\bho\s+preso\s+(?:una\s+scatola|un\s+flacone|tutte\s+le)\s+(?:intera\s+)?(?:di\s+)?"
            r"(?:pillole|pastiglie|compresse)\b",
            r"\b(?:lametta|lama|pistola)\s+(?:qui\s+)?(?:accanto\s+a\s+me|in\s+mano)\b",
            _IT_WANTS,
            r"\b(?:penso|pensato|pensando)\s+(?:\w+\s+){0,2}al\s+suicidio\b",
            r"\bnon\s+svegliarmi\s+piu\b",
            r"\bmeglio\s+senza\s+di\s+me\b(?!\s+(?:a|al|alla|au|aux|en|em|in|im|na|no|nas|nos|nel|"
            r"nella|pendant|durante|dans|bei|beim|am|auf|ce|cette|este|esta|esse|essa|lol|mdr|"
            r"ptdr|jaja\w*|haha\w*|kkk\w*)\b)",
            r"\bsono\s+(?:solo\s+)?un\s+peso\b",
            r"\bnon\s+voglio\s+piu\s+(?:esistere|stare\s+qui|esserci)\b",
            r"\b(?:non\s+ci\s+(?:fossi|saro)\s+piu)\b",
            r"\b(?:la\s+mia|ho\s+(?:gia\s+)?scritto\s+(?:una|la|la\s+mia)|ho\s+lasciato\s+(?:una|"
            r"la))\s+lettera\s+d\s*'?addio\b|\bquesto\s+e\s+(?:probabilmente\s+)?il\s+mio\s+ultimo"
            r"\s+messaggio\b(?!\s+(?:prima|per\s+oggi|di\s+oggi|della\s+giornata)\b)",
            r"\bquante\s+(?:pastiglie|pillole|compresse)\b.{0,40}\b(?:non\s+svegliar|morire)",
            r"\b(?:pensando\s+di|penso\s+di|voglio)\s+buttarmi\b",
            r"\bcome\s+(?:suicidarmi|uccidermi|ammazzarmi)\b",
            r"\bnon\s+merito\s+di\s+vivere\b",
            r"\bla\s+faccio\s+finita\b(?!\W*con\s+(?!la\s+(?:mia\s+)?vita\b))",
            r"\bmesso\s+da\s+parte\s+.{0,20}\b(?:pastiglie|pillole)\b",
            r"\bme\s+voglio\s+accidere\b",
            r"\b(?:io\s+)?(?:voglio|vorrei|desidero)\s+(?:morire|essere\s+mort[oa]|"
            r"sparire\s+per\s+sempre|farla\s+finita)\b",
            r"\bnon\s+voglio\s+piu\s+vivere\b",
            r"\bstanc[oa]\s+di\s+vivere\b",
            r"\bvorrei\s+non\s+essere\s+mai\s+nat[oa]\b",
            r"\b(?:voglio|vorrei|sto\s+per|penso\s+di|ho\s+deciso\s+di|sto\s+pensando\s+di)\s+"
            r"(?:uccidermi|ammazzarmi|suicidarmi|togliermi\s+la\s+vita|farla\s+finita)\b",
            r"\bmi\s+(?:voglio|vorrei)\s+(?:uccidere|ammazzare|suicidare|togliere\s+la\s+vita)\b",
            r"\bho\s+(?:pensieri|idee)\s+(?:suicidi|suicide|di\s+suicidio)\b",
        ),
        self_harm=(
            r"\b(?:ricominciato|ripreso)\s+a\s+tagliarmi\b",
            r"\bmi\s+sono\s+tagliat[oa]\s+(?:di\s+nuovo|ancora|le\s+braccia|i\s+polsi|apposta)\b",
            r"\bmi\s+taglio\s+ogni\b",
            r"\bvoglia\s+di\s+farmi\s+del\s+male\b",
            r"\bmi\s+taglio\s+(?:le\s+braccia|i\s+polsi|le\s+gambe|di\s+nuovo|ancora|apposta)\b",
            r"\b(?:mi\s+autolesiono|autolesionarmi|mi\s+faccio\s+del\s+male\s+(?:apposta|"
            r"da\s+sol[oa]))\b",
        ),
        idiom=(
            r"^\s*(?:di|dal|dalla|dalle|dai|d\s*')\s*(?:" + _IT_IDIOM + r")\b"
            r"|^\s*con\s+(?!la\s+vita|tutto)"
        ),
        negation=r"\b(?:non|mai)\s+(?:mi\s+)?$",
        signs=(
            r"\bho\s+comprato\s+una\s+corda\b(?!.{0,40}\b(?:stendere|panni|arrampicata|saltare|"
            r"campeggio|barca|cane|altalena|trasloco|chitarra)\b)",
            r"\b(?:controllato|guardato|cercato)\s+quanto\s+e\s+alto\s+il\s+(?:ponte|palazzo|"
            r"viadotto|tetto)\b",
            r"\bnon\s+vedo\s+(?:nessuna|alcuna)\s+(?:via\s+d\s*'?uscita|via\s+di\s+uscita)\b",
            r"\bnon\s+c\s*'?e\s+futuro\s+per\s+me\b",
            r"\bche\s+senso\s+ha\s+andare\s+avanti\b",
            r"\bvoglio\s+solo\s+che\s+tutto\s+finisca\b(?!\s+bene\b)",
            r"\bnon\s+provare\s+a\s+farmi\s+cambiare\s+idea\b(?!.{0,50}\b(?:trabajo|curro|"
            r"renuncia|empleo|trabalho|emprego|demissao|lavoro|dimissioni|boulot|travail|job|"
            r"arbeit|kundig\w*|stelle)\b)",
            r"\bho\s+scritto\s+(?:una\s+lettera|delle\s+lettere)\s+per\s+(?:i\s+miei|mia|mio|le"
            r"\s+mie)\b(?!.{0,40}\b(?:compleanno|natale|anniversario|matrimonio)\b)",
            r"\b(?:e|sara)\s+(?:probabilmente\s+)?l\s*'?ultimo\s+messaggio\b(?!\s+che\s+ti"
            r"\s+(?:mando|scrivo)\s+(?:stasera|oggi|prima))",
            r"\bgrazie\s+di\s+tutto\b.{0,80}\b(?:addio|salutarti)\b",
            r"\bnon\s+servo\s+piu\s+a\s+nessuno\b",
            r"\bho\s+regalato\s+\w+.{0,80}\btutto\s+a\s+posto\b",
            r"\bregalato\s+(?:tutte\s+)?le\s+mie\s+cose\b",
            r"\bho\s+gia\s+un\s+piano\b",
            r"\bnon\s+ce\s+la\s+faccio\s+piu\b(?!\s+con\b(?!\s+(?:la\s+)?(?:mia\s+)?vita\b))",
            r"\bnon\s+vedo\s+(?:piu\s+)?(?:un\s+)?senso\b",
            r"\bnessuno\s+se\s+ne\s+accorgerebbe\b",
            r"\bnon\s+vedo\s+altra\s+via\s+d\s*'?uscita\b",
            r"\bsarebbe\s+(?:piu\s+facile|meglio)\s+(?:se\s+)?non\s+(?:esserci|ci\s+fossi)\b",
            r"\bnun\s+ce\s+la\s+faccio\s+cchiu\b",
            r"\bla\s+vita\s+(?:nn|non)\s+ha\s+piu\s+senso\b",
            r"\bcredo\s+sia\s+arrivato\s+il\s+momento\b",
        ),
        long_ago=(
            r"\b(?:\d+|molti|tanti|alcuni|[a-z]+)\s+anni\s+fa\b"
            r"|\bda\s+(?:ragazz[oa]|adolescente)\b"
        ),
    ),
}

LANGUAGES = tuple(_LANGUAGES)
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


_SIGNS = {code: tuple(re.compile(p) for p in lang.signs) for code, lang in _LANGUAGES.items()}

_COMPILED = {
    code: (
        tuple(("intent", re.compile(p)) for p in lang.intent)
        + tuple(("self_harm", re.compile(p)) for p in lang.self_harm),
        re.compile(lang.idiom),
        re.compile(lang.negation),
        re.compile(lang.long_ago),
    )
    for code, lang in _LANGUAGES.items()
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


def _common_words(text: str) -> dict[str, int]:
    """How many different common words of each language (and English) a message uses."""
    words = _WORD.findall(fold(text))
    return {code: len(common.intersection(words)) for code, common in _COMMON.items()}


def guess_language(text: str) -> str:
    """ "en", or the one of `LANGUAGES` whose common words a message uses most (at least two
    different ones, more than twice English's, and an eighth of its words). On GoEmotions and
    LoCoMo (50,287 English texts) it guessed no other language; on 950 chat messages in the
    five languages it guessed 76% right and left the rest English."""
    counts = _common_words(text)
    words = _WORD.findall(fold(text))
    best = max(LANGUAGES, key=lambda code: counts[code])
    top = counts[best]
    sure = top >= 2 and top > 2 * counts["en"] and 8 * top >= len(words)
    return best if sure else "en"


def _one_of(found: dict[str, _T], text: str) -> _T | None:
    """Of what patterns of several languages found in a message ("se corta" is Spanish and
    Portuguese), that of the language whose common words it uses most (the first found on a
    tie)."""
    if len(found) > 1:
        counts = _common_words(text)
        return found[max(found, key=lambda code: counts[code])]
    return next(iter(found.values()), None)


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
    return _one_of(found, text)


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
    found = {
        code: code for code, signs in _SIGNS.items() if any(sign.search(folded) for sign in signs)
    }
    return _one_of(found, text)


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
        found = {code: (kind, code) for k, code, rx in _OTHERS if k == kind and rx.search(folded)}
        if found:
            return _one_of(found, text)
    return None

"""The crisis protocol: notice suicidal thoughts and self-harm, answer warmly, refer to people.

Detection reads the new message and, together, the person's last few messages (so a crisis
told over several turns, or inside a role-play, is seen). When it fires, the model is not asked:
she answers with the protocol reply, which stays with the person and gives crisis lines for the
configured locale. For the rest of the day the model is told what happened, every sentence of
her replies is checked for method content before it is shown, and a new crisis message gets the
lines again. Every referral bumps an anonymised yearly counter.

Between nothing and the protocol there is a check-in: a message that is worrying but not clear
(a moderate score) gets her own warm reply followed by one gentle, direct question ("are you
having thoughts of ending your life?"). The conversation remembers it: a second worrying message,
or a "yes" to the question, gets the full protocol.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

from os1.errors import MissingExtra, ModelError
from os1.safety.crisis_classifier import CrisisClassifier, CrisisScorer, EmotionTone, ToneReader
from os1.safety.crisis_languages import (
    answers_no,
    answers_yes,
    foreign_sign,
    foreign_statement,
    language_note,
    method_content,
    someone_else,
)
from os1.safety.crisis_model import (
    SHORT_CHECK_IN,
    SHORT_SCORE,
    SHORT_WORDS,
    TERSE_WORDS,
    faint,
    terse,
)
from os1.safety.crisis_statements import (
    MESSAGE_WORDS,
    URGENT_KINDS,
    bounded_wish,
    explicit_floor,
    explicit_statement,
    indirect_statement,
    names_plan,
    names_statement,
    past_or_denied,
)
from os1.safety.crisis_words import (
    CHECK_IN_NOTE,
    CRISIS_NOTE,
    LOSS_NOTE,
    SUPPORTER_NOTE,
    check_in_question,
    misheard_question,
    resources_for,
)
from os1.safety.crisis_words_languages import (
    CHECK_IN_QUESTIONS,
    check_in_question_in,
    follow_up_line_in,
    line_for_others_in,
    protocol_reply_in,
    refusal_in,
)
from os1.safety.ordinary import ordinary_rest
from os1.safety.policy import MISHEARD_FLAG, Hold, PolicyAction, PolicyTurn, Unread
from os1.safety.supporters import grieving_a_suicide, the_writers_own, worried_about_someone
from os1.safety.wellbeing import is_goodbye
from os1.types import SafetyEvent

__all__ = [
    "ApprovalCheck",
    "CrisisAssessment",
    "CrisisDetector",
    "CrisisPolicy",
    "MethodContentCheck",
    "answers_check_in",
    "declines_check_in",
]

WINDOW_TURNS = 3
"""Earlier messages of the person read together with the new one."""
PROTOCOL_REPEAT = timedelta(hours=24)
"""After a protocol reply, the same conversation gets follow-up care instead of the full reply."""
ORDINARY_REST = 0.5
"""What is left of a message without its plain goodbye must score under this share of the
check-in threshold to be read alone (os1.safety.ordinary)."""
MINOR_SENSITIVITY = 0.8
"""For minors the threshold is lowered to this fraction: stricter defaults."""
CHECK_IN_MEMORY = timedelta(hours=24)
"""A check-in this recent in the conversation turns the next worrying message into a crisis."""
SUPPORTER_REPEAT = timedelta(hours=24)
"""Lines for helping someone else (or for a loss) come once in this long in a conversation."""


# A yes (or a not-no) to the check-in question.
_AFFIRMATIVE = re.compile(
    r"^\W*(?:yes|yeah|yea|yep|yup|ya|sometimes|kind\s+of|kinda|sort\s+of|maybe|i\s+think\s+so|"
    r"a\s+(?:little|bit)|i\s+guess|i\s+do|i\s+am|honestly|not\s+sure|idk|i\s+don['’]?t\s+know|"
    r"a\s+lot|often|lately|more\s+than)\b",
    re.IGNORECASE,
)
# A no, after a laugh or an "oh" ("haha no, just clumsy" went unread, and her next worry
# about "Don't worry about me tonight, I'm staying at Jen's." escalated to the protocol).
_NEGATIVE = re.compile(
    r"^\W*(?:(?:ha(?:ha)*|he(?:he)+|lol|lmao|oh|omg|ah+|aw+|um+|uh+|hm+|wait|god|oh\s+god|"
    r"sorry)\W+)*(?:no|nope|nah|not\s+at\s+all|not\s+really|never|definitely\s+not|of\s+course\s+"
    r"not|no\s+way|god\s+no|hell\s+no)\b",
    re.IGNORECASE,
)


def answers_check_in(text: str) -> bool:
    """Whether a short message answers the check-in question with a yes or an "I don't know"
    (in English or one of `crisis_languages.LANGUAGES`: "no sé" is not a no)."""
    if len(text.split()) > 12:
        return False
    return answers_yes(text) or (bool(_AFFIRMATIVE.search(text)) and not _NEGATIVE.search(text))


def declines_check_in(text: str) -> bool:
    """Whether a message answers the check-in question with a no ("no, just tired", "non")."""
    no = (bool(_NEGATIVE.search(text)) and not answers_yes(text)) or answers_no(text)
    return no and explicit_statement(text) is None and foreign_statement(text) is None


# Method content in a reply: means, amounts, places. Checked sentence by sentence while a
# crisis is active; a sentence that matches is never shown.
_METHOD = re.compile(
    r"\b(?:lethal|fatal|deadly|toxic)\s+(?:dose|amount|quantity)|\b\d+\s*(?:mg|milligrams?|grams?|"
    r"pills|tablets|capsules)\b|\boverdos(?:e|ing)\s+on\b|\bnoose\b|\bhang(?:ing)?\s+yourself\b|"
    r"\bslit\w*|\bwrists?\b|\bjump(?:ing)?\s+(?:off|from|in\s+front)\b|\bcarbon\s+monoxide\b|"
    r"\bexhaust\s+fumes?\b|\bpainless(?:ly)?\b|\bshoot\s+yourself\b|\bfirearms?\b|\bguns?\b|"
    r"\bbleach\b|\bhelium\b|\bhow\s+to\s+(?:kill|end|hurt|harm)\s+yourself\b|\bcut\s+deeper\b",
    re.IGNORECASE,
)


class MethodContentCheck:
    """Holds each sentence until it is checked; a sentence with method content ends the reply
    with a refusal that stays with the person."""

    hold: Hold = "sentence"

    def __init__(self, locale: str, language: str = "en") -> None:
        self.locale = locale
        self.language = language
        self._unread = Unread()

    def review(self, text: str, done: bool) -> str | None:
        """The refusal (in the person's language) if the reply so far has method content in
        English or in one of `crisis_languages.LANGUAGES`, else None."""
        new = self._unread(text)
        if not (_METHOD.search(new) or method_content(new)):
            return None
        return refusal_in(self.language, resources_for(self.locale))


# Approval in her reply to a worrying message: praise for what they did ("Good job!", "I'm glad
# you're choosing this path", "a good decision"), or her goodbye. Told the message may be a
# warning sign, the embedded model still praised a 23-year-old for finishing a will and said
# "Goodbye!" to someone who had just said bye to their friends.
_APPROVAL = re.compile(
    r"\b(?:good|great|nice|awesome|amazing|wonderful|fantastic|excellent)\s+(?:job|work|call|"
    r"choice|decision|idea|plan|for\s+you|to\s+hear(?!\s+from\b))\b|\bwell\s+done\b|"
    r"\bproud\s+of\s+you\b|\bcongrat\w*|\bglad\b[^.!?]{0,40}\b(?:decid\w*|decision|choos\w*|"
    r"chose|cancel\w*|gave|giving|done|finished|made|able\s+to|feeling\s+better|tie\w*|tying|"
    r"sorted|ready|path|plan\w*|doing\s+well|taking\s+care|calm|peace\w*|relie\w*|lighter|settled)|"
    r"\b(?:it|that)(?:['’]s|\s+is)\s+(?:so\s+|really\s+)?(?:great|good|wonderful|nice|awesome|"
    r"amazing|smart|wise|brave)\s+(?:that\s+)?you(?:['’]ve|\s+have)?\s+(?!(?:told|shared|"
    r"reached|said|talked|opened|let|trusted|came|wrote|your|a|some|people|have|are|can|still|"
    r"got|someone|friends|family)\b)\w+|\b(?:great|good|nice|glad)\b[^.!?]{0,30}\b(?:a|your|"
    r"the)\s+plan\b|\b(?:made|make|making|take|taking|took|such)\s+(?:a\s+|some\s+|the\s+|"
    r"such\s+a\s+)?(?:good|right|smart|wise|brave|healthy|positive)\s+(?:decision|choice|"
    r"changes?|steps?)\b|\bsounds\s+(?:like\s+)?(?:a\s+)?(?:good|great|positive|healthy|smart)\b|"
    r"\byou(?:['’]re|\s+are)\s+doing\s+(?:so\s+|really\s+)?(?:great|well|amazing|awesome)\b|"
    # Her goodbye: a farewell waved back, or a sign-off.
    r"\bgood\s*bye\b|\bbye\b|\bgood\s*night\b|\bhave\s+a\s+(?:good|great|nice|lovely)\s+"
    r"(?:day|night|evening|one|life)\b",
    re.IGNORECASE,
)


class ApprovalCheck:
    """Holds each sentence of her reply to a worrying message (and, for a day, to every message
    after the protocol) until it is checked; praise for what they did (giving things away, a
    will, goodbyes can be preparations) or a goodbye of her own ends the reply with a gentle
    line instead. A check-in question follows either way."""

    hold: Hold = "sentence"

    def review(self, text: str, done: bool) -> str | None:
        """The gentle line if the reply so far approves or says goodbye, else None."""
        if _APPROVAL.search(text):
            return "Thank you for telling me. I care about how you're really doing."
        return None


@dataclass(frozen=True, slots=True)
class CrisisAssessment:
    """What the detector found in a message and its recent context."""

    crisis: bool
    score: float
    """The classifier's probability for the new message alone (0 in patterns-only mode)."""
    window_score: float
    """The probability for the new message with the person's previous few messages."""
    explicit: str | None
    """The kind of explicit statement found, if any."""
    mode: Literal["classifier", "patterns"]
    message_crisis: bool = False
    """The new message alone is a crisis (not only together with the earlier ones)."""
    check_in: bool = False
    """Not a crisis, but worrying enough for a gentle question (a moderate score)."""
    message_check_in: bool = False
    """The new message alone is worrying (not only the window that still holds earlier ones)."""
    cheerful: bool = False
    """Short and plainly cheerful: the classifier alone would have brought the protocol."""
    pressing: bool = False
    """The new message alone is clearly worrying: a sign or a statement, or a score at least
    halfway from the check-in to the protocol (enough to ask again after a no)."""
    language: str = "en"
    """The language of the statement found: "en", or one of `crisis_languages.LANGUAGES` (the
    protocol is said in it)."""

    @property
    def level(self) -> Literal["crisis", "check-in", "none"]:
        """The tier: the protocol, a check-in question, or nothing."""
        return "crisis" if self.crisis else "check-in" if self.check_in else "none"


class CrisisDetector:
    """Explicit statements plus the trained classifier (the model of chat messages for a
    single message, the head of histories for longer ones and for the last few together, the
    model of conversations for the last few chat messages as well); patterns alone when the
    classifier's parts (the `memory` extra) are not installed."""

    def __init__(
        self,
        classifier: CrisisScorer | None = None,
        *,
        tone: ToneReader | None = None,
        load: bool = True,
    ) -> None:
        self._classifier: CrisisScorer | None = classifier
        self._load = load and classifier is None
        self._tone = tone
        self._load_tone = load and classifier is None and tone is None
        self._lock = threading.Lock()
        self.problem: str | None = None

    @property
    def mode(self) -> Literal["classifier", "patterns"]:
        """Whether the classifier is in use (loading it on first use)."""
        return "classifier" if self.classifier() is not None else "patterns"

    @property
    def reads_chat_messages(self) -> bool:
        """Whether the shipped model of single chat messages is in use beside the classifier."""
        classifier = self.classifier()
        return isinstance(classifier, CrisisClassifier) and classifier.messages is not None

    def classifier(self) -> CrisisScorer | None:
        """The classifier, loaded on first use; None if its parts are missing."""
        with self._lock:
            if self._load:
                self._load = False
                try:
                    self._classifier = CrisisClassifier()
                except (MissingExtra, ModelError, ImportError, OSError) as err:
                    self.problem = str(err)
            return self._classifier

    def tone(self) -> ToneReader | None:
        """The emotion model as a tone reader, loaded on first use; None without it."""
        with self._lock:
            if self._load_tone:
                self._load_tone = False
                try:
                    self._tone = EmotionTone()
                except (MissingExtra, ModelError, ImportError, OSError):
                    self._tone = None
            return self._tone

    def _plainly_cheerful(self, text: str, explicit: str | None, calm_before: bool) -> bool:
        """Whether `text` is short, states nothing, reads as plainly cheerful and follows no
        worrying message (sudden calm after distress is a warning sign, so then it still
        counts). The emotion model runs only here, for the rare short message the classifier
        would act on."""
        if explicit is not None or len(text.split()) > SHORT_WORDS or not calm_before:
            return False
        tone = self.tone()
        return tone is not None and tone.cheerful(text)

    @staticmethod
    def _own_worry(own: str, classifier: CrisisScorer, check_in_at: float) -> bool:
        """Whether what the writer says beside someone else's crisis is worrying by itself ("I
        feel so heavy lately, and my sister attempted last year")."""
        if not own:
            return False
        return classifier.score([own]) >= check_in_at or indirect_statement(own)

    @staticmethod
    def _plain(
        text: str, classifier: CrisisScorer, sensitivity: float, stated: bool | None = None
    ) -> tuple[str, float] | None:
        """A message read without its plain goodbye or its plain words about relying on her
        (os1.safety.ordinary): what is left and its score; None when it is read whole. "I have
        to go, need to sleep. bye" scored 0.93. What is left must be plainly calm, well below
        the question: "it'll be over" alone scored under it, and "bye. by the time anyone sees
        this it'll be over" is a farewell. `stated`: whether it makes a statement or names a
        sign, when already known."""
        if stated is None:
            stated = explicit_statement(text) is not None or indirect_statement(text)
        if stated:
            return None
        rest = ordinary_rest(text)
        if rest is None:
            return None
        short = len(rest.split()) <= SHORT_WORDS
        check_in_at = (SHORT_CHECK_IN if short else classifier.check_in_threshold) * sensitivity
        left = classifier.score([rest]) if rest else 0.0
        return (rest, left) if left < check_in_at * ORDINARY_REST else None

    @classmethod
    def _as_read(cls, text: str, classifier: CrisisScorer, sensitivity: float) -> tuple[str, float]:
        """An earlier message as it was read at its turn, and its score alone ("" when nothing
        but a goodbye)."""
        plain = cls._plain(text, classifier, sensitivity)
        return (text, classifier.score([text])) if plain is None else plain

    def assess(
        self, text: str, earlier: Sequence[str] = (), *, sensitivity: float = 1.0
    ) -> CrisisAssessment:
        """Is the person who wrote `text` (after `earlier`, oldest first) in crisis?"""
        explicit = explicit_statement(text)
        classifier = self.classifier()
        foreign = foreign_statement(text) if explicit is None else None
        if foreign is not None and not foreign.long_ago:
            # Said in another language: the models read English only ("quiero morir" scored
            # 0.004), so the statement alone brings the protocol, said in its language.
            return CrisisAssessment(
                True,
                0.0,
                0.0,
                foreign.kind,
                "patterns" if classifier is None else "classifier",
                message_crisis=True,
                pressing=True,
                language=foreign.language,
            )
        if foreign is not None:  # (told as long past)
            sign_language: str | None = foreign.language
        else:
            sign_language = foreign_sign(text) if explicit is None else None
        if sign_language is not None:
            # An indirect sign in another language ("no le veo sentido a nada"), or a statement
            # told as long past: the check-in question, in its language.
            return CrisisAssessment(
                False,
                0.0,
                0.0,
                None,
                "patterns" if classifier is None else "classifier",
                check_in=True,
                message_check_in=True,
                pressing=True,
                language=sign_language,
            )
        if classifier is None:
            found = explicit is not None
            return CrisisAssessment(found, 0.0, 0.0, explicit, "patterns", found)
        threshold = classifier.threshold * sensitivity
        check_in_at = classifier.check_in_threshold * sensitivity
        # A plain goodnight or a plain word about relying on her, after nothing worrying, is
        # read without those words (`_plain`), by every model, the model of conversations too
        # (reading them whole, it asked about a goodnight after two everyday LoCoMo turns 35
        # times in 315). After worrying messages a goodbye is a warning sign: it is read whole.
        recent = list(earlier)[-WINDOW_TURNS:]
        # Each earlier message alone (cached: nothing new is read here).
        read = [self._as_read(m, classifier, sensitivity) for m in recent]
        before = [s for _, s in read]
        said_before = [m for m, _ in read if m]
        calm_before = all(s < check_in_at for s in before)
        said_sign = indirect_statement(text)
        stated = explicit is not None or said_sign
        plain = self._plain(text, classifier, sensitivity, stated) if calm_before else None

        def worrying(value: float) -> bool:
            # (A short message needs a higher score to be asked about; see `faint`.)
            return value >= check_in_at and not faint(text, explicit, value / sensitivity)

        score = classifier.score([text]) if plain is None else plain[1]
        alone = score >= explicit_floor(explicit) * threshold  # 1.0 without a statement
        told_past = past_or_denied(text)
        # The window is for messages that worry only together ("I gave my cat to my sister", then
        # "I won't be around much longer"), and the head reads it only when the newest is
        # worrying itself: read together, four turns of everyday chat about hard times looked
        # like a Reddit history of crisis to the head (38 protocols and 55 questions in 1,451
        # LoCoMo turns, none of them worrying alone). An earlier message whose score alone
        # brought the protocol was answered at its turn, and it would otherwise alarm again on
        # "thanks" or "my dog died" (one that was only asked about still counts).
        answered = any(_alarmed_alone(m, s, threshold) for m, s in zip(recent, before, strict=True))
        worried = explicit is not None or said_sign or worrying(score)
        newest = text if plain is None else plain[0]
        together_read = [*said_before, newest]
        window = (
            classifier.score(together_read) if said_before and worried and not answered else score
        )
        reads_on = newest and (worried or len(text.split()) > TERSE_WORDS)
        if said_before and not answered and reads_on:
            # The model of chat conversations reads the same messages as chat (the head learned
            # from Reddit histories and gave 0.02 to 0.08 to crises told over turns), and it
            # reads them even when the newest is calm alone ("i feel calm for the first time"
            # after days of despair is a warning sign). Where it is sure, a worrying message
            # brings the protocol ("it'll all be over soon" after "i can't see this getting
            # any better"); a message calm alone gets the question at most, and one of a few
            # words calm alone is left alone ("bye for real" after "gotta go, bye" was asked
            # about).
            together = classifier.conversation_score(together_read)
            if not worried:
                short = len(text.split()) <= SHORT_WORDS
                sure = SHORT_SCORE * sensitivity if short else threshold
                together = min(together, sure - 1e-6)
            window = max(window, together)
        # (Whatever the score when it names thoughts of suicide: the message model reads them
        # long past as safe, and the question is about now.)
        past = told_past and (alone or names_statement(text))
        # "I used to want to die, years ago": a gentle question about now, not the protocol
        # (earlier messages that were a crisis by themselves were answered at their turn). And
        # "Day 9 of this cough. I want it to stop.": the chat models read "want it to stop" and
        # gave it the protocol in a new-user run; the question at most (1.16).
        if past or (explicit is None and bounded_wish(text)):
            alone = False
            score, window = min(score, threshold - 1e-6), min(window, threshold - 1e-6)
        crisis = alone or window >= threshold
        # (For a minor the sure score is lowered as the thresholds are.)
        if terse(text, explicit, max(score, window) / sensitivity):
            # A short message without a statement ("I'm done.") is asked about, not answered with
            # the protocol, unless the classifier is sure; earlier messages that were a crisis
            # were answered at their turn.
            alone = crisis = False
        # The cheerful rule corrects the head (trained on Reddit histories, it misreads some
        # short happy messages); the message model, trained on chat, is not overruled by it:
        # the emotion model reads "i am so done. with everything. with life" as 98% positive.
        by_message = classifier.message_score(text) / sensitivity
        cheerful = (
            crisis
            and by_message < SHORT_SCORE
            and self._plainly_cheerful(text, explicit, calm_before)
        )
        if cheerful:
            # A short, plainly cheerful message after nothing worrying ("That's awesome, what
            # do you do?" scored 0.59) is asked about, not answered with the protocol.
            alone = crisis = False

        # An indirect sign ("I'm a burden to everyone") is asked about whatever the score.
        indirect = said_sign and not told_past
        sign = indirect or past
        # A short, plainly cheerful message asked about on its score alone is not asked about
        # ("thanks, that helps. I think I'll go for a walk." scored 0.34).
        asked = worrying(max(score, window))
        quiet = (
            not crisis
            and not cheerful  # (already one tier down)
            and not sign
            and asked
            and by_message < SHORT_CHECK_IN
            and self._plainly_cheerful(text, explicit, calm_before)
        )
        check_in = not crisis and not quiet and (asked or sign)
        if check_in and worrying(score) and not told_past and names_plan(text):
            # Worrying, and it names two of a time, a place or means, and an ending ("Sunday
            # after the game, that's my plan. Everything is set."): a plan is answered with the
            # protocol, not only asked about.
            alone = crisis = True
            check_in = False
        # A chat message of worry about someone else, with nothing said of the writer and
        # nothing worrying before it ("my roommate said she just wants to disappear for good"):
        # they are not asked whether they feel it too; the policy gives them lines for helping
        # instead. (A plan still counts first. In the bench sets no one in crisis was asked for
        # such a message, and 16 supporters were. A long text keeps its question: 25 of the 115
        # C-SSRS people in crisis write of others' crises too.)
        elsewhere = (
            check_in
            and len(text.split()) <= MESSAGE_WORDS
            and explicit is None
            and not sign
            and calm_before
            and worried_about_someone(text)
            and not self._own_worry(the_writers_own(text), classifier, check_in_at)
        )
        if elsewhere:
            check_in = False
        if len(text.split()) <= SHORT_WORDS and explicit is None:
            halfway = (SHORT_CHECK_IN + SHORT_SCORE) / 2 * sensitivity
        else:
            halfway = (check_in_at + threshold) / 2
        pressing = (
            sign or explicit is not None or (score >= halfway and not quiet and not elsewhere)
        )
        return CrisisAssessment(
            crisis,
            score,
            window,
            explicit,
            "classifier",
            alone,
            check_in,
            not quiet and not elsewhere and (worrying(score) or sign),
            cheerful,
            pressing,
        )


def _alarmed_alone(text: str, score: float, threshold: float) -> bool:
    """Whether an earlier message, scored `score` alone, brought the protocol at its turn."""
    return score >= threshold and not terse(text, explicit_statement(text), score)


class CrisisPolicy:
    """Detects a crisis and answers with the protocol; checks in gently on a worrying message,
    and escalates when worry repeats; cares for the rest of the conversation; gives someone
    worried about another person lines for helping them, and someone grieving a suicide lines
    for themselves."""

    name = "crisis"

    def __init__(self, detector: CrisisDetector | None = None, locale: str = "US") -> None:
        resources_for(locale)  # fail early on an unknown locale
        self.detector = detector or CrisisDetector()
        self.locale = locale

    async def check(self, turn: PolicyTurn) -> PolicyAction:
        """The protocol reply on a new crisis; follow-up care while one is recent."""
        action = await self._check(turn)
        if _asked_lately(turn):
            # She has asked one of her questions lately, and the model copies what it sees in
            # its own earlier replies (Qwen asked the check-in question again under "no, not
            # at all"): a question the policy did not ask is taken out of her reply.
            action = replace(action, checks=(*action.checks, EchoCheck()))
        return action

    async def _check(self, turn: PolicyTurn) -> PolicyAction:
        # A no is believed: what they said before answering it is not read again with what
        # they say now ("thanks, I'll go for a walk" was asked again after "no, just work").
        declined = await turn.store.last_safety_event(
            turn.user_id, ["crisis_check_in_declined"], turn.conversation_id
        )
        earlier = turn.earlier_user_texts(
            WINDOW_TURNS, after=declined.created_at if declined is not None else None
        )
        asked_last = _asked_last(turn)
        if asked_last and declines_check_in(turn.text):
            earlier = []  # "no, I'm ok" is not read together with what she asked about
        sensitivity = MINOR_SENSITIVITY if turn.account.minor else 1.0
        found = await asyncio.to_thread(
            self.detector.assess, turn.text, earlier, sensitivity=sensitivity
        )
        last = await turn.store.last_safety_event(
            turn.user_id, ["crisis_protocol"], turn.conversation_id
        )
        recent = last is not None and turn.now - last.created_at < PROTOCOL_REPEAT
        # The language she cares in: the message's, else that of the protocol she gave today.
        caring = found.language
        if caring == "en" and recent and last is not None:
            caring = str(last.data.get("language", "en"))
        facts: dict[str, str | float] = {
            "score": round(found.score, 3),
            "window_score": round(found.window_score, 3),
            "explicit": found.explicit or "",
            "mode": found.mode,
        }
        if found.language != "en":
            facts["language"] = found.language
        state = (
            "" if recent or found.crisis else await self._check_in_state(turn, declined, asked_last)
        )
        if state == "answered no" and found.message_check_in:
            state = ""  # "no, but…" and still worrying: ask again rather than take the no
        escalate = ""
        if state == "answered yes":
            escalate = state
        elif state == "open" and found.message_check_in:
            escalate = "repeated worry"
        language = found.language
        if escalate:
            facts["escalated"] = escalate
            if language == "en":
                # "sí, a veces" to her question in Spanish: the protocol in the question's language.
                asked = await turn.store.last_safety_event(
                    turn.user_id, ["crisis_check_in"], turn.conversation_id
                )
                language = str(asked.data.get("language", "en")) if asked is not None else "en"
        if found.crisis and not escalate and not recent and _rests_on_misheard(found, turn):
            facts["misheard"] = "maybe"
            return PolicyAction(
                reply=misheard_question(),
                flags=(MISHEARD_FLAG,),
                events=(("crisis_check_in", facts),),
                counters=("crisis_check_in",),
                data=facts,
            )
        if (found.crisis or escalate) and not recent:
            return PolicyAction(
                reply=protocol_reply_in(language, resources_for(self.locale)),
                flags=("crisis",),
                events=(("crisis_protocol", facts),),
                counters=("crisis_referral",),
                data=facts,
            )
        leaving = recent and is_goodbye(turn.text)
        if found.message_crisis or leaving:
            # A new crisis message soon after: she talks, checked, and the lines follow again.
            # (The window alone does not count here: it still holds the first message.) So do
            # they when the person leaves the same day ("thanks for everything, bye"): the lines
            # are the last thing they read, and her reply does not wave them off.
            return PolicyAction(
                notes=(CRISIS_NOTE, *language_note(found.language)),
                postscript=(follow_up_line_in(found.language, resources_for(self.locale)),),
                checks=(MethodContentCheck(self.locale, caring), ApprovalCheck()),
                flags=("crisis",),
                events=(("crisis_follow_up", facts),),
                counters=("crisis_referral",),
                data=facts,
            )
        if recent:
            return PolicyAction(
                notes=(CRISIS_NOTE,),
                checks=(MethodContentCheck(self.locale, caring), ApprovalCheck()),
                data=facts,
            )
        if state == "answered no":
            declined_now = ("crisis_check_in_declined", facts)
            about = _about_someone_else(turn.text)
            if about is not None:
                # "no, not me, my sister: she said she wants to kill herself": the no is
                # believed, and the worry they meant gets its lines.
                action = await self._lines(turn, facts, about)
                return replace(action, events=(declined_now, *action.events))
            return PolicyAction(events=(declined_now,), data=facts)
        # Asked once already (and not answered no): the window still holding that message is
        # not a reason to ask again.
        # After a no, only the new message itself is a reason to ask again, and only when it is
        # clearly worrying: the window still holds the one they answered about ("yeah, I went
        # running" was asked again), and "Don't worry about me tonight, I'm staying at Jen's."
        # (0.33) was asked right after "haha no, just clumsy".
        if found.check_in and state != "open" and (state != "declined" or found.pressing):
            return PolicyAction(
                # Told that a cheerful message "may carry something heavy", the model answered
                # "That's awesome, what do you do?" with talk of heavy things: it answers as to
                # any message, and the question follows.
                notes=(() if found.cheerful else (CHECK_IN_NOTE,)) + language_note(found.language),
                postscript=(check_in_question_in(found.language),),
                checks=(MethodContentCheck(self.locale, caring), ApprovalCheck()),
                flags=("crisis-check-in",),
                events=(("crisis_check_in", facts),),
                counters=("crisis_check_in",),
                data=facts,
            )
        about = _about_someone_else(turn.text)
        if about is not None:
            return await self._lines(turn, facts, about)
        return PolicyAction(data=facts)

    async def _lines(
        self,
        turn: PolicyTurn,
        facts: dict[str, str | float],
        about: tuple[Literal["supporter", "loss"], str],
    ) -> PolicyAction:
        """Someone worried about another person's safety, or grieving a suicide (and not, by
        the detector, in crisis themselves): her reply, guided, then lines for them (in their
        language), once a day in a conversation."""
        kind, language = about
        line = line_for_others_in(kind, language, resources_for(self.locale))
        notes = (SUPPORTER_NOTE if kind == "supporter" else LOSS_NOTE, *language_note(language))
        told = await turn.store.last_safety_event(
            turn.user_id, [f"crisis_{kind}"], turn.conversation_id
        )
        # (The embedded model copied lines from her last reply into the next one, and once
        # the lines for helping, reworded, into a reply about an uncle who had died.)
        checks = (MethodContentCheck(self.locale, language), EchoCheck(_LINES_COPIED))
        if told is not None and turn.now - told.created_at < SUPPORTER_REPEAT:
            return PolicyAction(notes=notes, checks=checks, data=facts)
        return PolicyAction(
            notes=notes,
            postscript=(line,),
            checks=checks,
            flags=(f"crisis-{kind}",),
            events=((f"crisis_{kind}", facts),),
            counters=(f"{kind}_referral",),
            data=facts,
        )

    async def _check_in_state(
        self, turn: PolicyTurn, declined: SafetyEvent | None, asked_last: bool
    ) -> str:
        """Where this conversation stands with her check-in question (`declined`: the last
        "no" to it): "answered yes" or "answered no" (this message answers it), "open" (asked
        in the last day and not answered no), "declined" (asked in the last day and answered
        no), or "". `asked_last`: her last reply asked it."""
        if asked_last:
            if answers_check_in(turn.text):
                return "answered yes"
            if declines_check_in(turn.text):
                return "answered no"
        store, user, conversation = turn.store, turn.user_id, turn.conversation_id
        asked = await store.last_safety_event(user, ["crisis_check_in"], conversation)
        if asked is None or turn.now - asked.created_at >= CHECK_IN_MEMORY:
            return ""
        if declined is not None and declined.created_at >= asked.created_at:
            return "declined"
        return "open"


def _about_someone_else(text: str) -> tuple[Literal["supporter", "loss"], str] | None:
    """Which lines a message about someone else's crisis calls for, if any: for helping them
    ("supporter"), or for a loss to suicide ("loss"); and the language to say them in."""
    if worried_about_someone(text):
        return "supporter", "en"
    if grieving_a_suicide(text):
        return "loss", "en"
    found = someone_else(text)
    if found is None:
        return None
    kind, language = found
    return ("loss" if kind == "loss" else "supporter"), language


def _asked_last(turn: PolicyTurn) -> bool:
    """Whether her last reply asked the check-in question (or whether she heard right)."""
    last_reply = next((m for m in reversed(turn.history) if m.role == "assistant"), None)
    questions = (check_in_question(), misheard_question(), *CHECK_IN_QUESTIONS)
    return last_reply is not None and any(q in last_reply.content for q in questions)


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.?!])\s", text, maxsplit=1)[0]


_ASKS = re.compile(
    "|".join(
        re.escape(_first_sentence(q)).replace(r"\ ", r"\s+")
        for q in (check_in_question(), misheard_question(), *CHECK_IN_QUESTIONS)
    ),
    re.IGNORECASE,
)
# The lines for helping someone or for a loss, written by the model (only the policy gives them).
_LINES_COPIED = re.compile(r"\bcrisis\s+lines\s+are\s+there\s+for\b", re.IGNORECASE)
_ASKED_WITHIN = 6
"""How many of her latest replies are looked at for a question she asked."""


def _asked_lately(turn: PolicyTurn) -> bool:
    replies = [m.content for m in turn.history if m.role == "assistant"][-_ASKED_WITHIN:]
    return any(_ASKS.search(r) for r in replies)


class EchoCheck:
    """Takes words only the policy says out of a reply the model wrote: her check-in (or "did I
    hear you right") question by default, as an echo would make the next "yes" read as an
    answer to it; or lines given in an earlier reply (the embedded model copied them)."""

    hold: Hold = "sentence"

    def __init__(self, echo: re.Pattern[str] = _ASKS) -> None:
        self.echo = echo

    def review(self, text: str, done: bool) -> str | None:
        """Nothing more (the rest of the reply is dropped) once the model starts the echo."""
        return "" if self.echo.search(text) else None


def _rests_on_misheard(found: CrisisAssessment, turn: PolicyTurn) -> bool:
    """Whether a spoken crisis finding may come from a mishearing: some words were unsure and
    no statement stands in the words heard clearly. An act under way always counts as heard."""
    clear = turn.clearly_heard
    if clear is None or "…" not in clear or found.explicit in URGENT_KINDS:
        return False
    if found.explicit is None:
        return True
    return explicit_statement(clear) is None and foreign_statement(clear) is None

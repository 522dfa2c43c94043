"""The crisis classifier at run time: the shipped head (`crisis_model`) over embeddings of a
person's last few messages, the model of chat messages (`crisis_messages`) for a single message,
the conversation model (`crisis_conversations`) for the last few chat messages together, the
history model (`crisis_histories`) for a single long text, and the emotion model as a reader of
plainly cheerful tone."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Protocol

from os1.embedder import DIMENSIONS, Embedder
from os1.safety.crisis_model import (
    SHORT_CHECK_IN,
    SHORT_SCORE,
    SHORT_WORDS,
    STYLE_FEATURES,
    CrisisHead,
    split_chunks,
    style_features,
)
from os1.safety.crisis_statements import MESSAGE_WORDS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vector = npt.NDArray[np.float32]

__all__ = [
    "CACHED_MESSAGES",
    "CHEERFUL_NEGATIVE",
    "CHEERFUL_POSITIVE",
    "CrisisClassifier",
    "CrisisScorer",
    "EmotionTone",
    "MessageScorer",
    "ToneReader",
    "on_scale",
]

CHEERFUL_POSITIVE = 0.9
CHEERFUL_NEGATIVE = 0.1


class CrisisScorer(Protocol):
    """What the crisis detector needs from a classifier: a score for a window of messages and
    the two thresholds (the protocol, and a gentle check-in below it)."""

    @property
    def threshold(self) -> float:
        """At or above this score: the crisis protocol."""
        ...

    @property
    def check_in_threshold(self) -> float:
        """At or above this score (below `threshold`): a check-in question."""
        ...

    def score(self, texts: Sequence[str]) -> float:
        """The probability that the writer of these messages (oldest first) is in crisis."""
        ...

    def message_score(self, text: str) -> float:
        """`score([text])` when a model of single chat messages reads `text` (0.0 when none
        does: no such model, or a message too long for it)."""
        ...

    def conversation_score(self, texts: Sequence[str]) -> float:
        """A model of chat conversations' score for several messages (oldest first), on the
        scale of `score` (0.0 when no such model reads them)."""
        ...


class CrisisClassifier:
    """Scores messages (alone or as a multi-turn window): one chat message with the message
    model, one long text with the history model, a window of several with the shipped head and,
    when they are chat messages, with the conversation model as well.

    Embeddings of recent messages are cached, so a turn embeds only the new message.
    """

    def __init__(
        self,
        head: CrisisHead | None = None,
        embedder: Embedder | None = None,
        messages: MessageScorer | None = None,
        *,
        histories: MessageScorer | None = None,
        conversations: MessageScorer | None = None,
        load_messages: bool = True,
        load_histories: bool = True,
        load_conversations: bool = True,
    ) -> None:
        if embedder is None:
            from os1.embedder import embedder as shared_embedder

            embedder = shared_embedder()
        self.head = head or CrisisHead.load()
        self.embedder = embedder
        if messages is None and load_messages:
            from os1.errors import ModelError
            from os1.safety.crisis_messages import message_model

            try:
                messages = message_model()
            except ModelError:
                messages = None  # the head alone, as before the message model shipped
        if histories is None and load_messages and load_histories:
            from os1.errors import ModelError
            from os1.safety.crisis_histories import history_model

            try:
                histories = history_model()
            except ModelError:
                histories = None  # the head reads long texts too, as before
        if conversations is None and load_messages and load_conversations:
            from os1.errors import ModelError
            from os1.safety.crisis_conversations import conversation_model

            try:
                conversations = conversation_model()
            except ModelError:
                conversations = None  # the head reads windows, as before
        self.messages = messages
        self.histories = histories
        self.conversations = conversations
        self._cache: OrderedDict[str, tuple[Vector, Vector]] = OrderedDict()
        # (Keyed by the model too: a window's text is not a message's.)
        self._message_cache: OrderedDict[tuple[int, str], float] = OrderedDict()
        self._pieces_cache: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def threshold(self) -> float:
        """The probability at or above which a message or window is a crisis."""
        return self.head.threshold

    @property
    def check_in_threshold(self) -> float:
        """The probability at or above which a message gets a gentle check-in question."""
        return self.head.check_in_threshold

    def _chunks(self, texts: Sequence[str]) -> tuple[Vector, Vector]:
        import numpy as np

        # What is found is taken out at once and marked as recently used: caching a new
        # message below may evict the oldest entry, which can be one of these (an earlier
        # message of the window, read hundreds of other messages ago on a busy server).
        with self._lock:
            found = {t: self._cache[t] for t in dict.fromkeys(texts) if t in self._cache}
            for text in found:
                self._cache.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            pieces = [split_chunks(t) for t in missing]
            flat = [c for chunks in pieces for c in chunks]
            vectors = self.embedder.embed(flat)
            styles = np.array([style_features(c) for c in flat], dtype=np.float32)
            start = 0
            with self._lock:
                for text, chunks in zip(missing, pieces, strict=True):
                    end = start + len(chunks)
                    found[text] = self._cache[text] = (vectors[start:end], styles[start:end])
                    start = end
                _trim(self._cache)
        parts = [found[t] for t in texts]
        vectors = np.vstack([p[0] for p in parts]).reshape(-1, DIMENSIONS)
        styles = np.vstack([p[1] for p in parts]).reshape(-1, STYLE_FEATURES)
        return vectors, styles

    def score(self, texts: Sequence[str]) -> float:
        """The probability that the writer of these messages (taken together) is in crisis.

        One message of up to `MESSAGE_WORDS` words is read by the message model (trained on
        chat) instead of the head (trained on Reddit histories, it read everyday chat about
        hard times as a crisis: 57 of 1,451 LoCoMo turns). Its probability is put on the head's
        scale so that its own thresholds land where the detector's rules act (`SHORT_CHECK_IN`
        and `SHORT_SCORE` up to `SHORT_WORDS` words, the head's thresholds above). Longer
        messages and windows of several are the head's (the conversation model reads windows
        of chat messages too: `conversation_score`); one long text (a vent, a history of
        posts) is also read by the history model, piece by piece, and the lower score counts
        (held out, the head alone gave the protocol to 77% of the C-SSRS people who write to
        support others, the two together to 40%)."""
        if len(texts) == 1 and self.reads_alone(texts[0]):
            return self.message_score(texts[0])
        vectors, styles = self._chunks(list(texts))
        by_head = self.head.bag_prob(self.head.chunk_probs(vectors, styles), styles)
        if len(texts) == 1 and self.histories is not None and self.reads_history(texts[0]):
            # The history model learned only from people who write about suicide, supporters
            # included, and reads everyday writing as near a crisis (a cover letter 0.44 against
            # its threshold of 0.44); the head learned everyday comments too. So it only tells
            # the head's alarms apart: whether the writer speaks of themselves or to others.
            head = self.head
            by_history = self._scaled(
                self.histories, texts[0], head.check_in_threshold, head.threshold
            )
            if by_history > by_head and self.not_everyday(texts[0]):
                # The head read it as everyday writing, but the models of chat messages, which
                # learned everyday comments too, are worried by its pieces: the history model
                # decides (held out, 4 of the 6 C-SSRS people in crisis the detector missed
                # scored 0.01 to 0.08 by the head).
                return by_history
            score = min(by_head, by_history)
            sure = head.threshold - 1e-6
            # (Read by the models of chat messages only when it would bring the protocol.)
            if score > sure and self.calm_chat_message(texts[0]):
                # One paragraph is a chat message, however long, and the models of chat
                # messages found nothing worrying in any piece of it: the question at most.
                # (Both the head and the history model, which learned from Reddit, read "Thanks,
                # Melanie. Transitioning wasn't easy…", a LoCoMo turn of 69 words, as a crisis.)
                score = sure
            return score
        sure = self.head.threshold - 1e-6
        if len(texts) > 1 and by_head > sure and self.calm_chat_message(texts[-1]):
            # So is such a message read with the few before it (the head alone reads windows
            # of long texts, and it still gave those LoCoMo turns the protocol).
            return sure
        return by_head

    def not_everyday(self, text: str) -> bool:
        """Whether the model of chat messages, reading a long text piece by piece as the
        history model does, gives its pieces a mean at or above its check-in threshold (False
        without it)."""
        read = self._pieces_read(text)
        return read is not None and read[0] >= read[2]

    def calm_chat_message(self, text: str) -> bool:
        """Whether a text longer than `MESSAGE_WORDS` words is one paragraph (a chat message,
        not posts or a letter) in which the model of chat messages reads every piece below its
        check-in threshold (False without it, or for a shorter text)."""
        from os1.safety.crisis_histories import several_paragraphs

        if len(text.split()) <= MESSAGE_WORDS or several_paragraphs(text):
            return False
        read = self._pieces_read(text)
        return read is not None and read[1] < read[2]

    def _pieces_read(self, text: str) -> tuple[float, float, float] | None:
        """The model of chat messages' mean and highest probability over the pieces of a long
        text (as the history model reads them), and its check-in threshold; None without it."""
        from os1.safety.crisis_histories import history_pieces

        messages = self.messages
        if messages is None:
            return None
        with self._lock:
            found = self._pieces_cache.get(text)
        if found is None:
            read = [messages.probability(p) for p in history_pieces(text)]
            found = (sum(read) / len(read), max(read))
            with self._lock:
                self._pieces_cache[text] = found
                _trim(self._pieces_cache)
        return (*found, messages.check_in_threshold)

    def reads_alone(self, text: str) -> bool:
        """Whether one message is read by the message model (see `score`): a chat message, not
        a text of several paragraphs when the history model is there to read it (four people in
        crisis whose few C-SSRS posts made less than 64 words scored 0.03 and below with the
        message model, three of them 0.7 to 0.9 with the history model held out)."""
        if self.messages is None or len(text.split()) > MESSAGE_WORDS:
            return False
        return not self.reads_history(text)

    def reads_conversation(self, texts: Sequence[str]) -> bool:
        """Whether several messages are read together by the conversation model: each a chat
        message (not a long text, which the head reads better in a window)."""
        if self.conversations is None or len(texts) < 2:
            return False
        return all(len(t.split()) <= MESSAGE_WORDS and not self.reads_history(t) for t in texts)

    def conversation_score(self, texts: Sequence[str]) -> float:
        """The conversation model's score for several chat messages on the head's scale (its
        thresholds landing where the detector's rules act for the newest message, as the
        message model's do), 0.0 when it does not read them."""
        if not self.reads_conversation(texts):
            return 0.0
        assert self.conversations is not None
        from os1.safety.crisis_conversations import conversation_text

        window = conversation_text(texts)
        if len(texts[-1].split()) <= SHORT_WORDS:
            return self._scaled(self.conversations, window, SHORT_CHECK_IN, SHORT_SCORE)
        head = self.head
        return self._scaled(self.conversations, window, head.check_in_threshold, head.threshold)

    def reads_history(self, text: str) -> bool:
        """Whether one text is read by the history model: longer than a chat message, or of
        several paragraphs."""
        from os1.safety.crisis_histories import several_paragraphs

        if self.histories is None:
            return False
        return len(text.split()) > MESSAGE_WORDS or several_paragraphs(text)

    def message_score(self, text: str) -> float:
        """The message model's score for `text` on the head's scale (0.0 without the model,
        or for a message longer than `MESSAGE_WORDS` words)."""
        if not self.reads_alone(text):
            return 0.0
        if len(text.split()) <= SHORT_WORDS:
            return self._message_score(text, SHORT_CHECK_IN, SHORT_SCORE)
        return self._message_score(text, self.head.check_in_threshold, self.head.threshold)

    def _message_score(self, text: str, check_in: float, protocol: float) -> float:
        assert self.messages is not None
        return self._scaled(self.messages, text, check_in, protocol)

    def _scaled(self, model: MessageScorer, text: str, check_in: float, protocol: float) -> float:
        """`model`'s probability for `text`, put on the scale of (check_in, protocol)."""
        # A head trained without a check-in band (its check-in threshold capped at its
        # protocol threshold) must not turn the message model's whole band into the protocol:
        # the band then lands just below the protocol.
        check_in = min(check_in, protocol - 1e-6)
        with self._lock:
            probability = self._message_cache.get((id(model), text))
        if probability is None:
            probability = model.probability(text)
            with self._lock:
                self._message_cache[id(model), text] = probability
                _trim(self._message_cache)
        return on_scale(
            probability,
            (model.check_in_threshold, model.threshold),
            (check_in, protocol),
        )


CACHED_MESSAGES = 256
"""How many recent messages the classifier keeps read (the window needs the last few)."""


def _trim(cache: OrderedDict[Any, Any]) -> None:
    while len(cache) > CACHED_MESSAGES:
        cache.popitem(last=False)


def on_scale(value: float, source: tuple[float, float], target: tuple[float, float]) -> float:
    """`value` moved from one model's (check-in, protocol) thresholds to another's, linearly
    between them and towards 0 and 1, so that each threshold lands on its counterpart."""
    (low, high), (to_low, to_high) = source, target
    low = min(low, high)
    points = [(0.0, 0.0), (low, to_low), (high, to_high), (1.0, 1.0)]
    for (x0, y0), (x1, y1) in pairwise(points):
        if value <= x1:
            return y1 if x1 <= x0 else y0 + (y1 - y0) * (value - x0) / (x1 - x0)
    return 1.0


class MessageScorer(Protocol):
    """A model of single chat messages (`CrisisMessageModel`): a probability and the two
    thresholds chosen for it."""

    threshold: float
    check_in_threshold: float

    def probability(self, text: str) -> float:
        """The probability that one message is from someone in crisis."""
        ...


class ToneReader(Protocol):
    """Tells a plainly cheerful message from the rest."""

    def cheerful(self, text: str) -> bool:
        """Whether `text` reads as plainly positive, with nothing negative in it."""
        ...


class EmotionTone:
    """The heart's emotion model as a `ToneReader`: positive sentiment at least
    `CHEERFUL_POSITIVE` and negative at most `CHEERFUL_NEGATIVE` (the same int8 model the heart
    reads every message with; loaded once per process)."""

    def __init__(self) -> None:
        from os1.heart.emotion import GROUPS, emotion_classifier
        from os1.heart.labels import SENTIMENT

        self._model = emotion_classifier()
        start = GROUPS["sentiment"][0]
        self._positive = start + SENTIMENT.index("positive")
        self._negative = start + SENTIMENT.index("negative")

    def cheerful(self, text: str) -> bool:
        probs = self._model.probabilities([text])[0]
        return bool(
            probs[self._positive] >= CHEERFUL_POSITIVE
            and probs[self._negative] <= CHEERFUL_NEGATIVE
        )

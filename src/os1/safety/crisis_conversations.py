"""The crisis conversation model at run time: the person's last few chat messages in, a
probability out.

all-MiniLM-L6-v2 fine-tuned on chat conversations written for os1 (see
`conversation_training`), int8 ONNX, shipped as `crisis_conversations.onnx` with its two
thresholds in `crisis_conversations.json`. It reads the newest message first and the earlier
ones after it, so that a long conversation loses its oldest words, never the newest. The crisis
classifier reads a window of several chat messages with it instead of the head (which learned
from Reddit histories and read chat windows poorly both ways), and the detector lets a calm
reading of the conversation turn a message that alarms alone into a check-in question: "i've
made my peace with it" after handing in a notice is not what it is after a month of despair.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from os1.once import loaded_once
from os1.safety.crisis_messages import CrisisMessageModel

__all__ = [
    "CONVERSATION_MODEL_FILE",
    "CONVERSATION_TURNS",
    "CrisisConversationModel",
    "conversation_model",
    "conversation_text",
]

CONVERSATION_MODEL_FILE = Path(__file__).with_name("crisis_conversations.onnx")
CONVERSATION_TURNS = 4
"""The newest message and the three before it (the detector's window)."""
SEPARATOR = " [SEP] "


def conversation_text(turns: Sequence[str]) -> str:
    """The text the model reads for `turns` (oldest first): the last `CONVERSATION_TURNS`,
    newest first, between MiniLM's separator tokens."""
    return SEPARATOR.join(t.strip() for t in reversed(turns[-CONVERSATION_TURNS:]))


class CrisisConversationModel(CrisisMessageModel):
    """Probability that the writer of the last few messages is in crisis, and the two
    thresholds chosen for it."""

    FILE = CONVERSATION_MODEL_FILE
    WHAT = "the crisis conversation model"
    REBUILD = "os1 safety train-conversations"

    def probability(self, text: str) -> float:
        """The probability for one window, given as `conversation_text` writes it."""
        return float(self.probabilities([text])[0, 0])


@loaded_once
def conversation_model() -> CrisisConversationModel:
    """The packaged model, loaded once per process."""
    return CrisisConversationModel()

"""The crisis conversation model at run time: the person's last few chat messages in, a
probability out.

all-MiniLM-L6-v2 fine-tuned on chat conversations written for os1 (see
`conversation_training`), int8 ONNX, shipped as `crisis_conversations.onnx` with its two
thresholds in `crisis_conversations.json`. It reads the newest message first and the earlier
ones after it, so that a long conversation loses its oldest words, never the newest. The crisis
classifier reads a window of several chat messages with it as well as with the head (which
learned from Reddit histories and gave crises told over chat turns 0.02 to 0.08), and the
detector takes the higher score: where it is sure, a worrying message ("it'll all be over soon"
after "i can't see this getting any better") brings the protocol; a message calm alone gets the
check-in question at most. It never calms a message that alarms alone: it read too many written
crises as plainly calm for that.
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
    """Probability that the writer of the last few messages is in crisis (`probability` of
    one window as `conversation_text` writes it), and the two thresholds chosen for it."""

    FILE = CONVERSATION_MODEL_FILE
    WHAT = "the crisis conversation model"
    REBUILD = "os1 safety train-conversations"


@loaded_once
def conversation_model() -> CrisisConversationModel:
    """The packaged model, loaded once per process."""
    return CrisisConversationModel()

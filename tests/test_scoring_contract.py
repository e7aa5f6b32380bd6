"""The pieces of the task contract in-process: registries, extractor pieces and chains,
metrics over verdict fields, verdict sets in the run store, and the scoring stage."""
from __future__ import annotations

import json
from importlib.metadata import EntryPoint

import pytest

from harness import registry
from harness.errors import UsageError
from harness.pipeline import ScoringStage, TaskScoring, VerifierError
from harness.registry import Registry, get_tasks
from harness.scoring.extractors import CHAINS, STOP, Chain, chain_of, code_block_of, piece, poem_block
from harness.scoring.metrics import ProblemOutcome, mean_score, verdict_rate
from harness.scoring.score import parse_output
from harness.scoring.verdict import Verdict
from harness.store import (EVAL_SET, RunStore, choose_verdict_set, iter_verdicts, read_verdicts, scored_rows,
                           verdict_set_path, verdict_sets)
from harness.task import Doc


# --- registries ---------------------------------------------------------------------------

def test_a_group_expands_to_its_tasks_in_registry_order():
    assert [t.name for t in get_tasks(["math"])] == ["aime24", "aime25", "amc23", "gsm8k", "math500"]
    assert [t.name for t in get_tasks(["amc23", "math"])][:2] == ["amc23", "aime24"]  # a task named twice counts once
    with pytest.raises(UsageError, match="unknown task.*math \\(group\\)"):
        get_tasks(["nope"])


def test_a_group_named_like_a_task_is_refused(monkeypatch):
    (amc,) = get_tasks(["amc23"])
    clash = type(amc)(**{**amc.__dict__, "name": "math500x", "groups": ("amc23",)})
    monkeypatch.setattr(registry, "_load_tasks", lambda: {"amc23": amc, "math500x": clash})
    registry.all_tasks.cache_clear()
    try:
        with pytest.raises(UsageError, match="amc23 is both a task and a task group"):
            registry.all_tasks()
    finally:
        registry.all_tasks.cache_clear()


def test_unknown_and_duplicate_names_are_one_line_errors(monkeypatch):
    with pytest.raises(UsageError, match="unknown verifier 'nope': known verifiers are .*math_equiv"):
        registry.VERIFIERS.get("nope")
    eps = [EntryPoint("mine", "pkg_a:thing", "harness.verifiers"), EntryPoint("mine", "pkg_b:thing", "harness.verifiers")]
    monkeypatch.setattr(registry, "entry_points", lambda group: eps)
    with pytest.raises(UsageError, match="verifier 'mine' is registered twice"):
        Registry("harness.verifiers", "verifier").get("mine")


# --- extractor pieces and chains ------------------------------------------------------------

def test_code_block_takes_the_last_closed_fence_of_the_language():
    text = "```python\nprint(1)\n```\nthen\n```js\nx()\n```\n```\nprint(2)\n```\n```python\nunclosed"
    assert code_block_of(text) == "print(2)"
    assert code_block_of(text, "js") == "print(2)"  # an untagged block matches any language
    assert code_block_of("```js\nx()\n```", "python") is None
    capped = parse_output("```python\nprint(3)\n```\nand now some\nmore wor", extractor=("python_block",), finish_reason="length")
    assert (capped.extracted, capped.rule) == ("print(3)", "python_block")  # a closed fence is explicit


def test_poem_block_keeps_the_poem_lines():
    text = "好的，这是一首诗：\n\n```\n《春晓》\n春眠不觉晓，\n处处闻啼鸟。\n\n夜来风雨声，\n花落知多少。\n```\n\nThis poem is about spring."
    assert poem_block(text) == "春眠不觉晓，\n处处闻啼鸟。\n夜来风雨声，\n花落知多少。"
    assert poem_block("# 静夜思\n床前明月光，\n疑是地上霜。\nI hope you like it.") == "床前明月光，\n疑是地上霜。"
    assert poem_block("no poem here") is None


def test_a_chain_stops_reports_rules_and_versions_by_piece():
    chain = chain_of("math_or_number")
    assert chain.names == CHAINS["math_or_number"] and chain.label == "math_or_number"
    assert chain.describe() == {"name": "math_or_number", "version": "2"} == {**chain_of("gsm8k").describe(), "name": "math_or_number"}
    assert chain.explain("and the sum is (1 + ") == (None, "cut_off", False)  # the guard stops before last_number
    assert chain.explain("\\boxed{1} and \\boxed{2}") == ("1, 2", "boxed_list", True)

    @piece("shout", version="1")
    def shout(text):
        return text.upper() if text.startswith("!") else (STOP if text.startswith("?") else None)

    @piece("shout", version="2")
    def shout2(text):
        return shout(text)

    own = Chain((shout, chain_of(("last_number",)).pieces[0]))
    assert own.explain("!a 3") == ("!A 3", "shout", False) and own.explain("?a 3") == (None, "shout", False)
    assert own.explain("a 3") == ("3", "last_number", False)
    assert own.version != Chain((shout2, own.pieces[1])).version and own.label == "shout,last_number"
    with pytest.raises(UsageError, match="unknown extractor 'nope'"):
        chain_of(("boxed", "nope"))


# --- metrics over verdict fields -------------------------------------------------------------

def problem(pid, details, scores):
    verdicts = [{"passed": s == 1.0, "score": s, "reason": "x", "details": d} for d, s in zip(details, scores)]
    return ProblemOutcome(pid, [v["passed"] for v in verdicts], [None] * len(verdicts), verdicts=verdicts)


def test_verdict_rate_and_mean_score_read_verdict_fields():
    problems = [problem("a", [{"compiled": True}, {"compiled": False}], [1.0, 0.5]),
                problem("b", [{"compiled": True}, {}], [0.0, 0.0]),
                problem("c", [{}, {}], [0.25, 0.25])]
    rate = verdict_rate(problems, detail="compiled", name="compile_rate")["compile_rate"]
    assert rate["value"] == pytest.approx((0.5 + 1.0) / 2) and rate["n"] == 2 and rate["of"] == 3 and rate["partial"]
    assert rate["ci"][0] <= rate["value"] <= rate["ci"][1]
    mean = mean_score(problems)["mean_score"]
    assert mean["value"] == pytest.approx((0.75 + 0.0 + 0.25) / 3) and mean["estimator"] == "mean"
    assert verdict_rate(problems, detail="absent") == {}


# --- verdict sets in the run store -------------------------------------------------------------

def old_row(doc, i, passed):
    return {"task": "t", "doc_id": doc, "sample": i, "output": "x", "extracted": "1",
            "verdict": {"passed": passed, "score": float(passed), "reason": "r", "details": {}}}


def verdict_row(doc, i, passed):
    return {"task": "t", "doc_id": doc, "sample": i, "extracted": "2", "verdict": {"passed": passed, "reason": "r"}}


def test_old_rows_read_as_the_eval_set_and_new_sets_never_replace_them(tmp_path):
    run = tmp_path / "run"
    with RunStore(run) as store:
        store.append([old_row("d", 0, True), old_row("d", 1, False)])
        assert store.verified == {("t", "d", 0), ("t", "d", 1)}  # embedded verdicts count as set eval
        store.append([{"task": "t", "doc_id": "d", "sample": 2, "output": "y"}])
        store.append_verdicts([verdict_row("d", 2, True)])
        keys = set(store.done)
        assert choose_verdict_set(run, keys) == EVAL_SET
        store.write_verdict_set("reverify-1", [verdict_row("d", i, False) for i in range(2)])  # incomplete
        assert choose_verdict_set(run, keys) == EVAL_SET
        store.write_verdict_set("reverify-2", [verdict_row("d", i, i == 0) for i in range(3)])
        with pytest.raises(ValueError):
            store.write_verdict_set("reverify-2", [])
    assert verdict_sets(run) == ["eval", "reverify-1", "reverify-2"]
    assert choose_verdict_set(run, keys) == "reverify-2"
    assert choose_verdict_set(run, keys, "eval") == "eval"
    with pytest.raises(UsageError, match="no verdict set 'x'"):
        choose_verdict_set(run, keys, "x")
    assert {k[2]: v["verdict"]["passed"] for k, v in read_verdicts(run, "eval").items()} == {0: True, 1: False, 2: True}
    joined = {r["sample"]: r for r in scored_rows(run, "reverify-1")}
    assert joined[0]["extracted"] == "2" and joined[2]["verdict"] is None  # never the embedded verdict of another set


def test_a_damaged_eval_set_is_quarantined_and_its_torn_tail_cut(tmp_path):
    run = tmp_path / "run"
    with RunStore(run) as store:
        store.append([{"task": "t", "doc_id": "d", "sample": i, "output": "y"} for i in range(3)])
        store.append_verdicts([verdict_row("d", 0, True)])
    path = verdict_set_path(run, EVAL_SET)
    path.write_text(path.read_text() + '{"task": "t"}\n' + json.dumps(verdict_row("d", 1, True)) + "\n" + '{"torn')
    logged = []
    with RunStore(run, log=logged.append) as store:
        assert store.verified == {("t", "d", 0), ("t", "d", 1)}
    assert "line 2 is not a valid sample record" in logged[0] and "eval.quarantine.jsonl" in logged[0]
    assert len(list(iter_verdicts(run, EVAL_SET))) == 2 and path.read_text().endswith("}\n")


# --- the scoring stage -----------------------------------------------------------------------

class Recorder:
    name, version = "rec", "1"

    def __init__(self, batch_size, fail_on=None):
        self.batch_size, self.fail_on, self.batches = batch_size, fail_on, []

    def verify(self, items):
        self.batches.append(len(items))
        if any(it.row["doc_id"] == self.fail_on for it in items):
            raise ValueError("sandbox crashed\nsecond line")
        return [Verdict(it.parsed.extracted == it.doc.answer, 1.0, "x") for it in items]


def rows(n):
    return [{"task": "t", "doc_id": f"d{i}", "sample": 0, "output": f"ANSWER {i}"} for i in range(n)]


def test_the_stage_verifies_in_batches_up_to_the_verifier_size():
    verifier, stored = Recorder(4), []
    docs = {f"d{i}": Doc(f"d{i}", "p", str(i), {}, {}) for i in range(10)}
    with ScoringStage({"t": TaskScoring("t", chain_of(("last_number",)), verifier, docs)}, stored.extend) as stage:
        stage.submit(rows(10))
        stage.finish()
    assert sorted(r["doc_id"] for r in stored) == sorted(docs) and all(r["verdict"]["passed"] for r in stored)
    assert max(verifier.batches) <= 4 and sum(verifier.batches) == 10
    assert all(r["verifier"] == {"name": "rec", "version": "1"} and r["verified_at"] > 0 for r in stored)


def test_a_failing_verifier_stops_the_run_with_one_line():
    docs = {f"d{i}": Doc(f"d{i}", "p", str(i), {}, {}) for i in range(3)}
    stage = ScoringStage({"t": TaskScoring("t", chain_of(("last_number",)), Recorder(1, fail_on="d1"), docs)}, lambda r: None)
    with pytest.raises(VerifierError) as err, stage:
        stage.submit(rows(3))
        stage.finish()
    message = str(err.value)
    assert "\n" not in message and "verifier 'rec' failed on task t (ValueError: sandbox crashed)" in message
    assert "samples are saved" in message


# --- runs made before verdict sets ------------------------------------------------------------

def test_a_run_with_verdicts_embedded_in_its_samples_scores_and_reverifies(tmp_path, shared_data):
    import shutil

    from harness.cli import main

    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"task": "amc23", "doc_id": f"amc23-{d}", "sample": i, "output": out}) + "\n"
                             for d in range(3) for i, out in enumerate(["\\boxed{27}", "\\boxed{36}"])))
    run = tmp_path / "run"
    assert main(["eval", "--backend", "replay", "--predictions", str(preds), "--tasks", "amc23", "--limit", "3",
                 "--data-dir", str(shared_data), "--output", str(run), "--no-progress"]) == 0
    expected = json.loads((run / "results.json").read_text())
    # rewrite it as a schema-2 run: verdicts inside samples.jsonl, no verdicts/ folder
    joined = [{k: v for k, v in r.items() if k not in ("status", "rule", "verifier", "verified_at")} for r in scored_rows(run)]
    (run / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in joined))
    shutil.rmtree(run / "verdicts")
    manifest = json.loads((run / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps({**manifest, "schema_version": 2}))
    samples = (run / "samples.jsonl").read_bytes()

    assert main(["score", str(run)]) == 0
    got = json.loads((run / "results.json").read_text())
    assert got["verdict_set"] == "eval" and got["tasks"] == expected["tasks"] and got["counts"] == expected["counts"]
    assert main(["score", str(run), "--reverify"]) == 0
    got = json.loads((run / "results.json").read_text())
    assert got["verdict_set"].startswith("reverify-") and got["tasks"] == expected["tasks"]
    assert (run / "samples.jsonl").read_bytes() == samples and verdict_sets(run)[0] == "eval"

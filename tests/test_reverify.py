"""`harness score --reverify` checks answers with the context the eval had (the problem text)."""
from __future__ import annotations

import json
import shutil

import pytest
from run_helpers import math500_preds, replay_args, snapshot, usage_error

from harness.cli import main
from harness.scoring.equiv_pool import EquivPool
from harness.scoring.math_equiv import NO_HINTS, problem_hints
from harness.scoring.score import MathEquivVerifier, parse_output
from harness.store import DOCS, iter_samples, scored_rows

# Answers whose verdict depends on the problem text: another base than the one the problem
# asks for (accepted without the problem, refused with it) and the content of the right
# option (refused without the problem's options, accepted with them).
IN_CONTEXT = {
    "test/number_theory/864.json": ("101010_2", False),
    "test/number_theory/46.json": ("100100_2", False),
    "test/number_theory/516.json": ("1358_{10}", False),
    "test/number_theory/847.json": ("555_{10}", False),
    "test/number_theory/1257.json": ("54_{10}", False),
    "test/number_theory/691.json": ("11111111_2", False),
    "test/number_theory/928.json": ("11_2", False),
    "test/precalculus/819.json": ("Plane", True),
    "test/precalculus/452.json": ("Hyperbola", True),
    "test/intermediate_algebra/754.json": ("3(1 + r/10)^x = 7", True),
}


def _verdicts(run) -> dict:
    """The verdicts of the set results.json was computed from."""
    used = json.loads((run / "results.json").read_text())["verdict_set"]
    return {(r["doc_id"], r["sample"]): r["verdict"] for r in scored_rows(run, used)}


def _records(data) -> dict[str, dict]:
    return {r["unique_id"]: r for r in map(json.loads, (data / "math500" / "test.jsonl").read_text().splitlines())}


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory, shared_data):
    """MATH-500's 500 reference solutions replayed through `harness eval`."""
    tmp = tmp_path_factory.mktemp("reference")
    preds = math500_preds(tmp / "preds.jsonl", shared_data, 500, 1, lambda r, i: r["solution"])
    assert main(replay_args(preds, shared_data, tmp / "run", "math500", 500)) == 0
    return tmp / "run"


def test_reverify_gives_the_eval_verdicts_for_all_500_reference_solutions(reference_run, shared_data):
    at_eval = _verdicts(reference_run)
    assert len(at_eval) == 500 and all(v["passed"] for v in at_eval.values())
    hinted = {u: problem_hints(r["problem"]) for u, r in _records(shared_data).items() if problem_hints(r["problem"]) != NO_HINTS}
    assert {"test/number_theory/864.json", "test/prealgebra/1044.json", "test/precalculus/819.json"} <= set(hinted)
    assert any(h.base for h in hinted.values()) and any(h.decimal_places is not None for h in hinted.values())
    assert any(h.choices for h in hinted.values())

    assert main(["score", str(reference_run), "--reverify"]) == 0
    again = _verdicts(reference_run)
    assert again == at_eval  # 500/500, reasons and parsed forms included
    assert all(again[(u, 0)]["passed"] for u in hinted)


def test_reverify_uses_the_problem_text_of_each_document(tmp_path, shared_data):
    preds = tmp_path / "p.jsonl"
    rows = [{"task": "math500", "doc_id": u, "sample": 0, "output": f"\\boxed{{{p}}}"} for u, (p, _) in IN_CONTEXT.items()]
    preds.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = tmp_path / "run"
    assert main(replay_args(preds, shared_data, run, "math500", 500)) == 0
    at_eval = _verdicts(run)
    assert {u: v["passed"] for (u, _), v in at_eval.items()} == {u: ok for u, (_, ok) in IN_CONTEXT.items()}

    # the control: without the problem every one of these verdicts flips
    stored = list(iter_samples(run))
    with EquivPool(timeout_s=5.0) as pool:
        blind = MathEquivVerifier(pool).verify_many([(r["gold"], parse_output(r["output"], extractor="math_or_number"))
                                                     for r in stored])
    assert len(stored) == len(IN_CONTEXT)
    assert all(b.passed != at_eval[(r["doc_id"], 0)]["passed"] for r, b in zip(stored, blind))

    assert main(["score", str(run), "--reverify"]) == 0
    assert _verdicts(run) == at_eval


def test_reverify_without_stored_problems_refuses_then_reads_them_from_data_dir(reference_run, shared_data, tmp_path, capsys):
    run = tmp_path / "old-run"
    shutil.copytree(reference_run, run)
    (run / DOCS).unlink()  # as a run made before docs.jsonl existed
    at_eval = _verdicts(run)
    before = snapshot(run)
    line = usage_error(capsys, ["score", str(run), "--reverify"], alone=True)
    assert "no docs.jsonl" in line and "--data-dir" in line
    assert snapshot(run) == before
    assert "--reverify" in usage_error(capsys, ["score", str(run), "--data-dir", str(shared_data)], alone=True)
    assert snapshot(run) == before

    other = tmp_path / "other-data"
    (other / "math500").mkdir(parents=True)
    lines = (shared_data / "math500" / "test.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    lines[0] = json.dumps({**first, "problem": first["problem"] + " Express your answer in base 7."})
    (other / "math500" / "test.jsonl").write_text("\n".join(lines) + "\n")
    line = usage_error(capsys, ["score", str(run), "--reverify", "--data-dir", str(other)], alone=True)
    assert "not the math500 data the run was made with" in line
    assert snapshot(run) == before

    assert main(["score", str(run), "--reverify", "--data-dir", str(shared_data)]) == 0
    assert _verdicts(run) == at_eval
    assert (run / DOCS).read_text() == (reference_run / DOCS).read_text()  # stored for next time
    assert main(["score", str(run), "--reverify"]) == 0


def test_resuming_an_old_run_stores_its_problems(tmp_path, shared_data):
    preds = math500_preds(tmp_path / "p.jsonl", shared_data, 5, 1, lambda r, i: r["solution"])
    run = tmp_path / "run"
    args = replay_args(preds, shared_data, run, "math500", 5)
    assert main(args) == 0
    written = (run / DOCS).read_text()
    doc_ids = lambda text: [json.loads(x)["doc_id"] for x in text.splitlines()]  # noqa: E731
    assert doc_ids(written) == doc_ids(preds.read_text())
    (run / DOCS).unlink()
    samples = (run / "samples.jsonl").read_bytes()
    assert main(args) == 0  # nothing to generate, the documents are stored again
    assert (run / DOCS).read_text() == written and (run / "samples.jsonl").read_bytes() == samples


def test_a_second_task_in_the_same_run_keeps_the_first_tasks_problems(tmp_path, shared_data):
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps({"task": "amc23", "doc_id": "amc23-0", "sample": 0, "output": "\\boxed{27}"}) + "\n")
    run = tmp_path / "run"
    assert main(replay_args(preds, shared_data, run, "amc23", 2)) == 0
    more = math500_preds(tmp_path / "m.jsonl", shared_data, 3, 1, lambda r, i: r["solution"])
    assert main(replay_args(more, shared_data, run, "math500", 3)) == 0
    docs = [json.loads(x) for x in (run / DOCS).read_text().splitlines()]
    assert [(d["task"], d["doc_id"]) for d in docs][:2] == [("amc23", "amc23-0"), ("amc23", "amc23-1")]
    assert sorted({d["task"] for d in docs}) == ["amc23", "math500"] and len(docs) == 5
    at_eval = _verdicts(run)
    assert main(["score", str(run), "--reverify"]) == 0
    assert _verdicts(run) == at_eval

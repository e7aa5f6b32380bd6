"""results.json from sample rows: coverage, counts, cost, schema, and the summary table."""
from __future__ import annotations

import pytest

from harness.results import SCHEMA_VERSION, run_results, task_results
from harness.summary import format_table


def row(doc, sample, answer, passed, reason="equal", **extra):
    return {"task": "t", "doc_id": doc, "sample": sample, "extracted": answer, "attrs": {"level": "1"},
            "verdict": {"passed": passed, "score": float(passed), "reason": reason, "details": {}}, **extra}


def eq(a, b):
    return a == b


def test_all_failed_five_problems_is_an_honest_interval_in_the_table():
    rows = {f"d{i}": [row(f"d{i}", 0, "1", False)] for i in range(5)}
    res = task_results(rows, doc_ids=list(rows), n=1, attr_fields=[], same=eq, key=None)
    m = res["metrics"]["pass@1"]
    assert m["value"] == 0.0 and m["ci_method"] == "wilson" and m["ci"][1] == pytest.approx(0.4345, abs=1e-4)
    table = format_table({"tasks": {"t": res["metrics"]}, "counts": {"t": res["counts"]}, "cost": {"t": res["cost"]}})
    assert "0.0 [0.0, 43.4]" in table


def test_metrics_over_fewer_problems_say_so():
    rows = {"d0": [row("d0", i, "4", True) for i in range(4)],
            "d1": [row("d1", i, "4", i < 1) for i in range(2)]}  # incomplete: 2 of 4 samples
    res = task_results(rows, doc_ids=["d0", "d1", "d2"], n=4, attr_fields=["level"], same=eq, key=None)
    m = res["metrics"]
    # d2 has no samples; d1 counts only where k <= 2
    assert (m["pass@1"]["n"], m["pass@1"]["of"], m["pass@1"]["partial"]) == (2, 3, True)
    assert (m["pass@4"]["n"], m["maj@4"]["n"]) == (1, 1)
    assert res["counts"]["missing_docs"] == ["d2"] and res["counts"]["incomplete_docs"] == 1
    # the breakdown's coverage counts the group's problems with samples
    assert res["breakdowns"]["level"]["1"]["pass@4"]["of"] == 2
    table = format_table({"tasks": {"t": m}, "counts": {"t": res["counts"]}, "cost": {"t": res["cost"]}})
    assert "(2/3 problems)" in table and "(1/3 problems)" in table


def test_counts_malformed_and_undecided_clustering():
    def undecided_same(a, b):
        return None  # every comparison times out

    rows = {"d": [row("d", 0, "1/2", True), row("d", 1, "0.5", True), row("d", 2, None, False, "malformed"),
                  row("d", 3, "3", False)]}
    res = task_results(rows, doc_ids=["d"], n=4, attr_fields=[], same=undecided_same, key=None)
    c = res["counts"]
    assert c["malformed"] == 1
    # distinct answers "0.5" < "1/2" < "3": 0.5 vs 1/2, 0.5 vs 3, 1/2 vs 3 all undecided -> 3 apart
    assert c["clustering_undecided"] == 3
    table = format_table({"tasks": {"t": res["metrics"]}, "counts": {"t": c}, "cost": {"t": res["cost"]}})
    header, _, line = table.splitlines()[:3]
    cells = dict(zip([h.strip() for h in header.split("  ") if h.strip()], [x.strip() for x in line.split("  ") if x.strip()]))
    assert cells["malformed"] == "1" and cells["undecided votes"] == "3"


def test_cost_from_rows_and_null_without_counts():
    toks = [(10, 30, 5, 1.0), (10, 50, 10, 2.0), (10, 10, 5, 0.5), (10, 100, 20, 4.0)]
    rows = {"d": [row("d", i, "4", i % 2 == 0, prompt_tokens=p, thinking_tokens=t, answer_tokens=a,
                      completion_tokens=t + a, latency_s=s) for i, (p, t, a, s) in enumerate(toks)]}
    cost = task_results(rows, doc_ids=["d"], n=4, attr_fields=[], same=eq, key=None)["cost"]
    # completion 35, 60, 15, 120: mean 57.5, median 47.5, p90 = 60 + 0.7 * 60 = 102, total 230
    assert cost["completion_tokens"] == {"mean": 57.5, "median": 47.5, "p90": pytest.approx(102.0), "total": 230.0,
                                         "samples": 4}
    assert cost["thinking_tokens"]["total"] == 190 and cost["answer_tokens"]["total"] == 40
    assert cost["latency_s"]["median"] == 1.5 and "total" not in cost["latency_s"]
    assert cost["tokens_per_second"] == pytest.approx(230 / 7.5)
    assert cost["completion_tokens_per_correct"] == pytest.approx(230 / 2)  # samples 0 and 2 passed
    replay = task_results({"d": [row("d", 0, "4", True)]}, doc_ids=["d"], n=1, attr_fields=[], same=eq, key=None)["cost"]
    assert all(replay[f] is None for f in ("prompt_tokens", "thinking_tokens", "answer_tokens", "completion_tokens",
                                           "latency_s", "tokens_per_second", "completion_tokens_per_correct"))


class Verifier:
    same = staticmethod(eq)
    key = None


def test_run_results_schema_and_seed_from_the_manifest():
    manifest = {"run": {"backend": "replay", "model": None, "seed": 11}, "harness": {"version": "x"},
                "tasks": {"t": {"doc_ids": ["d0", "d1", "d2"], "settings": {"n": 4}}}}
    records = [row(f"d{d}", i, str(i % 2), (d + i) % 3 == 0) for d in range(3) for i in range(4)]
    res = run_results(records, manifest, Verifier)
    assert res["schema_version"] == SCHEMA_VERSION == 3
    assert res["intervals"] == {"level": 0.95, "resamples": 2000, "seed": 11}
    assert set(res["cost"]) == {"t"} and res["run"]["seed"] == 11
    assert run_results(list(reversed(records)), manifest, Verifier)["tasks"] == res["tasks"]  # row order is irrelevant

"""One contract for every task kind: a task from a third-party package (tests/plugins,
registered through real entry points) with its own extractor piece, verifiers and metric
runs through eval, kill -9 and resume, ``score --reverify``, ``--shard`` + ``merge`` and a
judge model, without any math code being imported."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from run_helpers import kill_after_rows, sample_rows, snapshot

from harness.store import iter_samples, scored_rows

PLUGINS = Path(__file__).parent / "plugins"
# The harness's math checker (sympy itself is not listed: torch imports it for the transformers backend).
MATH_MODULES = ("harness.scoring.math_equiv", "harness.scoring.equiv_pool", "harness.scoring.math_verifier")
# Runs the CLI, then reports which math modules the process imported.
WRAPPER = ("import sys, json\nfrom harness.cli import main\nrc = main(sys.argv[1:])\n"
           f"loaded = sorted(m for m in sys.modules if m.startswith({MATH_MODULES!r}))\n"
           "print('MATH-MODULES ' + json.dumps(loaded), file=sys.stderr)\nsys.exit(rc)")
MATCH = ("exact", "casefold", "strip")


def env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PLUGINS), os.environ.get("PYTHONPATH")])),
            "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def harness(*args, ok: bool = True) -> subprocess.CompletedProcess:
    """``harness ARGS`` in a subprocess with the plugin installed; asserts no math module was imported."""
    done = subprocess.run([sys.executable, "-c", WRAPPER, *map(str, args)], env=env(), capture_output=True, text=True)
    if ok:
        assert done.returncode == 0, done.stderr[-3000:]
        assert "MATH-MODULES []" in done.stderr, done.stderr[-500:]
    return done


@pytest.fixture
def data(tmp_path) -> Path:
    """12 documents; each answer is checked with its own normaliser (``match``)."""
    folder = tmp_path / "data"
    (folder / "qa").mkdir(parents=True)
    rows = [{"id": f"q{i}", "question": f"Say word {i}.", "answer": f"Word-{i}", "match": MATCH[i % 3]} for i in range(12)]
    (folder / "qa" / "qa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def predictions(path: Path, task: str) -> Path:
    """Sample 0 answers ``word-i`` (passes under casefold and strip, not exact), sample 1
    ``Word i`` (passes under strip only), sample 2 has no answer."""
    rows = [{"task": task, "doc_id": f"q{i}", "sample": s, "output": out}
            for i in range(12) for s, out in enumerate([f"ANSWER: word-{i}", f"so... ANSWER: Word {i}", "no idea"])]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def replay(preds: Path, data: Path, out: Path, task: str = "qa_exact", *extra) -> list:
    return ["eval", "--backend", "replay", "--predictions", preds, "--tasks", task, "--data-dir", data, "--output", out,
            "--no-progress", *extra]


def results(run: Path) -> dict:
    return json.loads((run / "results.json").read_text())


def test_plugin_task_eval_reverify_shard_merge_without_math(tmp_path, data):
    preds = predictions(tmp_path / "preds.jsonl", "qa_exact")
    run = tmp_path / "run"
    harness(*replay(preds, data, run))
    res = results(run)
    assert res["verdict_set"] == "eval"
    m = res["tasks"]["qa_exact"]
    # per doc: exact docs pass 0 of 3, casefold docs 1 of 3, strip docs 2 of 3 -> pass@1 = (0 + 1/3 + 2/3) / 3
    assert m["pass@1"]["value"] == pytest.approx(1 / 3)
    assert m["answer_rate"]["value"] == pytest.approx(2 / 3) and m["answer_rate"]["estimator"] == "mean_rate"
    assert m["rate:answered"]["value"] == pytest.approx(2 / 3)
    assert "maj@2" in m and "pass@3" in m  # maj@k by exact extracted strings: no clustering hooks
    rows = {(r["doc_id"], r["sample"]): r for r in scored_rows(run)}
    assert rows[("q1", 0)]["verdict"]["passed"] and rows[("q1", 0)]["verdict"]["details"]["normaliser"] == "casefold"
    assert rows[("q0", 0)]["rule"] == "answer_line" and rows[("q0", 2)]["verdict"]["reason"] == "no_answer"
    assert all("verdict" not in r for r in iter_samples(run))
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["tasks"]["qa_exact"]["verifier"] == {"name": "doc_exact", "version": "1"}
    assert manifest["tasks"]["qa_exact"]["extractor"]["pieces"] == ["answer_line"]

    before = snapshot(run)
    eval_set = (run / "verdicts" / "eval.jsonl").read_bytes()
    harness("score", run, "--reverify")
    sets = sorted(p.name for p in (run / "verdicts").glob("*.jsonl"))
    assert len(sets) == 2 and sets[0] == "eval.jsonl" and sets[1].startswith("reverify-")
    after = snapshot(run)
    assert after["samples.jsonl"] == before["samples.jsonl"]  # append-only, never rewritten
    assert (run / "verdicts" / "eval.jsonl").read_bytes() == eval_set  # the eval-time verdicts are kept
    res2 = results(run)
    assert res2["verdict_set"] == sets[1][:-len(".jsonl")] and res2["tasks"] == res["tasks"]
    stamped = [json.loads(line) for line in (run / "verdicts" / sets[1]).read_text().splitlines()]
    assert len(stamped) == 36 and {json.dumps(r["verifier"]) for r in stamped} == {'{"name": "doc_exact", "version": "1"}'}
    harness("score", run, "--verdict-set", "eval")
    assert results(run)["verdict_set"] == "eval"
    bad = harness("score", run, "--verdict-set", "nope", ok=False)
    assert bad.returncode == 2 and "no verdict set 'nope'" in bad.stderr

    shards = [tmp_path / f"shard{i}" for i in range(2)]
    for i, shard in enumerate(shards):
        harness(*replay(preds, data, shard, "qa_exact", "--shard", f"{i}/2"))
    merged = tmp_path / "merged"
    harness("merge", *shards, "--output", merged)
    assert sample_rows(merged) == sample_rows(tmp_path / "run")
    unsharded = tmp_path / "unsharded"
    harness(*replay(preds, data, unsharded))
    assert results(merged)["tasks"] == results(unsharded)["tasks"] and results(merged)["verdict_set"] == "eval"
    assert (merged / "verdicts" / "eval.jsonl").exists()


def tiny_eval(model: Path, data: Path, out: Path, task: str, *extra) -> list:
    return ["eval", "--backend", "transformers", "--model", model, "--tasks", task, "--data-dir", data, "--output", out,
            "--temperature", "1.0", "--seed", "3", "--no-progress", *extra]


def test_plugin_task_killed_and_resumed_equals_uninterrupted(tmp_path, data, tiny_model_dir):
    args = ("--limit", "6", "-n", "2", "--max-tokens", "12")
    full, killed = tmp_path / "full", tmp_path / "killed"
    harness(*tiny_eval(tiny_model_dir, data, full, "qa_exact", *args))
    cmd = [sys.executable, "-c", WRAPPER, *map(str, tiny_eval(tiny_model_dir, data, killed, "qa_exact", *args))]
    survived = kill_after_rows(cmd, env(), killed / "samples.jsonl", 4)
    assert 4 <= survived < 12
    harness(*tiny_eval(tiny_model_dir, data, killed, "qa_exact", *args))
    assert len(sample_rows(killed)) == 12
    assert sample_rows(killed) == sample_rows(full)
    assert results(killed)["tasks"] == results(full)["tasks"]


def test_batched_verifier_runs_beside_generation(tmp_path, data, tiny_model_dir):
    run = tmp_path / "run"
    # 64 tokens a request: generation (about 0.3 s a request here, longer under load) outlasts
    # the verifier's first one-second batch, so overlap shows in the timestamps
    harness(*tiny_eval(tiny_model_dir, data, run, "qa_batched", "--limit", "12", "-n", "1", "--max-tokens", "64"))
    generated = [r["generated_at"] for r in iter_samples(run)]
    verdicts = [json.loads(line) for line in (run / "verdicts" / "eval.jsonl").read_text().splitlines()]
    assert len(verdicts) == len(generated) == 12
    assert all(v["verifier"] == {"name": "slow_batch", "version": "1"} for v in verdicts)
    # verification overlapped generation: verdicts were written before the last sample was generated
    assert min(v["verified_at"] for v in verdicts) < max(generated)
    assert results(run)["counts"]["qa_batched"]["samples"] == 12


def test_judge_verifier_asks_a_second_model(tmp_path, data, tiny_model_dir):
    preds = predictions(tmp_path / "preds.jsonl", "qa_judged")
    run = tmp_path / "run"
    refused = harness(*replay(preds, data, run, "qa_judged", "--limit", "4", "--allow-unmatched"), ok=False)
    assert refused.returncode == 2 and "needs a judge model" in refused.stderr and not run.exists()
    judge = ("--judge-backend", "transformers", "--judge-model", tiny_model_dir)
    harness(*replay(preds, data, run, "qa_judged", "--limit", "4", "--allow-unmatched", *judge))
    rows = list(scored_rows(run))
    assert len(rows) == 12 and all(isinstance(r["verdict"]["details"]["judge_output"], str) for r in rows)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["run"]["judge"]["backend"] == "transformers"
    settings = manifest["configs"][manifest["tasks"]["qa_judged"]["config"]]["settings"]
    assert settings["judge"]["model"] == str(tiny_model_dir)
    no_judge = harness("score", run, "--reverify", ok=False)
    assert no_judge.returncode == 2 and "needs a judge model" in no_judge.stderr
    harness("score", run, "--reverify", *judge)
    assert results(run)["verdict_set"].startswith("reverify-")


def test_data_hash_covers_the_fields_the_verifier_reads(tmp_path, data):
    """Changing a document's normaliser (a field only the verifier reads) changes the data
    hash, so a resume into the old run is refused instead of mixing verdicts."""
    preds = predictions(tmp_path / "preds.jsonl", "qa_exact")
    out = tmp_path / "run"
    harness(*replay(preds, data, out))
    rows = [json.loads(line) for line in (data / "qa" / "qa.jsonl").read_text().splitlines()]
    rows[0]["match"] = "casefold" if rows[0]["match"] != "casefold" else "exact"
    (data / "qa" / "qa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = harness(*replay(preds, data, out), ok=False)
    assert done.returncode == 2
    assert "data" in done.stderr.splitlines()[-2] and "--allow-config-change" in done.stderr

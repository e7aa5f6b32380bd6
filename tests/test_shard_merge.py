"""--shard i/N slices deterministically; `harness merge` of the shards equals the unsharded run."""
import json

import pytest

from harness.cli import main
from harness.store import read_docs, scored_rows


@pytest.fixture
def preds(tmp_path, shared_data):
    recs = [json.loads(line) for line in (shared_data / "math500" / "test.jsonl").read_text().splitlines()[:20]]
    rows = []
    for k, r in enumerate(recs):
        for i in range(4):
            answer = r["answer"] if (k + i) % 3 else "0"  # a mix of right and wrong
            rows.append({"task": "math500", "doc_id": r["unique_id"], "sample": i, "output": f"\\boxed{{{answer}}}"})
    for line in (shared_data / "amc23" / "test.jsonl").read_text().splitlines()[:10]:
        rows.append({"task": "amc23", "doc_id": json.loads(line)["id"], "sample": 0, "output": "\\boxed{27}"})
    path = tmp_path / "preds.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def eval_run(preds, data, out, *extra):
    return main(["eval", "--backend", "replay", "--predictions", str(preds), "--tasks", "math500,amc23", "--limit", "20",
                 "--data-dir", str(data), "--output", str(out), "--no-progress", *extra])


def rows(run):
    return sorted((r["task"], r["doc_id"], r["sample"], r["output"], r["verdict"]["passed"]) for r in scored_rows(run))


def test_merge_of_three_shards_equals_unsharded_run(tmp_path, preds, shared_data, capsys):
    assert eval_run(preds, shared_data, tmp_path / "full") == 0
    for i in range(3):
        assert eval_run(preds, shared_data, tmp_path / f"s{i}", "--shard", f"{i}/3") == 0
    shard_docs = [json.loads((tmp_path / f"s{i}" / "manifest.json").read_text())["tasks"]["math500"]["doc_ids"] for i in range(3)]
    assert [len(d) for d in shard_docs] == [7, 7, 6]
    assert not set(shard_docs[0]) & set(shard_docs[1])
    assert main(["merge", str(tmp_path / "s2"), str(tmp_path / "s0"), str(tmp_path / "s1"), "--output", str(tmp_path / "merged")]) == 0
    assert rows(tmp_path / "merged") == rows(tmp_path / "full")
    full = json.loads((tmp_path / "full" / "results.json").read_text())
    merged = json.loads((tmp_path / "merged" / "results.json").read_text())
    for key in ("tasks", "breakdowns", "counts"):
        assert merged[key] == full[key]
    full_m = json.loads((tmp_path / "full" / "manifest.json").read_text())
    merged_m = json.loads((tmp_path / "merged" / "manifest.json").read_text())
    assert merged_m["tasks"]["math500"]["doc_ids"] == full_m["tasks"]["math500"]["doc_ids"]
    assert "shard" not in merged_m["run"]
    # the merged run carries the documents, so it re-verifies with the eval's problem context
    assert read_docs(tmp_path / "merged") == read_docs(tmp_path / "full")
    assert main(["score", str(tmp_path / "merged"), "--reverify"]) == 0
    assert rows(tmp_path / "merged") == rows(tmp_path / "full")


def test_merge_refuses_incomplete_or_mismatched_shards(tmp_path, preds, shared_data, capsys):
    for i in range(2):
        assert eval_run(preds, shared_data, tmp_path / f"s{i}", "--shard", f"{i}/3") == 0
    capsys.readouterr()
    assert main(["merge", str(tmp_path / "s0"), str(tmp_path / "s1"), "--output", str(tmp_path / "m")]) == 2
    assert "missing 2" in capsys.readouterr().err
    assert eval_run(preds, shared_data, tmp_path / "s2", "--shard", "2/3", "--seed", "5") == 0
    capsys.readouterr()
    assert main(["merge", str(tmp_path / "s0"), str(tmp_path / "s1"), str(tmp_path / "s2"), "--output", str(tmp_path / "m")]) == 2
    assert "different settings" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_bad_shard_spec_is_a_usage_error(tmp_path, preds, shared_data, capsys):
    assert eval_run(preds, shared_data, tmp_path / "x", "--shard", "3/3") == 2
    assert "0 <= INDEX < COUNT" in capsys.readouterr().err


def test_merge_refuses_shards_of_different_limits_in_one_line(tmp_path, preds, shared_data, capsys):
    for i in range(3):
        assert eval_run(preds, shared_data, tmp_path / f"s{i}", "--shard", f"{i}/3", *(["--limit", "10"] if i == 1 else [])) == 0
    capsys.readouterr()
    assert main(["merge", *(str(tmp_path / f"s{i}") for i in range(3)), "--output", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "different settings (amc23 --limit 20 -> 10; math500 --limit 20 -> 10)" in err
    assert not (tmp_path / "m").exists()


def test_merge_reads_every_good_row_past_a_corrupt_line(tmp_path, preds, shared_data, capsys):
    assert eval_run(preds, shared_data, tmp_path / "full") == 0
    for i in range(3):
        assert eval_run(preds, shared_data, tmp_path / f"s{i}", "--shard", f"{i}/3") == 0
    samples = tmp_path / "s1" / "samples.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    samples.write_text("".join(lines[:3]) + "{torn\n" + "".join(lines[3:]))
    before = samples.read_bytes()
    capsys.readouterr()
    assert main(["merge", *(str(tmp_path / f"s{i}") for i in range(3)), "--output", str(tmp_path / "merged")]) == 0
    assert f"{samples} line 4 is not a valid sample record: skipped" in capsys.readouterr().err
    assert rows(tmp_path / "merged") == rows(tmp_path / "full")
    assert samples.read_bytes() == before  # the shard is not changed


def test_merge_into_a_users_directory_is_refused(tmp_path, preds, shared_data, capsys):
    for i in range(3):
        assert eval_run(preds, shared_data, tmp_path / f"s{i}", "--shard", f"{i}/3") == 0
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "samples.jsonl").write_text("my own\n")
    capsys.readouterr()
    assert main(["merge", *(str(tmp_path / f"s{i}") for i in range(3)), "--output", str(mine)]) == 2
    assert "holds no harness run" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["samples.jsonl"] and (mine / "samples.jsonl").read_text() == "my own\n"

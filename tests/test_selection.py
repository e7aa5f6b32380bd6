"""Document selection: --limit N or a fraction, --sample-docs SEED (seeded subset), --doc-ids; bad
values are one line; the manifest records the selection and a resume with another one is refused."""
import json
from dataclasses import dataclass

import pytest
from run_helpers import replay_args, snapshot, usage_error

from harness.cli import main
from harness.errors import UsageError
from harness.selection import Selection, check_selection, limit_count, parse_doc_ids, parse_limit, select_docs


@dataclass(frozen=True)
class D:
    id: str


DOCS = [D(f"d{i}") for i in range(40)]


def ids(docs):
    return [d.id for d in docs]


def test_fractional_limit_rounds_up_like_lm_eval():
    assert limit_count(0.1, 40) == 4 and limit_count(0.01, 40) == 1 and limit_count(0.99, 40) == 40
    assert limit_count(0.5, 5) == 3  # ceil(2.5)
    assert limit_count(7, 5) == 5 and limit_count(3, 40) == 3
    assert ids(select_docs({"t": DOCS}, Selection(limit=0.1))["t"]) == ["d0", "d1", "d2", "d3"]


def test_seeded_subset_is_pinned_keeps_dataset_order_and_depends_on_seed_and_task():
    pick = lambda seed, task="t": ids(select_docs({task: DOCS}, Selection(limit=5, sample_seed=seed))[task])  # noqa: E731
    first = pick(1)
    # Pinned: sha256 order of (seed, task, id), the same on every machine and Python version.
    assert first == ["d6", "d7", "d11", "d12", "d16"]
    assert pick(1) == first
    assert first == sorted(first, key=lambda i: int(i[1:]))  # dataset order
    assert pick(2) != first and pick(1, "u") != first
    assert len(pick(2)) == 5 and len(set(pick(2))) == 5
    assert len(ids(select_docs({"t": DOCS}, Selection(limit=0.25, sample_seed=3))["t"])) == 10


def test_doc_ids_by_name_with_task_prefixes_in_dataset_order():
    docs = {"a": [D("x"), D("y"), D("z")], "b": [D("y"), D("w")]}
    got = select_docs(docs, Selection(doc_ids=("z", "a:x", "b:w")))
    assert {t: ids(d) for t, d in got.items()} == {"a": ["x", "z"], "b": ["w"]}
    got = select_docs(docs, Selection(doc_ids=("y",)))  # a bare id: every task that has it
    assert {t: ids(d) for t, d in got.items()} == {"a": ["y"], "b": ["y"]}


@pytest.mark.parametrize("wanted, message", [
    (("q",), "--doc-ids: any of the tasks a, b has no document 'q'"),
    (("b:x",), "--doc-ids: task b has no document 'x'"),
    (("a:x",), "--doc-ids names no document of task b"),
])
def test_doc_ids_errors_name_the_id_and_the_task(wanted, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        select_docs({"a": [D("x")], "b": [D("y")]}, Selection(doc_ids=wanted))


def test_doc_ids_from_a_file(tmp_path):
    f = tmp_path / "ids.txt"
    f.write_text("a, b\n\nc\na\n")
    assert parse_doc_ids(f"@{f}") == ("a", "b", "c")
    with pytest.raises(UsageError, match="cannot read"):
        parse_doc_ids(f"@{tmp_path / 'missing.txt'}")


@pytest.mark.parametrize("text", ["1.5", "nan", "inf", "1.0", "0.0", "abc"])
def test_parse_limit_refuses_what_is_neither_count_nor_fraction(text):
    with pytest.raises(ValueError):
        parse_limit(text)


@pytest.mark.parametrize("sel, message", [
    (Selection(limit=0), "--limit must be a whole number >= 1"),
    (Selection(limit=float("nan")), "--limit must be a whole number >= 1"),
    (Selection(sample_seed=1), "--sample-docs SEED needs --limit"),
    (Selection(limit=3, doc_ids=("x",)), "--doc-ids picks the documents itself"),
])
def test_check_selection(sel, message):
    with pytest.raises(UsageError, match=message):
        check_selection(sel)


# --- through the CLI ---------------------------------------------------------------------


@pytest.fixture
def preds(tmp_path, shared_data):
    recs = [json.loads(line) for line in (shared_data / "amc23" / "test.jsonl").read_text().splitlines()]
    path = tmp_path / "preds.jsonl"
    path.write_text("".join(json.dumps({"task": "amc23", "doc_id": r["id"], "sample": 0, "output": "\\boxed{1}"}) + "\n"
                            for r in recs))
    return path


def replay(preds, data, out, *extra):
    args = replay_args(preds, data, out, "amc23", 1, *extra)
    i = args.index("--limit")
    return args[:i] + args[i + 2:]  # the tests give their own selection


def manifest(run):
    return json.loads((run / "manifest.json").read_text())["tasks"]["amc23"]


@pytest.mark.parametrize("extra, expected", [
    (["--limit", "0"], "argument --limit: 0 must be at least 1"),
    (["--limit", "-1"], "argument --limit: -1 must be at least 1"),
    (["--limit", "1.5"], "argument --limit: '1.5' must be a whole number >= 1 or a fraction between 0 and 1"),
    (["--limit", "nan"], "argument --limit: 'nan' must be a whole number >= 1 or a fraction"),
    (["--sample-docs", "-1", "--limit", "3"], "argument --sample-docs: -1 must be 0 or more"),
    (["--sample-docs", "3"], "--sample-docs SEED needs --limit N or a fraction"),
    (["--doc-ids", "amc23-0", "--limit", "3"], "--doc-ids picks the documents itself"),
    (["--doc-ids", "nope-7"], "--doc-ids: task amc23 has no document 'nope-7'"),
    (["--doc-ids", " , "], "--doc-ids names no document"),
])
def test_bad_selection_is_one_line_and_creates_nothing(tmp_path, preds, shared_data, capsys, extra, expected):
    out = tmp_path / "run"
    err = usage_error(capsys, replay(preds, shared_data, out, *extra), alone=True)
    assert expected in err
    assert not out.exists()


def test_fraction_sample_and_doc_ids_runs_record_their_selection(tmp_path, preds, shared_data):
    run = tmp_path / "frac"
    assert main(replay(preds, shared_data, run, "--limit", "0.1")) == 0
    assert manifest(run)["doc_ids"] == [f"amc23-{i}" for i in range(4)]
    assert manifest(run)["selection"] == {"limit": 0.1}

    run = tmp_path / "sampled"
    assert main(replay(preds, shared_data, run, "--sample-docs", "5", "--limit", "6")) == 0
    sampled = manifest(run)["doc_ids"]
    assert len(sampled) == 6 and sampled != [f"amc23-{i}" for i in range(6)]
    assert sampled == sorted(sampled, key=lambda i: int(i.split("-")[1]))
    assert manifest(run)["selection"] == {"limit": 6, "sample_docs": 5}
    results = json.loads((run / "results.json").read_text())
    assert json.dumps(results).count("amc23") >= 1

    shard = tmp_path / "shard"
    assert main(replay(preds, shared_data, shard, "--sample-docs", "5", "--limit", "6", "--shard", "1/2")) == 0
    assert manifest(shard)["doc_ids"] == sampled[1::2]  # shards cut the selection

    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("amc23:amc23-7\namc23-3\n")
    run = tmp_path / "ids"
    assert main(replay(preds, shared_data, run, "--doc-ids", f"@{ids_file}")) == 0
    assert manifest(run)["doc_ids"] == ["amc23-3", "amc23-7"]
    assert manifest(run)["selection"] == {"doc_ids": ["amc23-3", "amc23-7"]}


def test_resume_with_another_selection_is_refused_unchanged(tmp_path, preds, shared_data, capsys):
    run = tmp_path / "run"
    assert main(replay(preds, shared_data, run, "--sample-docs", "1", "--limit", "3")) == 0
    assert main(replay(preds, shared_data, run, "--sample-docs", "1", "--limit", "3")) == 0  # same selection resumes
    before = snapshot(run)
    err = usage_error(capsys, replay(preds, shared_data, run, "--sample-docs", "2", "--limit", "3"))
    assert "(amc23 selection --sample-docs 1 --limit 3 -> --sample-docs 2 --limit 3)" in err
    err = usage_error(capsys, replay(preds, shared_data, run, "--doc-ids", "amc23-0"))
    assert "amc23 selection --sample-docs 1 --limit 3 -> --doc-ids amc23-0" in err
    assert snapshot(run) == before
    assert main(replay(preds, shared_data, run, "--limit", "2", "--allow-config-change")) == 0
    assert manifest(run)["selection"] == {"limit": 2}


def test_merge_refuses_shards_of_different_seeded_subsets(tmp_path, preds, shared_data, capsys):
    for i, seed in enumerate(("1", "2")):
        assert main(replay(preds, shared_data, tmp_path / f"s{i}", "--sample-docs", seed, "--limit", "4",
                           "--shard", f"{i}/2")) == 0
    err = usage_error(capsys, ["merge", str(tmp_path / "s0"), str(tmp_path / "s1"), "--output", str(tmp_path / "m")], alone=True)
    assert "amc23 selection --sample-docs 1 --limit 4 -> --sample-docs 2 --limit 4" in err
    assert not (tmp_path / "m").exists()

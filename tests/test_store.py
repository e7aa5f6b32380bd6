import json

import pytest

from harness.errors import UsageError
from harness.store import RunStore, iter_samples


def rec(task, doc, i, **kw):
    return {"task": task, "doc_id": doc, "sample": i, "output": "x", "verdict": {"passed": True, "reason": "equal"}, **kw}


MANIFEST = {"run": {"seed": 0}, "tasks": {"t": {"settings": {"n": 1}, "doc_ids": ["a"]}}, "harness": {"version": "0"},
            "configs": {}, "created_at": "2026-01-01T00:00:00+00:00", "updated_at": "2026-01-01T00:00:00+00:00"}


def test_append_skips_rows_already_stored(tmp_path):
    with RunStore(tmp_path / "run") as s:
        assert s.append([rec("t", "a", 0), rec("t", "a", 1)]) == 2
        assert s.append([rec("t", "a", 1), rec("t", "b", 0)]) == 1
    with RunStore(tmp_path / "run") as s:
        assert s.done == {("t", "a", 0), ("t", "a", 1), ("t", "b", 0)}
    assert len(list(iter_samples(tmp_path / "run"))) == 3


def test_torn_last_line_is_cut_on_open(tmp_path):
    run = tmp_path / "run"
    with RunStore(run) as s:
        s.append([rec("t", "a", 0, output="x")])
    with (run / "samples.jsonl").open("a") as fh:
        fh.write('{"task": "t", "doc_id": "b", "sam')  # killed mid-write
    with RunStore(run) as s:
        assert s.done == {("t", "a", 0)}
        s.append([rec("t", "b", 0)])
    lines = (run / "samples.jsonl").read_text().splitlines()
    assert [json.loads(line)["doc_id"] for line in lines] == ["a", "b"]


def test_second_writer_is_refused(tmp_path):
    with RunStore(tmp_path / "run"):
        with pytest.raises(UsageError, match="in use"):
            with RunStore(tmp_path / "run"):
                pass


def test_manifest_and_results_written_whole(tmp_path):
    with RunStore(tmp_path / "run") as s:
        s.write_manifest(MANIFEST)
        s.write_results({"tasks": {}})
    assert RunStore.peek_manifest(tmp_path / "run") == {"schema_version": 3, **MANIFEST}
    assert not list((tmp_path / "run").glob(".*.tmp"))


def test_backend_options_written_to_runs_hide_credentials():
    from harness.runner import redact

    shown = redact({"base_url": ["http://user:pw@h:80/v1", "http://h2/v1"], "api_key": "sk-1",
                    "api_key_env": "MY_KEY", "concurrency": 3})
    assert shown == {"base_url": ["http://***@h:80/v1", "http://h2/v1"], "api_key": "<redacted>",
                     "api_key_env": "MY_KEY", "concurrency": 3}

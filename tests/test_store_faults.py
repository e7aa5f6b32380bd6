"""Faults while writing a run (read-only directory or file, full disk) end in one line,
exit 2, no temp or torn file, and every row written before intact.

These are real faults, not mocks: a read-only bind mount, ``chattr +i`` and a 256 KiB
tmpfs. They need root (CI runs as root) and are not skipped without it."""
import contextlib
import json
import subprocess

import pytest
from run_helpers import math500_preds, replay_args, snapshot, usage_error

from harness.cli import main
from harness.errors import UsageError
from harness.store import RunStore, scored_rows


def sh(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)


@contextlib.contextmanager
def read_only_bind(folder):
    sh("mount", "--bind", str(folder), str(folder))
    try:
        sh("mount", "-o", "remount,ro,bind", str(folder))
        yield
    finally:
        sh("umount", str(folder))


@contextlib.contextmanager
def immutable(path):
    sh("chattr", "+i", str(path))
    try:
        yield
    finally:
        sh("chattr", "-i", str(path))


@pytest.fixture
def tmpfs(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    sh("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt))
    try:
        yield mnt
    finally:
        sh("umount", str(mnt))


@pytest.fixture
def preds(tmp_path, shared_data):
    pad = "x" * 12_000  # 20 rows of ~25 KB (output and answer text): more than the 256 KiB disk holds
    return math500_preds(tmp_path / "preds.jsonl", shared_data, 5, 4, lambda r, i: f"{pad} \\boxed{{{r['answer']}}}")


def eval_args(preds, data, out, *extra):
    return replay_args(preds, data, out, "math500", 5, *extra)


def test_read_only_run_directory(tmp_path, preds, shared_data, capsys):
    run = tmp_path / "run"
    assert main(eval_args(preds, shared_data, run, "--limit", "2")) == 0
    before = snapshot(run)
    with read_only_bind(run):
        for argv in (eval_args(preds, shared_data, run, "--allow-config-change"), ["score", str(run)]):
            err = usage_error(capsys, argv)
            assert "Read-only file system" in err and "make it writable or choose another --output" in err
            assert snapshot(run) == before


def test_read_only_samples_file_fails_before_generating(tmp_path, preds, shared_data, capsys):
    run = tmp_path / "run"
    assert main(eval_args(preds, shared_data, run, "--limit", "2")) == 0
    before = snapshot(run)
    with immutable(run / "samples.jsonl"):
        err = usage_error(capsys, eval_args(preds, shared_data, run, "--allow-config-change"))  # --limit 2 -> 5
    assert f"cannot write {run / 'samples.jsonl'} (Operation not permitted)" in err
    assert snapshot(run) == before
    assert not list(run.glob(".*.tmp"))


def test_full_disk_keeps_written_rows_and_resumes(tmp_path, tmpfs, preds, shared_data, capsys):
    full, run = tmp_path / "full", tmpfs / "run"
    assert main(eval_args(preds, shared_data, full)) == 0
    err = usage_error(capsys, eval_args(preds, shared_data, run))
    assert "No space left on device" in err and "rows already written are kept" in err
    lines = (run / "samples.jsonl").read_bytes().splitlines(keepends=True)
    assert 0 < len(lines) < 20
    assert all(line.endswith(b"\n") and json.loads(line)["output"] is not None for line in lines)  # no torn tail
    assert not list(run.glob(".*.tmp")) and not (run / "results.json").exists()
    sh("mount", "-o", "remount,size=4m", str(tmpfs))
    assert main(eval_args(preds, shared_data, run)) == 0
    assert (run / "samples.jsonl").read_bytes().startswith(b"".join(lines))  # nothing written before was changed
    key = lambda r: (r["doc_id"], r["sample"], r["output"], r["verdict"]["passed"])  # noqa: E731
    assert sorted(map(key, scored_rows(run))) == sorted(map(key, scored_rows(full)))


def test_full_disk_while_replacing_a_json_file_leaves_the_old_one(tmpfs):
    run = tmpfs / "run"
    with RunStore(run) as store:
        store.write_results({"tasks": {"old": 1}})
        (tmpfs / "filler").write_bytes(b"\0" * (250 * 1024 - 4096))
        with pytest.raises(UsageError, match=r"cannot write .*results.json \(No space left on device\)"):
            store.write_results({"tasks": {"new": "y" * 20_000}})
    assert json.loads((run / "results.json").read_text()) == {"tasks": {"old": 1}}
    assert not list(run.glob(".*.tmp"))

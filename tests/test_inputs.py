"""Bad numbers and options through the real CLI: one line, exit 2, nothing created or changed."""
import json

import pytest

from harness.cli import main


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, expected):
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("harness: error: "), err
    assert "Traceback" not in err
    assert expected in err, err


def snapshot(run_dir):
    """Every file of a run directory and its bytes."""
    return {p.relative_to(run_dir): p.read_bytes() for p in sorted(run_dir.rglob("*")) if p.is_file()}


@pytest.fixture
def replay_run(tmp_path, shared_data, capsys):
    """A finished replay run of amc23 (2 documents): the directory and its eval arguments."""
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"task": "amc23", "doc_id": d, "sample": 0, "output": "\\boxed{27}"}) + "\n"
                             for d in ("amc23-0", "amc23-1")))
    out = tmp_path / "run"
    args = ["eval", "--backend", "replay", "--predictions", str(preds), "--tasks", "amc23", "--limit", "2",
            "--data-dir", str(shared_data), "--output", str(out), "--no-progress"]
    assert main(args) == 0
    capsys.readouterr()
    return out, args


BAD_EVAL_OPTIONS = [
    (["--verify-timeout", "nan"], "argument --verify-timeout: 'nan' must be a finite number of seconds greater than 0"),
    (["--verify-timeout", "inf"], "argument --verify-timeout: 'inf' must be a finite number"),
    (["--verify-timeout", "0"], "argument --verify-timeout: '0' must be a finite number of seconds greater than 0"),
    (["--verify-timeout", "-3"], "argument --verify-timeout: '-3' must be a finite number"),
    (["--temperature", "nan"], "argument --temperature: 'nan' is not a finite number"),
    (["--temperature", "inf"], "argument --temperature: 'inf' is not a finite number"),
    (["--temperature", "-0.5"], "--temperature must be a finite number >= 0, got -0.5"),
    (["--top-p", "nan"], "argument --top-p: 'nan' is not a finite number"),
    (["--top-p", "0"], "--top-p must be in (0, 1], got 0.0"),
    (["--top-p", "1.01"], "--top-p must be in (0, 1], got 1.01"),
    (["--seed", "-1"], "--seed must be a whole number from 0 to 2**63-1, got -1"),
    (["--seed", str(2**63)], f"--seed must be a whole number from 0 to 2**63-1, got {2**63}"),
    (["--seed", "1.5"], "argument --seed: invalid int value: '1.5'"),
    (["--limit", "0"], "argument --limit: 0 must be at least 1"),
    (["--limit", "-2"], "argument --limit: -2 must be at least 1"),
    (["-n", "0"], "argument -n/--samples: 0 must be at least 1"),
    (["-n", "nan"], "argument -n/--samples: 'nan' is not a whole number"),
    (["--max-tokens", "0"], "argument --max-tokens: 0 must be at least 1"),
    (["--workers", "0"], "argument --workers: 0 must be at least 1"),
    (["--model-args", '{"timeout_s": NaN}'], "argument --model-args: timeout_s is not a finite number"),
    (["--model-args", "timeout_s=Infinity"], "argument --model-args: timeout_s is not a finite number"),
    (["--model-args", '{"extra_body": {"x": [1, 1e999]}}'], "argument --model-args: extra_body.x.1 is not a finite number"),
    (["--model-args", "[1, 2]"], "argument --model-args: '[1' is not key=value"),
]


@pytest.mark.parametrize("extra, expected", BAD_EVAL_OPTIONS)
def test_bad_number_is_refused_before_a_run_directory_exists(tmp_path, capsys, extra, expected):
    out = tmp_path / "run"
    code, _, err = run_cli(["eval", "--model", "m", "--tasks", "gsm8k", "--output", str(out), *extra], capsys)
    assert_one_line_error(code, err, expected)
    assert not out.exists()


@pytest.mark.parametrize("extra, expected", [
    (["--temperature", "nan"], "'nan' is not a finite number"),
    (["--seed", "-1"], "--seed must be a whole number"),
    (["--verify-timeout", "nan"], "'nan' must be a finite number of seconds"),
    (["--model-args", '{"x": NaN}'], "x is not a finite number"),
])
def test_bad_number_leaves_an_existing_run_unchanged(replay_run, capsys, extra, expected):
    out, args = replay_run
    before = snapshot(out)
    code, _, err = run_cli([*args, *extra], capsys)
    assert_one_line_error(code, err, expected)
    assert snapshot(out) == before


def test_score_refuses_a_non_finite_verify_timeout_and_keeps_results(replay_run, capsys):
    out, _ = replay_run
    before = snapshot(out)
    code, _, err = run_cli(["score", str(out), "--verify-timeout", "nan"], capsys)
    assert_one_line_error(code, err, "argument --verify-timeout: 'nan' must be a finite number of seconds")
    assert snapshot(out) == before


OPENAI = ["eval", "--backend", "openai", "--model", "served-model", "--tasks", "gsm8k"]


@pytest.mark.parametrize("model_args, expected", [
    ("base_url=http://127.0.0.1:9/v1,timeout_s=0", "timeout_s must be a positive number, got 0"),
    ("base_url=http://127.0.0.1:9/v1,timeout_s=-5", "timeout_s must be a positive number, got -5"),
    ("base_url=http://127.0.0.1:9/v1,timeout_s=nan", "timeout_s must be a positive number, got 'nan'"),
    ("base_url=http://127.0.0.1:9/v1,backoff_max_s=inf", "backoff_max_s must be >= 0, got 'inf'"),
    ("base_url=http://127.0.0.1:9/v1,timeout=30", "unknown --model-args for --backend openai: timeout"),
])
def test_openai_bad_timeouts_are_refused_before_anything_is_written(tmp_path, capsys, monkeypatch, model_args, expected):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    out = tmp_path / "run"
    code, _, err = run_cli([*OPENAI, "--output", str(out), "--model-args", model_args], capsys)
    assert_one_line_error(code, err, expected)
    assert not out.exists()


def test_url_credentials_with_an_api_key_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-envkey-123456789")
    out = tmp_path / "run"
    code, _, err = run_cli([*OPENAI, "--output", str(out), "--model-args",
                            "base_url=https://alice:hunter2pass@127.0.0.1:9/v1"], capsys)
    assert_one_line_error(code, err, "base_url holds credentials (user:password@) and $OPENAI_API_KEY is set: use one of them")
    assert "hunter2pass" not in err and "sk-envkey" not in err
    assert not out.exists()


def test_url_credentials_with_a_named_key_variable_leave_an_existing_run_unchanged(replay_run, capsys, monkeypatch):
    out, args = replay_run
    monkeypatch.setenv("MY_KEY", "sk-envkey-123456789")
    before = snapshot(out)
    openai_args = [a for a in args if a not in ("replay",)]
    openai_args[openai_args.index("--backend") + 1:openai_args.index("--backend") + 1] = ["openai"]
    code, _, err = run_cli([*openai_args, "--model", "m", "--model-args",
                            '{"base_url": "https://alice:hunter2pass@127.0.0.1:9/v1", "api_key_env": "MY_KEY"}'], capsys)
    assert_one_line_error(code, err, "and $MY_KEY is set: use one of them")
    assert "hunter2pass" not in err
    assert snapshot(out) == before


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1"])
def test_math_equiv_timeout_must_be_finite_and_positive(capsys, value):
    code, out, err = run_cli(["math-equiv", "1/2", "0.5", "--timeout", value], capsys)
    assert_one_line_error(code, err, f"argument --timeout: '{value}' must be a finite number of seconds greater than 0")
    assert out == ""

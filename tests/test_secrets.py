"""Secrets passed by mistake never reach run files, logs or stderr."""
import json

import pytest

from harness.cli import main
from harness.secrets import REDACTED, redact, redact_text
from test_openai_backend import FAST, MODEL, FakeOpenAI

SECRET = "sk-nested-SECRET-0123456789"
PASSWORD = "hunter2-PASSWORD"


def every_file_text(run_dir) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(run_dir.rglob("*")) if p.is_file())


def test_redact_is_recursive_and_keeps_variable_names_and_counts():
    options = {
        "api_key": "sk-1", "api_key_env": "MY_KEY", "max_tokens": 5, "max_num_batched_tokens": 8192, "tokenizer": "t",
        "extra_body": {"api_key": SECRET, "headers": {"Authorization": f"Bearer {SECRET}", "X-Api-Key": "k"},
                       "list": [{"access_token": "t0k"}, f"https://u:{PASSWORD}@h/v1?api_key={SECRET}&model=m"]},
        "base_url": ["http://user:pw@h:80/v1", "http://h2/v1"], "hf_token": None,
    }
    before = json.dumps(options)
    shown = redact(options)
    assert json.dumps(options) == before  # the input is not modified
    assert shown == {
        "api_key": REDACTED, "api_key_env": "MY_KEY", "max_tokens": 5, "max_num_batched_tokens": 8192, "tokenizer": "t",
        "extra_body": {"api_key": REDACTED, "headers": {"Authorization": REDACTED, "X-Api-Key": REDACTED},
                       "list": [{"access_token": REDACTED}, f"https://***@h/v1?api_key={REDACTED}&model=m"]},
        "base_url": ["http://***@h:80/v1", "http://h2/v1"], "hf_token": None,
    }


@pytest.mark.parametrize("text, expected", [
    (f"GET https://h/v1/models?token={SECRET}&x=1 failed", f"GET https://h/v1/models?token={REDACTED}&x=1 failed"),
    (f"header Bearer {SECRET}", f"header Bearer {REDACTED}"),
    (f"key {SECRET} was echoed", f"key {REDACTED} was echoed"),
    ("http://127.0.0.1:8000/v1?model=m&max_tokens=3", "http://127.0.0.1:8000/v1?model=m&max_tokens=3"),
])
def test_redact_text(text, expected):
    assert redact_text(text) == expected


def test_nested_key_in_backend_options_stays_out_of_manifest_and_results(tmp_path, shared_data, capsys):
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps({"task": "amc23", "doc_id": "amc23-0", "sample": 0, "output": "\\boxed{27}"}) + "\n")
    out = tmp_path / "run"
    margs = {"extra_body": {"api_key": SECRET, "metadata": {"session_token": SECRET}},
             "base_url": f"https://alice:{PASSWORD}@h/v1?api_key={SECRET}"}
    assert main(["eval", "--backend", "replay", "--predictions", str(preds), "--tasks", "amc23", "--limit", "1",
                 "--data-dir", str(shared_data), "--output", str(out), "--no-progress",
                 "--model-args", json.dumps(margs)]) == 0
    captured = capsys.readouterr()
    text = every_file_text(out) + captured.out + captured.err
    assert SECRET not in text and PASSWORD not in text
    results = json.loads((out / "results.json").read_text())
    assert results["run"]["model_args"]["extra_body"] == {"api_key": REDACTED, "metadata": {"session_token": REDACTED}}


def test_openai_run_with_secrets_in_options_and_url_writes_and_prints_none(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    data = tmp_path / "data" / "amc23"
    data.mkdir(parents=True)
    data.joinpath("test.jsonl").write_text("".join(
        json.dumps({"id": f"amc23-{i}", "problem": f"What is {i}?", "answer": str(i)}) + "\n" for i in range(3)))
    out = tmp_path / "run"
    with FakeOpenAI(faults=True) as srv:
        url = srv.url.replace("://", f"://alice:{PASSWORD}@")
        margs = {"base_url": [url, url + "/v1"], "max_retries": 6, "concurrency": 2, **FAST,
                 "extra_body": {"metadata": {"api_key": SECRET}}}
        code = main(["eval", "--backend", "openai", "--model", MODEL, "--model-args", json.dumps(margs),
                     "--tasks", "amc23", "--data-dir", str(data.parent), "-n", "2", "--output", str(out),
                     "--workers", "1", "--no-progress"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert len((out / "samples.jsonl").read_text().splitlines()) == 6
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["backend"]["base_urls"][0].startswith("http://***@127.0.0.1:")
    text = every_file_text(out) + captured.out + captured.err
    assert SECRET not in text and PASSWORD not in text


def test_server_rejection_message_is_printed_without_url_credentials_or_keys(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MY_KEY", SECRET)
    data = tmp_path / "data" / "amc23"
    data.mkdir(parents=True)
    data.joinpath("test.jsonl").write_text(json.dumps({"id": "amc23-0", "problem": "1?", "answer": "1"}) + "\n")
    out = tmp_path / "run"
    with FakeOpenAI(reject=(401, f"invalid key {SECRET} (Bearer {SECRET})")) as srv:
        margs = {"base_url": srv.url, "api_key_env": "MY_KEY", "max_retries": 0, **FAST}
        code = main(["eval", "--backend", "openai", "--model", MODEL, "--model-args", json.dumps(margs),
                     "--tasks", "amc23", "--data-dir", str(data.parent), "--output", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.splitlines()[-1].startswith("harness: error: server ") and "HTTP 401" in err
    assert SECRET not in err
    assert not out.exists() or SECRET not in every_file_text(out)


def test_secret_query_in_base_url_is_not_echoed(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code = main(["eval", "--backend", "openai", "--model", MODEL, "--tasks", "amc23", "--output", str(tmp_path / "run"),
                 "--model-args", f"base_url=https://h:9/v1?api_key={SECRET}"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "must not have a query or fragment" in err and f"api_key={REDACTED}" in err
    assert SECRET not in err
    assert not (tmp_path / "run").exists()

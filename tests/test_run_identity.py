"""Runs cannot silently mix: every row names the config it was made under, and a rerun
into a run directory with other settings (or into something that is no run) is refused
in one line, with nothing touched."""
import json
import shutil

import pytest
from run_helpers import replay_args, snapshot, usage_error

from harness.cli import main
from harness.store import iter_samples


@pytest.fixture
def preds(tmp_path):
    # amc23-0 gold 27, amc23-1 gold 36 (shared/data/amc23/test.jsonl)
    rows = [{"task": "amc23", "doc_id": f"amc23-{d}", "sample": i, "output": f"\\boxed{{{27 + 9 * d - i}}}"}
            for d in range(2) for i in range(2)]
    path = tmp_path / "preds.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def eval_args(preds, data, out, *extra):
    return replay_args(preds, data, out, "amc23", 2, *extra)


def test_every_row_names_its_config_and_the_manifest_holds_it(tmp_path, preds, shared_data):
    run = tmp_path / "run"
    assert main(eval_args(preds, shared_data, run)) == 0
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["schema_version"] == 3
    cid = manifest["tasks"]["amc23"]["config"]
    settings = manifest["configs"][cid]["settings"]
    assert settings["seed"] == 0 and settings["task"] == "amc23" and settings["n"] == 2
    assert settings["predictions_sha256"].startswith("sha256:")
    assert settings["prompt"]["template_sha256"].startswith("sha256:")
    assert settings["extractor"] == {"name": "math_or_number", "version": "2"}  # as before extractor chains
    assert manifest["tasks"]["amc23"]["extractor"]["pieces"][0] == "boxed"
    assert settings["verifier"] == manifest["tasks"]["amc23"]["verifier"] == {"name": "math_equiv", "version": "2"}
    assert {r["config"] for r in iter_samples(run)} == {cid}


def test_a_second_replay_file_is_refused(tmp_path, preds, shared_data, capsys):
    run = tmp_path / "run"
    assert main(eval_args(preds, shared_data, run)) == 0
    before = snapshot(run)
    other = tmp_path / "other.jsonl"
    other.write_text(preds.read_text().replace("boxed{27}", "boxed{28}"))
    err = usage_error(capsys, eval_args(other, shared_data, run), alone=True)
    assert f"{run} holds samples made with other settings (replay predictions file content changed)" in err
    assert "--allow-config-change" in err
    assert snapshot(run) == before


def test_an_edited_template_at_the_same_path_is_refused(tmp_path, preds, shared_data, capsys):
    run, template = tmp_path / "run", tmp_path / "prompt.jinja"
    template.write_text("Solve: {{ problem }}")
    assert main(eval_args(preds, shared_data, run, "--prompt-template", str(template))) == 0
    before = snapshot(run)
    template.write_text("Solve carefully: {{ problem }}")
    err = usage_error(capsys, eval_args(preds, shared_data, run, "--prompt-template", str(template)), alone=True)
    assert "(amc23 prompt template content changed)" in err
    assert snapshot(run) == before


def test_seed_change_is_named_and_allow_config_change_records_both(tmp_path, preds, shared_data, capsys):
    run = tmp_path / "run"
    assert main(eval_args(preds, shared_data, run)) == 0
    first = json.loads((run / "manifest.json").read_text())["tasks"]["amc23"]["config"]
    before = snapshot(run)
    err = usage_error(capsys, eval_args(preds, shared_data, run, "--seed", "7", "--limit", "3"), alone=True)
    assert "(seed 0 -> 7; amc23 selection --limit 2 -> --limit 3)" in err
    assert snapshot(run) == before
    assert main(eval_args(preds, shared_data, run, "--seed", "7", "--limit", "3", "--allow-config-change")) == 0
    manifest = json.loads((run / "manifest.json").read_text())
    second = manifest["tasks"]["amc23"]["config"]
    assert second != first and set(manifest["configs"]) == {first, second}
    assert manifest["configs"][second]["settings"]["seed"] == 7
    assert {r["config"] for r in iter_samples(run)} == {first}  # nothing new to generate: old rows keep their id


def test_deleted_manifest_does_not_lift_the_check(tmp_path, preds, shared_data, capsys):
    run = tmp_path / "run"
    assert main(eval_args(preds, shared_data, run)) == 0
    (run / "manifest.json").unlink()
    before = snapshot(run)
    err = usage_error(capsys, eval_args(preds, shared_data, run, "--seed", "7"), alone=True)
    assert f"{run} is not an empty directory and holds no harness run (no manifest.json): choose a new --output" in err
    assert snapshot(run) == before


@pytest.mark.parametrize("content, says", [
    ("", "is empty"),
    ("{not json", "is not valid JSON"),
    ('["a list"]', "is not a harness manifest (not a JSON object)"),
    ('{"run": {}, "tasks": {"amc23": {"settings": {}}}}', "is not a harness manifest"),
])
def test_damaged_manifest_is_one_line_and_nothing_is_touched(tmp_path, preds, shared_data, capsys, content, says):
    run = tmp_path / "run"
    assert main(eval_args(preds, shared_data, run)) == 0
    (run / "manifest.json").write_text(content)
    before = snapshot(run)
    for argv in (eval_args(preds, shared_data, run, "--seed", "7"), ["score", str(run)]):
        assert says in usage_error(capsys, argv, alone=True)
        assert snapshot(run) == before


def test_a_users_own_directory_is_refused_untouched(tmp_path, preds, shared_data, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "samples.jsonl").write_text('{"my": "data"}\n{"my": "last line without newline"}')
    (mine / "notes.txt").write_text("keep me")
    before = snapshot(mine)
    err = usage_error(capsys, eval_args(preds, shared_data, mine), alone=True)
    assert "is not an empty directory and holds no harness run" in err
    assert snapshot(mine) == before and sorted(p.name for p in mine.iterdir()) == ["notes.txt", "samples.jsonl"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(eval_args(preds, shared_data, empty)) == 0  # an empty directory is fine


def test_changed_local_model_weights_are_refused_before_loading(tmp_path, tiny_model_dir, shared_data, capsys):
    model, run = tmp_path / "model", tmp_path / "run"
    shutil.copytree(tiny_model_dir, model)
    argv = ["eval", "--backend", "transformers", "--model", str(model), "--tasks", "amc23", "--limit", "1", "-n", "1",
            "--max-tokens", "4", "--data-dir", str(shared_data), "--output", str(run), "--no-progress"]
    assert main(argv) == 0
    manifest = json.loads((run / "manifest.json").read_text())
    fingerprint = manifest["run"]["weights_fingerprint"]
    assert fingerprint == manifest["backend"]["weights_fingerprint"]  # the backend's own fingerprint
    before = snapshot(run)
    weights = next(model.glob("*.safetensors"))
    with weights.open("r+b") as fh:
        fh.seek(-1, 2)
        last = fh.read(1)
        fh.seek(-1, 2)
        fh.write(bytes([last[0] ^ 1]))
    err = usage_error(capsys, argv, alone=True)
    assert "(model weights (local folder) changed)" in err
    assert snapshot(run) == before


def test_a_run_made_before_configs_existed_resumes_and_still_refuses_changes(tmp_path, preds, shared_data, capsys):
    run = tmp_path / "run"
    assert main(eval_args(preds, shared_data, run)) == 0
    manifest = json.loads((run / "manifest.json").read_text())
    legacy = {k: v for k, v in manifest.items() if k not in ("schema_version", "configs")}
    legacy["run"] = {k: manifest["run"][k] for k in ("backend", "model", "model_args", "seed")}
    legacy["tasks"] = {name: {k: v for k, v in t.items() if k not in ("config", "limit")} for name, t in manifest["tasks"].items()}
    (run / "manifest.json").write_text(json.dumps(legacy))
    samples = (run / "samples.jsonl").read_bytes()
    assert "(seed 0 -> 7)" in usage_error(capsys, eval_args(preds, shared_data, run, "--seed", "7"), alone=True)
    assert main(eval_args(preds, shared_data, run)) == 0
    assert "nothing to generate" in capsys.readouterr().err
    assert (run / "samples.jsonl").read_bytes() == samples
    assert json.loads((run / "manifest.json").read_text())["schema_version"] == 3

"""Run identity: the config a task's rows are made under, its short id, and what changed.

A config holds everything that changes a task's samples or verdicts (model, local weights
fingerprint, backend options with secrets redacted, seed, replay file content, task
version, data hash, n, sampling, prompt with its template *content*, extractor and
verifier versions; when given, ``--gen-kwargs``, chat-template variables and the chat
template's content). Its id (:func:`config_id`) is written into every sample row; the
manifest keeps id -> settings. Pure except for hashing files.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.errors import UsageError
from harness.task import PromptChoice, Task, load_template


def template_sha256(task: Task, choice: PromptChoice) -> str:
    """The sha256 of the source text of the prompt template ``choice`` selects (its content, not its path)."""
    name = choice.template or (task.prompt.chat if choice.mode == "chat" else task.prompt.base)
    loaded = load_template(task, name)
    source = Path(loaded.filename) if loaded.filename and Path(loaded.filename).is_file() else Path(name)
    return "sha256:" + hashlib.sha256(source.read_bytes()).hexdigest()


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, streamed."""
    try:
        with open(path, "rb") as fh:
            return "sha256:" + hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError as exc:
        raise UsageError(f"cannot read {path} ({exc.strerror}): give a readable file") from None


# Settings whose values are content hashes: a change is reported as "<label> changed".
_HASHED = {"predictions_sha256": "replay predictions file content", "weights_fingerprint": "model weights (local folder)",
           "prompt.template_sha256": "prompt template content", "data_hash": "data",
           "chat_template_sha256": "chat template content"}


def config_id(settings: dict) -> str:
    """A short id of a task's full settings (written into every row made under them)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _shown(value) -> str:
    return "none" if value is None else value if isinstance(value, str) else json.dumps(value)


def settings_changes(old: dict, new: dict, *, only_old_keys: bool = False) -> list[tuple[str, str]]:
    """What differs from ``old`` to ``new``: ``(setting, phrase)`` pairs such as
    ``("seed", "seed 0 -> 7")`` or ``("prompt.template_sha256", "prompt template content
    changed")``. ``only_old_keys``: ignore settings ``old`` lacks (older manifests)."""
    before, after = _flatten(old), _flatten(new)
    keys = list(before) + [k for k in after if k not in before and not only_old_keys]
    return [(k, f"{_HASHED[k]} changed" if k in _HASHED else f"{k} {_shown(before.get(k))} -> {_shown(after.get(k))}")
            for k in keys if before.get(k) != after.get(k)]


def previous_config(old: dict, task: str) -> tuple[dict, bool] | None:
    """The settings ``task``'s rows in an old manifest were last made under, and whether they
    come from a schema-1 manifest (which lacks some settings); None if the task is new."""
    entry = old["tasks"].get(task)
    if entry is None:
        return None
    cid = entry.get("config")
    if cid is None:
        run = {k: v for k, v in old["run"].items() if k != "shard"}
        return {"task": task, **run, **entry["settings"]}, True
    if cid not in old.get("configs", {}):
        raise UsageError(f"manifest.json names config {cid!r} for task {task} but does not hold it: "
                         "the run directory is damaged; choose a new --output")
    return old["configs"][cid]["settings"], False


def config_changes(old: dict, run: dict, configs: dict[str, dict], shard: dict | None) -> list[str]:
    """Every setting that differs between an old manifest and this invocation's task configs:
    run-wide ones once, task ones prefixed with the task name."""
    changes: list[str] = []
    if old["run"].get("shard") != shard:
        changes.append(f"shard {_shard_text(old['run'].get('shard'))} -> {_shard_text(shard)}")
    for name, now in configs.items():
        before = previous_config(old, name)
        if before is None:
            continue
        for key, phrase in settings_changes(before[0], now, only_old_keys=before[1]):
            phrase = phrase if key.split(".")[0] in run else f"{name} {phrase}"
            if phrase not in changes:
                changes.append(phrase)
    return changes


def _shard_text(shard: dict | None) -> str:
    return "none" if shard is None else f"{shard['index']}/{shard['count']}"

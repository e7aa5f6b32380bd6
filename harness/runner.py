"""One evaluation run: tasks -> prompts -> backend -> scoring -> run store -> results.

Resumable by construction: the run store knows which (task, doc, sample) rows are
done; only documents with missing samples are sent to the backend. Every request
carries a seed derived from (run seed, task, doc id), and backends make a
request's samples depend only on that seed, so a resumed run produces exactly
the rows an uninterrupted run would have. When a document is partly done, all of
its samples are regenerated (same seed, same outputs) and only the missing ones
are written.
"""
from __future__ import annotations

import hashlib
import importlib
import math
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from harness import __version__
from harness.backends.base import Generation, GenerationRequest, SamplingParams
from harness.data import resolve_data_dir
from harness.errors import UsageError
from harness.registry import get_tasks
from harness.results import run_results
from harness.scoring.equiv_pool import EquivPool
from harness.scoring.extract import EXTRACTORS
from harness.scoring.score import VERIFIERS, parse_output
from harness.run_config import config_changes, config_id, file_sha256, template_sha256
from harness.secrets import redact
from harness.store import RunStore, check_run_dir, iter_samples, write_docs
from harness.task import PROMPT_MODES, Doc, PromptChoice, Task, render_prompt

BACKENDS = ("transformers", "vllm", "openai", "replay")


@dataclass
class EvalConfig:
    """Everything ``harness eval`` was asked to do. ``None`` means: the task's default."""

    model: str | None
    backend: str
    tasks: list[str]
    output: Path
    n: int | None = None
    limit: int | None = None
    seed: int = 0
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    data_dir: str | None = None
    predictions: str | None = None
    prompt: PromptChoice = field(default_factory=PromptChoice)
    # Template overrides by task name; "*" applies to every task without its own.
    prompt_templates: dict[str, str] = field(default_factory=dict)
    model_args: dict = field(default_factory=dict)
    allow_config_change: bool = False
    allow_unmatched: bool = False  # replay: ignore predictions that match no document (or sample >= n)
    shard: tuple[int, int] | None = None  # (index, count): evaluate documents index, index+count, ...
    verify_timeout: float = 5.0
    workers: int | None = None
    progress: bool = True


@dataclass
class TaskPlan:
    task: Task
    docs: list[Doc]
    n: int
    params: SamplingParams
    data_source: str
    data_hash: str
    prompt: PromptChoice
    template_sha256: str = ""

    def settings(self) -> dict:
        """What must match for samples of this task to be mixed into one run: task version,
        data, n, sampling, prompt (template by content), extractor and verifier versions."""
        return {
            "version": self.task.version,
            "data_hash": self.data_hash,
            "n": self.n,
            "sampling": {"temperature": self.params.temperature, "top_p": self.params.top_p,
                         "max_tokens": self.params.max_tokens, "stop": list(self.params.stop)},
            "prompt": {**self.prompt.describe(), "template_sha256": self.template_sha256},
            "extractor": {"name": self.task.extractor, "version": str(getattr(EXTRACTORS.get(self.task.extractor), "version", "1"))},
            "verifier": {"name": self.task.verifier, "version": str(getattr(VERIFIERS.get(self.task.verifier), "version", "1"))},
        }


def derive_seed(seed: int, task: str, doc_id: str) -> int:
    """A 31-bit per-request seed that depends only on (run seed, task, doc id)."""
    digest = hashlib.sha256(f"{seed}\x00{task}\x00{doc_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def git_commit() -> dict:
    """The harness source commit, when running from a git checkout."""
    src = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    if commit.returncode != 0:
        return {"commit": None, "dirty": None}
    return {"commit": commit.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


MAX_SEED = 2**63 - 1  # the largest seed torch and numpy accept; request seeds derive from it (31-bit)


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value, low: int, high: int | None = None) -> bool:
    """None (the default), or an int (not a bool) within [low, high]."""
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= low
                             and (high is None or value <= high))


def _check_config(cfg: EvalConfig) -> None:
    if cfg.backend not in BACKENDS:
        raise UsageError(f"unknown backend {cfg.backend!r}: choose one of {', '.join(BACKENDS)}")
    if cfg.backend == "replay" and not cfg.predictions:
        raise UsageError("--backend replay needs --predictions FILE (JSONL with task, doc_id, sample, output)")
    if cfg.backend != "replay" and not cfg.model:
        raise UsageError(f"--backend {cfg.backend} needs --model PATH_OR_HUB_ID")
    if cfg.prompt.mode not in PROMPT_MODES:
        raise UsageError(f"unknown prompt mode {cfg.prompt.mode!r}: choose one of {', '.join(PROMPT_MODES)}")
    checks = [
        (not _whole(cfg.n, 1), f"-n must be a whole number >= 1, got {cfg.n}"),
        (not _whole(cfg.limit, 1), f"--limit must be a whole number >= 1, got {cfg.limit}"),
        (not _whole(cfg.max_tokens, 1), f"--max-tokens must be a whole number >= 1, got {cfg.max_tokens}"),
        (not _whole(cfg.workers, 1), f"--workers must be a whole number >= 1, got {cfg.workers}"),
        (cfg.seed is None or not _whole(cfg.seed, 0, MAX_SEED), f"--seed must be a whole number from 0 to 2**63-1, got {cfg.seed}"),
        (cfg.temperature is not None and not (_finite(cfg.temperature) and cfg.temperature >= 0),
         f"--temperature must be a finite number >= 0, got {cfg.temperature}"),
        (cfg.top_p is not None and not (_finite(cfg.top_p) and 0 < cfg.top_p <= 1), f"--top-p must be in (0, 1], got {cfg.top_p}"),
        (not (_finite(cfg.verify_timeout) and cfg.verify_timeout > 0),
         f"--verify-timeout must be a finite number of seconds > 0, got {cfg.verify_timeout}"),
        (not cfg.tasks, "--tasks is empty: name at least one task (see `harness tasks`)"),
        (cfg.shard is not None and not 0 <= cfg.shard[0] < cfg.shard[1],
         f"--shard {cfg.shard and '/'.join(map(str, cfg.shard))} is out of range: use INDEX/COUNT with 0 <= INDEX < COUNT"),
    ]
    for bad, message in checks:
        if bad:
            raise UsageError(message)
    if cfg.backend == "openai":
        build_backend(cfg)  # its options and credentials, checked before anything is written (no connection is made)


def plan_tasks(cfg: EvalConfig, default_n: Callable[[str], int | None]) -> list[TaskPlan]:
    data_dir = resolve_data_dir(cfg.data_dir)
    plans = []
    for task in get_tasks(cfg.tasks):
        docs, source, data_hash = task.load_docs(data_dir)
        if cfg.limit is not None:
            docs = docs[: cfg.limit]
        if cfg.shard is not None:
            docs = shard_slice(docs, *cfg.shard)
        g = task.generation
        stop = task.prompt.base_stop if cfg.prompt.mode == "base" else ()
        params = SamplingParams(
            temperature=g.temperature if cfg.temperature is None else cfg.temperature,
            top_p=g.top_p if cfg.top_p is None else cfg.top_p,
            max_tokens=g.max_tokens if cfg.max_tokens is None else cfg.max_tokens,
            stop=tuple(stop),
        )
        n = cfg.n or default_n(task.name) or g.n
        template = cfg.prompt_templates.get(task.name, cfg.prompt_templates.get("*"))
        prompt = PromptChoice(mode=cfg.prompt.mode, system=cfg.prompt.system, template=template)
        plans.append(TaskPlan(task, docs, n, params, source, data_hash, prompt, template_sha256(task, prompt)))
    return plans


def shard_slice(items: list, index: int, count: int) -> list:
    """The deterministic slice of shard ``index`` of ``count``: every count-th item from ``index``."""
    return items[index::count]


def run_settings(cfg: EvalConfig) -> dict:
    """The run-wide part of every task's config: backend, model, its local weights, backend
    options (secrets redacted), seed and, for replay, the predictions file's content hash."""
    settings = {"backend": cfg.backend, "model": cfg.model, "model_args": redact(cfg.model_args), "seed": cfg.seed}
    if cfg.backend == "replay":
        settings["predictions_sha256"] = file_sha256(cfg.predictions)
    fingerprint = local_weights_fingerprint(cfg)
    if fingerprint:
        settings["weights_fingerprint"] = fingerprint
    return settings


def local_weights_fingerprint(cfg: EvalConfig) -> str | None:
    """The weights fingerprint of a local model folder for the in-process backends, computed
    before any model is loaded (the same one their ``describe()`` reports); None otherwise."""
    if cfg.backend not in ("transformers", "vllm") or not cfg.model or not Path(cfg.model).is_dir():
        return None
    _backend_module("transformers")  # a missing dependency is the same one-line error as building it
    from harness.backends.transformers_backend import weights_fingerprint

    return weights_fingerprint(Path(cfg.model))


def task_config(run: dict, plan: TaskPlan) -> dict:
    """Everything that changes a task's samples or verdicts (hashed by :func:`config_id`)."""
    return {"task": plan.task.name, **run, **plan.settings()}


def reconcile_manifest(old: dict | None, cfg: EvalConfig, plans: list[TaskPlan]) -> dict:
    """The manifest for this invocation. Refuses, in one line naming what changed, to mix
    rows made under other settings into an old run unless ``cfg.allow_config_change``; the
    manifest keeps every config rows were made under (``configs``: id -> settings, times)."""
    run = run_settings(cfg)
    shard = {"index": cfg.shard[0], "count": cfg.shard[1]} if cfg.shard is not None else None
    configs = {p.task.name: task_config(run, p) for p in plans}
    if old and not cfg.allow_config_change:
        changes = config_changes(old, run, configs, shard)
        if changes:
            raise UsageError(
                f"{cfg.output} holds samples made with other settings ({'; '.join(changes[:4])}"
                f"{'; …' if len(changes) > 4 else ''}): use a new --output, or pass --allow-config-change to mix them"
            )
    now = _now()
    manifest = dict(old or {})
    manifest.pop("schema_version", None)
    manifest.setdefault("created_at", now)
    manifest.update({"updated_at": now, "harness": {"version": __version__, **git_commit()},
                     "run": {**run, **({"shard": shard} if shard else {})}})
    stored = dict(manifest.get("configs", {}))
    tasks = dict(manifest.get("tasks", {}))
    for p in plans:
        cid = config_id(configs[p.task.name])
        stored[cid] = {**stored.get(cid, {"settings": configs[p.task.name], "first_used": now}), "last_used": now}
        tasks[p.task.name] = {
            **p.task.describe(),
            "data_source": p.data_source,
            "settings": p.settings(),
            "config": cid,
            "limit": cfg.limit,
            "attr_fields": list(p.task.attr_fields),
            "doc_ids": [d.id for d in p.docs],
        }
    manifest["configs"] = stored
    manifest["tasks"] = tasks
    return manifest


# backend name -> (module, class, pip extra that provides its dependencies)
_BACKEND_CLASSES = {
    "transformers": ("harness.backends.transformers_backend", "TransformersBackend", "transformers"),
    "vllm": ("harness.backends.vllm_backend", "VLLMBackend", "vllm"),
    "openai": ("harness.backends.openai_backend", "OpenAIBackend", "openai"),
}


def _backend_module(backend: str):
    """The module of an in-process or server backend; a missing dependency is a UsageError."""
    module_name, _, extra = _BACKEND_CLASSES[backend]
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"--backend {backend} needs {exc.name or 'a missing package'}: "
                         f"pip install 'harness[{extra}]' (on CPU machines: bash scripts/setup.sh)") from None


def build_backend(cfg: EvalConfig):
    """The backend for ``cfg``; a missing dependency, bad option or unloadable model is a UsageError."""
    if cfg.backend == "replay":
        from harness.backends.replay import ReplayBackend

        return ReplayBackend(cfg.predictions)
    backend_class = getattr(_backend_module(cfg.backend), _BACKEND_CLASSES[cfg.backend][1])
    try:
        return backend_class(cfg.model, **cfg.model_args)
    except TypeError as exc:
        raise UsageError(f"--model-args for --backend {cfg.backend}: {exc}") from None
    except (OSError, ValueError) as exc:
        first_line = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise UsageError(f"cannot load model {cfg.model!r} ({type(exc).__name__}: {first_line}): "
                         "give a local model folder or a hub id") from None


def _prompt_chars(request: GenerationRequest) -> int:
    if request.prompt is not None:
        return len(request.prompt)
    return sum(len(m.get("content") or "") for m in request.messages)


def pending_requests(plans: list[TaskPlan], done: set, seed: int) -> list[GenerationRequest]:
    """Requests for every document with a missing sample, longest prompt first (long
    requests start early instead of straggling at the end; order never changes a
    request's samples, which depend only on its own seed)."""
    requests = []
    for p in plans:
        for doc in p.docs:
            if all((p.task.name, doc.id, i) in done for i in range(p.n)):
                continue
            messages, prompt = render_prompt(p.task, doc, p.prompt)
            requests.append(GenerationRequest(key=(p.task.name, doc.id), n=p.n, params=p.params,
                                              seed=derive_seed(seed, p.task.name, doc.id), messages=messages, prompt=prompt))
    requests.sort(key=_prompt_chars, reverse=True)
    return requests


def sample_records(plan: TaskPlan, doc: Doc, req: GenerationRequest, gens: list[Generation], verifier) -> list[dict]:
    """Score one request's generations into run-store rows."""
    parsed = [parse_output(g.text, extractor=plan.task.extractor, reasoning_content=g.thinking, prompt_text=g.prompt_text,
                           finish_reason=g.finish_reason) for g in gens]
    verdicts = verifier.verify_many([(doc.answer, p) for p in parsed], problem=doc.problem)
    rows = []
    for i, (g, p, v) in enumerate(zip(gens, parsed, verdicts)):
        rows.append({
            "task": plan.task.name,
            "doc_id": doc.id,
            "sample": int(g.extra.get("sample", i)),
            "seed": req.seed,
            "prompt": list(req.messages) if req.messages is not None else req.prompt,
            "prompt_text": g.prompt_text,
            "output": g.text,
            "thinking": p.thinking,
            "thinking_separate": g.thinking is not None,
            "answer_text": p.answer_text,
            "truncated": p.truncated,
            "extracted": p.extracted,
            "gold": doc.answer,
            "verdict": v.to_dict(),
            "attrs": doc.attrs,
            "finish_reason": g.finish_reason,
            "prompt_tokens": g.prompt_tokens,
            "completion_tokens": g.completion_tokens,
            "thinking_tokens": g.thinking_tokens,
            "answer_tokens": g.answer_tokens,
            "latency_s": g.latency_s,
        })
    return rows


def compute_run_results(run_dir: Path, manifest: dict, verifier, task_names: list[str] | None = None) -> dict:
    """results.json of a run directory (see ``harness.results``)."""
    return run_results(iter_samples(run_dir), manifest, verifier, task_names)


def run_eval(cfg: EvalConfig, *, log=print) -> dict:
    """Run (or resume) an evaluation; returns the results dict also written to results.json."""
    _check_config(cfg)
    old_manifest = check_run_dir(cfg.output)
    replay = build_backend(cfg) if cfg.backend == "replay" else None
    plans = plan_tasks(cfg, default_n=(lambda t: replay.samples_per_task().get(t)) if replay else (lambda t: None))
    matching = replay.check_plans(plans, resolve_data_dir(cfg.data_dir), cfg.allow_unmatched, log) if replay else None
    manifest = reconcile_manifest(old_manifest, cfg, plans)
    if matching is not None:
        manifest["replay_predictions"] = matching

    created = not Path(cfg.output).exists()
    try:
        return _run(cfg, replay, plans, manifest, log)
    except BaseException:
        if created and not (Path(cfg.output) / "samples.jsonl").exists():
            shutil.rmtree(cfg.output, ignore_errors=True)  # nothing was produced: leave no half-made run
        raise


def _run(cfg: EvalConfig, replay, plans: list[TaskPlan], manifest: dict, log) -> dict:
    with RunStore(cfg.output, log=log) as store, EquivPool(workers=cfg.workers, timeout_s=cfg.verify_timeout) as pool:
        verifier = VERIFIERS["math_equiv"](pool)
        requests = pending_requests(plans, store.done, cfg.seed)
        todo = sum(r.n for r in requests) - sum((r.key[0], r.key[1], i) in store.done for r in requests for i in range(r.n))
        backend = replay
        if requests and backend is None:
            backend = build_backend(cfg)
        if backend is not None:
            manifest["backend"] = backend.describe()
        store.write_manifest(manifest)
        write_docs(cfg.output, ({"task": p.task.name, "data_hash": p.data_hash, "doc_id": d.id, "problem": d.problem,
                                 "gold": d.answer} for p in plans for d in p.docs))  # the context `score --reverify` needs
        if requests:
            log(f"{todo} samples to generate for {len(requests)} documents ({len(store.done)} already in {cfg.output})")
            configs = {p.task.name: manifest["tasks"][p.task.name]["config"] for p in plans}
            _generate(backend, requests, plans, configs, store, verifier, todo, cfg.progress)
        else:
            log(f"nothing to generate: all samples are already in {cfg.output}")
        if backend is not None:
            backend.close()
        results = compute_run_results(cfg.output, manifest, verifier)
        store.write_results(results)
    return results


def _generate(backend, requests, plans, configs: dict[str, str], store, verifier, todo, progress) -> None:
    """Generate ``requests`` and append their scored rows, each naming its task's config id."""
    from tqdm import tqdm

    by_task = {p.task.name: p for p in plans}
    docs = {(p.task.name, d.id): d for p in plans for d in p.docs}
    bar = tqdm(total=todo, unit="sample", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    try:
        for req, gens in backend.generate(requests):
            plan = by_task[req.key[0]]
            rows = sample_records(plan, docs[req.key], req, gens, verifier)
            written = store.append({**r, "config": configs[plan.task.name]} for r in rows)
            bar.update(written)
    finally:
        bar.close()

"""One evaluation run: tasks -> prompts -> backend -> run store, scoring beside it -> results.

The generation loop appends each finished request's rows to ``samples.jsonl`` and hands
them to the scoring stage (:mod:`harness.pipeline`), which verifies them on worker
threads and appends the ``eval`` verdict set; results come from
:func:`harness.results.compute_results` once both are done.

Resumable by construction: the run store knows which (task, doc, sample) rows are
done; only documents with missing samples are sent to the backend. Every request
carries a seed derived from (run seed, task, doc id), and backends make a
request's samples depend only on that seed, so a resumed run produces exactly
the rows an uninterrupted run would have. When a document is partly done, all of
its samples are regenerated (same seed, same outputs) and only the missing ones
are written. Samples stored without an ``eval`` verdict (a run stopped before they were
verified) are verified on resume, never regenerated.
"""
from __future__ import annotations

import hashlib
import math
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from harness import __version__
from harness.backends.base import Generation, GenerationRequest, SamplingParams
from harness.data import resolve_data_dir
from harness.errors import UsageError
from harness.backend_builder import JudgeSpec, backend_module, check_backend_choice, make_backend
from harness.pipeline import ScoringStage, TaskScoring
from harness.registry import get_tasks
from harness.results import compute_results
from harness.scoring.extractors import chain_of
from harness.scoring.verifier import VerifierContext, factory_info, needs_judge, verifier_factory, verifiers_for
from harness.run_config import config_changes, config_id, file_sha256, template_sha256
from harness.gen_options import chat_request_options, check_generation_options, generation_settings
from harness.secrets import redact
from harness.selection import Selection, check_selection, select_docs, selection_changes
from harness.selection import describe as describe_selection
from harness.store import RunStore, check_run_dir, iter_samples, write_docs
from harness.task import PROMPT_MODES, Doc, PromptChoice, Task, doc_entry, render_prompt


@dataclass
class EvalConfig:
    """Everything ``harness eval`` was asked to do. ``None`` means: the task's default."""

    model: str | None
    backend: str
    tasks: list[str]
    output: Path
    n: int | None = None
    limit: int | float | None = None  # first N documents, or a fraction 0 < F < 1 (see harness.selection)
    sample_docs: int | None = None  # seed of a random subset of --limit documents
    doc_ids: tuple[str, ...] | None = None  # exactly these documents ("TASK:ID" for one task's)
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
    gen_kwargs: dict = field(default_factory=dict)  # backend sampling extras (SamplingParams.extra)
    chat_template_kwargs: dict = field(default_factory=dict)
    chat_template: str | None = None  # path of a jinja2 chat template replacing the model's
    allow_config_change: bool = False
    allow_unmatched: bool = False  # replay: ignore predictions that match no document (or sample >= n)
    shard: tuple[int, int] | None = None  # (index, count): evaluate documents index, index+count, ...
    verify_timeout: float = 5.0
    workers: int | None = None
    judge: JudgeSpec | None = None  # a second backend for verifiers that need a judge model
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
    selection: dict = field(default_factory=dict)  # how docs were chosen (harness.selection.describe)
    chat: dict = field(default_factory=dict)  # chat_template / chat_template_kwargs for chat requests
    judge: dict | None = None  # the judge (JudgeSpec.describe()) when the task's verifier needs one

    def settings(self) -> dict:
        """What must match for samples of this task to be mixed into one run: task version,
        data, n, sampling, prompt (template by content), extractor chain and verifier
        versions, and the judge of a verifier that needs one."""
        return {
            "version": self.task.version,
            "data_hash": self.data_hash,
            "n": self.n,
            "sampling": {"temperature": self.params.temperature, "top_p": self.params.top_p,
                         "max_tokens": self.params.max_tokens, "stop": list(self.params.stop)},
            "prompt": {**self.prompt.describe(), "template_sha256": self.template_sha256},
            "extractor": chain_of(self.task.extractors).describe(),
            "verifier": factory_info(verifier_factory(self.task.verifier)),
            **({"judge": self.judge} if self.judge is not None else {}),
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
    check_backend_choice(cfg.backend, cfg.model, cfg.predictions)
    if cfg.prompt.mode not in PROMPT_MODES:
        raise UsageError(f"unknown prompt mode {cfg.prompt.mode!r}: choose one of {', '.join(PROMPT_MODES)}")
    checks = [
        (not _whole(cfg.n, 1), f"-n must be a whole number >= 1, got {cfg.n}"),
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
    check_selection(_selection(cfg))
    check_generation_options(cfg, backend_module)
    if cfg.judge is not None:
        cfg.judge.check()
    if cfg.backend == "openai":
        build_backend(cfg)  # its options and credentials, checked before anything is written (no connection is made)


def plan_tasks(cfg: EvalConfig, default_n: Callable[[str], int | None]) -> list[TaskPlan]:
    data_dir = resolve_data_dir(cfg.data_dir)
    plans = []
    loaded = [(task, *task.load_docs(data_dir)) for task in get_tasks(cfg.tasks)]
    selection = _selection(cfg)
    chosen = select_docs({task.name: docs for task, docs, _, _ in loaded}, selection)
    for task, _, source, data_hash in loaded:
        docs = chosen[task.name]
        selected = describe_selection(selection, docs)
        if cfg.shard is not None:
            docs = shard_slice(docs, *cfg.shard)
        g = task.generation
        stop = task.prompt.base_stop if cfg.prompt.mode == "base" else ()
        params = SamplingParams(
            temperature=g.temperature if cfg.temperature is None else cfg.temperature,
            top_p=g.top_p if cfg.top_p is None else cfg.top_p,
            max_tokens=g.max_tokens if cfg.max_tokens is None else cfg.max_tokens,
            stop=tuple(stop),
            extra=dict(cfg.gen_kwargs),
        )
        n = cfg.n or default_n(task.name) or g.n
        template = cfg.prompt_templates.get(task.name, cfg.prompt_templates.get("*"))
        prompt = PromptChoice(mode=cfg.prompt.mode, system=cfg.prompt.system, template=template)
        plans.append(TaskPlan(task, docs, n, params, source, data_hash, prompt, template_sha256(task, prompt), selected,
                              chat_request_options(cfg)))
    return plans


def _selection(cfg: EvalConfig) -> Selection:
    return Selection(limit=cfg.limit, sample_seed=cfg.sample_docs, doc_ids=cfg.doc_ids)


def shard_slice(items: list, index: int, count: int) -> list:
    """The deterministic slice of shard ``index`` of ``count``: every count-th item from ``index``."""
    return items[index::count]


def run_settings(cfg: EvalConfig) -> dict:
    """The run-wide part of every task's config: backend, model, its local weights, backend
    options (secrets redacted), seed and, for replay, the predictions file's content hash."""
    settings = {"backend": cfg.backend, "model": cfg.model, "model_args": redact(cfg.model_args), "seed": cfg.seed}
    if cfg.backend == "replay":
        settings["predictions_sha256"] = file_sha256(cfg.predictions)
    settings.update(generation_settings(cfg))
    fingerprint = local_weights_fingerprint(cfg)
    if fingerprint:
        settings["weights_fingerprint"] = fingerprint
    return settings


def local_weights_fingerprint(cfg: EvalConfig) -> str | None:
    """The weights fingerprint of a local model folder for the in-process backends, computed
    before any model is loaded (the same one their ``describe()`` reports); None otherwise."""
    if cfg.backend not in ("transformers", "vllm") or not cfg.model or not Path(cfg.model).is_dir():
        return None
    backend_module("transformers")  # a missing dependency is the same one-line error as building it
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
        changes = config_changes(old, run, configs, shard) + selection_changes(old["tasks"], {p.task.name: p.selection for p in plans})
        if changes:
            raise UsageError(
                f"{cfg.output} holds samples made with other settings ({'; '.join(changes[:4])}"
                f"{'; …' if len(changes) > 4 else ''}): use a new --output, or pass --allow-config-change to mix them"
            )
    now = _now()
    manifest = dict(old or {})
    manifest.pop("schema_version", None)
    manifest.setdefault("created_at", now)
    judge = {"judge": cfg.judge.describe()} if cfg.judge is not None else {}
    manifest.update({"updated_at": now, "harness": {"version": __version__, **git_commit()},
                     "run": {**run, **judge, **({"shard": shard} if shard else {})}})
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
            "selection": p.selection,
            "attr_fields": list(p.task.attr_fields),
            "doc_ids": [d.id for d in p.docs],
        }
    manifest["configs"] = stored
    manifest["tasks"] = tasks
    return manifest


def build_backend(cfg: EvalConfig):
    """The backend for ``cfg``; a missing dependency, bad option or unloadable model is a UsageError."""
    return make_backend(cfg.backend, cfg.model, cfg.model_args, predictions=cfg.predictions)


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
                                              seed=derive_seed(seed, p.task.name, doc.id), messages=messages, prompt=prompt,
                                              **(p.chat if messages is not None else {})))
    requests.sort(key=_prompt_chars, reverse=True)
    return requests


def sample_records(plan: TaskPlan, doc: Doc, req: GenerationRequest, gens: list[Generation]) -> list[dict]:
    """One request's generations as run-store rows (generations only: scoring is its own phase)."""
    now = time.time()
    return [{
        "task": plan.task.name,
        "doc_id": doc.id,
        "sample": int(g.extra.get("sample", i)),
        "seed": req.seed,
        "prompt": list(req.messages) if req.messages is not None else req.prompt,
        "prompt_text": g.prompt_text,
        "output": g.text,
        "thinking": g.thinking,
        "thinking_separate": g.thinking is not None,
        "gold": doc.answer,
        "attrs": doc.attrs,
        "finish_reason": g.finish_reason,
        "prompt_tokens": g.prompt_tokens,
        "completion_tokens": g.completion_tokens,
        "thinking_tokens": g.thinking_tokens,
        "answer_tokens": g.answer_tokens,
        "latency_s": g.latency_s,
        "generated_at": now,
    } for i, g in enumerate(gens)]


def run_eval(cfg: EvalConfig, *, log=print, started: Callable[[], None] | None = None) -> dict:
    """Run (or resume) an evaluation; returns the results dict also written to results.json.
    ``started()`` is called once the run directory holds this invocation's manifest."""
    _check_config(cfg)
    old_manifest = check_run_dir(cfg.output)
    replay = build_backend(cfg) if cfg.backend == "replay" else None
    plans = plan_tasks(cfg, default_n=(lambda t: replay.samples_per_task().get(t)) if replay else (lambda t: None))
    _attach_judge(cfg, plans)
    matching = replay.check_plans(plans, resolve_data_dir(cfg.data_dir), cfg.allow_unmatched, log) if replay else None
    manifest = reconcile_manifest(old_manifest, cfg, plans)
    if matching is not None:
        manifest["replay_predictions"] = matching

    created = not Path(cfg.output).exists()
    try:
        return _run(cfg, replay, plans, manifest, log, started)
    except BaseException:
        if created and not (Path(cfg.output) / "samples.jsonl").exists():
            shutil.rmtree(cfg.output, ignore_errors=True)  # nothing was produced: leave no half-made run
        raise


def _attach_judge(cfg: EvalConfig, plans: list[TaskPlan]) -> None:
    """Record the judge in the settings of tasks whose verifier needs one; such a task
    without ``--judge-backend`` is a one-line UsageError."""
    for p in plans:
        if needs_judge(p.task.verifier):
            if cfg.judge is None:
                raise UsageError(f"task {p.task.name}: its verifier {p.task.verifier!r} needs a judge model: "
                                 "add --judge-backend KIND --judge-model MODEL")
            p.judge = cfg.judge.describe()


def _run(cfg: EvalConfig, replay, plans: list[TaskPlan], manifest: dict, log, started=None) -> dict:
    judge = None
    try:
        with RunStore(cfg.output, log=log) as store:
            requests = pending_requests(plans, store.done, cfg.seed)
            todo = sum(r.n for r in requests) - sum((r.key[0], r.key[1], i) in store.done for r in requests for i in range(r.n))
            backend = replay
            if requests and backend is None:
                backend = build_backend(cfg)
            if backend is not None:
                manifest["backend"] = backend.describe()
            store.write_manifest(manifest)
            if started is not None:
                started()
            write_docs(cfg.output, (doc_entry(p.task.name, p.data_hash, d) for p in plans for d in p.docs))  # for `score --reverify`
            selected = {(p.task.name, d.id) for p in plans for d in p.docs}
            unverified = [r for r in iter_samples(cfg.output) if (r["task"], r["doc_id"], r["sample"]) not in store.verified
                          and (r["task"], r["doc_id"]) in selected] if store.done - store.verified else []
            judge = cfg.judge.build() if cfg.judge is not None and (requests or unverified) and any(p.judge for p in plans) else None
            ctx = VerifierContext(timeout_s=cfg.verify_timeout, workers=cfg.workers, judge=judge)
            with verifiers_for({p.task.name: p.task.verifier for p in plans}, ctx) as verifiers:
                scoring = {p.task.name: TaskScoring(p.task.name, chain_of(p.task.extractors), verifiers[p.task.name],
                                                    {d.id: d for d in p.docs}) for p in plans}
                with ScoringStage(scoring, store.append_verdicts) as stage:
                    if unverified:
                        log(f"{len(unverified)} stored samples have no verdict yet: verifying them")
                        stage.submit(unverified)
                    if requests:
                        log(f"{todo} samples to generate for {len(requests)} documents ({len(store.done)} already in {cfg.output})")
                        configs = {p.task.name: manifest["tasks"][p.task.name]["config"] for p in plans}
                        _generate(backend, requests, plans, configs, store, stage, todo, cfg.progress)
                    else:
                        log(f"nothing to generate: all samples are already in {cfg.output}")
                    if backend is not None:
                        backend.close()
                    stage.finish()
                results = compute_results(cfg.output, manifest, verifiers=verifiers, ctx=ctx)
            store.write_results(results)
    finally:
        if judge is not None:
            judge.close()
    return results


def _generate(backend, requests, plans, configs: dict[str, str], store, stage: ScoringStage, todo, progress) -> None:
    """Generate ``requests``, append their rows (each naming its task's config id) and hand
    them to the scoring stage."""
    from tqdm import tqdm

    by_task = {p.task.name: p for p in plans}
    docs = {(p.task.name, d.id): d for p in plans for d in p.docs}
    bar = tqdm(total=todo, unit="sample", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    try:
        for req, gens in backend.generate(requests):
            plan = by_task[req.key[0]]
            rows = [{**r, "config": configs[plan.task.name]} for r in sample_records(plan, docs[req.key], req, gens)]
            fresh = [r for r in rows if (r["task"], r["doc_id"], r["sample"]) not in store.done]
            written = store.append(fresh)
            stage.submit(fresh)
            bar.update(written)
    finally:
        bar.close()

"""The ``harness`` command line: ``eval``, ``score``, ``tasks``, ``math-equiv``.

Bad input ends with one line on stderr saying what is wrong and how to fix it,
exit code 2, and nothing half-written.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from harness import __version__
from harness.backends.base import BackendError
from harness.errors import UsageError
from harness.secrets import redact_text

EXIT_USAGE = 2
EXIT_BACKEND = 3  # a generation server failed for good (finished samples are saved)
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, but errors raise UsageError so they print as one line with exit 2."""

    def error(self, message):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _whole_number(text: str, minimum: int, must: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{value} must be {must}")
    return value


def _positive_int(text: str) -> int:
    return _whole_number(text, 1, "at least 1")


def _non_negative_int(text: str) -> int:
    return _whole_number(text, 0, "0 or more")


def _finite_float(text: str) -> float:
    """A finite number (``nan`` and ``inf`` are refused; ranges are checked with the run's other settings)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _limit(text: str) -> int | float:
    """``--limit``: N >= 1 or a fraction 0 < F < 1 (see harness.selection)."""
    from harness.selection import parse_limit

    try:
        value = parse_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if isinstance(value, int) and value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1 (or a fraction between 0 and 1)")
    return value


def _doc_ids(text: str) -> tuple[str, ...]:
    from harness.selection import parse_doc_ids

    return parse_doc_ids(text)


def _positive_seconds(text: str) -> float:
    """A finite number of seconds > 0 (``nan``, ``inf``, 0 and negatives are refused)."""
    try:
        value = _finite_float(text)
    except argparse.ArgumentTypeError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of seconds greater than 0")
    return value


def _non_finite_path(value, path: str = "") -> str | None:
    """The dotted path of the first non-finite number (NaN, Infinity, 1e999) in parsed JSON, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "value"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        found = _non_finite_path(v, f"{path}.{k}" if path else str(k))
        if found:
            return found
    return None


def _key_values(text: str) -> dict:
    """``--model-args`` as a JSON object (``'{"dtype": "float32"}'``) or ``k=v,k=v`` (values
    parsed as JSON when they can be). Non-finite numbers (NaN, Infinity) are refused."""
    text = text.strip()
    if text.startswith("{"):
        try:
            out = json.loads(text)
        except json.JSONDecodeError as exc:
            raise argparse.ArgumentTypeError(f"not valid JSON ({exc.msg})") from None
        if not isinstance(out, dict):
            raise argparse.ArgumentTypeError("not a JSON object")
    else:
        out = {}
        for part in filter(None, text.split(",")):
            if "=" not in part:
                raise argparse.ArgumentTypeError(f"{part!r} is not key=value")
            k, v = part.split("=", 1)
            try:
                out[k.strip()] = json.loads(v)
            except json.JSONDecodeError:
                out[k.strip()] = v
    bad = _non_finite_path(out)
    if bad:
        raise argparse.ArgumentTypeError(f"{bad} is not a finite number: give a finite value")
    return out


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="harness", description="Evaluate reasoning models: math, code, faithfulness, poetry.")
    p.add_argument("--version", action="version", version=f"harness {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    e = sub.add_parser("eval", help="run (or resume) an evaluation")
    e.add_argument("--model", help="local model folder or hub id")
    e.add_argument("--backend", default="transformers", help="transformers | vllm | openai | replay (default transformers); options via --model-args")
    e.add_argument("--tasks", required=True, help="comma-separated task names (see `harness tasks`)")
    e.add_argument("-n", "--samples", dest="n", type=_positive_int, help="samples per problem (default: the task's, or the predictions' count for replay)")
    e.add_argument("--limit", type=_limit, metavar="N|F",
                   help="only the first N problems of each task, or a fraction F of them (0 < F < 1, rounded up)")
    e.add_argument("--sample-docs", type=_non_negative_int, metavar="SEED",
                   help="with --limit: a random subset of that size, fixed by SEED (hash order, the same on every "
                        "machine), kept in dataset order")
    e.add_argument("--doc-ids", type=_doc_ids, metavar="ID,ID|@FILE",
                   help="only these documents (TASK:ID names one task's document when several tasks run); "
                        "@FILE: ids separated by commas or newlines")
    e.add_argument("--seed", type=int, default=0, help="run seed, 0 to 2**63-1; each request's seed derives from it (default 0)")
    e.add_argument("--temperature", type=_finite_float, help="sampling temperature; 0 is greedy (default: the task's, 0.6 for math)")
    e.add_argument("--top-p", type=_finite_float, help="nucleus sampling (default: the task's, 0.95 for math)")
    e.add_argument("--max-tokens", type=_positive_int, help="generation cap per sample, thinking included (default: the task's)")
    e.add_argument("--output", required=True, type=Path, help="run directory; rerunning the same command resumes it")
    e.add_argument("--data-dir", help="local copies of the datasets (layout of shared/data) instead of the hub; or $HARNESS_DATA_DIR")
    e.add_argument("--predictions", help="replay backend: JSONL with task, doc_id, sample, output[, thinking]")
    e.add_argument("--prompt-mode", default="chat", help="chat (model's chat template, R1 protocol) | base (plain few-shot completion)")
    e.add_argument("--system-prompt", help="system turn for chat mode (default: none, as DeepSeek-R1 recommends)")
    e.add_argument("--prompt-template", action="append", default=[], metavar="[TASK=]PATH",
                   help="jinja2 template for the prompt (variables: problem, doc); repeat with TASK= for per-task templates")
    e.add_argument("--model-args", type=_key_values, default={},
                   help="backend options, JSON or k=v,k=v: transformers dtype=float32,revision=…; vllm any vllm.LLM engine "
                        "argument (tensor_parallel_size=8,max_model_len=32768,…); openai base_url=http://host:8000/v1,"
                        "api_key_env=NAME,concurrency=64,endpoint=chat|completions")
    e.add_argument("--gen-kwargs", type=_key_values, default={}, metavar="K=V,…|JSON",
                   help="backend sampling extras: vllm SamplingParams fields (min_p, top_k, repetition_penalty, "
                        "presence_penalty, …), transformers GenerationConfig attributes, openai request-body fields")
    e.add_argument("--chat-template-kwargs", type=_key_values, default={}, metavar="JSON|K=V,…",
                   help='variables for the chat template, e.g. \'{"enable_thinking": false}\' (openai: sent as chat_template_kwargs)')
    e.add_argument("--chat-template", metavar="PATH",
                   help="jinja2 chat template replacing the model's (transformers, vllm); its content is part of the run config")
    e.add_argument("--allow-config-change", action="store_true", help="mix samples made with other settings into an existing run directory")
    e.add_argument("--allow-unmatched", action="store_true",
                   help="replay: ignore predictions whose doc_id is in no task's dataset or whose sample is >= -n "
                        "(default: they fail the run); their count is logged and kept in manifest.json")
    e.add_argument("--verify-timeout", type=_positive_seconds, default=5.0, help="hard wall-clock limit per answer check, seconds (default 5)")
    e.add_argument("--workers", type=_positive_int, help="answer-checking processes (default: CPU count)")
    e.add_argument("--shard", type=_shard, metavar="INDEX/COUNT",
                   help="evaluate only documents INDEX, INDEX+COUNT, … of each task (0-based); combine with `harness merge`")
    e.add_argument("--no-progress", action="store_true", help="no progress bar")
    _judge_options(e)
    e.add_argument("-v", "--verbose", action="store_true", help="show vLLM's own INFO logs (default: warnings only)")

    s = sub.add_parser("score", help="recompute results.json from a run's samples")
    s.add_argument("run", type=Path, help="run directory")
    s.add_argument("--reverify", action="store_true", help="re-extract and re-check every stored output with the current verifier")
    s.add_argument("--verify-timeout", type=_positive_seconds, default=5.0, help="hard wall-clock limit per answer check, seconds (default 5)")
    s.add_argument("--verdict-set", metavar="NAME", help="score with this verdict set (default: the newest complete one; "
                   "see the run's verdicts/ folder)")
    _judge_options(s)
    s.add_argument("--data-dir", help="--reverify of a run without docs.jsonl (made by an older harness): the data folder "
                   "the run used, to read the problem texts (checked against the run's data hash)")

    g = sub.add_parser("merge", help="combine the run directories of --shard runs into one run")
    g.add_argument("shards", nargs="+", type=Path, help="run directories of shards 0/N … N-1/N")
    g.add_argument("--output", required=True, type=Path, help="new run directory for the merged run")

    t = sub.add_parser("tasks", help="list the available tasks and task groups")
    t.add_argument("names", nargs="*", help="tasks or groups to show (default: all)")
    t.add_argument("-v", "--verbose", action="store_true",
                   help="each task in full: prompt template, extractor chain, verifier, metrics, generation defaults")
    t.add_argument("--json", action="store_true", help="machine-readable: each task's full description as JSON")

    m = sub.add_parser("math-equiv", help="check whether two math answers are equivalent; prints JSON "
                       "(equivalent: true/false/null when undecidable in time, reason, parsed and normalised forms)",
                       description="Forms: `math-equiv GOLD PRED` (two answers); `math-equiv GOLD --output TEXT` or "
                       "`--output-file PATH` (a whole model output: reasoning split, then the task's extractor; prints "
                       "what was extracted, by which rule, and the verdict); `math-equiv --batch FILE` (JSONL rows "
                       '{"gold", "pred" or "output", "problem"?}: one JSON verdict per row, in order).')
    m.add_argument("gold", nargs="?", help="the reference answer (trusted)")
    m.add_argument("pred", nargs="?", help="the answer to check")
    m.add_argument("--output", dest="output_text", metavar="TEXT", help="a whole model output to extract the answer from")
    m.add_argument("--output-file", metavar="PATH", help="like --output, read from a UTF-8 file")
    m.add_argument("--task", metavar="NAME", help="extract with this task's extractor (default: the math tasks' math_or_number)")
    m.add_argument("--batch", metavar="FILE", help="JSONL file of checks; prints one JSON verdict per row")
    m.add_argument("--problem", help="the problem statement (read for a requested base, rounding, options)")
    m.add_argument("--timeout", type=_positive_seconds, default=5.0, help="wall-clock limit in seconds per check (default 5)")
    return p


def _judge_options(p) -> None:
    """``--judge-backend``/``--judge-model``/``--judge-args``: the judge model some verifiers need."""
    p.add_argument("--judge-backend", metavar="KIND", help="judge model backend for verifiers that need one: "
                   "transformers | vllm | openai | replay (recorded in the manifest and config ids)")
    p.add_argument("--judge-model", metavar="MODEL", help="the judge's local model folder or hub id")
    p.add_argument("--judge-args", type=_key_values, default={}, metavar="JSON|K=V,…",
                   help="judge backend options, as --model-args (replay: predictions=FILE)")


def _judge(args):
    """The JudgeSpec of ``--judge-*`` (None without --judge-backend; --judge-model alone is a UsageError)."""
    from harness.backend_builder import JudgeSpec

    if args.judge_backend is None:
        if args.judge_model is not None or args.judge_args:
            raise UsageError("--judge-model and --judge-args need --judge-backend KIND")
        return None
    return JudgeSpec(args.judge_backend, args.judge_model, args.judge_args)


def _shard(text: str) -> tuple[int, int]:
    index, sep, count = text.partition("/")
    try:
        value = (int(index), int(count))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not INDEX/COUNT (e.g. 0/4)") from None
    if not sep or not 0 <= value[0] < value[1]:
        raise argparse.ArgumentTypeError(f"{text!r} needs 0 <= INDEX < COUNT (e.g. 0/4 … 3/4)")
    return value


def _templates(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        task, sep, path = v.partition("=")
        out[task if sep else "*"] = path if sep else v
    return out


def _log(message: str) -> None:
    """A progress or warning line on stderr, secrets redacted."""
    print(redact_text(message), file=sys.stderr)


def cmd_eval(args) -> int:
    from harness.run_log import RunLog, vllm_log_level
    from harness.runner import EvalConfig, run_eval
    from harness.summary import format_table
    from harness.task import PromptChoice

    vllm_log_level(args.verbose)
    cfg = EvalConfig(
        model=args.model,
        backend=args.backend,
        tasks=[t.strip() for t in args.tasks.split(",") if t.strip()],
        output=args.output,
        n=args.n,
        limit=args.limit,
        sample_docs=args.sample_docs,
        doc_ids=args.doc_ids,
        seed=args.seed,
        temperature=args.temperature,
        top_p=args.top_p,
        max_tokens=args.max_tokens,
        data_dir=args.data_dir,
        predictions=args.predictions,
        prompt=PromptChoice(mode=args.prompt_mode, system=args.system_prompt),
        prompt_templates=_templates(args.prompt_template),
        model_args=args.model_args,
        gen_kwargs=args.gen_kwargs,
        chat_template_kwargs=args.chat_template_kwargs,
        chat_template=args.chat_template,
        allow_config_change=args.allow_config_change,
        allow_unmatched=args.allow_unmatched,
        verify_timeout=args.verify_timeout,
        workers=args.workers,
        progress=not args.no_progress,
        shard=args.shard,
        judge=_judge(args),
    )
    with RunLog(args.output) as log:
        log.record(f"harness {__version__} eval: backend {cfg.backend}, model {cfg.model}, tasks {','.join(cfg.tasks)}, "
                   f"output {cfg.output}")
        try:
            results = run_eval(cfg, log=log, started=log.started)
        except (UsageError, BackendError) as exc:
            log.record(f"harness: error: {exc}", "ERROR")
            raise
        except KeyboardInterrupt:
            log.record("interrupted: finished samples are saved", "ERROR")
            raise
        table = format_table(results)
        log.record(table)
        print(table)
        print(f"\nresults: {args.output / 'results.json'}")
    return 0


def cmd_score(args) -> int:
    from harness.rescore import rescore_run
    from harness.summary import format_table

    results = rescore_run(args.run, reverify=args.reverify, verify_timeout=args.verify_timeout, data_dir=args.data_dir,
                          verdict_set=args.verdict_set, judge=_judge(args))
    print(format_table(results))
    return 0


def cmd_merge(args) -> int:
    from harness.merge import merge_runs
    from harness.summary import format_table

    results = merge_runs(args.shards, args.output)
    print(format_table(results))
    print(f"\nresults: {args.output / 'results.json'}")
    return 0


def cmd_tasks(args) -> int:
    from harness import task_listing
    from harness.registry import all_tasks, get_tasks, task_groups

    tasks = get_tasks(args.names) if args.names else list(all_tasks().values())
    names = {t.name for t in tasks}
    groups = {g: members for g, members in task_groups().items() if set(members) & names}
    if args.json:
        print(task_listing.as_json(tasks, groups))
    elif args.verbose:
        print("\n\n".join(task_listing.verbose(t) for t in tasks))
    else:
        print(task_listing.table(tasks, groups))
    return 0


def cmd_math_equiv(args) -> int:
    from harness.equiv_cli import run

    return run(args)


COMMANDS = {"eval": cmd_eval, "score": cmd_score, "merge": cmd_merge, "tasks": cmd_tasks, "math-equiv": cmd_math_equiv}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        _log(f"harness: error: {exc}")
        return EXIT_USAGE
    except BackendError as exc:
        _log(f"harness: error: {exc}")
        return EXIT_BACKEND
    except KeyboardInterrupt:
        print("harness: interrupted: finished samples are saved; rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

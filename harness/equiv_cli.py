"""``harness math-equiv``: check answers by hand, one pair, one model output or a batch.

* ``harness math-equiv GOLD PRED``: is the answer PRED equivalent to GOLD?
* ``harness math-equiv GOLD --output TEXT`` (or ``--output-file PATH``): run a task's
  answer pipeline on a whole model output (reasoning split, then the task's extractor,
  ``--task``, default the math tasks' ``math_or_number`` chain) and print what it extracted,
  by which rule (:data:`harness.scoring.extract.RULES`), and the verdict.
* ``harness math-equiv --batch FILE``: JSONL rows ``{"gold", "pred" | "output",
  "problem"?}``; one JSON verdict per input row, in order (``"line"``: its line number).

Every verdict is one JSON object: the :class:`~harness.scoring.math_equiv.EquivResult`
fields, plus ``extracted`` / ``rule`` / ``reasoning`` for an output. A truncated output
(a thought that never closed) or one without an answer is ``equivalent: false`` with
reason ``truncated`` / ``no_answer``, as in a scored run. Bad input is one
:class:`UsageError` line and nothing printed: a batch is validated whole before any check.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UsageError

DEFAULT_EXTRACTOR = "math_or_number"


@dataclass(frozen=True)
class Item:
    """One check: ``pred`` (an answer) or ``output`` (a whole model output), never both."""

    gold: str
    pred: str | None = None
    output: str | None = None
    problem: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Extraction:
    """What the answer pipeline made of one model output."""

    extracted: str | None
    rule: str
    reasoning: dict


def task_extractor(task: str | None) -> str:
    """The extractor chain label of ``task`` (``None``: the math tasks' ``math_or_number``)."""
    if task is None:
        return DEFAULT_EXTRACTOR
    from harness.registry import get_tasks
    from harness.scoring.extractors import chain_of

    return chain_of(get_tasks([task])[0].extractors).label


def extract_output(output: str, extractor: str) -> Extraction:
    """The task pipeline on a raw output: reasoning split, then the extractor chain (by label)."""
    from harness.reasoning import split_reasoning
    from harness.scoring.extractors import chain_of

    split = split_reasoning(output)
    reasoning = {"style": split.style, "status": split.status, "thinking_chars": len(split.thinking or ""),
                 "answer_chars": len(split.answer)}
    if split.truncated:
        return Extraction(None, "truncated", reasoning)
    answer, rule, _ = chain_of(tuple(extractor.split(",")) if "," in extractor else extractor).explain(split.answer)
    return Extraction(answer, rule, reasoning)


def _text_field(row: dict, key: str, line: int, *, required: bool = False) -> str | None:
    """A string field of a batch row (a JSON integer is taken as its digits)."""
    value = row.get(key)
    if value is None and not required:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        want = "a string" if required else "a string or null"
        raise UsageError(f"line {line}: {key!r} must be {want} (write decimals as strings: \"0.1\"), "
                         f"got {type(value).__name__}")
    return value


def read_batch(path: Path) -> list[Item]:
    """The rows of a JSONL batch file, validated whole (blank lines are skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read batch file {path}: {exc}") from None
    items = []
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path} line {n}: not valid JSON ({exc.msg}); each line must be one object "
                             '{"gold": ..., "pred" or "output": ..., "problem": ...}') from None
        if not isinstance(row, dict):
            raise UsageError(f"{path} line {n}: expected a JSON object, got {type(row).__name__}")
        unknown = sorted(set(row) - {"gold", "pred", "output", "problem"})
        if unknown:
            raise UsageError(f"{path} line {n}: unknown field(s) {', '.join(unknown)}; "
                             "allowed: gold, pred, output, problem")
        try:
            gold = _text_field(row, "gold", n, required=True)
            pred, output = _text_field(row, "pred", n), _text_field(row, "output", n)
            problem = _text_field(row, "problem", n)
        except UsageError as exc:
            raise UsageError(f"{path} {exc}") from None
        if (pred is None) == (output is None):
            raise UsageError(f"{path} line {n}: give exactly one of 'pred' (an answer) or 'output' (a model output)")
        items.append(Item(gold, pred, output, problem, n))
    if not items:
        raise UsageError(f"batch file {path} has no rows")
    return items


def _single_item(args) -> Item:
    """The one check the positional arguments and --output/--output-file describe."""
    if args.gold is None:
        raise UsageError("give GOLD and PRED, GOLD with --output/--output-file, or --batch FILE")
    given = [name for name, v in (("PRED", args.pred), ("--output", args.output_text),
                                  ("--output-file", args.output_file)) if v is not None]
    if len(given) != 1:
        raise UsageError(f"give exactly one of PRED, --output or --output-file (got {', '.join(given) or 'none'})")
    output = args.output_text
    if args.output_file is not None:
        try:
            output = Path(args.output_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read --output-file {args.output_file}: {exc}") from None
    return Item(args.gold, args.pred, output, args.problem)


def _verdicts(items: list[Item], extractor: str, pool) -> list[dict]:
    """One JSON-ready verdict per item, in order."""
    extractions = [extract_output(it.output, extractor) if it.output is not None else None for it in items]
    answers = [it.pred if ex is None else ex.extracted for it, ex in zip(items, extractions)]
    todo = [i for i, a in enumerate(answers) if a is not None]
    results = pool.check_many([(items[i].gold, answers[i], items[i].problem) for i in todo], describe=True)
    by_index = dict(zip(todo, results))
    out = []
    for i, (it, ex) in enumerate(zip(items, extractions)):
        row: dict = {"line": it.line} if it.line is not None else {}
        if ex is not None:
            row.update(extractor=extractor, extracted=ex.extracted, rule=ex.rule, reasoning=ex.reasoning)
        if i in by_index:
            row.update(by_index[i].to_dict())
        else:
            row.update(equivalent=False, reason="truncated" if ex.rule == "truncated" else "no_answer")
        out.append(row)
    return out


def run(args) -> int:
    """``harness math-equiv``: print one JSON verdict per check (see the module docstring)."""
    from harness.scoring.equiv_pool import EquivPool, default_workers

    if args.batch is not None:
        if args.gold is not None or args.pred is not None or args.output_text is not None or args.output_file is not None:
            raise UsageError("--batch reads gold/pred/output from the file: drop GOLD, PRED, --output and --output-file")
        if args.problem is not None:
            raise UsageError("--batch rows carry their own 'problem' field: drop --problem")
        items = read_batch(Path(args.batch))
    else:
        items = [_single_item(args)]
    extractor = task_extractor(args.task)
    workers = 1 if len(items) == 1 else default_workers()
    with EquivPool(workers=workers, timeout_s=args.timeout) as pool:
        for row in _verdicts(items, extractor, pool):
            print(json.dumps(row, ensure_ascii=False))
    return 0

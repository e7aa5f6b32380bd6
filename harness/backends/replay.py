"""Score outputs produced elsewhere: a JSONL file of predictions instead of a model.

Each line: ``task``, ``doc_id`` (the dataset's own id: MATH-500 ``unique_id``,
GSM8K/AIME/AMC ``id``), ``sample`` (a whole number >= 0, default 0), ``output``
(text) and optionally ``thinking`` (reasoning returned separately: text or null) and
``finish_reason`` (``stop``, ``length`` or null, meaning ``stop``). Any other shape is a
one-line error naming the file and line.

Before anything is written, :meth:`ReplayBackend.check_plans` matches every prediction
against the run's tasks: a prediction whose ``doc_id`` is not in its task's dataset, or
whose ``sample`` is >= the run's ``n``, fails the run (count and examples) unless
``--allow-unmatched``, which ignores them and records how many. Predictions for
documents outside ``--limit``/``--shard`` or for tasks not in ``--tasks`` are not
errors: they are counted in the log. Requests whose document has no prediction yield
nothing; the runner reports them as missing.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from harness.backends.base import Generation, GenerationRequest
from harness.errors import UsageError

FINISH_REASONS = ("stop", "length")
EXAMPLES = 3  # examples named in a report


def _check_row(row) -> tuple[tuple[str, str], int]:
    """A prediction's (task, doc_id) key and sample index; ValueError says what is wrong."""
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    missing = [k for k in ("task", "doc_id", "output") if k not in row]
    if missing:
        raise ValueError(f"no {', '.join(missing)}")
    if not isinstance(row["task"], str) or not isinstance(row["doc_id"], (str, int)) or isinstance(row["doc_id"], bool):
        raise ValueError("task must be a string and doc_id a string or integer")
    sample = row.get("sample", 0)
    if not isinstance(sample, int) or isinstance(sample, bool) or sample < 0:
        raise ValueError(f"sample must be a whole number >= 0, got {json.dumps(sample)}")
    if not isinstance(row["output"], str):
        raise ValueError("output must be a string")
    if row.get("thinking") is not None and not isinstance(row["thinking"], str):
        raise ValueError("thinking must be a string or null")
    if row.get("finish_reason") not in (None, *FINISH_REASONS):
        raise ValueError(f"finish_reason must be one of {', '.join(FINISH_REASONS)} or null, got {json.dumps(row['finish_reason'])}")
    return (row["task"], str(row["doc_id"])), sample


def read_predictions(path: str | Path) -> dict[tuple[str, str], dict[int, dict]]:
    """Predictions keyed by (task, doc_id), then sample index. A malformed or duplicate
    line is a one-line :class:`UsageError` naming the file and line."""
    path = Path(path)
    preds: dict[tuple[str, str], dict[int, dict]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read predictions file {path}: {exc}") from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            key, sample = _check_row(row)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path} line {lineno}: not a prediction (invalid JSON: {exc.msg}); "
                             "each line needs task, doc_id, sample and output") from None
        except ValueError as exc:
            raise UsageError(f"{path} line {lineno}: not a prediction ({exc}); "
                             "each line needs task, doc_id, sample (>= 0) and output") from None
        if sample in preds.setdefault(key, {}):
            raise UsageError(f"{path} line {lineno}: duplicate prediction for task {key[0]} doc {key[1]} sample {sample}")
        preds[key][sample] = row
    if not preds:
        raise UsageError(f"predictions file {path} holds no predictions: give a JSONL file with one prediction per line")
    return preds


@dataclass
class Matching:
    """How a predictions file meets a run: (task, doc_id, sample) of the predictions that
    match no document of their task's dataset, of those with sample >= n, and counts of
    those outside --limit/--shard and of those for tasks not in the run (by task)."""

    unmatched: list[tuple[str, str, int]] = field(default_factory=list)
    beyond_n: list[tuple[str, str, int, int]] = field(default_factory=list)
    not_selected: int = 0
    other_tasks: dict[str, int] = field(default_factory=dict)

    def record(self) -> dict:
        """The counts written to the manifest."""
        return {"unmatched": len(self.unmatched), "sample_beyond_n": len(self.beyond_n),
                "not_selected": self.not_selected, "other_tasks": dict(self.other_tasks)}


def match_predictions(predictions: dict[tuple[str, str], dict[int, dict]], selected: dict[str, set[str]],
                      n: dict[str, int], all_ids: Callable[[str], set[str]]) -> Matching:
    """Match predictions against a run: ``selected`` is the run's documents by task,
    ``n`` its samples per task, ``all_ids(task)`` the ids of the task's whole dataset
    (called only when a prediction's document is not selected)."""
    m = Matching()
    full: dict[str, set[str]] = {}
    for (task, doc_id), samples in sorted(predictions.items()):
        if task not in selected:
            m.other_tasks[task] = m.other_tasks.get(task, 0) + len(samples)
            continue
        if doc_id not in selected[task]:
            if task not in full:
                full[task] = all_ids(task)
            if doc_id in full[task]:
                m.not_selected += len(samples)
            else:
                m.unmatched += [(task, doc_id, s) for s in sorted(samples)]
            continue
        m.beyond_n += [(task, doc_id, s, n[task]) for s in sorted(samples) if s >= n[task]]
    return m


def _examples(items: list[tuple], show: Callable[[tuple], str]) -> str:
    shown = ", ".join(show(i) for i in items[:EXAMPLES])
    return shown + (", …" if len(items) > EXAMPLES else "")


def report(path: Path, m: Matching, allow_unmatched: bool, log: Callable[[str], None]) -> None:
    """Fail on unmatched or out-of-range predictions unless ``allow_unmatched``; log the rest."""
    problems = []
    if m.unmatched:
        problems.append(f"{len(m.unmatched)} prediction(s) match no document of their task "
                        f"({_examples(m.unmatched, lambda u: f'{u[0]} doc {u[1]!r} sample {u[2]}')})")
    if m.beyond_n:
        problems.append(f"{len(m.beyond_n)} have sample >= n "
                        f"({_examples(m.beyond_n, lambda b: f'{b[0]} doc {b[1]!r} sample {b[2]}, n {b[3]}')})")
    if problems and not allow_unmatched:
        raise UsageError(f"{path}: {' and '.join(problems)}: fix the doc ids or -n, "
                         "or pass --allow-unmatched to ignore them")
    if problems:
        log(f"{path}: ignored {' and '.join(problems)} (--allow-unmatched)")
    if m.not_selected:
        log(f"{path}: {m.not_selected} prediction(s) are for documents outside --limit/--shard: not scored in this run")
    if m.other_tasks:
        log(f"{path}: {sum(m.other_tasks.values())} prediction(s) are for tasks not in --tasks "
            f"({', '.join(sorted(m.other_tasks))}): not scored in this run")


class ReplayBackend:
    name = "replay"

    def __init__(self, predictions: str | Path):
        self.path = Path(predictions)
        self.predictions = read_predictions(self.path)

    def samples_per_task(self) -> dict[str, int]:
        """The largest sample count per task in the file (the default ``n`` for replay)."""
        counts: dict[str, int] = {}
        for (task, _), samples in self.predictions.items():
            counts[task] = max(counts.get(task, 0), max(samples) + 1)
        return counts

    def check_plans(self, plans, data_dir: Path | None, allow_unmatched: bool, log: Callable[[str], None]) -> dict:
        """Match the predictions against the run's task plans (see :func:`match_predictions`
        and :func:`report`); returns the counts to record in the manifest."""
        by_task = {p.task.name: p for p in plans}
        m = match_predictions(self.predictions, {name: {d.id for d in p.docs} for name, p in by_task.items()},
                              {name: p.n for name, p in by_task.items()},
                              lambda name: {d.id for d in by_task[name].task.load_docs(data_dir)[0]})
        report(self.path, m, allow_unmatched, log)
        return m.record()

    def describe(self) -> dict:
        return {
            "backend": self.name,
            "predictions": str(self.path),
            "predictions_sha256": hashlib.sha256(self.path.read_bytes()).hexdigest(),
        }

    def generate(self, requests: Iterable[GenerationRequest]) -> Iterator[tuple[GenerationRequest, list[Generation]]]:
        for req in requests:
            samples = self.predictions.get(req.key, {})
            gens = [
                Generation(
                    text=row["output"],
                    thinking=row.get("thinking"),
                    finish_reason=row.get("finish_reason") or "stop",
                    extra={"sample": i},
                )
                for i, row in sorted(samples.items())
                if i < req.n
            ]
            if gens:
                yield req, gens

    def close(self) -> None:
        pass

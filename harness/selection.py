"""Which documents of each task a run evaluates: ``--limit``, ``--sample-docs``, ``--doc-ids``.

- ``--limit N``: the first N documents (dataset order); ``--limit F`` with ``0 < F < 1``: the
  first ``ceil(F * size)`` documents, as lm-evaluation-harness rounds a fractional limit.
- ``--sample-docs SEED --limit N|F``: a seeded random subset of that size: the documents
  whose ``sha256(SEED, task, doc id)`` are smallest. It depends only on the seed, the task
  name and the ids (not on Python's ``random``, the machine or the dataset's order), and
  different seeds give different subsets. The chosen documents keep dataset order.
- ``--doc-ids ID,ID`` (or ``@FILE``: ids separated by commas or newlines): exactly these
  documents, in dataset order. In a run of several tasks an id may be written ``TASK:ID``
  to name one task's document; a bare id selects that id in every task that has it. Every
  id must exist and every task must get at least one document.

Shards (``--shard``) are cut after selection. Pure functions, except reading ``@FILE``.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from harness.errors import UsageError

SHOWN_IDS = 5  # doc ids named in a one-line description before "…"


@dataclass(frozen=True)
class Selection:
    """``limit``: whole number >= 1 or fraction in (0, 1); ``sample_seed``: seeded subset of
    ``limit`` documents; ``doc_ids``: the ids asked for (possibly ``TASK:ID``)."""

    limit: int | float | None = None
    sample_seed: int | None = None
    doc_ids: tuple[str, ...] | None = None


def parse_limit(text: str) -> int | float:
    """``--limit``: a whole number >= 1 or a fraction 0 < F < 1; ValueError saying which is wrong."""
    try:
        return int(text)  # "0" and "-2" come back as ints and are refused by check_selection
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is neither a whole number nor a fraction") from None
    if not (math.isfinite(value) and 0 < value < 1):
        raise ValueError(f"{text!r} must be a whole number >= 1 or a fraction between 0 and 1 (exclusive)")
    return value


def parse_doc_ids(text: str) -> tuple[str, ...]:
    """``--doc-ids``: ``ID,ID`` or ``@FILE`` (ids separated by commas or newlines); duplicates dropped."""
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise UsageError(f"--doc-ids: cannot read {path} ({reason}): give a UTF-8 file of ids") from None
    ids = [part.strip() for line in text.splitlines() for part in line.split(",")]
    ids = list(dict.fromkeys(i for i in ids if i))
    if not ids:
        raise UsageError("--doc-ids names no document: give ID,ID or @FILE with one id per line")
    return tuple(ids)


def check_selection(sel: Selection) -> None:
    """A one-line UsageError for values or combinations that select nothing sensible."""
    limit = sel.limit
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float))
                              or not math.isfinite(limit) or limit <= 0
                              or (isinstance(limit, float) and limit >= 1) or (isinstance(limit, int) and limit < 1)):
        raise UsageError(f"--limit must be a whole number >= 1 or a fraction between 0 and 1 (exclusive), got {limit}")
    if sel.sample_seed is not None:
        if isinstance(sel.sample_seed, bool) or not isinstance(sel.sample_seed, int) or sel.sample_seed < 0:
            raise UsageError(f"--sample-docs must be a whole number seed >= 0, got {sel.sample_seed}")
        if limit is None:
            raise UsageError("--sample-docs SEED needs --limit N or a fraction: the size of the random subset")
    if sel.doc_ids is not None and (limit is not None or sel.sample_seed is not None):
        raise UsageError("--doc-ids picks the documents itself: drop --limit and --sample-docs")
    if sel.doc_ids is not None and not sel.doc_ids:
        raise UsageError("--doc-ids names no document: give ID,ID or @FILE with one id per line")


def limit_count(limit: int | float, size: int) -> int:
    """How many documents ``limit`` keeps of ``size``: N itself, or ``ceil(F * size)`` (lm-eval's rounding)."""
    return min(size, math.ceil(limit * size) if isinstance(limit, float) else limit)


def sample_key(seed: int, task: str, doc_id: str) -> bytes:
    """The seeded order of a document: smaller keys are chosen first."""
    return hashlib.sha256(f"{seed}\x00{task}\x00{doc_id}".encode()).digest()


def _split_id(raw: str, tasks: Sequence[str]) -> tuple[str | None, str]:
    """``TASK:ID`` -> (TASK, ID) when TASK is a task of this run; else (None, raw)."""
    prefix, sep, rest = raw.partition(":")
    return (prefix, rest) if sep and prefix in tasks and rest else (None, raw)


def select_docs(docs_by_task: dict[str, list], sel: Selection) -> dict[str, list]:
    """The documents each task evaluates, in dataset order (``docs`` have an ``id``)."""
    if sel.doc_ids is not None:
        return _by_ids(docs_by_task, sel.doc_ids)
    out = {}
    for task, docs in docs_by_task.items():
        if sel.limit is None:
            out[task] = list(docs)
            continue
        k = limit_count(sel.limit, len(docs))
        if sel.sample_seed is None:
            out[task] = list(docs[:k])
        else:
            chosen = set(sorted(range(len(docs)), key=lambda i: sample_key(sel.sample_seed, task, docs[i].id))[:k])
            out[task] = [d for i, d in enumerate(docs) if i in chosen]
    return out


def _by_ids(docs_by_task: dict[str, list], doc_ids: tuple[str, ...]) -> dict[str, list]:
    tasks = list(docs_by_task)
    known = {t: {d.id for d in docs} for t, docs in docs_by_task.items()}
    wanted: dict[str, set[str]] = {t: set() for t in tasks}
    for raw in doc_ids:
        task, doc_id = _split_id(raw, tasks)
        holders = [task] if task else [t for t in tasks if doc_id in known[t]]
        if task and doc_id not in known[task]:
            raise UsageError(f"--doc-ids: task {task} has no document {doc_id!r}: see its ids in the dataset")
        if not holders:
            where = f"task {tasks[0]}" if len(tasks) == 1 else f"any of the tasks {', '.join(tasks)}"
            raise UsageError(f"--doc-ids: {where} has no document {doc_id!r}: see the ids in the dataset"
                             + ("" if len(tasks) == 1 else " (name one task's document as TASK:ID)"))
        for t in holders:
            wanted[t].add(doc_id)
    empty = [t for t in tasks if not wanted[t]]
    if empty:
        raise UsageError(f"--doc-ids names no document of task {', '.join(empty)}: add some ({empty[0]}:ID) "
                         "or leave the task out of --tasks")
    return {t: [d for d in docs if d.id in wanted[t]] for t, docs in docs_by_task.items()}


def describe(sel: Selection, docs: list) -> dict:
    """What a task's entry in manifest.json records about its selection (``{}``: every document)."""
    if sel.doc_ids is not None:
        return {"doc_ids": [d.id for d in docs]}
    out: dict = {}
    if sel.limit is not None:
        out["limit"] = sel.limit
    if sel.sample_seed is not None:
        out["sample_docs"] = sel.sample_seed
    return out


def recorded(entry: dict) -> dict:
    """The selection a manifest task entry records; an older manifest only has ``limit``."""
    if "selection" in entry:
        return entry["selection"]
    return {"limit": entry["limit"]} if entry.get("limit") is not None else {}


def text(selection: dict) -> str:
    """A selection as the options that make it, e.g. ``--sample-docs 3 --limit 10``."""
    parts = []
    if "sample_docs" in selection:
        parts.append(f"--sample-docs {selection['sample_docs']}")
    if "limit" in selection:
        parts.append(f"--limit {selection['limit']}")
    if "doc_ids" in selection:
        ids = selection["doc_ids"]
        parts.append("--doc-ids " + ",".join(ids[:SHOWN_IDS]) + (f",… ({len(ids)} ids)" if len(ids) > SHOWN_IDS else ""))
    return " ".join(parts) or "all documents"


def selection_changes(old_tasks: dict, new: dict[str, dict]) -> list[str]:
    """Tasks whose documents were selected otherwise in an old manifest (``tasks`` entries)
    than now (task -> :func:`describe`), as phrases ``"<task> selection A -> B"``."""
    changes = []
    for task, now in new.items():
        entry = old_tasks.get(task)
        if entry is not None and recorded(entry) != now:
            changes.append(f"{task} selection {text(recorded(entry))} -> {text(now)}")
    return changes

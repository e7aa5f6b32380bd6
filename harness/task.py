"""What a task is: documents from data, a prompt from a template, and how to score.

A task is declarative. It names its dataset and field mapping, its jinja2 prompt
templates (chat and base-model), its extractor chain (piece names, see
:mod:`harness.scoring.extractors`), its verifier and its metrics by registered name
(see :mod:`harness.registry` and docs/plugins.md), the task groups it belongs to, its
default generation settings and a version that changes whenever any of these change in
a way that moves scores.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from harness.data import DatasetSpec, content_hash, load_records
from harness.errors import UsageError

PROMPT_MODES = ("chat", "base")


@dataclass(frozen=True)
class Doc:
    """One benchmark item. ``answer``: the gold answer, None for tasks without one (code
    tests, poem constraints live in ``record``). ``attrs`` are the breakdown attributes
    (e.g. subject, level); ``record`` is the whole data record."""

    id: str
    problem: str
    answer: str | None
    attrs: dict
    record: dict


def field_text(value) -> str | None:
    """A record field as text: None for a missing value (None, NaN from parquet) or blank
    text, never the string ``'None'``; integral floats (``27.0``) as integers."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if text.strip() else None


def doc_entry(task: str, data_hash: str, doc: Doc) -> dict:
    """A document as a run's ``docs.jsonl`` keeps it (see :mod:`harness.store`)."""
    return {"task": task, "data_hash": data_hash, "doc_id": doc.id, "problem": doc.problem, "gold": doc.answer,
            "attrs": doc.attrs, "record": doc.record}


def entry_doc(entry: dict) -> Doc:
    """The :class:`Doc` of a ``docs.jsonl`` entry (entries of older runs lack attrs and record)."""
    return Doc(id=entry["doc_id"], problem=entry["problem"], answer=entry.get("gold"), attrs=dict(entry.get("attrs") or {}),
               record=dict(entry.get("record") or {}))


def doc_identity(doc: Doc, scored_fields: tuple[str, ...] | None = None) -> dict:
    """What the data hash covers for one document: what prompting, scoring and breakdowns
    read: id, problem, answer, attrs, and the record fields the verifier reads
    (``scored_fields``; None: none for a task with a gold answer, the whole record for one
    without, whose verifier reads tests or constraints there)."""
    identity = {"id": doc.id, "problem": doc.problem, "answer": doc.answer, "attrs": doc.attrs}
    if scored_fields is None:
        return identity if doc.answer is not None else {**identity, "record": doc.record}
    return {**identity, **({"fields": {f: doc.record.get(f) for f in scored_fields}} if scored_fields else {})}


@dataclass(frozen=True)
class GenerationDefaults:
    n: int = 1
    temperature: float = 0.6
    top_p: float = 0.95
    max_tokens: int = 32768


@dataclass(frozen=True)
class PromptSpec:
    """Templates are file names under ``tasks/templates`` (or absolute paths).

    ``chat``: the user turn for chat/reasoning models (the model's own chat template
    is applied by the backend). ``base``: the whole completion prompt for base
    models, few-shot examples included; ``base_stop`` ends a base model's answer.
    """

    chat: str
    base: str
    base_stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Task:
    """``extractors``: the extractor chain (piece names, or a chain name such as
    ``"math_or_number"``); ``verifier``: a registered verifier name; ``metrics``: metric
    declarations, each a registered name or ``(name, params)`` such as
    ``("verdict_rate", {"detail": "compiled"})`` (param values hashable); ``answer_field``: None for tasks without one gold
    answer; ``groups``: the task groups (``harness eval --tasks GROUP``) it belongs to;
    ``scored_fields``: the record fields besides id, problem and answer that the verifier
    reads (tests, a per-document normaliser), covered by the data hash (None: see
    :func:`doc_identity`)."""

    name: str
    version: str
    description: str
    dataset: DatasetSpec
    id_field: str
    problem_field: str
    prompt: PromptSpec
    extractors: tuple[str, ...] | str
    verifier: str
    metrics: tuple
    size: int
    answer_field: str | None = None
    attr_fields: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    scored_fields: tuple[str, ...] | None = None
    generation: GenerationDefaults = field(default_factory=GenerationDefaults)
    templates_dir: Path | None = None

    def __post_init__(self):
        # Tasks are hashed (template cache): metric params are kept as sorted (key, value) pairs.
        metrics = tuple(m if isinstance(m, str) else (m[0], tuple(sorted(dict(m[1]).items()))) for m in self.metrics)
        object.__setattr__(self, "metrics", metrics)

    def metric_specs(self) -> list[tuple[str, dict]]:
        """The metric declarations as ``(name, params)`` pairs."""
        return [(m, {}) if isinstance(m, str) else (m[0], dict(m[1])) for m in self.metrics]

    def load_docs(self, data_dir: Path | None) -> tuple[list[Doc], str, str]:
        """All documents, the source they came from, and the data hash: the content hash of
        the documents as the task uses them (id, problem, answer, attrs; see :func:`doc_identity`),
        so the same documents give the same hash whichever source or extra fields they came with.
        No records, or a record without an id, problem or answer, is a :class:`UsageError`."""
        records, source = load_records(self.name, self.dataset, data_dir)
        if not records:
            raise UsageError(f"task {self.name}: {source} holds no records: give a file with one JSON record per line")
        docs = [self._doc(i, r, source) for i, r in enumerate(records, 1)]
        ids = [d.id for d in docs]
        if len(set(ids)) != len(ids):
            raise UsageError(f"task {self.name}: {source} has duplicate ids in field {self.id_field!r}: ids must be unique")
        return docs, source, content_hash([doc_identity(d, self.scored_fields) for d in docs])

    def _doc(self, number: int, record, source: str) -> Doc:
        """Record ``number`` (1-based) as a :class:`Doc`; a missing or empty id, problem or answer is a UsageError."""
        where = f"task {self.name}: record {number} of {source}"
        if not isinstance(record, dict):
            raise UsageError(f"{where} is not a JSON object: the data does not match the task's layout")
        required = (self.id_field, self.problem_field) + ((self.answer_field,) if self.answer_field else ())
        fields = {f: field_text(record.get(f)) for f in required}
        empty = [f for f, v in fields.items() if not v]
        if empty:
            named = f" (id {fields[self.id_field]})" if fields[self.id_field] else ""
            raise UsageError(f"{where}{named} has no {', '.join(empty)} (missing, null or empty): fix or remove the record")
        attrs = {f: field_text(record.get(f)) for f in self.attr_fields if field_text(record.get(f))}
        return Doc(id=fields[self.id_field], problem=fields[self.problem_field],
                   answer=fields[self.answer_field] if self.answer_field else None, attrs=attrs, record=record)

    def describe(self) -> dict:
        """What the task is (``harness tasks -v``, the manifest): name, version, description,
        groups, dataset, prompt templates, extractor chain, verifier, metrics and generation defaults."""
        from harness.scoring.extractors import chain_of
        from harness.scoring.verifier import factory_info, verifier_factory

        g = self.generation
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "groups": list(self.groups),
            "dataset": self.dataset.describe(),
            "prompt": {"chat": self.prompt.chat, "base": self.prompt.base, "base_stop": list(self.prompt.base_stop)},
            "extractor": {**chain_of(self.extractors).describe(), "pieces": list(chain_of(self.extractors).names)},
            "verifier": factory_info(verifier_factory(self.verifier)),
            "metrics": [[name, params] if params else name for name, params in self.metric_specs()],
            "generation": {"n": g.n, "temperature": g.temperature, "top_p": g.top_p, "max_tokens": g.max_tokens},
        }


def _template_env(task: Task) -> jinja2.Environment:
    search = [str(task.templates_dir)] if task.templates_dir else []
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )


@functools.lru_cache(maxsize=64)
def load_template(task: Task, template: str) -> jinja2.Template:
    """A template by file name (under the task's templates folder) or path."""
    path = Path(template)
    try:
        if path.is_absolute() or path.exists():
            return _template_env(task).from_string(path.read_text(encoding="utf-8"))
        return _template_env(task).get_template(template)
    except (OSError, jinja2.TemplateError) as exc:
        raise UsageError(f"task {task.name}: cannot load prompt template {template!r} ({exc}): give an existing jinja2 file") from None


@dataclass(frozen=True)
class PromptChoice:
    """How a run prompts: chat or base mode, an optional system prompt and template override."""

    mode: str = "chat"
    system: str | None = None
    template: str | None = None

    def describe(self) -> dict:
        return {"mode": self.mode, "system": self.system, "template": self.template}


def render_prompt(task: Task, doc: Doc, choice: PromptChoice) -> tuple[tuple[dict, ...] | None, str | None]:
    """``(messages, None)`` in chat mode, ``(None, prompt)`` in base mode."""
    template = load_template(task, choice.template or (task.prompt.chat if choice.mode == "chat" else task.prompt.base))
    try:
        text = template.render(problem=doc.problem, doc=doc.record)
    except jinja2.TemplateError as exc:
        raise UsageError(f"task {task.name}: prompt template failed on doc {doc.id} ({exc}): fix the template") from None
    if choice.mode == "base":
        return None, text
    messages = ({"role": "system", "content": choice.system},) if choice.system else ()
    return messages + ({"role": "user", "content": text},), None

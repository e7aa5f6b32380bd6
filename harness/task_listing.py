"""``harness tasks``: the task table, the task groups, and each task in full (``-v``, ``--json``).

The full view renders whatever :meth:`harness.task.Task.describe` returns (keys added
later show up without a change here), plus the source text of the task's prompt templates.
"""
from __future__ import annotations

import json
from pathlib import Path

from harness.errors import UsageError
from harness.task import Task, load_template

# Keys of Task.describe() shown in the heading rather than as fields.
_HEADING = ("name", "version", "description")


def template_source(task: Task, name: str) -> str:
    """The source text of one of the task's prompt templates (by file name or path)."""
    loaded = load_template(task, name)
    path = Path(loaded.filename) if loaded.filename and Path(loaded.filename).is_file() else Path(name)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"task {task.name}: cannot read prompt template {name!r} ({exc.strerror})") from None


def table(tasks: list[Task], groups: dict[str, list[str]]) -> str:
    """One row per task (size, version, groups, sources), then one row per group."""
    rows = [("task", "size", "version", "groups", "source (hub)", "local file")]
    for t in tasks:
        hub = ", ".join(h.path + (f"/{h.name}" if h.name else "") for h in t.dataset.hub) or "-"
        rows.append((t.name, str(t.size), t.version, ",".join(getattr(t, "groups", ())) or "-", hub, t.dataset.local_path))
    lines = _columns(rows)
    if groups:
        lines += ["", *_columns([("group", "tasks")] + [(g, ", ".join(names)) for g, names in groups.items()])]
    return "\n".join(lines)


def _columns(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def full(task: Task) -> dict:
    """``task.describe()`` plus ``prompt_text``: the source of its chat and base templates."""
    info = dict(task.describe())
    info["prompt_text"] = {mode: template_source(task, name) for mode, name in
                           (("chat", task.prompt.chat), ("base", task.prompt.base)) if name}
    return info


def verbose(task: Task) -> str:
    """A task in full, for people: heading, every described field, the chat prompt template's text."""
    info = full(task)
    heading = f"{info.get('name', task.name)} (version {info.get('version', task.version)})"
    lines = [heading + (f": {info['description']}" if info.get("description") else "")]
    for key, value in info.items():
        if key not in _HEADING and key != "prompt_text":
            lines += _field(key, value, "  ")
    chat = info["prompt_text"].get("chat")
    if chat is not None:
        lines.append(f"  chat prompt template ({task.prompt.chat}):")
        lines += ["    | " + line for line in chat.rstrip("\n").splitlines()]
    return "\n".join(lines)


def _field(key: str, value, indent: str) -> list[str]:
    """``key: value`` lines: scalars and flat lists inline, dicts and nested lists indented below."""
    if isinstance(value, dict) and value:
        if _flat(value):
            return [f"{indent}{key}: {_inline(value)}"]
        out = [f"{indent}{key}:"]
        for k, v in value.items():
            out += _field(str(k), v, indent + "  ")
        return out
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        out = [f"{indent}{key}:"]
        for v in value:
            if isinstance(v, dict) and not _flat(v):
                out += [f"{indent}  -"] + [line for k, x in v.items() for line in _field(str(k), x, indent + "    ")]
            else:
                out.append(f"{indent}  - {_inline(v) if isinstance(v, dict) else _scalar(v)}")
        return out
    if isinstance(value, list):
        return [f"{indent}{key}: " + (", ".join(_scalar(v) for v in value) or "-")]
    return [f"{indent}{key}: {_scalar(value)}"]


def _flat(d: dict) -> bool:
    return all(not isinstance(v, (dict, list)) for v in d.values())


def _inline(d: dict) -> str:
    return ", ".join(f"{k}={_scalar(v)}" for k, v in d.items())


def _scalar(value) -> str:
    """Plain text for plain strings; JSON for the rest and for strings with whitespace at the ends or inside lines."""
    if isinstance(value, str) and value and value == value.strip() and value.isprintable():
        return value
    return json.dumps(value, ensure_ascii=False)


def as_json(tasks: list[Task], groups: dict[str, list[str]]) -> str:
    """Every task in full and the groups, as one JSON document."""
    return json.dumps({"tasks": [full(t) for t in tasks], "groups": groups}, indent=2, ensure_ascii=False)

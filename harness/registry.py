"""Finding plugins: tasks, extractors, verifiers and metrics come through entry points.

Four entry-point groups. The built-ins in ``harness`` and ``tasks/`` register the same
way a third-party package does, in its ``pyproject.toml``::

    [project.entry-points."harness.tasks"]
    mytasks = "my_package.tasks:TASKS"        # a Task, an iterable of Tasks, or a callable returning either
    [project.entry-points."harness.extractors"]
    my_piece = "my_package.scoring:my_piece"  # one extractor piece, registered as "my_piece"
    [project.entry-points."harness.verifiers"]
    my_check = "my_package.scoring:MyCheck"   # one verifier factory
    [project.entry-points."harness.metrics"]
    my_rate = "my_package.scoring:my_rate"    # one metric function

(see docs/plugins.md for what each kind of object must provide). For extractors,
verifiers and metrics the entry point's name is the registered name and the object is
loaded only when a task uses it, so a run never imports another task kind's scoring
code (no sympy for a string-match task). Tasks are all loaded (their names live in
the objects). A name registered twice is a :class:`UsageError` naming the group; an
unknown name is a UsageError listing the known ones. Task groups: ``Task.groups`` names
the groups a task belongs to (``math``); :func:`get_tasks` expands a group name to its
tasks in registry order. A group name that is also a task name is an error.
"""
from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from harness.errors import UsageError
from harness.task import Task

GROUP = "harness.tasks"


class Registry:
    """Named objects of one entry-point ``group``, each loaded on first :meth:`get`;
    ``kind`` names them in messages (``"verifier"``)."""

    def __init__(self, group: str, kind: str):
        self.group, self.kind = group, kind
        self._loaded: dict[str, Any] = {}

    @functools.cached_property
    def entry_points(self) -> dict[str, EntryPoint]:
        found: dict[str, EntryPoint] = {}
        for ep in entry_points(group=self.group):
            if ep.name in found and found[ep.name].value != ep.value:
                raise UsageError(f"{self.kind} {ep.name!r} is registered twice in {self.group} ({found[ep.name].value} "
                                 f"and {ep.value}): uninstall one of the packages")
            found[ep.name] = ep
        return found

    @property
    def names(self) -> list[str]:
        return sorted(self.entry_points)

    def get(self, name: str) -> Any:
        """The object registered as ``name``; unknown is a one-line UsageError listing the known names."""
        if name not in self._loaded:
            ep = self.entry_points.get(name)
            if ep is None:
                raise UsageError(f"unknown {self.kind} {name!r}: known {self.kind}s are {', '.join(self.names) or 'none'} "
                                 f"(entry-point group {self.group})")
            self._loaded[name] = ep.load()
        return self._loaded[name]

    def find(self, name: str) -> Any | None:
        """The object registered as ``name``, or None."""
        return self.get(name) if name in self.entry_points else None


EXTRACTORS = Registry("harness.extractors", "extractor")
VERIFIERS = Registry("harness.verifiers", "verifier")
METRICS = Registry("harness.metrics", "metric")


def _load_tasks() -> dict[str, Task]:
    tasks: dict[str, Task] = {}
    for ep in entry_points(group=GROUP):
        obj = ep.load()
        if callable(obj) and not isinstance(obj, Task):
            obj = obj()
        for task in [obj] if isinstance(obj, Task) else list(obj):
            if task.name in tasks:
                raise UsageError(f"task {task.name!r} is registered twice (entry point {ep.name}): uninstall one of the packages")
            tasks[task.name] = task
    return tasks


@functools.cache
def all_tasks() -> dict[str, Task]:
    """Every registered task by name, sorted; a group named like a task is a UsageError."""
    tasks = dict(sorted(_load_tasks().items()))
    clash = sorted({g for t in tasks.values() for g in t.groups} & tasks.keys())
    if clash:
        raise UsageError(f"{', '.join(clash)} is both a task and a task group: rename the group or the task")
    return tasks


def task_groups() -> dict[str, list[str]]:
    """Group name -> its task names, in registry order."""
    groups: dict[str, list[str]] = {}
    for task in all_tasks().values():
        for g in task.groups:
            groups.setdefault(g, []).append(task.name)
    return groups


def get_tasks(names: list[str]) -> list[Task]:
    """Tasks by name or group name, in the order given (a group expands to its tasks in
    registry order; a task named twice counts once); an unknown name is a UsageError."""
    known, groups = all_tasks(), task_groups()
    unknown = [n for n in names if n not in known and n not in groups]
    if unknown:
        listed = ", ".join(list(known) + [f"{g} (group)" for g in groups])
        raise UsageError(f"unknown task(s) {', '.join(unknown)}: known tasks are {listed} (see `harness tasks`)")
    expanded = [t for n in names for t in (groups[n] if n not in known else [n])]
    return [known[n] for n in dict.fromkeys(expanded)]

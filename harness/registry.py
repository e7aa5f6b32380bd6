"""Finding tasks: every task comes through the ``harness.tasks`` entry-point group.

The built-in tasks in ``tasks/`` register the same way a third-party package
does, in its ``pyproject.toml``::

    [project.entry-points."harness.tasks"]
    mytasks = "my_package.tasks:TASKS"

The entry point may name a Task, an iterable of Tasks, or a callable returning either.
"""
from __future__ import annotations

import functools
from importlib.metadata import entry_points

from harness.errors import UsageError
from harness.task import Task

GROUP = "harness.tasks"


def _as_tasks(obj) -> list[Task]:
    if callable(obj) and not isinstance(obj, Task):
        obj = obj()
    if isinstance(obj, Task):
        return [obj]
    return list(obj)


@functools.cache
def all_tasks() -> dict[str, Task]:
    tasks: dict[str, Task] = {}
    for ep in entry_points(group=GROUP):
        for task in _as_tasks(ep.load()):
            if task.name in tasks:
                raise UsageError(f"task {task.name!r} is registered twice (entry point {ep.name}): uninstall one of the packages")
            tasks[task.name] = task
    return dict(sorted(tasks.items()))


def get_tasks(names: list[str]) -> list[Task]:
    """Tasks by name, in the order given; an unknown name is a UsageError."""
    known = all_tasks()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"unknown task(s) {', '.join(unknown)}: known tasks are {', '.join(known)} (see `harness tasks`)")
    return [known[n] for n in names]

"""Built-in task plugins (installed as the ``harness_tasks`` package).

Each module exposes ``TASKS`` and is registered in ``pyproject.toml`` under the
``harness.tasks`` entry-point group, exactly as a third-party plugin would be.
"""

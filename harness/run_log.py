"""``run.log``: every line ``harness eval`` logs for a run, timestamped, in the run directory.

Lines go to stderr at once and are held in memory until the run starts (its manifest is
written); then they and every later line are appended to ``<run>/run.log``, across
resumes. An invocation refused before the run starts (bad input, a config change) writes
nothing. Warnings of the ``harness`` loggers go to the file too, and so does what vLLM's
logger emits once the run has started (warnings; INFO with ``-v``); vLLM's console output
is left to vLLM's handler, quieted by :func:`vllm_log_level`.
Every line is redacted (:func:`harness.secrets.redact_text`).
"""
from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from harness.secrets import redact_text

NAME = "run.log"


def _stamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class RunLog:
    """A ``log(message)`` callable for :func:`harness.runner.run_eval` that also keeps ``run.log``."""

    def __init__(self, run_dir: str | os.PathLike, stream=None):
        self.path = Path(run_dir) / NAME
        self.stream = stream
        self._held: list[str] = []
        self._fh = None
        self._handler = _Handler(self)
        self._loggers = [logging.getLogger("harness"), logging.getLogger("vllm")]

    def __call__(self, message: str) -> None:
        """A line on stderr and in the log."""
        text = redact_text(str(message))
        print(text, file=self.stream or sys.stderr)
        self.record(text)

    def record(self, message: str, level: str = "") -> None:
        """A line in the log only (e.g. the results table the CLI prints on stdout)."""
        prefix = f"{_stamp()} {level + ' ' if level else ''}"
        lines = [prefix + line for line in redact_text(str(message)).splitlines() or [""]]
        if self._fh is None:
            self._held.extend(lines)
            return
        self._fh.write("".join(line + "\n" for line in lines))
        self._fh.flush()

    def started(self) -> None:
        """The run directory holds this run: append what was held, then write as it comes."""
        if self._fh is not None:
            return
        self._attach()  # again: importing vLLM (to build its backend) replaced its logger's handlers
        self._fh = open(self.path, "a", encoding="utf-8")
        held, self._held = self._held, []
        self._fh.write("".join(line + "\n" for line in held))
        self._fh.flush()
        for line in settings_summary(self.path.parent):
            self.record(line)

    def _attach(self) -> None:
        for logger in self._loggers:
            if self._handler not in logger.handlers:
                logger.addHandler(self._handler)

    def __enter__(self) -> "RunLog":
        self._attach()
        return self

    def __exit__(self, *exc) -> None:
        for logger in self._loggers:
            logger.removeHandler(self._handler)
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self._held = []  # the run never started: nothing is written


def settings_summary(run_dir: Path) -> list[str]:
    """One line per task of the run's manifest: documents, samples, sampling, config id, selection."""
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    run = manifest.get("run", {})
    lines = [f"run: {json.dumps({k: v for k, v in run.items() if k != 'weights_fingerprint'}, sort_keys=True)}"]
    for name, task in manifest.get("tasks", {}).items():
        settings = task.get("settings", {})
        lines.append(f"task {name}: {len(task.get('doc_ids', []))} documents, n={settings.get('n')}, "
                     f"sampling {json.dumps(settings.get('sampling'), sort_keys=True)}, config {task.get('config')}, "
                     f"selection {json.dumps(task.get('selection', {}), sort_keys=True)}")
    return lines


class _Handler(logging.Handler):
    """Python log records into a :class:`RunLog`; ``harness`` warnings are echoed to stderr as well
    (a handler here would otherwise replace Python's last-resort console output)."""

    def __init__(self, run_log: RunLog):
        super().__init__(logging.INFO)
        self.run_log = run_log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        source = record.name.split(".")[0]
        self.run_log.record(message, f"[{source} {record.levelname}]")
        if source == "harness" and record.levelno >= logging.WARNING:
            print(redact_text(message), file=self.run_log.stream or sys.stderr)


_LEVEL_SET_HERE = False


def vllm_log_level(verbose: bool) -> None:
    """vLLM's INFO chatter off the console unless ``verbose``: ``VLLM_LOGGING_LEVEL`` WARNING
    (INFO when verbose) for a vLLM imported later, and its logger and handlers set so if it
    is already imported. A ``VLLM_LOGGING_LEVEL`` the user set is left alone."""
    global _LEVEL_SET_HERE
    if "VLLM_LOGGING_LEVEL" in os.environ and not _LEVEL_SET_HERE:
        return
    level = "INFO" if verbose else "WARNING"
    os.environ["VLLM_LOGGING_LEVEL"] = level
    _LEVEL_SET_HERE = True
    if "vllm" in sys.modules:
        logger = logging.getLogger("vllm")
        for target in (logger, *logger.handlers):
            target.setLevel(level)

"""Score outputs produced elsewhere: a JSONL file of predictions instead of a model.

Each line: ``task``, ``doc_id`` (the dataset's own id: MATH-500 ``unique_id``,
GSM8K/AIME/AMC ``id``), ``sample`` (index, default 0), ``output`` (text) and
optionally ``thinking`` (reasoning returned separately) and ``finish_reason``.
Requests whose document has no prediction yield nothing; the runner reports them
as missing.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable, Iterator

from harness.backends.base import Generation, GenerationRequest
from harness.errors import UsageError


def read_predictions(path: str | Path) -> dict[tuple[str, str], dict[int, dict]]:
    """Predictions keyed by (task, doc_id), then sample index."""
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
            key = (str(row["task"]), str(row["doc_id"]))
            sample = int(row.get("sample", 0))
            if not isinstance(row["output"], str):
                raise TypeError("output is not a string")
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise UsageError(
                f"{path} line {lineno}: not a prediction ({type(exc).__name__}: {exc}); "
                "each line needs task, doc_id, sample and output"
            ) from None
        if sample in preds.setdefault(key, {}):
            raise UsageError(f"{path} line {lineno}: duplicate prediction for task {key[0]} doc {key[1]} sample {sample}")
        preds[key][sample] = row
    return preds


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
                    finish_reason=row.get("finish_reason", "stop"),
                    extra={"sample": i},
                )
                for i, row in sorted(samples.items())
                if i < req.n
            ]
            if gens:
                yield req, gens

    def close(self) -> None:
        pass

"""Loading a task's documents: from the Hugging Face hub by default, or from a local
folder of JSONL/parquet copies (``--data-dir`` or ``$HARNESS_DATA_DIR``).

Every source is turned into the same canonical records (the field layout of the
local copies), so a task's field mapping is written once. The data identity the
manifest records is :func:`content_hash` of the documents a task builds from the
records (id, problem, answer, attributes: ``harness.task.Task.load_docs``), not of the
records themselves, so fields a task does not read (a hub copy's solution, a local
copy's url) do not change it: the same documents give the same hash from any source.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from harness.errors import UsageError

DATA_DIR_ENV = "HARNESS_DATA_DIR"


@dataclass(frozen=True)
class HubSource:
    """One ``datasets.load_dataset`` call: a hub id, config, split and revision."""

    path: str
    split: str
    name: str | None = None
    revision: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """Where a task's documents live.

    ``local_path`` is relative to the data folder (the layout of ``shared/data``).
    ``hub`` lists one or more hub sources; ``from_hub`` turns their rows (one list
    per source) into canonical records. Without ``from_hub`` the hub rows are
    already canonical.
    """

    local_path: str
    hub: tuple[HubSource, ...] = ()
    from_hub: Callable[[list[list[dict]]], list[dict]] | None = field(default=None, compare=False)

    def describe(self) -> dict:
        return {
            "local_path": self.local_path,
            "hub": [{"path": h.path, "name": h.name, "split": h.split, "revision": h.revision} for h in self.hub],
        }


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path | None:
    """The local data folder to use, or None to load from the hub."""
    value = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise UsageError(f"data folder {path} does not exist: pass an existing folder to --data-dir (or ${DATA_DIR_ENV})")
    return path


def read_local(path: Path) -> list[dict]:
    """Records from a JSONL or parquet file."""
    if path.suffix == ".parquet":
        import pandas as pd

        try:
            return pd.read_parquet(path).to_dict(orient="records")
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read {path}: {exc}") from None
    records = []
    try:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    records.append(json.loads(line))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} line {lineno} is not valid JSON ({exc.msg}): fix or replace the file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    return records


def _local_file(data_dir: Path, rel: str) -> Path | None:
    """The JSONL file, or a parquet file of the same stem, if either exists."""
    for candidate in (data_dir / rel, (data_dir / rel).with_suffix(".parquet")):
        if candidate.is_file():
            return candidate
    return None


def load_records(task_name: str, spec: DatasetSpec, data_dir: Path | None) -> tuple[list[dict], str]:
    """Canonical records and a description of where they came from."""
    if data_dir is not None:
        path = _local_file(data_dir, spec.local_path)
        if path is None:
            raise UsageError(
                f"task {task_name}: no data at {data_dir / spec.local_path}: put a JSONL or parquet copy there, "
                f"or drop --data-dir to load {', '.join(h.path for h in spec.hub)} from the hub"
            )
        return read_local(path), str(path)
    return _load_hub(task_name, spec), ", ".join(f"hf:{h.path}" + (f"/{h.name}" if h.name else "") for h in spec.hub)


def _load_hub(task_name: str, spec: DatasetSpec) -> list[dict]:
    if not spec.hub:
        raise UsageError(f"task {task_name} has no hub source: pass --data-dir with a local copy at {spec.local_path}")
    import datasets

    parts = []
    for src in spec.hub:
        try:
            ds = datasets.load_dataset(src.path, src.name, split=src.split, revision=src.revision)
        except Exception as exc:  # noqa: BLE001 - datasets raises many unrelated types for "not reachable"
            raise UsageError(
                f"task {task_name}: cannot load {src.path} from the hub ({type(exc).__name__}); "
                f"offline, pass --data-dir DIR with a copy at DIR/{spec.local_path}"
            ) from None
        parts.append([dict(row) for row in ds])
    return spec.from_hub(parts) if spec.from_hub else [r for part in parts for r in part]


def content_hash(records: list[dict]) -> str:
    """sha256 of the records as canonical JSON lines (sorted keys)."""
    h = hashlib.sha256()
    for r in records:
        h.update(json.dumps(r, sort_keys=True, ensure_ascii=False, default=str).encode())
        h.update(b"\n")
    return "sha256:" + h.hexdigest()

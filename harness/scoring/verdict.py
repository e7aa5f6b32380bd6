"""The structured outcome of checking one sample."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Verdict:
    """``passed``: counted as correct. ``score``: in [0, 1] (1.0/0.0 for exact checks).

    ``reason``: a short machine-readable word saying what decided
    (e.g. ``"equal_string"``, ``"sympy_equal"``, ``"not_equal"``, ``"no_answer"``,
    ``"truncated"``, ``"timeout"``). ``details``: anything else worth keeping
    (parsed forms, per-test results, judge explanations).
    """

    passed: bool
    score: float
    reason: str
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Verdict":
        return cls(passed=bool(d["passed"]), score=float(d["score"]), reason=str(d["reason"]), details=dict(d.get("details") or {}))

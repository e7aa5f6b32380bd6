"""The verdict type and the limits shared by every stage of the checker.

:class:`EquivResult` is what :func:`~harness.scoring.math_equiv.is_equivalent` returns:
``equivalent`` is ``True``/``False`` or ``None`` (undecided, ``reason`` in
:data:`UNDECIDED_REASONS`). The size limits (``MAX_LEN``, ``_MAX_POW_EXP``, ...) bound the
work on hostile input; ``_Unparseable`` / ``_TooComplex`` are how a stage reports that it
cannot read an answer or would need unbounded work.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


MAX_LEN = 1000
REL_TOL = 1e-9
_MAX_POW_EXP = 10_000  # |exponent| above this on a numeric base: refused as too complex
_MAX_FACTORIAL = 2_000
_MAX_ROOT = 1_000  # numeric roots of higher degree are refused (sympy would build a huge minimal polynomial)
_MAX_DEPTH = 60  # nesting depth of the LaTeX parser
_MAX_ITEMS = 64  # elements in a tuple/set/matrix
_SCI_EXP_LIMIT = 400  # |exponent| accepted by the cheap rational parser
_MAX_RAW = 2 * MAX_LEN  # raw inputs longer than this are not normalised beyond whitespace

#: ``EquivResult.reason`` values that come with ``equivalent is None``.
UNDECIDED_REASONS = frozenset({
    "empty_gold", "unparseable", "too_complex", "too_long", "undefined", "sympy_error", "timeout",
    "worker_error", "out_of_range",
})


@dataclass(frozen=True)
class EquivResult:
    """``equivalent``: True / False, or None when undecidable (``reason`` says why).

    ``reason`` is a short word saying what decided. Equal: ``equal_string``,
    ``equal_text``, ``equal_rational``, ``equal_percent``, ``equal_base``, ``equal_time``,
    ``equal_choice``, ``equal_rounded``, ``structure_equal``, ``set_equal``,
    ``equation_equal``, ``sympy_equal``, ``numeric_equal``. Not equal: ``not_equal``,
    ``not_equal_text``, ``not_equal_choice``, ``not_equal_rational``, ``not_equal_time``,
    ``structure_mismatch``, ``empty`` (no prediction). Undecided (``None``): see
    :data:`UNDECIDED_REASONS` (``out_of_range``: only a numeric comparison could decide,
    and a value overflows or underflows; ``timeout`` / ``worker_error`` come from
    :class:`~harness.scoring.equiv_pool.EquivPool`).

    ``gold_parsed`` / ``pred_parsed``: the parsed canonical forms (sympy ``str`` of the
    expression, ``Interval(2, oo)``, ``Tuple(3, pi/2)``, ``FiniteSet(1, -2)``,
    ``Eq(y, 2*x + 1)``, ``Matrix([[1, 2]])``, ``Text(evelyn)``, ``Time(16:30)``...), or
    ``None`` where a side was not (or could not be) parsed. ``gold_normalized`` /
    ``pred_normalized``: the normalised strings (:func:`normalize_answer`).
    """

    equivalent: bool | None
    reason: str
    gold_parsed: str | None = None
    pred_parsed: str | None = None
    gold_normalized: str | None = None
    pred_normalized: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class _Unparseable(Exception):
    """Raised when an answer cannot be converted to a comparable form."""


class _TooComplex(Exception):
    """Raised when an answer would need unbounded work (huge powers, deep nesting)."""

"""The checker: :func:`is_equivalent` of a gold and a predicted answer.

Normalise both, try the cheap decisions, then parse structures and compare them with
sympy (labels, chains ``x = 5+5+1 = 11`` and assignments handled here). The contract is
the package docstring's; there is no time limit inside (run untrusted pairs through
:class:`harness.scoring.equiv_pool.EquivPool`).
"""
from __future__ import annotations

import re
from typing import Any

from harness.scoring.math_equiv.result import _TooComplex, _Unparseable, EquivResult
from harness.scoring.math_equiv.hints import Hints, problem_hints
from harness.scoring.math_equiv.normalize import _LABEL, _NAME, _Norm, _normalize
from harness.scoring.math_equiv.numbers import _choice_letter
from harness.scoring.math_equiv.cheap import _cheap_describe, _choice_verdict, quick_check
from harness.scoring.math_equiv.structures import _parse_structure, _Rel, _Scalar
from harness.scoring.math_equiv.latex import _sympy_errors
from harness.scoring.math_equiv.compare import _Ctx, _scalar_equal, _SideError, _struct_equal
from harness.scoring.math_equiv.canonical import _describe


def _with_assignment(s: Any, n: _Norm, other: Any) -> Any:
    """``y = 2x+1`` was stripped to ``2x+1``; put the equation back when the other side is one."""
    if isinstance(s, _Scalar) and n.assigned and "(" not in n.assigned and isinstance(other, _Rel) and other.ops == ("=",):
        return _Rel(("=",), (n.assigned, n.text))
    return s


# A quantity named on the left of a prediction's chain "m + n = 7 + 4 = 11": letters, names
# and segment names joined by + - * : (no digits, no powers), also \tan A, \frac{NO}{BO}, |AB|, f(x).
_CHAIN_LABEL_RE = re.compile(r"^(?:" + _LABEL + r"|\\(?:sin|cos|tan|cot|sec|csc) ?" + _NAME + r"|[-+*:]|\\cdot)+$")


def _chain_values(ctx: _Ctx, s: Any) -> list[str] | None:
    """The value sides of a prediction written as a chain of equalities whose sides after
    the first are numbers and whose first side is a number or a label (``2+3=5``,
    ``x = 5+5+1 = 11``, ``a+b+c = 11+9+0 = 20``, ``\\tan A = 2``): the chain stands for its
    last side, and is that answer only if every number side equals it. ``None`` for
    anything else (``x^2 = 2`` is an equation, not a labelled value)."""
    if not (isinstance(s, _Rel) and set(s.ops) == {"="}):
        return None
    first = s.sides[0].replace(" ", "")
    try:
        if any(ctx.expr(side)[0].free_symbols for side in s.sides[1:]):
            return None
        if _CHAIN_LABEL_RE.match(first):
            return list(s.sides[1:])
        if ctx.expr(s.sides[0])[0].free_symbols:
            return None
    except (_Unparseable, _TooComplex):
        return None
    return list(s.sides)


def _decide(ctx: _Ctx, g: _Norm, p: _Norm) -> tuple[bool, str, Any, Any]:
    """(equivalent, reason, gold structure, pred structure); raises when undecidable."""
    letters = "".join(letter for letter, _ in ctx.hints.choices)
    if letters and (g.text in letters and len(g.text) == 1) != bool(_choice_letter(p.text, letters)):
        res = _choice_verdict(g, p, ctx.hints, lambda a, b: is_equivalent(a, b, describe=False))
        if res.equivalent is None:
            raise _SideError("both", res.reason)
        return res.equivalent, res.reason, None, None
    gs, ps = _parse_structure(g.text), _parse_structure(p.text)
    gs, ps = _with_assignment(gs, g, ps), _with_assignment(ps, p, gs)
    values = _chain_values(ctx, ps) if isinstance(gs, _Scalar) and not g.assigned else None
    if values:  # "\sin^2 30^\circ + 1 = \frac{5}{4}", "x = 5+5+1 = 11": every value side is the gold
        ok, why = True, "equal_string"
        for value in values:
            ok, why = _scalar_equal(ctx, g.text, value, g, _Norm(value, p.percent))
            if not ok:
                break
    elif isinstance(gs, _Scalar) and isinstance(ps, _Scalar):
        ok, why = _scalar_equal(ctx, g.text, p.text, g, p)
    else:
        ok, why = _struct_equal(ctx, gs, ps)
    return ok, why, gs, ps


def is_equivalent(gold: str | None, pred: str | None, *, problem: str | None = None,
                  hints: Hints | None = None, describe: bool = True) -> EquivResult:
    """Is ``pred`` (untrusted) the same answer as ``gold`` (trusted)? Pure; no time limit.

    ``problem``: the problem statement, read by :func:`problem_hints` (or pass ``hints``)
    for the requested base, rounding, log convention and multiple-choice options.
    ``describe``: fill ``gold_parsed``/``pred_parsed`` with the parsed canonical forms.

    Order: cheap decisions (normalised strings, choices, text, clock times, exact
    rationals with the percent and rounding policies, base numerals) -> structure
    (ordered tuples and intervals with their bracket types, unordered sets/lists/unions
    including ``a \\pm b``, matrices, equations up to a non-zero factor, inequalities and
    intervals as sets of reals) -> sympy (``expand``/``simplify`` of the difference, numeric
    fallback with ``REL_TOL``). See the package docstring for the policies.
    """
    hints = hints if hints is not None else problem_hints(problem)
    quick = quick_check(gold, pred, hints=hints)
    if quick is not None and (quick.gold_normalized is None or not describe):
        return quick
    g, p = _normalize(gold), _normalize(pred)
    ctx = _Ctx(hints)
    gs = ps = None
    if quick is not None:
        ok, why = quick.equivalent, quick.reason
    else:
        try:
            ok, why, gs, ps = _decide(ctx, g, p)
        except _SideError as exc:
            ok, why = None, exc.reason
        except (_TooComplex, RecursionError):
            ok, why = None, "too_complex"
        except _Unparseable:
            ok, why = None, "unparseable"
        except _sympy_errors():
            ok, why = None, "sympy_error"
    if not describe:
        return EquivResult(ok, why, _cheap_describe(g), _cheap_describe(p), g.text, p.text)
    return EquivResult(ok, why, _describe(ctx, g, gs), _describe(ctx, p, ps), g.text, p.text)

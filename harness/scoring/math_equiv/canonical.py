"""Canonical forms: the parsed reading of an answer as text, for reports and the CLI.

:func:`_describe` gives a stable, human-readable form of a normalised answer's structure
(sympy's string of each expression), or ``None`` when it cannot be parsed.
"""
from __future__ import annotations

from typing import Any

from harness.scoring.math_equiv.result import _TooComplex, _Unparseable, MAX_LEN
from harness.scoring.math_equiv.normalize import _Norm
from harness.scoring.math_equiv.cheap import _cheap_describe
from harness.scoring.math_equiv.structures import (
    _Const,
    _Inter,
    _Matrix,
    _parse_structure,
    _Rel,
    _Scalar,
    _Seq,
    _Set,
    _Union,
)
from harness.scoring.math_equiv.latex import _sympy, _sympy_errors
from harness.scoring.math_equiv.compare import _as_set, _Ctx, _interval, _is_ineq, _setlike, _SideError


def _desc(ctx: _Ctx, s: Any) -> str:
    """Canonical form of a structure (raises on unparseable parts)."""
    sp = _sympy()
    if isinstance(s, _Scalar):
        return sp.sstr(ctx.expr(s.text)[0])
    if isinstance(s, _Seq):
        if (s.open, s.close) != ("(", ")"):
            iv = _interval(ctx, s)
            if iv is not None:
                return str(iv)
            return s.open + ", ".join(_desc(ctx, x) for x in s.items) + s.close
        iv = _interval(ctx, s) if any(x.text in ("\\infty", "-\\infty") for x in s.items if isinstance(x, _Scalar)) else None
        if iv is not None:  # (2, \infty) can only be an interval
            return str(iv)
        return "Tuple(" + ", ".join(_desc(ctx, x) for x in s.items) + ")"
    if isinstance(s, _Set):
        if _setlike(s):
            st = _as_set(ctx, s)
            if st is not None:
                return str(st)
        return "FiniteSet(" + ", ".join(_desc(ctx, x) for x in s.items) + ")"
    if isinstance(s, (_Union, _Inter)):
        st = _as_set(ctx, s)
        name = type(s).__name__.strip("_").replace("Inter", "Intersection")
        return str(st) if st is not None else name + "(" + ", ".join(_desc(ctx, x) for x in s.items) + ")"
    if isinstance(s, _Matrix):
        return "Matrix([" + ", ".join("[" + ", ".join(_desc(ctx, c) for c in r) + "]" for r in s.rows) + "])"
    if isinstance(s, _Rel):
        if s.ops == ("=",):
            return f"Eq({_desc(ctx, _Scalar(s.sides[0]))}, {_desc(ctx, _Scalar(s.sides[1]))})"
        st = _as_set(ctx, s) if _is_ineq(s) else None
        if st is not None:
            return str(st)
        ops = {"\\leq": "<=", "\\geq": ">=", "\\neq": "!="}
        out = _desc(ctx, _Scalar(s.sides[0]))
        for op, side in zip(s.ops, s.sides[1:]):
            out += f" {ops.get(op, op)} {_desc(ctx, _Scalar(side))}"
        return out
    if isinstance(s, _Const):
        return "EmptySet" if s.name == "empty" else "Reals"
    raise _Unparseable(f"cannot describe {type(s).__name__}")


def _describe(ctx: _Ctx, n: _Norm, s: Any | None) -> str | None:
    """The parsed canonical form of one side, or ``None`` if it cannot be parsed."""
    cheap = _cheap_describe(n)
    if cheap is not None or not n.text or len(n.text) > MAX_LEN:
        return cheap
    try:
        if s is None:
            s = _parse_structure(n.text)
        d = _desc(ctx, s)
    except (_Unparseable, _TooComplex, _SideError, RecursionError):
        return None
    except _sympy_errors():
        return None
    if isinstance(s, _Scalar) and n.assigned:
        d = f"Eq({n.assigned}, {d})"
    return d + "%" if n.percent else d

"""Sympy comparison: are two parsed answers equal?

:func:`_exprs_equal` decides two expressions exactly (sympy) and otherwise by the numeric
fallback at fixed real sample points (see "Strict" in the package docstring: it accepts
only finite values in ``[1e-300, 1e300]`` and never with a decimal in the prediction).
:func:`_scalar_equal` adds the cheap checks and :func:`_struct_equal` compares structures
(gold first: the rules are asymmetric), sets of reals included. Undecidable elements raise
``_SideError`` naming the side (gold or pred) and the reason.
"""
from __future__ import annotations

import cmath
import hashlib
import re
from functools import lru_cache
from typing import Any

from harness.scoring.math_equiv.result import _TooComplex, _Unparseable, REL_TOL
from harness.scoring.math_equiv.hints import Hints
from harness.scoring.math_equiv.normalize import _Norm
from harness.scoring.math_equiv.cheap import _cheap_scalar, _rounded_ok
from harness.scoring.math_equiv.structures import (
    _Const,
    _FLIP,
    _INEQ_OPS,
    _Inter,
    _Matrix,
    _Rel,
    _Scalar,
    _Seq,
    _Set,
    _Union,
)
from harness.scoring.math_equiv.latex import _sympy, _sympy_errors, _to_sympy


_SAMPLES = ((37, 11), (-29, 13), (5, 17), (-7, 19))  # both signs, both sides of 1 in size


@lru_cache(maxsize=1024)
def _symbol_factor(name: str):
    """A factor in [1, 2) that depends only on the symbol's name, so a symbol gets the same
    sample values whichever other symbols share the expression (needed by fingerprints)."""
    h = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big") % 999_983
    return _sympy().Rational(999_983 + h, 999_983)


def _sample_points(symbols) -> list[dict]:
    """Four deterministic rational assignments for the free symbols (no 0/±1/integers):
    one positive and one negative point of each magnitude, distinct per symbol."""
    sp = _sympy()
    return [{s: sp.Rational(p, q) * _symbol_factor(str(s)) for s in symbols} for p, q in _SAMPLES]


def _as_complex(x) -> complex | None:
    """A Python complex for a finite value that fits a float, else ``None`` (never inf)."""
    try:
        z = complex(x)
    except (TypeError, ValueError, OverflowError):
        return None
    return z if cmath.isfinite(z) else None


def _values(e, points: list[dict]) -> list[complex | None]:
    return [_as_complex(e.subs(pt).evalf(40) if pt else e.evalf(40)) for pt in points]


_SAFE_MAX = 1e300  # the numeric fallback only accepts values in [1e-300, 1e300] (or 0)
_SAFE_MIN = 1e-300
_MAXN = 600  # digits evalf may use to tell a value from zero


def _evaluate(e, dps: int = 40):
    """``e`` at ``dps`` significant digits as an mpmath ``mpc``; ``0`` when evalf cannot
    tell it from zero with ``_MAXN`` digits; ``None`` when it is not a finite number."""
    sp = _sympy()
    from sympy.core.evalf import PrecisionExhausted

    try:
        v = e.evalf(dps, maxn=_MAXN, strict=True)
    except PrecisionExhausted:
        return 0
    except _sympy_errors():
        return None
    if not v.is_number or v.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return None
    re_, im_ = v.as_real_imag()
    if not (re_.is_Number and im_.is_Number):
        return None
    import mpmath

    z = mpmath.mpc(mpmath.mpf(sp.Float(re_, dps)._mpf_), mpmath.mpf(sp.Float(im_, dps)._mpf_))
    return z if mpmath.isfinite(z.real) and mpmath.isfinite(z.imag) else None


def _in_safe_range(z) -> bool:
    return z == 0 or _SAFE_MIN <= abs(z) <= _SAFE_MAX


def _numerically_safe(e) -> bool:
    """Every numeric sub-expression of ``e`` (symbols already substituted) is finite, is
    told apart from zero by evalf, and lies in ``[1e-300, 1e300]`` or is exactly 0: no
    overflow, underflow or unresolved cancellation that a float-like check could miss."""
    sp = _sympy()
    for node in sp.preorder_traversal(e):
        if not getattr(node, "is_number", False):
            continue
        v = node if node.is_Rational else _evaluate(node, 15)
        if v is None or not _in_safe_range(v) or v == 0 and node.is_zero is not True:
            return False
    return True


def _exprs_equal(a, b, approximate: bool) -> tuple[bool | None, str]:
    """Exact symbolic equality, with a numeric fallback (see the package docstring).

    Two exact rationals are decided exactly. The numeric fallback evaluates the
    difference at each sample point with evalf (arbitrary exponents, ``_MAXN`` digits to
    resolve cancellation): a clearly non-zero difference refutes; it accepts only when the
    difference is zero at every point *and* every sub-expression of both sides is finite
    and within ``[1e-300, 1e300]`` (:func:`_numerically_safe`). Otherwise ``None``
    (``out_of_range``): never an accept by float rounding."""
    sp = _sympy()
    if a == b:
        return True, "sympy_equal"
    if a.has(sp.oo, -sp.oo) or b.has(sp.oo, -sp.oo):  # infinities: structural equality only
        return False, "not_equal"
    if a.is_Rational and b.is_Rational:  # exact numbers: a == b already decided
        return False, "not_equal"
    diff = a - b
    syms = a.free_symbols | b.free_symbols
    points = _sample_points(syms) if syms else [{}]
    subs = [(a.subs(pt), b.subs(pt), diff.subs(pt)) if pt else (a, b, diff) for pt in points]
    zero_everywhere, proven_nonzero = True, False
    for ea, eb, ed in subs:
        av, bv, dv = _evaluate(ea), _evaluate(eb), _evaluate(ed)
        if dv is None or dv != 0:
            zero_everywhere = False
        if av is None or bv is None or dv is None or dv == 0:
            continue
        proven_nonzero = True
        if abs(dv) > REL_TOL * max(abs(av), abs(bv)):
            return False, "not_equal"
    if sp.expand(diff) == 0 or sp.simplify(diff) == 0:
        return True, "sympy_equal"
    if proven_nonzero or approximate:
        return False, "not_equal"
    if zero_everywhere and all(_numerically_safe(x) for ea, eb, _ in subs for x in (ea, eb)):
        return True, "numeric_equal"
    return None, "out_of_range"


class _Ctx:
    """Per-call state: the problem hints (choices dropped below the top level)."""

    def __init__(self, hints: Hints) -> None:
        self.hints = hints
        self.inner = Hints(base=hints.base, decimal_places=hints.decimal_places, natural_log=hints.natural_log)

    def expr(self, text: str) -> tuple[Any, bool]:
        return _to_sympy(text, self.hints.natural_log)


class _SideError(Exception):
    """An undecidable element: ``side`` (gold/pred/both) and the EquivResult reason."""

    def __init__(self, side: str, reason: str):
        super().__init__(f"{side}: {reason}")
        self.side, self.reason = side, reason


def _side_expr(ctx, text: str, side: str):
    """``ctx.expr(text)``, with a failure attributed to ``side`` ("gold" or "pred")."""
    try:
        return ctx.expr(text)
    except _TooComplex as exc:
        raise _SideError(side, "too_complex") from exc
    except _Unparseable as exc:
        raise _SideError(side, "unparseable") from exc


def _real_value(e) -> float | None:
    v = _as_complex(e.evalf(30)) if e.is_number else None
    return v.real if v is not None and abs(v.imag) <= 1e-12 * max(1.0, abs(v.real)) else None


def _scalar_equal(ctx: _Ctx, g: str, p: str, gn: _Norm | None = None, pn: _Norm | None = None) -> tuple[bool, str]:
    """Two normalised scalars: cheap checks, then sympy. ``gn``/``pn`` carry the percent
    flags (top level only). Raises _SideError when undecidable."""
    gn = gn or _Norm(g, False)
    pn = pn or _Norm(p, False)
    cheap = _cheap_scalar(gn, pn, ctx.inner)
    if cheap is not None:
        if cheap.equivalent is None:
            raise _SideError("both", cheap.reason)
        return cheap.equivalent, cheap.reason
    ga, _ = _side_expr(ctx, g, "gold")
    pa, approx = _side_expr(ctx, p, "pred")
    sp = _sympy()
    if ga.has(sp.zoo, sp.nan):  # e.g. \frac{1}{0}: a broken reference cannot be judged
        raise _SideError("gold", "undefined")
    if pa.has(sp.zoo, sp.nan):
        return False, "not_equal"
    ok, why = _exprs_equal(ga, pa, approx)
    if ok:
        return True, why
    if gn.percent != pn.percent:  # exactly one side wrote a percent: also compare its value
        scaled = (ga / 100, pa) if gn.percent else (ga, pa / 100)
        if _exprs_equal(*scaled, approx)[0]:
            return True, "equal_percent"
    if ctx.hints.decimal_places is not None and not (gn.percent or pn.percent):
        gv = _real_value(ga)
        if gv is not None and _rounded_ok(p, gv, ctx.hints):
            return True, "equal_rounded"
    if ok is None:
        raise _SideError("both", why)
    return False, why


def _match_unordered(ctx: _Ctx, gs: tuple, ps: tuple) -> bool:
    """Multiset equality: every gold element pairs with a distinct equal pred element."""
    if len(gs) != len(ps):
        return False
    used = [False] * len(ps)
    for g in gs:
        for j, p in enumerate(ps):
            if not used[j] and _struct_equal(ctx, g, p)[0]:
                used[j] = True
                break
        else:
            return False
    return True


def _is_ineq(s: Any) -> bool:
    return isinstance(s, _Rel) and all(op in _INEQ_OPS for op in s.ops)


def _setlike(s: Any) -> bool:
    """Answers that only make sense as sets of reals: inequalities, unions, R, the empty set."""
    return (_is_ineq(s) or isinstance(s, (_Const, _Union, _Inter))
            or isinstance(s, _Set) and not s.braced and bool(s.items) and all(_is_ineq(x) for x in s.items))


def _interval(ctx: _Ctx, s: _Seq):
    """``(a, b]`` with real numbers ``a < b`` as a sympy Interval, else ``None``."""
    sp = _sympy()
    if len(s.items) != 2 or not all(isinstance(x, _Scalar) for x in s.items):
        return None
    a, b = (ctx.expr(x.text)[0] for x in s.items)
    if a.free_symbols or b.free_symbols or not (a.is_extended_real and b.is_extended_real):
        return None
    if (a < b) is not sp.true:
        return None
    return sp.Interval(a, b, s.open == "(", s.close == ")")


_FUNC_VALUE_RE = re.compile(r"^[A-Za-z](?:_\{?\w+\}?)?\([A-Za-z]\)$")  # f(x), g_1(t)


def _ineq_set(ctx: _Ctx, rel: _Rel):
    """The set of reals satisfying a one-variable inequality (chain), else ``None``."""
    sp = _sympy()
    # a side that is a function value ("0 < f(x) < 1") is the unknown, as "y" would be
    exprs = [sp.Symbol(t) if _FUNC_VALUE_RE.match(t) else ctx.expr(t)[0] for t in rel.sides]
    syms = set().union(*(e.free_symbols for e in exprs))
    if len(syms) != 1:
        return None
    x = syms.pop()
    funcs = {"<": sp.Lt, ">": sp.Gt, "\\leq": sp.Le, "\\geq": sp.Ge, "\\neq": sp.Ne}
    result = sp.S.Reals
    for lhs, op, rhs in zip(exprs, rel.ops, exprs[1:]):
        if rhs == x and not lhs.free_symbols:
            lhs, op, rhs = rhs, _FLIP[op], lhs
        if lhs == x and not rhs.free_symbols and rhs.is_extended_real:
            piece = {"<": sp.Interval.open(-sp.oo, rhs), "\\leq": sp.Interval(-sp.oo, rhs),
                     ">": sp.Interval.open(rhs, sp.oo), "\\geq": sp.Interval(rhs, sp.oo),
                     "\\neq": sp.Union(sp.Interval.open(-sp.oo, rhs), sp.Interval.open(rhs, sp.oo))}[op]
        else:
            piece = sp.solveset(funcs[op](lhs, rhs), x, sp.S.Reals)
            if not isinstance(piece, sp.Set) or isinstance(piece, sp.ConditionSet):
                return None
        result = sp.Intersection(result, piece)
    return result


def _as_set(ctx: _Ctx, s: Any):
    """A set of reals for interval-like answers, else ``None``."""
    sp = _sympy()
    if isinstance(s, _Const):
        return sp.S.EmptySet if s.name == "empty" else sp.S.Reals
    if isinstance(s, _Seq):
        return _interval(ctx, s)
    if isinstance(s, _Inter):
        parts = [_as_set(ctx, x) for x in s.items]
        return None if any(x is None for x in parts) else sp.Intersection(*parts)
    if isinstance(s, (_Union, _Set)) and not (isinstance(s, _Set) and s.braced):
        parts = [_as_set(ctx, x) for x in s.items]
        return None if any(x is None for x in parts) else sp.Union(*parts)
    if isinstance(s, _Set):  # \{1, 2\}: a finite set of reals
        if not all(isinstance(x, _Scalar) for x in s.items):
            return None
        values = [ctx.expr(x.text)[0] for x in s.items]
        return sp.FiniteSet(*values) if all(v.is_number and v.is_extended_real for v in values) else None
    if _is_ineq(s):
        return _ineq_set(ctx, s)
    return None


def _sets_equal(a, b) -> bool:
    sp = _sympy()
    return a == b or a.symmetric_difference(b) == sp.S.EmptySet


def _rel_equal(ctx: _Ctx, g: _Rel, p: _Rel) -> tuple[bool, str]:
    """Same relation (or its mirror image); equations also up to a non-zero factor;
    inequalities also as sets of reals."""
    if len(g.ops) == 1 and len(p.ops) == 1:
        go, po = g.ops[0], p.ops[0]
        (gl, gr), (pl, pr) = g.sides, p.sides
        if po == go and _scalar_equal(ctx, gl, pl)[0] and _scalar_equal(ctx, gr, pr)[0]:
            return True, "equation_equal"
        if po == _FLIP[go] and _scalar_equal(ctx, gl, pr)[0] and _scalar_equal(ctx, gr, pl)[0]:
            return True, "equation_equal"
        if go == po == "=":
            sp = _sympy()
            gd = sp.expand(ctx.expr(gl)[0] - ctx.expr(gr)[0])
            pd = sp.expand(ctx.expr(pl)[0] - ctx.expr(pr)[0])
            if pd == 0 or gd == 0:
                return (gd == pd), "equation_equal" if gd == pd else "not_equal"
            ratio = sp.simplify(gd / pd)
            if ratio.is_number and ratio != 0 and ratio.is_finite:
                return True, "equation_equal"
            return False, "not_equal"
    if _is_ineq(g) and _is_ineq(p):
        a, b = _as_set(ctx, g), _as_set(ctx, p)
        if a is not None and b is not None:
            ok = _sets_equal(a, b)
            return ok, "set_equal" if ok else "not_equal"
    return False, "not_equal"


def _struct_equal(ctx: _Ctx, g: Any, p: Any) -> tuple[bool, str]:
    """Compare parsed structures (gold first)."""
    if isinstance(g, _Scalar) and isinstance(p, _Scalar):
        return _scalar_equal(ctx, g.text, p.text)
    if isinstance(g, _Rel) and isinstance(p, _Rel):
        return _rel_equal(ctx, g, p)
    if _setlike(g) or _setlike(p):
        if isinstance(g, _Union) and isinstance(p, _Union) and _match_unordered(ctx, g.items, p.items):
            return True, "structure_equal"
        a, b = _as_set(ctx, g), _as_set(ctx, p)
        if a is not None and b is not None:
            ok = _sets_equal(a, b)
            return ok, "set_equal" if ok else "not_equal"
        if isinstance(g, _Union) and isinstance(p, _Union):
            return False, "not_equal"
    if isinstance(g, _Scalar) and isinstance(p, _Set) and not p.braced and p.items:
        ok = all(_struct_equal(ctx, g, x)[0] for x in p.items)  # "639/40, 15\frac{39}{40}": one value twice
        return ok, "structure_equal" if ok else "structure_mismatch"
    if isinstance(g, _Seq) and isinstance(p, _Seq):
        if (g.open, g.close) != (p.open, p.close) or len(g.items) != len(p.items):
            return False, "structure_mismatch"
        ok = all(_struct_equal(ctx, a, b)[0] for a, b in zip(g.items, p.items))
        return ok, "structure_equal" if ok else "not_equal"
    if isinstance(g, _Seq) and isinstance(p, _Set) and not p.braced and (g.open, g.close) == ("(", ")"):
        ok = len(g.items) == len(p.items) and all(_struct_equal(ctx, a, b)[0] for a, b in zip(g.items, p.items))
        return ok, "structure_equal" if ok else "not_equal"
    if isinstance(g, _Set) and not g.braced and isinstance(p, _Seq) and (p.open, p.close) == ("(", ")"):
        ok = _match_unordered(ctx, g.items, p.items)  # a list of solutions in parentheses
        return ok, "structure_equal" if ok else "not_equal"
    if isinstance(g, _Set) and isinstance(p, _Set) or isinstance(g, _Union) and isinstance(p, _Union):
        ok = _match_unordered(ctx, g.items, p.items)
        return ok, "structure_equal" if ok else "not_equal"
    if isinstance(g, _Matrix) and isinstance(p, _Matrix):
        if len(g.rows) != len(p.rows) or len(g.rows[0]) != len(p.rows[0]):
            return False, "structure_mismatch"
        ok = all(_struct_equal(ctx, a, b)[0] for ra, rb in zip(g.rows, p.rows) for a, b in zip(ra, rb))
        return ok, "structure_equal" if ok else "not_equal"
    if isinstance(g, _Matrix) and isinstance(p, _Seq) or isinstance(g, _Seq) and isinstance(p, _Matrix):
        mat, seq = (g, p) if isinstance(g, _Matrix) else (p, g)
        flat = [c for r in mat.rows for c in r]
        vector = min(len(mat.rows), len(mat.rows[0])) == 1 and (seq.open, seq.close) == ("(", ")")
        if not vector or len(flat) != len(seq.items):
            return False, "structure_mismatch"
        pairs = zip(flat, seq.items) if mat is g else zip(seq.items, flat)
        ok = all(_struct_equal(ctx, a, b)[0] for a, b in pairs)
        return ok, "structure_equal" if ok else "not_equal"
    if isinstance(g, _Const) and isinstance(p, _Const):
        return g.name == p.name, "structure_equal" if g.name == p.name else "not_equal"
    return False, "structure_mismatch"

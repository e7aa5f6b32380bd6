"""Answers on their own, for clustering (maj@k): keys, fingerprints and refutation.

:func:`analyze` gives an :class:`Analysis`: equal ``key`` implies equivalent answers;
``fingerprint`` (values at fixed sample points, scalars only) and ``shape`` let
:func:`refutes` prove two answers different without comparing them.
:func:`cheap_analysis` is the bounded, sympy-free part (``None`` when it needs sympy);
:func:`answer_key` the cheapest key (exact rationals as ``p/q``, plain words case-folded).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harness.scoring.math_equiv.result import _TooComplex, _Unparseable, MAX_LEN
from harness.scoring.math_equiv.hints import NO_HINTS
from harness.scoring.math_equiv.normalize import _is_textual, _normalize, normalize_answer
from harness.scoring.math_equiv.numbers import _numeral, _time, parse_rational
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
from harness.scoring.math_equiv.compare import _Ctx, _sample_points, _values


@dataclass(frozen=True)
class Analysis:
    """One answer on its own, for clustering (:func:`analyze`). ``key``: equal keys imply
    equivalent answers. ``fingerprint``: the value at fixed sample points (scalars only)
    and ``shape``: the kind of structure; both refute equality cheaply (:func:`refutes`)."""

    key: str
    fingerprint: tuple[complex, ...] | None = None
    shape: str | None = None  # "scalar", "scalar=" (was "v = ..."), "rel=", "rel", "_Seq", ... or unknown


def answer_key(s: str | None) -> str:
    """A cheap canonical string for clustering: exact rationals as ``p/q``, plain-word
    answers case-folded, otherwise the normalised text. Equal keys imply equivalence
    except for the percent policy (``50\\%`` and ``50`` share the key ``50``)."""
    text = normalize_answer(s)
    r = parse_rational(text)
    if r is not None:
        return str(r)
    return text.casefold() if _is_textual(text) else text


def _struct_key(ctx: _Ctx, s: Any) -> str:
    """An exact key: equal keys mean the structures compare equal element by element."""
    sp = _sympy()
    if isinstance(s, _Scalar):
        e = ctx.expr(s.text)[0]
        if e.has(sp.zoo, sp.nan):
            raise _Unparseable("undefined")
        return "e:" + sp.srepr(e)
    if isinstance(s, _Seq):
        return s.open + "|".join(_struct_key(ctx, x) for x in s.items) + s.close
    if isinstance(s, _Set):
        return ("{" if s.braced else "L{") + "|".join(_struct_key(ctx, x) for x in s.items) + "}"
    if isinstance(s, (_Union, _Inter)):
        return type(s).__name__ + "(" + "|".join(_struct_key(ctx, x) for x in s.items) + ")"
    if isinstance(s, _Matrix):
        return "M[" + "/".join("|".join(_struct_key(ctx, c) for c in r) for r in s.rows) + "]"
    if isinstance(s, _Rel):
        return "R(" + "|".join(s.ops) + ":" + "|".join(_struct_key(ctx, _Scalar(x)) for x in s.sides) + ")"
    if isinstance(s, _Const):
        return "C:" + s.name
    raise _Unparseable("no key")


def cheap_analysis(answer: str | None) -> Analysis | None:
    """:func:`analyze` for answers the cheap path decides on its own (numbers, words,
    times, numerals, empty or too long): no sympy, linear cost. ``None`` otherwise."""
    n = _normalize(answer)
    r = parse_rational(n.text)
    if r is not None:
        try:
            fp = None if n.percent else (complex(float(r)),)
        except OverflowError:
            fp = None
        return Analysis(str(r), fp, "scalar=" if n.assigned else "scalar")
    if (not n.text or len(n.text) > MAX_LEN or _is_textual(n.text) or _time(n.text) is not None
            or _numeral(n.text, None) is not None or re.fullmatch(r"[A-H]", n.text)):
        return Analysis(answer_key(answer))
    return None


def analyze(answer: str | None) -> Analysis:
    """Clustering data for one (predicted) answer; pure, no time limit (the pool runs it
    with one). ``key``: :func:`answer_key` for cheap answers, else an exact key of the
    parsed form (``0.5\\sqrt{3}`` and ``\\frac{\\sqrt3}{2}`` share one). ``fingerprint``: for
    a scalar expression, its values at the sample points of the numeric check."""
    cheap = cheap_analysis(answer)
    if cheap is not None:
        return cheap
    n = _normalize(answer)
    cheap_key = answer_key(answer)
    ctx = _Ctx(NO_HINTS)
    try:
        s = _parse_structure(n.text)
        key = "\x1f" + _struct_key(ctx, s)  # a prefix no normalised answer starts with
        fp = None
        if isinstance(s, _Scalar):
            shape = "scalar=" if n.assigned else "scalar"
        else:
            shape = ("rel=" if s.ops == ("=",) else "rel") if isinstance(s, _Rel) else type(s).__name__
        if isinstance(s, _Scalar) and not n.percent:
            e = ctx.expr(s.text)[0]
            sp = _sympy()
            if not e.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
                syms = e.free_symbols
                vals = _values(e, _sample_points(syms) if syms else [{}])
                if all(v is not None and v == v for v in vals):
                    fp = tuple(vals)  # type: ignore[arg-type]
    except (_Unparseable, _TooComplex, RecursionError):
        return Analysis(cheap_key)
    except _sympy_errors():
        return Analysis(cheap_key)
    return Analysis(key, fp, shape)


def refutes(a: Analysis, b: Analysis) -> bool:
    """True when two analyses prove the answers unequal without a full check: two
    scalars whose fingerprints differ, or a scalar against a structure (a tuple, set,
    interval, matrix or relation is never one number; only ``y = ...`` can equal an
    equation). Only valid for pairs :func:`quick_check` could not decide."""
    if a.shape is None or b.shape is None:
        return False
    sa, sb = a.shape.startswith("scalar"), b.shape.startswith("scalar")
    if sa and sb:
        return fingerprints_differ(a.fingerprint, b.fingerprint)
    if sa != sb:
        scalar, other = (a.shape, b.shape) if sa else (b.shape, a.shape)
        return not (scalar == "scalar=" and other == "rel=")
    return False


def fingerprints_differ(a: tuple[complex, ...] | None, b: tuple[complex, ...] | None) -> bool:
    """True when two fingerprints prove the answers unequal: some sample value differs by
    far more than ``REL_TOL`` (so the full check would also say "not equal")."""
    if a is None or b is None:
        return False
    if len(a) != len(b):
        if len(a) == 1:
            a = a * len(b)
        elif len(b) == 1:
            b = b * len(a)
        else:
            return False
    for x, y in zip(a, b):
        d = abs(x - y)
        if d > 1e-6 * max(abs(x), abs(y)) and d > 1e-15:
            return True
    return False

"""Structures: a normalised answer as tuples, sets, intervals, unions, matrices or relations.

:func:`_parse_structure` turns normalised text into ``_Scalar`` / ``_Seq`` (tuple or
interval) / ``_Set`` (bare list or braced set) / ``_Union`` / ``_Inter`` / ``_Matrix`` /
``_Rel`` (equations and inequalities) / ``_Const`` (empty set, reals). Sums and products
of matrix literals become the matrix of their entry expressions. It raises
``_Unparseable`` (ragged matrix, shapes that do not conform) or ``_TooComplex`` (more than
``_MAX_ITEMS`` elements); scalars are not parsed here.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from harness.scoring.math_equiv.result import _MAX_ITEMS, _TooComplex, _Unparseable, MAX_LEN
from harness.scoring.math_equiv.normalize import _balanced, _outer_pair, _split_top


@dataclass(frozen=True)
class _Scalar:
    text: str


@dataclass(frozen=True)
class _Seq:  # (a,b) tuple/open interval, [a,b) interval, ...
    open: str
    close: str
    items: tuple


@dataclass(frozen=True)
class _Set:  # \{a,b\}, "a, b", "a or b", a \pm b: unordered
    items: tuple
    braced: bool


@dataclass(frozen=True)
class _Union:
    items: tuple


@dataclass(frozen=True)
class _Inter:  # conditions joined by "and"
    items: tuple


@dataclass(frozen=True)
class _Matrix:
    rows: tuple


@dataclass(frozen=True)
class _Rel:  # sides[0] ops[0] sides[1] ops[1] ...; ops in = < > \leq \geq \neq
    ops: tuple
    sides: tuple


@dataclass(frozen=True)
class _Const:  # the empty set or the reals
    name: str


_MATRIX_RE = re.compile(r"^\\begin\{([pbBvV]?matrix|array)\}(?:\{[lcr|]*\})?(.*)\\end\{\1\}$", re.DOTALL)
_REL_TOKEN_RE = re.compile(r"\\leq(?![a-zA-Z])|\\geq(?![a-zA-Z])|\\neq(?![a-zA-Z])|<|>|=")
_INEQ_OPS = frozenset({"<", ">", "\\leq", "\\geq", "\\neq"})
_FLIP = {"<": ">", ">": "<", "\\leq": "\\geq", "\\geq": "\\leq", "=": "=", "\\neq": "\\neq"}


def _expand_pm(s: str) -> list[str]:
    """``1\\pm\\sqrt{5}`` -> ``["1+\\sqrt{5}", "1-\\sqrt{5}"]`` (all sign choices, <= 3 signs)."""
    pieces = re.split(r"\\(pm|mp)(?![a-zA-Z])", s)
    k = (len(pieces) - 1) // 2
    if k == 0:
        return [s]
    if k > 3:
        raise _TooComplex("too many \\pm")
    out = []
    for signs in itertools.product((0, 1), repeat=k):
        buf = [pieces[0]]
        for j, sgn in enumerate(signs):
            op = pieces[2 * j + 1]
            buf.append("+-"[sgn] if op == "pm" else "-+"[sgn])
            buf.append(pieces[2 * j + 2])
        out.append("".join(buf))
    return out


def _split_relations(s: str) -> tuple[list[str], list[str]]:
    """Top-level relation operators: ``-2<x\\leq5`` -> (["-2", "x", "5"], ["<", "\\leq"])."""
    sides, ops, depth, start, i = [], [], 0, 0, 0
    while i < len(s):
        ch = s[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and ch in "<>=\\":
            m = _REL_TOKEN_RE.match(s, i)
            if m:
                sides.append(s[start:i])
                ops.append(m.group(0))
                i = start = m.end()
                continue
        i += 1
    sides.append(s[start:])
    return sides, ops


def _matrix_cells(body: str) -> tuple[tuple[str, ...], ...]:
    """The cells of a matrix body ``a & b \\\\ c & d``; raises _Unparseable when ragged."""
    rows = [r for r in _split_top(body, "\\\\") if r.strip()]
    cells = tuple(tuple(c.strip() for c in _split_top(r, "&")) for r in rows)
    if not cells or len({len(r) for r in cells}) != 1 or len(cells) * len(cells[0]) > _MAX_ITEMS:
        raise _Unparseable("ragged matrix")
    return cells


_MATRIX_TERM_RE = re.compile(r"\\begin\{([pbBvV]?matrix)\}(.*?)\\end\{\1\}", re.DOTALL)
_MATRIX_OPS = {"": "*", "\\cdot": "*", "\\times": "*", "*": "*", "+": "+", "-": "-"}


def _matrix_arith(s: str) -> _Matrix | None:
    """A sum, difference or product of matrix literals (``A + B``, ``A B``, ``A \\cdot B``)
    as the matrix of its entry expressions (``(a)+(b)``, ``(a)(b)+(c)(d)``: the entries are
    compared as expressions later); ``None`` when ``s`` is not such an expression. Shapes
    that do not conform raise _Unparseable."""
    terms, ops, pos = [], [], 0
    for m in _MATRIX_TERM_RE.finditer(s):
        gap = s[pos:m.start()].strip()
        if terms:
            ops.append(gap)
        elif gap:
            return None
        terms.append(_matrix_cells(m.group(2)))
        pos = m.end()
    if len(terms) < 2 or s[pos:].strip() or any(op not in _MATRIX_OPS for op in ops):
        return None
    sums, signs = [terms[0]], ["+"]
    for op, t in zip(ops, terms[1:]):
        if _MATRIX_OPS[op] == "*":
            a = sums[-1]
            if len(a[0]) != len(t):
                raise _Unparseable("matrix shapes do not conform")
            sums[-1] = tuple(tuple("+".join(f"({a[i][k]})({t[k][j]})" for k in range(len(t)))
                                   for j in range(len(t[0]))) for i in range(len(a)))
        else:
            sums.append(t)
            signs.append(op)
    total = sums[0]
    for sign, t in zip(signs[1:], sums[1:]):
        if (len(t), len(t[0])) != (len(total), len(total[0])):
            raise _Unparseable("matrix shapes do not conform")
        total = tuple(tuple(f"({a}){sign}({b})" for a, b in zip(ra, rb)) for ra, rb in zip(total, t))
    if sum(len(c) for r in total for c in r) > MAX_LEN:
        raise _TooComplex("matrix expression too long")
    return _Matrix(tuple(tuple(_Scalar(c) for c in r) for r in total))


def _parse_structure(s: str) -> Any:
    """Turn a normalised answer into _Scalar / _Seq / _Set / _Union / _Matrix / _Rel / _Const."""
    if s == "\\emptyset":
        return _Const("empty")
    if s == "\\mathbb{R}":
        return _Const("reals")
    if s.count("\\begin{") > 1:
        product = _matrix_arith(s)
        if product is not None:
            return product
    m = _MATRIX_RE.match(s)
    if m:
        return _Matrix(tuple(tuple(_Scalar(c) for c in r) for r in _matrix_cells(m.group(2))))
    for sep, kind in (("\\cup", _Union), ("\\wedge", _Inter)):
        parts = _split_top(s, sep)
        if len(parts) > 1:
            if len(parts) > _MAX_ITEMS:
                raise _TooComplex("too many elements")
            return kind(tuple(_parse_structure(p.strip()) for p in parts))
    if s.startswith("\\{") and s.endswith("\\}") and _balanced(s[2:-2]):
        items = [x for part in _split_top(s[2:-2], ",") for x in _expand_pm(part)]
        return _Set(tuple(_parse_structure(x) for x in items if x), braced=True)
    parts = [x for p in _split_top(s, ",") for x in _expand_pm(p)]
    if len(parts) > _MAX_ITEMS:
        raise _TooComplex("too many elements")
    if len(parts) > 1:
        return _Set(tuple(_parse_structure(p) for p in parts), braced=False)
    pair = _outer_pair(s)
    if pair is not None:
        items = _split_top(pair[1], ",")
        if len(items) > 1:
            return _Seq(pair[0], pair[2], tuple(_parse_structure(x) for x in items))
        if pair[0] + pair[2] == "()":
            return _parse_structure(pair[1])
    sides, ops = _split_relations(s)
    if ops and all(sides):
        if len(ops) == 1 or set(ops) in ({"="}, {"<"}, {"<", "\\leq"}, {"\\leq"}, {">"}, {">", "\\geq"}, {"\\geq"}):
            return _Rel(tuple(ops), tuple(sides))
    return _Scalar(s)

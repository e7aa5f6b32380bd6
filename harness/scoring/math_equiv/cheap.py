"""Cheap decisions: verdicts that need no sympy, in bounded time.

:func:`quick_check` decides a pair from the normalised strings (equal text, exact
rationals, percent, requested rounding, bases, times, ratios, choice letters) or returns
``None`` for the full checker; it never raises and never accepts what the full checker
would refuse (it is the same code the full checker runs first).
"""
from __future__ import annotations

import re
from fractions import Fraction

from harness.scoring.math_equiv.result import EquivResult, MAX_LEN
from harness.scoring.math_equiv.hints import Hints, NO_HINTS, problem_hints
from harness.scoring.math_equiv.normalize import _is_textual, _Norm, _normalize
from harness.scoring.math_equiv.numbers import (
    _choice_letter,
    _numeral,
    _ratio,
    _SIGNED_DEC_RE,
    _time,
    _time_24,
    _times_equal,
    parse_rational,
)


def _result(ok: bool | None, why: str, g: _Norm, p: _Norm) -> EquivResult:
    return EquivResult(ok, why, _cheap_describe(g), _cheap_describe(p), g.text, p.text)


_PLAIN_DECIMAL_RE = re.compile(r"^[-+]?\d+(?:\.(\d+))?$")


def _rounded_ok(pt: str, gold_value: Fraction | float, hints: Hints) -> bool:
    """The problem asks for ``d`` decimal places and ``pt`` is the gold value rounded to d.
    Exact arithmetic (no overflow); a float gold (an evaluated expression) gets a
    relative slack of 1e-12 for its own rounding."""
    d = hints.decimal_places
    m = _PLAIN_DECIMAL_RE.match(pt)
    if d is None or m is None or len(m.group(1) or "") != d:
        return False
    half = Fraction(1, 2 * 10 ** d)
    gold = Fraction(gold_value)
    slack = 0 if isinstance(gold_value, Fraction) else half * Fraction(1, 10 ** 12) + abs(gold) / 10 ** 15
    return abs(Fraction(pt) - gold) <= half + slack


def _rational_verdict(g: _Norm, p: _Norm, rg: Fraction, rp: Fraction, hints: Hints) -> EquivResult:
    """Exact comparison under the percent policy (package docstring)."""
    if rg == rp:
        return _result(True, "equal_rational", g, p)
    if (g.percent and not p.percent and rp == rg / 100) or (p.percent and not g.percent and rp / 100 == rg):
        return _result(True, "equal_percent", g, p)
    if not g.percent and not p.percent and _rounded_ok(p.text, rg, hints):
        return _result(True, "equal_rounded", g, p)
    return _result(False, "not_equal_rational", g, p)


def _base_verdict(g: _Norm, p: _Norm, hints: Hints) -> EquivResult | None:
    """Numerals in the requested base (see "Bases" in the package docstring)."""
    gold_sub = _numeral(g.text, None)
    requested = hints.base or (gold_sub.base if gold_sub else None)
    if requested is None:
        return None
    ng, np_ = _numeral(g.text, requested), _numeral(p.text, requested)
    if ng is None or not (ng.subscripted or np_ is not None and np_.subscripted):
        return None  # nothing written in a base: ordinary numbers
    if np_ is None:
        return _result(False, "not_equal", g, p) if re.fullmatch(r"[0-9A-Za-z]+", p.text) else None
    if hints.base and np_.subscripted and np_.base != hints.base:
        return _result(False, "not_equal", g, p)  # not written in the base the problem asks for
    return _result(ng.value == np_.value, "equal_base" if ng.value == np_.value else "not_equal", g, p)


_DECIMAL_COMMA_RE = re.compile(r"^[-+]?\d+,\d+$")


def _decimal_comma(s: str, other: str) -> Fraction | None:
    """A prediction ``s`` = ``3,5`` read as 3.5 when the gold ``other`` is a decimal number
    written with a point: the list reading {3, 5} could never equal it, so the locale
    reading is unambiguous. ``None`` otherwise."""
    if not (_DECIMAL_COMMA_RE.match(s) and _SIGNED_DEC_RE.match(other) and "." in other):
        return None
    return Fraction(s.replace(",", "."))


def _cheap_scalar(g: _Norm, p: _Norm, hints: Hints = NO_HINTS) -> EquivResult | None:
    """String / choice / text / time / rational / base-numeral decisions, or None if undecided."""
    gt, pt = g.text, p.text
    if not pt:
        return _result(False if gt else None, "empty" if gt else "empty_gold", g, p)
    if gt == pt:
        return _result(True, "equal_string", g, p)
    if not gt:
        return _result(None, "empty_gold", g, p)
    if len(gt) > MAX_LEN or len(pt) > MAX_LEN:
        return _result(None, "too_long", g, p)
    if hints.choices:
        letters = "".join(letter for letter, _ in hints.choices)
        gl, pl = _choice_letter(gt, letters) if gt.isupper() else None, _choice_letter(pt, letters)
        if gl and pl:
            return _result(gl == pl, "equal_choice" if gl == pl else "not_equal_choice", g, p)
        if gl or pl:
            return _choice_verdict(g, p, hints, quick_check)
    if re.fullmatch(r"[A-H]", gt) and (_choice_letter(pt) or parse_rational(pt) is not None):
        same = pt.upper() == gt
        return _result(same, "equal_choice" if same else "not_equal_choice", g, p)
    if _is_textual(gt) or _is_textual(pt):
        same = gt.casefold() == pt.casefold()
        return _result(same, "equal_text" if same else "not_equal_text", g, p)
    tg, tp = _time(gt), _time(pt)
    if tg is not None and tp is not None:
        same = _times_equal(tg, tp)
        return _result(same, "equal_time" if same else "not_equal_time", g, p)
    rg, rp = parse_rational(gt), parse_rational(pt)
    if rp is None and rg is not None:  # pred "3,5" against gold "3.5": a decimal comma (see "Commas")
        rp = _decimal_comma(pt, gt)
    qg, qp = _ratio(gt), _ratio(pt)
    if (qg is not None or qp is not None) and (qg if qg is not None else rg) is not None \
            and (qp if qp is not None else rp) is not None:
        same = (qg if qg is not None else rg) == (qp if qp is not None else rp)
        return _result(same, "equal_rational" if same else "not_equal_rational", g, p)
    if tg is not None or tp is not None:  # a clock time against something else
        return _result(False, "not_equal_time", g, p)
    if rg is not None and rp is not None:
        return _rational_verdict(g, p, rg, rp, hints)
    return _base_verdict(g, p, hints)


def _choice_verdict(g: _Norm, p: _Norm, hints: Hints, compare) -> EquivResult | None:
    """Exactly one side is an option letter: compare the other side with that option's
    text by ``compare(gold, pred)`` (:func:`quick_check` for the cheap path: ``None`` when
    it cannot decide; the full checker for the rest)."""
    options = dict(hints.choices)
    letter = g.text if g.text in options else p.text.upper()
    gold, pred = (options[letter], p.text) if g.text in options else (g.text, options[letter])
    res = compare(gold, pred)
    if res is None:
        return None
    if res.equivalent is None:
        return _result(None, res.reason, g, p)
    return _result(res.equivalent, "equal_choice" if res.equivalent else "not_equal_choice", g, p)


def quick_check(gold: str | None, pred: str | None, *, problem: str | None = None,
                hints: Hints | None = None) -> EquivResult | None:
    """Decide cheaply without sympy (linear in the input length), or return ``None``.

    Decides: empty prediction or gold, equal normalised strings, too-long answers
    (undecided), multiple-choice letters, plain-word answers (case-insensitive), clock
    times, two exact rationals (percent and rounding policies applied) and base-b
    numerals.
    """
    hints = hints if hints is not None else problem_hints(problem)
    if gold is not None and pred is not None and len(gold) + len(pred) > 40 * MAX_LEN:
        if gold.strip() == pred.strip():
            return EquivResult(True, "equal_string")
        return EquivResult(None, "too_long")
    return _cheap_scalar(_normalize(gold), _normalize(pred), hints)


def _cheap_describe(n: _Norm) -> str | None:
    """The parsed form of a side when it is cheap to tell (else ``None``)."""
    t = n.text
    if not t or len(t) > MAX_LEN:
        return None
    tm = _time(t)
    if tm is not None:
        h, mi, sec, mer = tm
        hh = _time_24(tm)[0] if mer else h
        return f"Time({hh}:{mi:02d}" + (f":{sec:02d}" if sec else "") + ")"
    if _is_textual(t):
        return f"Text({t.casefold()})"
    if re.fullmatch(r"[A-H]", t):
        return f"Choice({t})"
    r = parse_rational(t)
    if r is not None:
        return str(r) + ("%" if n.percent else "")
    q = _ratio(t)
    if q is not None:
        return f"Ratio({t.replace(':', ', ')}) = {q}"
    num = _numeral(t, None)
    if num is not None:
        return f"Numeral({num.digits}, base={num.base}) = {num.value}"
    if t == "\\emptyset":
        return "EmptySet"
    if t == "\\mathbb{R}":
        return "Reals"
    return None

"""Numbers and bases, read exactly and cheaply (no sympy).

:func:`parse_rational` reads integers, decimals, scientific notation, fractions and mixed
numbers as exact :class:`~fractions.Fraction` (``None`` otherwise; exponents beyond
``_SCI_EXP_LIMIT`` are not read). Also numerals in a base (``1011_2``), clock times,
ratios and multiple-choice letters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from harness.scoring.math_equiv.result import _SCI_EXP_LIMIT, MAX_LEN


_DEC = r"(?:\d+(?:\.\d*)?|\.\d+)"
_SIGNED_DEC_RE = re.compile(rf"^[-+]?{_DEC}$")
_SCI_RE = re.compile(rf"^(?P<m>[-+]?{_DEC})(?:[eE]|\*10\^|\\times10\^|\\cdot10\^)\{{?(?P<e>[-+]?\d{{1,4}})\}}?$")
_FRAC_RE = re.compile(r"^(?P<s>[-+]?)\\frac(?:\{(?P<a>[-+]?" + _DEC + r")\}|(?P<a1>\d))"
                      r"(?:\{(?P<b>[-+]?" + _DEC + r")\}|(?P<b1>\d))$")
_MIXED_RE = re.compile(r"^(?P<s>[-+]?)(?P<w>\d+)\\frac(?:\{(?P<a>\d+)\}|(?P<a1>\d))(?:\{(?P<b>\d+)\}|(?P<b1>\d))$")
_SLASH_RE = re.compile(rf"^(?P<a>[-+]?{_DEC})/(?P<b>[-+]?{_DEC})$")


def parse_rational(s: str) -> Fraction | None:
    """An exact rational for a *normalised* plain number, else ``None``.

    Accepts integers, decimals, ``a/b``, ``\\frac{a}{b}`` (also ``\\frac34``), mixed numbers
    ``2\\frac{1}{3}`` (= 7/3) and scientific notation ``1.5e3`` / ``1.5\\times10^{3}``
    with ``|exponent| <= 400``. Cost is linear in ``len(s)``; no powers are evaluated.
    """
    if not s or len(s) > MAX_LEN:
        return None
    try:
        if _SIGNED_DEC_RE.match(s):
            return Fraction(s)
        m = _SCI_RE.match(s)
        if m:
            e = int(m.group("e"))
            return None if abs(e) > _SCI_EXP_LIMIT else Fraction(m.group("m")) * Fraction(10) ** e
        m = _FRAC_RE.match(s)
        if m:
            a, b = Fraction(m.group("a") or m.group("a1")), Fraction(m.group("b") or m.group("b1"))
            return None if b == 0 else (-1 if m.group("s") == "-" else 1) * a / b
        m = _MIXED_RE.match(s)
        if m:
            a, b = int(m.group("a") or m.group("a1")), int(m.group("b") or m.group("b1"))
            if not 0 <= a < b:
                raise ValueError("not a mixed number: the fraction is improper (ambiguous)")
            return (-1 if m.group("s") == "-" else 1) * (int(m.group("w")) + Fraction(a, b))
        m = _SLASH_RE.match(s)
        if m:
            b = Fraction(m.group("b"))
            return None if b == 0 else Fraction(m.group("a")) / b
    except (ValueError, ZeroDivisionError):
        return None
    return None


_BASE_RE = re.compile(r"^(?=[A-Z]*\d)([0-9A-Z]+)_(\d{1,2})$")
_DIGITS_RE = re.compile(r"^(?=[A-Z]*\d)[0-9A-Z]+$")


@dataclass(frozen=True)
class _Numeral:
    digits: str
    base: int
    value: int
    subscripted: bool


def _numeral(s: str, default_base: int | None) -> _Numeral | None:
    """``"204_5"`` -> 204 in base 5; a plain ``"204"`` in ``default_base`` (if given)."""
    m = _BASE_RE.match(s)
    if m:
        digits, base, sub = m.group(1), int(m.group(2)), True
    elif default_base and _DIGITS_RE.match(s):
        digits, base, sub = s, default_base, False
    else:
        return None
    if not 2 <= base <= 36:
        return None
    try:
        return _Numeral(digits, base, int(digits, base), sub)
    except ValueError:
        return None


_TIME_NORM_RE = re.compile(r"^(\d{1,2}):(\d\d)(?::(\d\d))?([ap]m)?$")


def _time(s: str) -> tuple[int, int, int, str | None] | None:
    """A normalised clock time ``4:30pm`` -> (4, 30, 0, "pm")."""
    m = _TIME_NORM_RE.match(s)
    if m is None:
        return None
    h, mi, sec, mer = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), m.group(4)
    if h > 23 or (mer and not 1 <= h <= 12):
        return None
    return h, mi, sec, mer


def _time_24(t: tuple[int, int, int, str | None]) -> tuple[int, int, int]:
    h, mi, sec, mer = t
    if mer:
        h = h % 12 + (12 if mer == "pm" else 0)
    return h, mi, sec


_RATIO_RE = re.compile(r"^([-+]?\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$")


def _ratio(s: str) -> Fraction | None:
    """A ratio ``3:2`` (not a clock time) as the fraction 3/2."""
    m = _RATIO_RE.match(s)
    if m is None or _time(s) is not None:
        return None
    b = Fraction(m.group(2))
    return None if b == 0 else Fraction(m.group(1)) / b


def _times_equal(g, p) -> bool:
    """Same clock reading; a meridiem on one side only is not a contradiction."""
    if g[3] and p[3] or (not g[3] and not p[3]):
        return _time_24(g) == _time_24(p)
    plain = p if g[3] else g
    if plain[0] == 0 or plain[0] > 12:  # 24-hour clock
        return _time_24(g) == _time_24(p)
    return (g[0] % 12, g[1], g[2]) == (p[0] % 12, p[1], p[2])


def _choice_letter(s: str, letters: str = "ABCDEFGH") -> str | None:
    return s.upper() if len(s) == 1 and s.upper() in letters else None

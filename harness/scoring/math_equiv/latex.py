"""The LaTeX parser: normalised scalar text to a sympy expression.

:func:`_to_sympy` (memoised) is a small recursive-descent parser, no ``eval`` and no
antlr: it returns ``(expression, has_decimal_literal)`` and raises ``_Unparseable`` or
``_TooComplex`` (nesting beyond ``_MAX_DEPTH``, powers beyond ``_MAX_POW_EXP``, numeric
roots of degree beyond ``_MAX_ROOT``, factorials beyond ``_MAX_FACTORIAL``). Decimals become exact rationals; variables are real symbols.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from harness.scoring.math_equiv.result import (
    _MAX_DEPTH,
    _MAX_FACTORIAL,
    _MAX_POW_EXP,
    _MAX_ROOT,
    _TooComplex,
    _Unparseable,
)
from harness.scoring.math_equiv.normalize import _GREEK


_sp = None


def _sympy():
    global _sp
    if _sp is None:
        import sympy

        _sp = sympy
    return _sp


_TOKEN_RE = re.compile(
    r"\s*(?:(?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)|(?P<func>(?:arc)?(?:sin|cos|tan|cot|sec|csc)h?(?![a-zA-Z])|ln(?![a-zA-Z])"
    r"|log(?![a-zA-Z])|exp(?![a-zA-Z])|sqrt(?![a-zA-Z])|pi(?![a-zA-Z]))|(?P<cmd>\\[a-zA-Z]+|\\[{}|])|(?P<letter>[a-zA-Z])"
    r"|(?P<op>[-+*/^_!(){}\[\]|,'&<>=]))"
)
_FUNCS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec", "csc": "csc",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arccot": "acot", "arcsec": "asec",
    "arccsc": "acsc", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "coth": "coth",
    "ln": "log", "log": "log", "exp": "exp",
}
_MUL_CMDS = ("\\cdot", "\\times", "\\ast")
_NON_ATOM_CMDS = _MUL_CMDS + ("\\div", "\\pm", "\\mp", "\\cup", "\\cap", "\\rfloor", "\\rceil",
                              "\\leq", "\\geq", "\\neq", "\\to", "\\}")


class _LatexParser:
    """expr := term (('+'|'-') term)*; term := unary ((op|implicit) power)*;
    unary := ('-'|'+') unary | power; power := postfix ('^' script)*; postfix := atom '!'*."""

    def __init__(self, text: str, natural_log: bool = False):
        self.natural_log = natural_log
        self.toks = self._tokenize(text)
        self.i = 0
        self.depth = 0
        self.abs_depth = 0
        self.has_decimal = False

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        toks, pos = [], 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN_RE.match(text, pos)
            if not m or m.end() == pos:
                raise _Unparseable(f"bad character {text[pos]!r}")
            kind = m.lastgroup
            toks.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        return toks

    # -- token helpers --
    def peek(self, k: int = 0) -> tuple[str, str] | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def at(self, value: str) -> bool:
        t = self.peek()
        return t is not None and t[1] == value

    def take(self) -> tuple[str, str]:
        t = self.peek()
        if t is None:
            raise _Unparseable("unexpected end")
        self.i += 1
        return t

    def expect(self, value: str) -> None:
        t = self.take()
        if t[1] != value:
            raise _Unparseable(f"expected {value!r}, got {t[1]!r}")

    def parse(self):
        e = self.expr()
        if self.peek() is not None:
            raise _Unparseable(f"trailing {self.peek()[1]!r}")
        return e

    # -- grammar --
    def enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _TooComplex("nesting too deep")

    def expr(self):
        self.enter()
        sp = _sympy()
        left = self.term()
        while self.at("+") or self.at("-"):
            op = self.take()[1]
            right = self.term()
            left = sp.Add(left, right) if op == "+" else sp.Add(left, -right)
        self.depth -= 1
        return left

    def starts_atom(self) -> bool:
        t = self.peek()
        if t is None:
            return False
        kind, v = t
        if kind in ("num", "letter", "func"):
            return True
        if kind == "cmd":
            return v not in _NON_ATOM_CMDS
        if v == "|":
            return self.abs_depth == 0
        return v in ("(", "{", "[")

    def term(self):
        sp = _sympy()
        left = self.unary()
        while True:
            t = self.peek()
            if t is not None and (t[1] in ("*", "/") or t[1] in _MUL_CMDS or t[1] == "\\div"):
                op = self.take()[1]
                right = self.unary()
                left = sp.Mul(left, sp.Pow(right, -1)) if op in ("/", "\\div") else sp.Mul(left, right)
            elif self.starts_atom():
                left = sp.Mul(left, self.power())
            else:
                return left

    def unary(self):
        if self.at("-"):
            self.take()
            return -self.unary()
        if self.at("+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self):
        base = self.postfix()
        while self.at("^"):
            self.take()
            base = self.make_pow(base, self.script(whole_number=True))
        return base

    def make_pow(self, base, exp):
        sp = _sympy()
        if exp.is_Number and base.is_number:
            if abs(exp) > _MAX_POW_EXP and base not in (sp.Integer(0), sp.Integer(1), sp.Integer(-1)):
                raise _TooComplex("huge power")
            if exp.is_Rational and exp.q > _MAX_ROOT:
                raise _TooComplex("huge root")
            if base.is_Number and abs(exp) > 1 and abs(base) > 1:
                bits = abs(float(exp)) * max(1.0, float(sp.log(abs(base), 2).evalf(5)))
                if bits > 200_000:
                    raise _TooComplex("huge power")
        return sp.Pow(base, exp)

    def postfix(self):
        sp = _sympy()
        a = self.atom()
        while self.at("!") or self.at("'"):
            if self.take()[1] == "'":
                raise _Unparseable("derivative prime")
            if a.is_Number and a > _MAX_FACTORIAL:
                raise _TooComplex("huge factorial")
            a = sp.factorial(a)
        return a

    def script(self, whole_number: bool = False):
        """A ``^``/``_``/``\\frac`` argument: ``{expr}``, one digit (a whole number after ``^``),
        a letter or a command atom."""
        sp = _sympy()
        t = self.peek()
        if t is None:
            raise _Unparseable("missing argument")
        if t[1] == "{":
            self.take()
            e = self.expr()
            self.expect("}")
            return e
        if t[0] == "num":
            self.take()
            if t[1][0] == "." or whole_number:
                return self.number(t[1])
            if len(t[1]) > 1:  # x^23 is x^2 * 3 in LaTeX: push the rest back
                self.toks[self.i:self.i] = self._tokenize(t[1][1:])
            return sp.Integer(int(t[1][0]))
        if t[1] == "-":
            self.take()
            return -self.script()
        return self.atom()

    def number(self, text: str):
        """A decimal literal, read exactly; ``1.5e3`` is scientific notation (a digit must
        follow the ``e``: ``2e`` is 2 times Euler's number)."""
        sp = _sympy()
        mantissa, _, exponent = text.lower().partition("e")
        if "." in mantissa:
            self.has_decimal = True
        value = sp.Rational(mantissa)
        return value * self.make_pow(sp.Integer(10), sp.Integer(int(exponent))) if exponent else value

    def mixed_number(self, whole: str):
        """``2\\frac{1}{3}`` (an integer, then ``\\frac`` of two integer literals) is the mixed
        number 7/3; with an improper fraction (``2\\frac{4}{3}``), or followed by a factor or
        exponent (``2\\frac{1}{3}x``), it is ambiguous (mixed number or product) and refused.
        ``None`` when the integer is not followed so."""
        t = self.toks[self.i:self.i + 7]
        shape = [(k if k == "num" else v) for k, v in t]
        if not whole.isdigit() or shape != ["\\frac", "{", "num", "}", "{", "num", "}"] \
                or not (t[2][1].isdigit() and t[5][1].isdigit()):
            return None
        a, b = int(t[2][1]), int(t[5][1])
        self.i += 7
        if not 0 <= a < b or self.starts_atom() or self.at("^") or self.at("!"):
            raise _Unparseable("an integer before a fraction: mixed number or product?")
        return _sympy().Rational(int(whole) * b + a, b)

    def group(self, close: str):
        e = self.expr()
        self.expect(close)
        return e

    def atom(self):
        sp = _sympy()
        self.enter()
        kind, v = self.take()
        try:
            if kind == "num":
                if self.at("_"):  # 204_5: a base-5 numeral
                    self.take()
                    base = self.script()
                    if not (base.is_Integer and 2 <= base <= 36) or not v.isdigit():
                        raise _Unparseable("bad base")
                    try:
                        return sp.Integer(int(v, int(base)))
                    except ValueError as exc:
                        raise _Unparseable("bad digits") from exc
                mixed = self.mixed_number(v)
                return mixed if mixed is not None else self.number(v)
            if kind == "letter":
                return self.subscripted(v)
            if kind == "func":
                return self.function(v)
            if v == "(":
                return self.group(")")
            if v == "[":
                return self.group("]")
            if v == "{":
                return self.group("}")
            if v == "|":
                self.abs_depth += 1
                e = self.expr()
                self.abs_depth -= 1
                self.expect("|")
                return sp.Abs(e)
            if kind == "cmd":
                return self.command(v)
            raise _Unparseable(f"unexpected {v!r}")
        finally:
            self.depth -= 1

    def subscripted(self, name: str):
        sp = _sympy()
        if self.at("_"):
            self.take()
            t = self.take()
            if t[1] == "{":
                sub = []
                while not self.at("}"):
                    sub.append(self.take()[1])
                self.take()
                name = f"{name}_{''.join(sub)}"
            else:
                name = f"{name}_{t[1]}"
            return sp.Symbol(name)
        if name == "i":
            return sp.I
        if name == "e":
            return sp.E
        return sp.Symbol(name)

    def function(self, name: str):
        sp = _sympy()
        name = name.lstrip("\\")
        if name == "sqrt":
            return self.sqrt()
        if name == "pi":
            return sp.pi
        base = None
        if name == "log" and self.at("_"):
            self.take()
            base = self.script()
        if name == "log" and base is None and not self.natural_log:
            base = sp.Integer(10)  # a bare \log is base 10 (package docstring)
        power = None
        if self.at("^"):
            self.take()
            power = self.script()
        arg = self.func_arg()
        fn = getattr(sp, _FUNCS[name])
        val = sp.log(arg, base) if base is not None else fn(arg)
        if power is not None:
            if power == -1 and name in ("sin", "cos", "tan"):
                val = getattr(sp, "a" + name)(arg)
            else:
                val = self.make_pow(val, power)
        return val

    def func_arg(self):
        """``(x)``, ``{x}`` or an implicit product of atoms (``\\sin 2x`` = sin(2x))."""
        sp = _sympy()
        if self.at("(") or self.at("{"):
            return self.atom()
        if self.at("-"):
            self.take()
            return -self.func_arg()
        val = self.power()
        while self.starts_atom() and (self.peek()[0] in ("num", "letter") or self.peek()[1] == "\\pi"):
            val = sp.Mul(val, self.power())
        return val

    def sqrt(self):
        sp = _sympy()
        n = None
        if self.at("["):
            self.take()
            n = self.group("]")
        x = self.script()
        if n is None:
            return sp.sqrt(x)
        if n.is_Number and abs(n) > _MAX_ROOT:
            raise _TooComplex("huge root")
        if n.is_Integer and n % 2 == 1 and x.is_number and x.is_negative:
            return -sp.root(-x, n)
        return sp.root(x, n)

    def command(self, v: str):
        sp = _sympy()
        name = v[1:]
        if name in ("frac", "cfrac"):
            a, b = self.script(), self.script()
            return sp.Mul(a, sp.Pow(b, -1))
        if name == "binom":
            a, b = self.script(), self.script()
            return sp.binomial(a, b)
        if name == "sqrt":
            return self.sqrt()
        if name in _FUNCS:
            return self.function(name)
        if name == "pi":
            return sp.pi
        if name == "infty":
            return sp.oo
        if name in ("lfloor", "lceil"):
            e = self.expr()
            self.expect("\\r" + name[1:])
            return sp.floor(e) if name == "lfloor" else sp.ceiling(e)
        if name == "{":
            e = self.expr()
            self.expect("\\}")
            return e
        if name == "|":
            e = self.expr()
            self.expect("\\|")
            return sp.Abs(e)
        if re.fullmatch(_GREEK, name):
            return sp.Symbol(name)
        raise _Unparseable(f"unknown command {v}")


def _sympy_errors() -> tuple[type[BaseException], ...]:
    """Exceptions sympy raises on odd input (evaluated lazily: sympy is imported on demand)."""
    sp = _sympy()
    from sympy.polys.polyerrors import BasePolynomialError

    return (sp.SympifyError, TypeError, ValueError, AttributeError, NotImplementedError,
            ZeroDivisionError, OverflowError, IndexError, KeyError, BasePolynomialError)


@lru_cache(maxsize=4096)
def _to_sympy(text: str, natural_log: bool = False) -> tuple[Any, bool]:
    """Parse normalised LaTeX to a sympy expression; returns (expr, has_decimal_literal).
    Memoised: a worker parses each gold answer once. Raises _Unparseable / _TooComplex.
    """
    p = _LatexParser(text, natural_log)
    try:
        return p.parse(), p.has_decimal
    except RecursionError as exc:
        raise _TooComplex("recursion") from exc
    except (TypeError, ValueError, ZeroDivisionError, AttributeError) as exc:
        raise _Unparseable(str(exc)) from exc

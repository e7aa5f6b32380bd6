"""Keeping secrets out of everything the harness writes or prints.

API keys belong in environment variables (backends name the variable, e.g.
``api_key_env``). :func:`redact` is the one filter for anything that may hold a key
passed by mistake: backend options, URLs and messages, before they reach
``manifest.json``, ``results.json``, logs or stderr. It replaces

- the value of every dict key that names a secret (a word of the key is ``key``,
  ``token``, ``secret``, ``password``, ``authorization``, ``cookie``, …, e.g.
  ``api_key``, ``hf_token``, ``X-Api-Key``), except ``*_env`` keys, which hold the
  *name* of a variable; counts such as ``max_tokens`` are not secrets;
- URL credentials (``https://user:pass@host`` -> ``https://***@host``);
- URL query parameters whose name names a secret (``?api_key=sk-…``, ``&token=…``);
- bearer tokens and ``sk-…`` style keys inside any string.

Dicts and lists are walked recursively; other values are returned unchanged.
"""
from __future__ import annotations

import logging
import re

REDACTED = "<redacted>"
SECRET_WORDS = frozenset({"key", "apikey", "token", "secret", "password", "passwd", "authorization", "auth",
                          "cookie", "credential", "credentials", "bearer"})

_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s?#]+@")
_QUERY_PARAM = re.compile(r"(?<=[?&;])([^=&#\s]+)=([^&#\s]*)")
_BEARER = re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_KEY_LIKE = re.compile(r"\bsk-[A-Za-z0-9_-]{8,}")


def is_secret_name(name: str) -> bool:
    """Whether an option, header or query-parameter name holds a secret (``*_env`` names never do)."""
    words = [w.lower() for w in _WORD.findall(name)]
    if words and words[-1] == "env":
        return False
    joined = "".join(words)
    return any(w in SECRET_WORDS for w in words) or joined in SECRET_WORDS


def redact_text(text: str) -> str:
    """``text`` with URL credentials, secret query parameters, bearer tokens and ``sk-`` keys replaced."""
    text = _URL_USERINFO.sub("***@", text)
    text = _QUERY_PARAM.sub(lambda m: f"{m[1]}={REDACTED}" if is_secret_name(m[1]) else m[0], text)
    text = _BEARER.sub(lambda m: f"{m[1]} {REDACTED}", text)
    return _KEY_LIKE.sub(REDACTED, text)


def redact(value):
    """``value`` with every secret replaced (see the module docstring); the input is not modified."""
    if isinstance(value, dict):
        return {k: REDACTED if isinstance(k, str) and is_secret_name(k) and value[k] not in (None, "")
                else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that renders each record's message with secrets redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_text(record.getMessage()), None
        return True

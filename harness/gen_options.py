"""Generation options beyond the sampling basics: ``--gen-kwargs``, ``--chat-template-kwargs``
and ``--chat-template``.

- ``--gen-kwargs``: the backend's own sampling options (vLLM ``SamplingParams`` fields such as
  ``min_p``, ``top_k``, ``repetition_penalty``; transformers ``GenerationConfig`` attributes;
  OpenAI request-body fields). The in-process backends refuse unknown keys; settings the
  harness owns (``n``, ``temperature``, ``seed``, …) are refused everywhere: use their flags.
- ``--chat-template-kwargs``: extra variables for the chat template (Qwen3's
  ``enable_thinking``); the openai backend sends them as ``chat_template_kwargs``.
- ``--chat-template PATH``: a jinja2 chat template replacing the model's (transformers, vllm).

All three are checked before anything is written and recorded in the run config (the
template by the sha256 of its content), so changing one is a config change.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import jinja2

from harness.errors import UsageError
from harness.secrets import redact

TEMPLATE_BACKENDS = ("transformers", "vllm")  # they render the chat template themselves

# Sampling settings the harness sets itself, and the flag that sets each.
OWN_SETTINGS = {
    "n": "-n", "num_return_sequences": "-n", "temperature": "--temperature", "do_sample": "--temperature (0 is greedy)",
    "top_p": "--top-p", "max_tokens": "--max-tokens", "max_new_tokens": "--max-tokens", "max_completion_tokens": "--max-tokens",
    "max_length": "--max-tokens", "seed": "--seed", "stop": "--prompt-mode (the task's stop strings)",
    "stop_strings": "--prompt-mode (the task's stop strings)", "model": "--model", "messages": "--prompt-template",
    "prompt": "--prompt-template", "stream": "nothing (the harness reads whole responses)",
    "chat_template_kwargs": "--chat-template-kwargs", "chat_template": "--chat-template",
}


# Arguments of the chat-template call itself, not template variables.
TEMPLATE_CALL_ARGS = ("messages", "conversation", "add_generation_prompt", "continue_final_message", "tokenize",
                      "chat_template", "tools", "documents", "return_dict")


def check_gen_kwarg_names(kwargs: dict, known: set[str] | None, what: str) -> None:
    """ValueError naming the first key the harness sets itself, or (with ``known``) one not in it."""
    for key in kwargs:
        if key in OWN_SETTINGS:
            raise ValueError(f"{key} is set by the harness: use {OWN_SETTINGS[key]}")
    unknown = sorted(set(kwargs) - known) if known is not None else []
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)}: not {what}")


def check_generation_options(cfg, backend_module: Callable[[str], object]) -> None:
    """A one-line UsageError for options this run cannot use; ``backend_module(name)`` imports a
    backend's module (whose ``check_gen_kwargs`` knows its keys)."""
    given = [flag for flag, value in (("--gen-kwargs", cfg.gen_kwargs), ("--chat-template-kwargs", cfg.chat_template_kwargs),
                                      ("--chat-template", cfg.chat_template)) if value]
    if given and cfg.backend == "replay":
        raise UsageError(f"{given[0]} has no effect with --backend replay (it generates nothing): drop it")
    chat_only = [flag for flag in given if flag != "--gen-kwargs"]
    if chat_only and cfg.prompt.mode != "chat":
        raise UsageError(f"{chat_only[0]} applies to --prompt-mode chat only: drop it or use chat mode")
    clash = [k for k in cfg.chat_template_kwargs if k in TEMPLATE_CALL_ARGS]
    if clash:
        raise UsageError(f"--chat-template-kwargs: {clash[0]} is set by the harness, not a template variable: drop it")
    if cfg.chat_template and cfg.backend not in TEMPLATE_BACKENDS:
        raise UsageError(f"--chat-template needs --backend {' or '.join(TEMPLATE_BACKENDS)} (a server applies its own template)")
    if cfg.chat_template:
        chat_template_text(cfg.chat_template)
    if cfg.gen_kwargs:
        try:
            if cfg.backend in TEMPLATE_BACKENDS:
                backend_module(cfg.backend).check_gen_kwargs(cfg.gen_kwargs)
            else:
                check_gen_kwarg_names(cfg.gen_kwargs, None, "")
        except ValueError as exc:
            raise UsageError(f"--gen-kwargs for --backend {cfg.backend}: {exc}") from None


def chat_template_text(path: str) -> str:
    """The source of a chat template file; unreadable or invalid jinja2 is a UsageError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise UsageError(f"--chat-template: cannot read {path} ({reason}): give a UTF-8 jinja2 file") from None
    try:
        jinja2.Environment(extensions=["jinja2.ext.loopcontrols"]).parse(text)
    except jinja2.TemplateSyntaxError as exc:
        raise UsageError(f"--chat-template: {path} line {exc.lineno} is not valid jinja2 ({exc.message}): fix the template") from None
    return text


def chat_request_options(cfg) -> dict:
    """The ``GenerationRequest`` fields of a chat request: ``chat_template`` (its text) and ``chat_template_kwargs``."""
    out: dict = {}
    if cfg.chat_template:
        out["chat_template"] = chat_template_text(cfg.chat_template)
    if cfg.chat_template_kwargs:
        out["chat_template_kwargs"] = dict(cfg.chat_template_kwargs)
    return out


def generation_settings(cfg) -> dict:
    """What the run config records of these options (only those given, so older runs keep their ids)."""
    chat = chat_request_options(cfg)
    out: dict = {"gen_kwargs": redact(cfg.gen_kwargs)} if cfg.gen_kwargs else {}
    if "chat_template_kwargs" in chat:
        out["chat_template_kwargs"] = redact(chat["chat_template_kwargs"])
    if "chat_template" in chat:
        out["chat_template_sha256"] = "sha256:" + hashlib.sha256(chat["chat_template"].encode()).hexdigest()
    return out

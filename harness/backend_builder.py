"""Building a backend by kind, for the model under test (``--backend``) and for a judge
(``--judge-backend``): one builder, so both accept the same kinds and options.

A judge is a second backend a verifier may ask (``VerifierContext.judge``): a
:class:`JudgeSpec` names its kind, model and options; it is recorded (secrets redacted)
in the manifest's ``run.judge`` and in the config id of every task whose verifier needs it.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from harness.errors import UsageError
from harness.secrets import redact

BACKENDS = ("transformers", "vllm", "openai", "replay")

# backend name -> (module, class, pip extra that provides its dependencies)
BACKEND_CLASSES = {
    "transformers": ("harness.backends.transformers_backend", "TransformersBackend", "transformers"),
    "vllm": ("harness.backends.vllm_backend", "VLLMBackend", "vllm"),
    "openai": ("harness.backends.openai_backend", "OpenAIBackend", "openai"),
}


def backend_module(backend: str, option: str = "--backend"):
    """The module of an in-process or server backend; a missing dependency is a UsageError."""
    module_name, _, extra = BACKEND_CLASSES[backend]
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"{option} {backend} needs {exc.name or 'a missing package'}: "
                         f"pip install 'harness[{extra}]' (on CPU machines: bash scripts/setup.sh)") from None


# option -> (its name in messages, the model option, how to give replay predictions, the options flag)
_OPTIONS = {
    "--backend": ("backend", "--model", "--predictions FILE (JSONL with task, doc_id, sample, output)", "--model-args"),
    "--judge-backend": ("--judge-backend", "--judge-model", "--judge-args '{\"predictions\": FILE}'", "--judge-args"),
}


def check_backend_choice(kind: str, model: str | None, predictions: str | None, option: str = "--backend") -> None:
    """Refuse an unknown kind, replay without predictions or another kind without a model,
    in one line naming ``option``'s flags, before anything is built or written."""
    name, model_option, predictions_option, _ = _OPTIONS[option]
    if kind not in BACKENDS:
        raise UsageError(f"unknown {name} {kind!r}: choose one of {', '.join(BACKENDS)}")
    if kind == "replay" and not predictions:
        raise UsageError(f"{option} replay needs {predictions_option}")
    if kind != "replay" and not model:
        raise UsageError(f"{option} {kind} needs {model_option} PATH_OR_HUB_ID")


def make_backend(kind: str, model: str | None, model_args: dict, *, predictions: str | None = None,
                 option: str = "--backend"):
    """A backend of ``kind``; an unknown kind, missing dependency, bad option or unloadable
    model is a one-line UsageError naming ``option``."""
    check_backend_choice(kind, model, predictions, option)
    if kind == "replay":
        from harness.backends.replay import ReplayBackend

        return ReplayBackend(predictions)
    backend_class = getattr(backend_module(kind, option), BACKEND_CLASSES[kind][1])
    try:
        return backend_class(model, **model_args)
    except TypeError as exc:
        raise UsageError(f"{_OPTIONS[option][3]} for {option} {kind}: {exc}") from None
    except (OSError, ValueError) as exc:
        first_line = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise UsageError(f"cannot load model {model!r} ({type(exc).__name__}: {first_line}): "
                         "give a local model folder or a hub id") from None


@dataclass(frozen=True)
class JudgeSpec:
    """``--judge-backend KIND --judge-model MODEL --judge-args JSON``; for ``replay`` the
    predictions file is ``args["predictions"]``."""

    backend: str
    model: str | None = None
    args: dict = field(default_factory=dict)

    def check(self) -> None:
        """Refuse an unknown kind or a missing model in one line, before anything is written."""
        check_backend_choice(self.backend, self.model, self.args.get("predictions"), "--judge-backend")

    def describe(self) -> dict:
        """What the manifest and config ids record (secrets redacted)."""
        return {"backend": self.backend, "model": self.model, "args": redact(self.args)}

    def build(self):
        args = {k: v for k, v in self.args.items() if k != "predictions"}
        return make_backend(self.backend, self.model, args, predictions=self.args.get("predictions"), option="--judge-backend")

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


def make_backend(kind: str, model: str | None, model_args: dict, *, predictions: str | None = None,
                 option: str = "--backend"):
    """A backend of ``kind``; an unknown kind, missing dependency, bad option or unloadable
    model is a one-line UsageError naming ``option``."""
    if kind not in BACKENDS:
        raise UsageError(f"unknown {option} {kind!r}: choose one of {', '.join(BACKENDS)}")
    if kind == "replay":
        from harness.backends.replay import ReplayBackend

        if not predictions:
            raise UsageError(f"{option} replay needs a predictions file")
        return ReplayBackend(predictions)
    if not model:
        raise UsageError(f"{option} {kind} needs a model ({'--model' if option == '--backend' else '--judge-model'} PATH_OR_HUB_ID)")
    backend_class = getattr(backend_module(kind, option), BACKEND_CLASSES[kind][1])
    try:
        return backend_class(model, **model_args)
    except TypeError as exc:
        args_option = "--model-args" if option == "--backend" else "--judge-args"
        raise UsageError(f"{args_option} for {option} {kind}: {exc}") from None
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
        if self.backend not in BACKENDS:
            raise UsageError(f"unknown --judge-backend {self.backend!r}: choose one of {', '.join(BACKENDS)}")
        if self.backend == "replay" and not self.args.get("predictions"):
            raise UsageError("--judge-backend replay needs --judge-args '{\"predictions\": FILE}'")
        if self.backend != "replay" and not self.model:
            raise UsageError(f"--judge-backend {self.backend} needs --judge-model PATH_OR_HUB_ID")

    def describe(self) -> dict:
        """What the manifest and config ids record (secrets redacted)."""
        return {"backend": self.backend, "model": self.model, "args": redact(self.args)}

    def build(self):
        args = {k: v for k, v in self.args.items() if k != "predictions"}
        return make_backend(self.backend, self.model, args, predictions=self.args.get("predictions"), option="--judge-backend")

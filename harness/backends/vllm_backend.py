"""vLLM backend: the in-process ``vllm.LLM`` engine (continuous batching, prefix caching).

``generate`` renders every pending request, adds them all to the engine at once (so the
scheduler sees the whole batch and shares common prefixes), then steps the engine and
yields each request as soon as all ``n`` of its samples have finished. A killed run
therefore keeps every request that finished before the kill.

Sampling: :class:`SamplingParams` is the whole spec. The engine is started with
``generation_config="vllm"`` so the model's ``generation_config.json`` sampling defaults
(top_k, repetition_penalty, ...) never apply; it still contributes its EOS ids, as in
the transformers backend. top_k is off (0), min_p 0, no penalties, unless
``SamplingParams.extra`` (``--gen-kwargs``: ``vllm.SamplingParams`` fields) sets them. Greedy requests
(temperature 0) are generated once (vLLM rejects n > 1 when greedy) and the result is
copied ``n`` times.

Reproducibility: each request carries ``seed``; vLLM gives every seeded sequence its own
``torch.Generator`` (sample ``i`` of a request with ``n > 1`` uses ``seed + i``), so the
random draws of a request never depend on the other requests in the batch. What vLLM
does not promise is batch-invariant *logits*: batched matmuls, prefix-cache hits and
chunked prefill can change floating-point rounding with the batch's make-up (on GPUs,
``VLLM_BATCH_INVARIANT=1`` closes that gap where supported). On CPU (float32, vLLM
0.32) a request's samples came out identical alone, among other requests, in another
order, in another engine process and after a SIGKILL + resume (tiny test model,
tests/test_vllm_backend.py), and for SmolLM2 on 48 GSM8K chat prompts at temperature 1
(64 tokens, n=2): alone, in the full batch and in a reversed half batch.
On CPU this backend also turns chunked prefill off by default: vLLM 0.32's CPU runner
cannot rewind a seeded generator after a partial prefill (``RuntimeError: CPU Generator
does not use offset``), and an un-rewound generator would make samples depend on how
the prompt was chunked.

One live engine per process: closing an in-process engine tears down vLLM's
process-wide distributed state, which breaks any other engine still open in the process.

CPU settings: without a GPU, ``dtype`` "auto" means float32 and ``enforce_eager``
defaults to True. Engine start is much faster in-process
(``VLLM_ENABLE_V1_MULTIPROCESSING=0``), and ``VLLM_CPU_KVCACHE_SPACE`` (GiB) sizes the
KV cache; both are read from the environment, never set here. vLLM logs go to stderr
(``VLLM_LOGGING_STREAM``, unless set) so stdout stays the harness' own output; the CLI
sets their level (``harness.run_log.vllm_log_level``).

Importing this module imports vllm (and torch); ``harness.backends`` does not import it.
"""
from __future__ import annotations

import gc
import os
import time
from itertools import count
from pathlib import Path
from typing import Iterable, Iterator

os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")

import torch  # noqa: E402
import vllm  # noqa: E402
from vllm.exceptions import VLLMClientError, VLLMValidationError  # noqa: E402
from vllm.platforms import current_platform  # noqa: E402
from vllm.sampling_params import RequestOutputKind  # noqa: E402

from harness.backends.base import BackendError, Generation, GenerationRequest, thinking_token_count  # noqa: E402
from harness.backends.transformers_backend import cached_commit, weights_fingerprint  # noqa: E402
from harness.gen_options import check_gen_kwarg_names  # noqa: E402

_UNSET = object()
_BATCHES = count()
# vllm.SamplingParams fields that decide how outputs are returned and decoded: the harness sets them.
_MANAGED = {"output_kind", "skip_special_tokens", "detokenize", "skip_clone", "output_text_buffer_length", "stream_interval"}


def check_gen_kwargs(kwargs: dict) -> None:
    """ValueError naming a ``--gen-kwargs`` key that is no ``vllm.SamplingParams`` field (or one the
    harness sets), or the first line of vLLM's own complaint about a value."""
    fields = {f for f in vllm.SamplingParams.__struct_fields__ if not f.startswith("_")} - _MANAGED
    check_gen_kwarg_names(kwargs, fields, "a vllm.SamplingParams field")
    try:
        vllm.SamplingParams(**kwargs)
    except (TypeError, ValueError, VLLMValidationError) as exc:
        raise ValueError(_first_line(exc)) from None


class VLLMBackend:
    """Generate with an in-process ``vllm.LLM``.

    ``dtype``: "auto" (float32 on CPU; on a GPU, vLLM's own choice from the model
    config) or a vLLM dtype name. ``seed`` is the engine seed (every harness request
    brings its own). ``reasoning_parser`` names a vLLM reasoning parser ("deepseek_r1",
    "qwen3", ...): with it, each sample's thinking goes to ``Generation.thinking`` and
    ``text`` is the answer part only (the raw output is kept in ``extra["raw_text"]``);
    without it ``thinking`` is None and the harness splits tags itself. (With a parser a
    thought cut off by the token cap is all thinking with an empty answer: scored as no
    answer, not counted as truncated, as for servers that return ``reasoning_content``.)
    Every other keyword goes straight to ``vllm.LLM`` (tensor_parallel_size,
    pipeline_parallel_size, max_model_len, gpu_memory_utilization, enforce_eager,
    enable_prefix_caching, ...).

    Bad model paths and bad engine options raise OSError / ValueError whose first line
    says what is wrong.
    """

    name = "vllm"

    def __init__(
        self,
        model: str,
        *,
        revision: str | None = None,
        dtype: str = "auto",
        seed: int = 0,
        reasoning_parser: str | None = None,
        **engine_args,
    ):
        self.model_id = str(model)
        self.revision = revision
        self.reasoning_parser = reasoning_parser
        self._fingerprint: str | None | object = _UNSET
        self.engine_args = engine_options(dtype, engine_args, cpu=current_platform.is_cpu())
        # What this backend chose, for the manifest (the caller's own options are in the
        # run's model_args, secrets redacted there).
        self.engine_defaults = {k: v for k, v in self.engine_args.items() if k not in engine_args}
        _check_local_path(self.model_id)
        self._parser_cls = reasoning_parser_class(reasoning_parser)
        self._process = _ProcessState()
        try:
            self.llm = vllm.LLM(self.model_id, revision=revision, seed=seed, **self.engine_args)
        except TypeError as exc:  # EngineArgs got an option it does not know
            self._process.restore()
            raise ValueError(f"bad vLLM engine option: {_first_line(exc)}") from exc
        except (OSError, ValueError) as exc:
            self._process.restore()
            error = OSError if isinstance(exc, OSError) else ValueError
            raise error(f"vLLM cannot load {self.model_id!r}: {_first_line(exc)}") from exc
        self._process.engine_started()
        self.tokenizer = self.llm.get_tokenizer()
        self._skip_special = self._check_reasoning_parser()

    # --- Backend protocol ------------------------------------------------------------

    def describe(self) -> dict:
        """Backend, model, revision, dtype, device, weights fingerprint, vLLM version, and
        the engine options this backend chose (not the caller's: they may hold secrets)."""
        if self._fingerprint is _UNSET:
            local = Path(self.model_id)
            self._fingerprint = weights_fingerprint(local) if local.is_dir() else cached_commit(self.model_id, self.revision)
        config = self.llm.model_config if self.llm is not None else None
        return {
            "backend": self.name,
            "model": self.model_id,
            "revision": self.revision,
            "dtype": str(config.dtype).removeprefix("torch.") if config is not None else self.engine_args.get("dtype"),
            "device": current_platform.device_type,
            "weights_fingerprint": self._fingerprint,
            "vllm_version": vllm.__version__,
            "engine_defaults": dict(sorted(self.engine_defaults.items())),
            "reasoning_parser": self.reasoning_parser,
        }

    def generate(self, requests: Iterable[GenerationRequest]) -> Iterator[tuple[GenerationRequest, list[Generation]]]:
        """Yield each request with its ``n`` generations as soon as all of them are done,
        in completion order.

        All requests are rendered and added to the engine before the first step, then
        the engine is stepped here, in the caller's thread, as ``LLM.generate`` does.
        (Stepping from a background thread, to keep generating while the caller scores
        and writes, was measured slower on CPU: the GIL contention costs more than the
        caller's few milliseconds per request; with vLLM's default multiprocess engine
        core on GPU the core keeps generating meanwhile anyway.) A generation's
        ``latency_s`` is the time from adding its request to the engine to the step at
        which the request's last sample finished: queueing, prefill and decoding under
        continuous batching, the same for all ``n`` samples.

        A request vLLM refuses (prompt longer than the context, no chat template, ...)
        or ends abnormally (finish reason other than stop / length) is not yielded; the
        others are, then :class:`BackendError` names the failures in one line.
        """
        if self.llm is None:
            raise RuntimeError("VLLMBackend is closed")
        engine = self.llm.llm_engine
        batch = next(_BATCHES)
        pending: dict[str, tuple[GenerationRequest, float]] = {}
        failed: list[tuple[GenerationRequest, str]] = []
        total = 0
        try:
            for i, request in enumerate(requests):
                total += 1
                request_id = f"harness-{batch}-{i}"
                try:
                    engine.add_request(request_id, self._render(request), self._sampling_params(request))
                except (ValueError, VLLMClientError) as exc:  # vLLM refused this request
                    failed.append((request, _first_line(exc)))
                    continue
                pending[request_id] = (request, time.perf_counter())
            while pending:
                for output in engine.step():
                    if not output.finished:
                        continue
                    if output.request_id not in pending:
                        raise RuntimeError(f"vLLM finished request {output.request_id!r}, not one of this batch (one generate() at a time)")
                    request, added = pending.pop(output.request_id)
                    abnormal = sorted({c.finish_reason for c in output.outputs} - {"stop", "length"}, key=str)
                    if abnormal:
                        failed.append((request, f"finish_reason {', '.join(map(str, abnormal))}"))
                        continue
                    yield request, self._generations(request, output, time.perf_counter() - added)
                if pending and not engine.has_unfinished_requests():
                    raise RuntimeError(f"vLLM dropped {len(pending)} requests without finishing them")
        finally:
            if pending and self.llm is not None:  # stopped early or failed: free the engine
                engine.abort_request(list(pending))
        if failed:
            request, reason = failed[0]
            raise BackendError(f"vLLM could not generate {len(failed)} of {total} requests (first: {'/'.join(request.key)}: "
                               f"{reason}); the others are saved")

    def close(self) -> None:
        """Shut the engine down, free its memory, and undo what starting it changed in this
        process (torch thread count, ``torch.set_num_threads``, environment variables)."""
        if self.llm is None:
            return
        self.llm.llm_engine.engine_core.shutdown()
        self.llm = None
        self.tokenizer = None
        gc.collect()
        self._process.restore()

    # --- one request -----------------------------------------------------------------

    def _render(self, request: GenerationRequest):
        """The engine input, rendered the way ``LLM.chat`` (chat template with generation
        prompt, no extra special tokens; the request's chat template and its variables, if
        any) or ``LLM.generate`` (raw text, the tokenizer's default special tokens) render it: with the very helpers those two call in vLLM
        0.32 (``LLM`` has no public render-one-prompt method; ``enqueue`` and
        ``enqueue_chat`` render too but do not let us name the requests)."""
        if request.messages is not None:
            return self.llm._preprocess_chat_one(list(request.messages), chat_template=request.chat_template,
                                                 chat_template_kwargs=request.chat_template_kwargs or None)
        return self.llm._preprocess_cmpl_one(request.prompt)

    def _sampling_params(self, request: GenerationRequest) -> vllm.SamplingParams:
        params = request.params
        greedy = params.temperature <= 0
        return vllm.SamplingParams(**{
            "top_k": 0,
            "min_p": 0.0,
            **params.extra,
            "n": 1 if greedy else request.n,
            "temperature": 0.0 if greedy else params.temperature,
            "top_p": 1.0 if greedy else params.top_p,
            "max_tokens": params.max_tokens,
            "stop": list(params.stop) or None,
            "seed": request.seed,
            "skip_special_tokens": self._skip_special,
            "output_kind": RequestOutputKind.FINAL_ONLY,
        })

    def _generations(self, request: GenerationRequest, output, latency: float) -> list[Generation]:
        prompt_tokens = len(output.prompt_token_ids or ())
        completions = sorted(output.outputs, key=lambda c: c.index)
        if len(completions) == 1 and request.n > 1:  # greedy: one sequence stands for all n
            completions = completions * request.n
        if len(completions) != request.n:
            raise RuntimeError(f"vLLM returned {len(completions)} samples for {request.key}, expected {request.n}")
        return [self._to_generation(c, output.prompt, prompt_tokens, latency) for c in completions]

    def _decode(self, ids) -> str:
        """Token ids to text the way vLLM detokenized the completion (same special-token setting)."""
        return self.tokenizer.decode(ids, skip_special_tokens=self._skip_special)

    def _to_generation(self, completion, prompt_text: str | None, prompt_tokens: int, latency: float) -> Generation:
        reason = completion.finish_reason
        tokens = len(completion.token_ids)
        if reason == "stop" and not isinstance(completion.stop_reason, str) and tokens:
            tokens -= 1  # the EOS / stop token ends the sample; it is not part of the completion
        text, thinking, extra = completion.text, None, {}
        if self._parser_cls is not None:
            thinking, text = self._split(completion.text)
            extra["raw_text"] = completion.text
        ids = list(completion.token_ids[:tokens])
        thought = thinking_token_count(ids, self._decode, prompt_text,
                                       None if isinstance(completion.stop_reason, str) else completion.text)
        return Generation(
            text=text,
            finish_reason=reason,
            prompt_tokens=prompt_tokens,
            completion_tokens=tokens,
            thinking_tokens=thought,
            answer_tokens=tokens - thought,
            thinking=thinking,
            prompt_text=prompt_text,
            latency_s=latency,
            extra=extra,
        )

    # --- reasoning parser ------------------------------------------------------------

    def _check_reasoning_parser(self) -> bool:
        """Check the reasoning parser fits the tokenizer; return the ``skip_special_tokens``
        setting it needs (as vLLM's chat server would set it; True without a parser)."""
        if self._parser_cls is None:
            return True
        from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionRequest

        try:
            parser = self._parser_cls(self.tokenizer, model_config=self.llm.model_config)
        except (RuntimeError, ValueError, KeyError) as exc:
            self.close()
            raise ValueError(f"reasoning parser {self.reasoning_parser!r} does not fit the tokenizer of {self.model_id!r}: {_first_line(exc)}") from exc
        # Parsers take the chat request they parse for; ours only carries the defaults.
        self._chat_request = ChatCompletionRequest(model=self.model_id, messages=[{"role": "user", "content": ""}])
        return parser.adjust_request(self._chat_request.model_copy()).skip_special_tokens

    def _split(self, text: str) -> tuple[str | None, str]:
        """(thinking, answer) by the reasoning parser; a fresh parser per sample (they keep state)."""
        parser = self._parser_cls(self.tokenizer, model_config=self.llm.model_config)
        thinking, content = parser.extract_reasoning(text, self._chat_request)
        return thinking, content or ""


# --- helpers --------------------------------------------------------------------------


def engine_options(dtype: str, engine_args: dict, *, cpu: bool) -> dict:
    """The keyword arguments for ``vllm.LLM`` besides model, revision and seed.

    The model's generation_config never supplies sampling defaults. On CPU: "auto"
    dtype is float32, eager mode and no chunked prefill unless given (see the module
    docstring)."""
    options = {"generation_config": "vllm", **engine_args}
    options["dtype"] = "float32" if cpu and dtype == "auto" else dtype
    if cpu:
        options.setdefault("enforce_eager", True)
        options.setdefault("enable_chunked_prefill", False)
    return options


def reasoning_parser_class(name: str | None):
    """vLLM's reasoning parser class registered as ``name`` (None for None); ValueError
    naming the known ones otherwise."""
    if name is None:
        return None
    from vllm.reasoning import ReasoningParserManager

    try:
        return ReasoningParserManager.get_reasoning_parser(name)
    except KeyError:
        known = ", ".join(ReasoningParserManager.list_registered())
        raise ValueError(f"unknown vLLM reasoning parser {name!r}: choose one of {known}") from None


def _check_local_path(model: str) -> None:
    """A model given as a path (absolute, ./, ../, ~) must exist; vLLM would call it a bad hub id."""
    if model.startswith(("/", "./", "../", "~")) and not Path(model).expanduser().exists():
        raise OSError(f"model folder {model} does not exist")


def _first_line(exc: BaseException) -> str:
    """A one-line reason; pydantic validation errors give their messages, not their header."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return "; ".join(str(e.get("msg", e)) for e in errors())[:300]
        except TypeError:  # an ``errors`` that is not pydantic's
            pass
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


class _ProcessState:
    """What starting an in-process vLLM engine changes for the whole process, so
    ``close`` can put it back: vLLM's CPU worker replaces ``torch.set_num_threads`` with
    a no-op and drops torch to one thread, and its platform setup edits environment
    variables (``LD_PRELOAD``, ...) that later child processes would inherit."""

    def __init__(self):
        self.environ = dict(os.environ)
        self.set_num_threads = torch.set_num_threads
        self.num_threads = torch.get_num_threads()
        self.env_changes: dict[str, str | None] | None = None

    def engine_started(self) -> None:
        """Remember which environment variables the engine start set or changed."""
        now = os.environ
        self.env_changes = {k: self.environ.get(k) for k in set(now) | set(self.environ) if now.get(k) != self.environ.get(k)}

    def restore(self) -> None:
        if self.env_changes is None:  # the engine failed to start: undo what it got to
            self.engine_started()
        torch.set_num_threads = self.set_num_threads
        torch.set_num_threads(self.num_threads)
        for key, value in self.env_changes.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

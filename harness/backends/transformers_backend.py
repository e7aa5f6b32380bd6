"""Hugging Face ``transformers`` backend: local generation on CPU or one GPU.

Requests run one at a time; the ``n`` samples of a request are one batch
(``num_return_sequences=n``) generated right after ``torch.manual_seed(request.seed)``,
so a request's samples depend only on (model, prompt, params, seed), never on the
other requests or their order. Greedy requests (temperature 0) are generated once and
the result is copied ``n`` times.

:class:`SamplingParams` is the whole sampling spec: the model's own
``generation_config`` contributes only its bos/eos/pad token ids, never its sampling
defaults (top_k, repetition_penalty, ...). In particular top_k is off, unless
``SamplingParams.extra`` (``--gen-kwargs``: ``GenerationConfig`` attributes) sets it.

Importing this module imports torch and transformers; ``harness.backends`` does not
import it, so scoring and replay work without them.
"""
from __future__ import annotations

import gc
import hashlib
import time
from pathlib import Path
from typing import Iterable, Iterator

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

from harness.backends.base import Generation, GenerationRequest, SamplingParams, thinking_token_count
from harness.gen_options import check_gen_kwarg_names

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf")
FINGERPRINT_CHUNK = 4 * 1024 * 1024
_UNSET = object()
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}

# Sampling processors the model's generation_config could switch on; set to "off".
_NEUTRAL_SAMPLING = {
    "top_k": 0,
    "min_p": None,
    "typical_p": 1.0,
    "epsilon_cutoff": 0.0,
    "eta_cutoff": 0.0,
    "repetition_penalty": 1.0,
    "no_repeat_ngram_size": 0,
    "min_new_tokens": None,
    "min_length": 0,
    "num_beams": 1,
}


# GenerationConfig attributes that change what ``generate`` returns or which tokens end it:
# the harness sets or relies on them, so --gen-kwargs may not.
_MANAGED = {"eos_token_id", "pad_token_id", "bos_token_id", "decoder_start_token_id", "return_dict_in_generate",
            "output_scores", "output_logits", "output_attentions", "output_hidden_states", "transformers_version",
            "_from_model_config", "is_assistant"}


def check_gen_kwargs(kwargs: dict) -> None:
    """ValueError naming a ``--gen-kwargs`` key that is no ``GenerationConfig`` attribute or one the harness sets."""
    check_gen_kwarg_names(kwargs, set(GenerationConfig().to_dict()) - _MANAGED, "a transformers GenerationConfig attribute")


class TransformersBackend:
    """Generate with ``AutoModelForCausalLM`` from a local folder or a hub id.

    ``dtype``: "auto" (float32 on CPU; bfloat16 on CUDA where supported, else float16),
    or "float32" / "bfloat16" / "float16". Extra ``model_kwargs`` go to
    ``from_pretrained`` (e.g. ``attn_implementation``).
    """

    name = "transformers"

    def __init__(
        self,
        model: str,
        *,
        revision: str | None = None,
        dtype: str = "auto",
        device: str = "cpu",
        trust_remote_code: bool = False,
        **model_kwargs,
    ):
        self.model_id = str(model)
        self.revision = revision
        self.device = torch.device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self._fingerprint: str | None | object = _UNSET
        self.tokenizer = AutoTokenizer.from_pretrained(
            self.model_id, revision=revision, trust_remote_code=trust_remote_code
        )
        self.model = AutoModelForCausalLM.from_pretrained(
            self.model_id,
            revision=revision,
            dtype=DTYPES[self.dtype],
            trust_remote_code=trust_remote_code,
            **model_kwargs,
        ).to(self.device)
        self.model.eval()
        self._commit_hash = getattr(self.model.config, "_commit_hash", None)
        self.eos_ids = _eos_ids(self.model, self.tokenizer)
        self.pad_id = _pad_id(self.tokenizer, self.eos_ids)

    # --- Backend protocol ------------------------------------------------------------

    def describe(self) -> dict:
        """Backend, model, revision, dtype, device, and a weights fingerprint (see :func:`weights_fingerprint`)."""
        if self._fingerprint is _UNSET:
            self._fingerprint = self._weights_id()
        return {
            "backend": self.name,
            "model": self.model_id,
            "revision": self.revision,
            "dtype": self.dtype,
            "device": str(self.device),
            "weights_fingerprint": self._fingerprint,
        }

    def generate(self, requests: Iterable[GenerationRequest]) -> Iterator[tuple[GenerationRequest, list[Generation]]]:
        """Yield each request with its ``n`` generations, in input order, one request at a time."""
        for request in requests:
            yield request, self.generate_one(request)

    def close(self) -> None:
        """Drop the model and tokenizer and free their memory."""
        self.model = None
        self.tokenizer = None
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    # --- one request -----------------------------------------------------------------

    def render(self, request: GenerationRequest) -> tuple[str, list[int]]:
        """The prompt as text and token ids: chat template (the request's, else the model's) with
        generation prompt and the request's ``chat_template_kwargs`` for ``messages``; for a raw
        ``prompt``, the text with the tokenizer's default special tokens."""
        if request.messages is not None:
            text = self.tokenizer.apply_chat_template(
                list(request.messages), add_generation_prompt=True, tokenize=False,
                chat_template=request.chat_template, **request.chat_template_kwargs,
            )
            ids = self.tokenizer(text, add_special_tokens=False).input_ids
        else:
            text = request.prompt
            ids = self.tokenizer(text).input_ids
        return text, list(ids)

    def generate_one(self, request: GenerationRequest) -> list[Generation]:
        """The ``n`` generations of one request.

        ``latency_s`` is the wall time of the ``generate`` call divided by ``n`` (one
        batch of ``n`` when sampling, a single sequence when greedy).
        """
        if self.model is None:
            raise RuntimeError("TransformersBackend is closed")
        params = request.params
        prompt_text, prompt_ids = self.render(request)
        if not prompt_ids:
            raise ValueError(f"request {request.key} renders to an empty prompt")
        greedy = params.temperature <= 0
        batch = 1 if greedy else request.n
        input_ids = torch.tensor([prompt_ids], dtype=torch.long, device=self.device)
        start = time.perf_counter()
        torch.manual_seed(request.seed)
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                **self._generate_kwargs(params, batch),
            )
        latency = (time.perf_counter() - start) / request.n
        rows = out[:, input_ids.shape[1]:].tolist()
        gens = [self._to_generation(row, params, prompt_text, len(prompt_ids), latency) for row in rows]
        if greedy:
            gens = [_copy(gens[0]) for _ in range(request.n)]
        return gens

    def _generate_kwargs(self, params: SamplingParams, batch: int) -> dict:
        kwargs = dict(
            _NEUTRAL_SAMPLING,
            max_new_tokens=params.max_tokens,
            num_return_sequences=batch,
            eos_token_id=sorted(self.eos_ids),
            pad_token_id=self.pad_id,
        )
        if params.stop:
            kwargs.update(stop_strings=list(params.stop), tokenizer=self.tokenizer)
        if params.temperature <= 0:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            kwargs.update(do_sample=True, temperature=params.temperature, top_p=params.top_p)
        kwargs.update(params.extra)
        return kwargs

    def _decode(self, tokens) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def _to_generation(self, row: list[int], params: SamplingParams, prompt_text: str, prompt_tokens: int, latency: float) -> Generation:
        tokens, ended = cut_at_eos(row, self.eos_ids)
        text = self._decode(tokens)
        text, stopped = truncate_at_stop(text, params.stop)
        if stopped and not ended:
            # Stopped by a stop string: the row was padded after it (pad_id is never an EOS here).
            tokens = strip_trailing(tokens, self.pad_id)
        thinking = thinking_token_count(tokens, self._decode, prompt_text)
        return Generation(
            text=text,
            finish_reason="stop" if ended or stopped else "length",
            prompt_tokens=prompt_tokens,
            completion_tokens=len(tokens),
            thinking_tokens=thinking,
            answer_tokens=len(tokens) - thinking,
            prompt_text=prompt_text,
            latency_s=latency,
        )

    # --- provenance ------------------------------------------------------------------

    def _weights_id(self) -> str | None:
        local = Path(self.model_id)
        if local.is_dir():
            return weights_fingerprint(local)
        return self._commit_hash or cached_commit(self.model_id, self.revision)


# --- pure helpers ------------------------------------------------------------------------


def resolve_dtype(dtype: str, device: torch.device) -> str:
    """"auto" -> "float32" on CPU, "bfloat16" on CUDA if supported else "float16"; names pass through."""
    if dtype == "auto":
        if device.type == "cuda":
            return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        return "float32"
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}: choose auto, {', '.join(DTYPES)}")
    return dtype


def cut_at_eos(row: list[int], eos_ids: set[int]) -> tuple[list[int], bool]:
    """The tokens of ``row`` before its first EOS, and whether there was one."""
    for i, tok in enumerate(row):
        if tok in eos_ids:
            return row[:i], True
    return row, False


def strip_trailing(tokens: list[int], pad_id: int | None) -> list[int]:
    """``tokens`` without the padding ``generate`` appends to rows that finished early."""
    end = len(tokens)
    while pad_id is not None and end > 0 and tokens[end - 1] == pad_id:
        end -= 1
    return tokens[:end]


def truncate_at_stop(text: str, stop: Iterable[str]) -> tuple[str, bool]:
    """``text`` cut before the earliest occurrence of any stop string, and whether one occurred."""
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def weights_fingerprint(folder: Path) -> str | None:
    """A cheap fingerprint of a checkpoint folder's weight files, not a full content hash:
    sha256 over each weight file's relative name, size, and the sha256 of its first and
    last 4 MiB. None if the folder has no weight files."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES))
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = hashlib.sha256(fh.read(FINGERPRINT_CHUNK)).hexdigest()
            fh.seek(max(0, size - FINGERPRINT_CHUNK))
            tail = hashlib.sha256(fh.read(FINGERPRINT_CHUNK)).hexdigest()
        digest.update(f"{path.relative_to(folder).as_posix()}\0{size}\0{head}\0{tail}\n".encode())
    return digest.hexdigest()


def cached_commit(repo_id: str, revision: str | None) -> str | None:
    """The commit a hub id (at ``revision``) resolves to in the local HF cache, or None; offline."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        path = try_to_load_from_cache(repo_id, "config.json", revision=revision)
    except ValueError:  # not a valid repo id
        return None
    if not isinstance(path, str):
        return None
    return Path(path).parent.name


def _eos_ids(model, tokenizer) -> set[int]:
    """EOS ids from the model's generation config (may be a list), else the tokenizer's."""
    eos = getattr(model.generation_config, "eos_token_id", None)
    if eos is None:
        eos = tokenizer.eos_token_id
    if eos is None:
        return set()
    return {int(e) for e in (eos if isinstance(eos, (list, tuple)) else [eos])}


def _pad_id(tokenizer, eos_ids: set[int]) -> int | None:
    if tokenizer.pad_token_id is not None:
        return tokenizer.pad_token_id
    return min(eos_ids) if eos_ids else None


def _copy(gen: Generation) -> Generation:
    return Generation(**{**gen.__dict__, "extra": dict(gen.extra)})

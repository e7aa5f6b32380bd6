"""Requests shared by the backend tests (transformers and vLLM must agree on them)."""
from harness.backends.base import GenerationRequest, SamplingParams

RAW = "Question: What is 12 + 7?"
CHAT = ({"role": "user", "content": "What is 2+3?"},)
SAMPLED = SamplingParams(temperature=1.0, top_p=1.0, max_tokens=10)
GREEDY = SamplingParams(temperature=0.0, max_tokens=10)


def req(seed=0, n=3, params=SAMPLED, prompt=RAW, messages=None, doc="d"):
    if messages is not None:
        prompt = None
    return GenerationRequest(key=("t", f"{doc}-{seed}"), n=n, params=params, seed=seed, prompt=prompt, messages=messages)


def texts(gens):
    return [(g.text, g.completion_tokens, g.finish_reason) for g in gens]

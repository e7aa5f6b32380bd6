"""Fixtures for tests, benches and the offline quickstart; not used by the evaluation path.

``local_models``: the tiny random Llama and SmolLM2-135M-Instruct converted from its GGUF
(``python -m harness.testing.local_models smollm2 | tiny DIR``); ``local_server``: a local
vLLM OpenAI-compatible server on 127.0.0.1.
"""

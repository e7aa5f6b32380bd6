"""harness: evaluation harness and hallucination benchmark for reasoning models."""

__version__ = "0.1.0"

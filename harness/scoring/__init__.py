"""The pure scoring core: answer extraction, verification and metrics.

Nothing here imports a backend, the CLI or report code.
"""

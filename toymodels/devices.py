"""The devices a cell may run on, in one place (`CellConfig.device`, every `--device` option)."""

from __future__ import annotations

DEVICES = ("auto", "cpu", "cuda")
"""'auto' (CUDA when torch sees a device, else CPU), 'cpu' or 'cuda'."""


def resolve_device(device: str):
    """'auto' -> CUDA when torch sees a device, else CPU; 'cuda' without one is an error."""
    import torch  # noqa: PLC0415  (this module stays light: the command line imports it)

    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}; got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but torch sees no CUDA device; use --device cpu or auto")
    return torch.device(("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device)

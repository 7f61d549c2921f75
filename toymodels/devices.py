"""The devices a cell may run on, in one place (`CellConfig.device`, every `--device` option)."""

from __future__ import annotations

import platform
from pathlib import Path

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


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name: /proc/cpuinfo's first "model name", else `platform.processor()`, else
    'unknown' (what env.json records beside the core count, so a wall time names its machine)."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor().strip() or "unknown"

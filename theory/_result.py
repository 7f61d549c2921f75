"""JSON-friendly conversion shared by the result dataclasses (floats, lists, no numpy types)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np


def to_jsonable(obj: Any) -> Any:
    """Recursively turn dataclasses, numpy scalars/arrays, tuples and dicts into JSON types.

    Non-finite floats become ``None`` so that ``json.dumps`` output is valid JSON.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, str) or obj is None:
        return obj
    return str(obj)


class JsonMixin:
    """Adds ``to_dict()`` to a dataclass."""

    def to_dict(self) -> dict:
        return to_jsonable(self)

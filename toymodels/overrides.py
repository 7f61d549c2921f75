"""`--set FIELD=VALUE` overrides of a grid: their value syntax and their check against the config
fields, before any work (the command line's `aha grid --set`, `aha demo --set`)."""

from __future__ import annotations

import difflib
import json
from typing import Any


def parse_value(text: str) -> Any:
    """`--set` values: JSON objects, comma lists, true/false/none, ints, floats, else strings."""
    text = text.strip()
    if text.startswith("{") or text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"--set value {text!r} is not valid JSON ({e.msg})") from None
    if "," in text:
        return [parse_value(t) for t in text.split(",") if t.strip()]
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_sets(items: list[str]) -> dict[str, Any]:
    """{field: value} of `--set field=value` items (a comma list is an axis)."""
    out = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set takes field=value (e.g. --set width=8,16,32), got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = parse_value(value)
    return out


def check_sets(sets: dict[str, Any]) -> None:
    """Before any work: every `--set` field is a config field, and a device asked for exists."""
    from .devices import resolve_device  # noqa: PLC0415  (torch, only when checking)
    from .grid import config_fields  # noqa: PLC0415

    known = [f for f in config_fields() if f != "seeds"] + ["seed"]
    for key in sets:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else " (the fields are listed in toymodels/config.py)"
            raise ValueError(f"--set: unknown field {key!r}{hint}")
    devices = sets.get("device")
    for dev in devices if isinstance(devices, list) else [devices] if devices is not None else []:
        resolve_device(str(dev))  # 'cuda' without a CUDA device: one line, nothing trained

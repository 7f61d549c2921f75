"""`aha bridge`: theory's predictions against real LLMs; the work is llm_bridge.bridge_report's."""

from __future__ import annotations

from llm_bridge.bridge_report import TOY_CELLS, clean_json, run_bridge, save_dataset

__all__ = ["TOY_CELLS", "clean_json", "run_bridge", "save_dataset"]

"""The machine a run's times came from (issue 24 item 6, issue 26 item 1): env.json records the CPU
model and core count, and the README's wall-time fact names the machine when env.json has it (an
older env.json without it renders as before)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aha.readme import demo_facts
from toymodels.devices import cpu_model
from toymodels.runner import environment_info
from toymodels.storage import load_dataset

DEMO = Path(__file__).resolve().parents[1] / "docs" / "demo"
TIMING = {"cpus": 2, "torch_threads": 2, "total_s": 129.3, "grid_s": 123.4, "report_s": 5.9}


def test_the_cpu_model_is_read_from_cpuinfo_then_platform_then_unknown(tmp_path, monkeypatch):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13 64-Core Processor\n\n")
    assert cpu_model(info) == "AMD EPYC 7B13 64-Core Processor"
    monkeypatch.setattr("platform.processor", lambda: "arm")
    assert cpu_model(tmp_path / "none") == "arm"  # no /proc/cpuinfo (macOS, Windows)
    info.write_text("processor\t: 0\nBogoMIPS\t: 50.00\n")  # a cpuinfo without a model name (some ARM kernels)
    assert cpu_model(info) == "arm"
    monkeypatch.setattr("platform.processor", lambda: "")
    assert cpu_model(tmp_path / "none") == "unknown"


def test_env_json_records_the_cpu_model_and_core_count():
    env = environment_info("cpu")
    assert env["cpu_model"] == cpu_model() and env["cpu_model"].strip()
    assert env["cpu_cores"] == os.cpu_count()


@pytest.fixture(scope="module")
def demo():
    return load_dataset(DEMO / "grid.nc"), json.loads((DEMO / "fits.json").read_text())


def test_the_wall_time_fact_names_the_machine(demo):
    env = {"cpu_model": "AMD EPYC 7B13 64-Core Processor", "cpu_cores": 2, "timing": TIMING}
    facts = demo_facts(*demo, env, None)
    assert (
        "- Wall time of `aha demo` on 2 CPU cores (AMD EPYC 7B13 64-Core Processor, 2 torch threads): "
        "2.2 min (123 s grid, 6 s report and fits)." in facts
    )


@pytest.mark.parametrize("model", [None, "unknown"])
def test_an_env_json_without_a_cpu_model_renders_as_before(demo, model):
    env = {"timing": TIMING} | ({"cpu_model": model} if model else {})
    facts = demo_facts(*demo, env, None)
    assert "- Wall time of `aha demo` on 2 CPU cores (2 torch threads): 2.2 min" in facts


def test_report_md_names_the_cpu_beside_the_device():
    from aha.report import device_line

    env = {"device": "cpu", "cpu_model": "AMD EPYC", "cpu_cores": 2, "timing": TIMING, "created": "then"}
    assert device_line(env).startswith("- device: cpu (AMD EPYC, 2 cores); wall time 2.2 min")
    old = {k: v for k, v in env.items() if k not in ("cpu_model", "cpu_cores")}
    assert device_line(old).startswith("- device: cpu; wall time 2.2 min")  # an older env.json: as before
    assert device_line(old | {"device": "cuda", "cuda_device": "NVIDIA H200"}).startswith("- device: cuda; ")

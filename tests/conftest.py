"""Shared test set-up: offline, CPU-only, non-interactive plotting, one torch thread per worker."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
# one thread in every process a test starts too (aha subprocesses, notebooks, Ray workers): the
# suite runs 2 workers on 2 cores (make test), and extra threads would only contend for them
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402

torch.set_num_threads(1)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def ray_cluster():
    """One real local Ray instance for the session's Ray tests: 2 CPUs, so 2 workers, each task on
    one torch thread (`toymodels.runner.iter_ray`); shut down at the end of the session."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()

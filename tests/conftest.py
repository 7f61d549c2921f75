"""Shared test set-up: offline, CPU-only, non-interactive plotting, one torch thread per worker."""

import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
# one thread in every process a test starts too (aha subprocesses, notebooks, Ray workers): the
# suite runs 2 workers on 2 cores (make test), and extra threads would only contend for them
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402

torch.set_num_threads(1)

import pytest  # noqa: E402


@pytest.fixture(scope="module")
def ray_cluster():
    """One real local Ray instance for a module's Ray tests: 2 CPUs, so 2 workers, each task on one
    torch thread (`toymodels.runner.iter_ray`); shut down at the end of the module, so that its idle
    processes (GCS, raylet, agents, workers) do not tick for the rest of the session."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def published_bridge(tmp_path_factory, worker_id):
    """`run_bridge(out, published=True)` run once per test session for the tests that read its output
    (test_verdicts, test_llm_bridge, test_transfer): (out, the path it returned). Read it, do not
    write into it. Under xdist the workers share one run: the first builds it under a file lock in
    the session's temporary root, the others wait and read it (a `done` file marks it finished)."""
    from filelock import FileLock  # torch's own dependency

    from llm_bridge.bridge_report import run_bridge

    if worker_id == "master":  # no xdist: this process is the session
        out = tmp_path_factory.mktemp("published_bridge") / "out"
        return out, run_bridge(out, published=True)
    root = tmp_path_factory.getbasetemp().parent  # one per session, shared by its workers
    out = root / "published_bridge" / "out"
    with FileLock(str(root / "published_bridge.lock")):
        if not (root / "published_bridge" / "done").is_file():
            path = run_bridge(out, published=True)
            (root / "published_bridge" / "done").write_text(str(path))
    return out, Path((root / "published_bridge" / "done").read_text())


def _cut_off(figs: dict) -> list[str]:
    """The figures (name -> Figure, as saved) whose tight bounding box (every label, colour-bar label,
    legend and title drawn) reaches beyond the canvas by more than a pixel, each with its box."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    cut = []
    for name, fig in figs.items():
        canvas = FigureCanvasAgg(fig)  # the figure as savefig drew it (pyplot has closed it)
        canvas.draw()
        tight = fig.get_tightbbox(canvas.get_renderer())  # inches
        w, h = fig.get_size_inches()
        slack = 1 / fig.dpi  # one pixel
        if not (tight.x0 >= -slack and tight.y0 >= -slack and tight.x1 <= w + slack and tight.y1 <= h + slack):
            box = ", ".join(f"{v:.2f}" for v in (tight.x0, tight.y0, tight.x1, tight.y1))
            cut.append(f"{name}: drawn over ({box}), canvas {w:.2f} x {h:.2f} inches")
    return cut


@pytest.fixture
def cut_off():
    """The cut-off check of issue 26 item 6: ``cut_off({name: figure})`` lists the figures drawn
    beyond their canvas (empty when nothing is cut)."""
    return _cut_off

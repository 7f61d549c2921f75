#!/usr/bin/env bash
# Every CPU benchmark in one go (what `make bench` runs), its output shown and kept in
# benchmarks/results/cpu_<UTC date>_<HHMM>.txt with a header naming the machine (CPU model as env.json
# records it: toymodels.devices.cpu_model), torch and commit.
# The machine's yardstick (matmul GFLOP/s, a fixed tiny cell's seconds) comes first. Extra arguments
# (--clock cpu on a shared machine; --clock only: not every script takes --rounds) go to the scripts
# that take it.
#
#   bash benchmarks/run_all.sh [seed_batching.py options]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
mkdir -p benchmarks/results
OUT=benchmarks/results/cpu_$(date -u +%Y-%m-%d_%H%M).txt
# (nproc honours OMP_NUM_THREADS: with OMP_NUM_THREADS=1 set, plain nproc would say 1 core)
{
  echo "# make bench, $(date -u +%Y-%m-%dT%H:%MZ), $(OMP_NUM_THREADS= nproc) CPU cores, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
  echo "# $("$PY" -c 'import platform, torch; from toymodels.devices import cpu_model; print(f"torch {torch.__version__}, python {platform.python_version()}, CPU {cpu_model()} ({platform.machine()})")'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  for step in "yardstick.py $*" "env_throughput.py $*" "seed_batching.py $*" "seed_batching.py --widths 32 --seeds 16 $*" \
    "eval_speed.py $*" "kv_cache.py $*" "cell_io.py" "exact_metrics.py $*" "reference_grid.py $*" "fused_cells.py $*" "fused_cells.py --knob variants $*" "compile_speed.py $*" "grid_throughput.py" "cell_speed.py"; do
    echo
    echo "## benchmarks/$step"
    # shellcheck disable=SC2086
    "$PY" benchmarks/$step
  done
} 2>&1 | tee "$OUT"
echo "written: $OUT"

#!/usr/bin/env bash
# The test suite's CPU time (issue 24 item 5): `make test`'s pytest command under /usr/bin/time, whose
# user + sys seconds include every process the suite starts (xdist workers, aha subprocesses,
# notebooks, Ray workers). CPU seconds, not wall time, are the figure to compare: they barely move
# when the machine is shared, and the yardstick printed first (benchmarks/yardstick.py) converts
# them between machines (seconds / tiny-cell seconds). Output kept in
# benchmarks/results/tests_<UTC date>_<HHMM>.txt ($BENCH_RESULTS: another folder).
#
#   bash benchmarks/test_suite_cpu.sh [extra pytest arguments]    (make bench-tests)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
WORKERS=${TEST_WORKERS:-2}
DIR=${BENCH_RESULTS:-benchmarks/results}
mkdir -p "$DIR"
OUT=$DIR/tests_$(date -u +%Y-%m-%d_%H%M).txt
{
  echo "# test suite CPU time, $(date -u +%Y-%m-%dT%H:%MZ), $(OMP_NUM_THREADS= nproc) CPU cores, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  "$PY" benchmarks/yardstick.py --rounds "${YARDSTICK_ROUNDS:-3}" | sed -n 1p
  /usr/bin/time -f "suite: user %U s, sys %S s, %e s wall, max RSS %M kB" \
    "$PY" -m pytest -n "$WORKERS" --dist loadfile -p no:cacheprovider "$@" 2>&1 | grep -E "^(FAILED|ERROR)|passed|failed|suite:|Command exited"
  echo "# load average at the end $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
} 2>&1 | tee "$OUT"
echo "written: $OUT"

#!/usr/bin/env bash
# The GPU check, ready for the day a CUDA machine is lent: the test suite, every benchmark on CUDA,
# and a timed slice of the `dense` preset with the whole preset's GPU hours projected from it.
#
#   bash benchmarks/gpu_check.sh [--dry-run] [--out DIR]
#
# --dry-run prints the steps and the projection's arithmetic without running anything (it is what
# CI runs, on CPU). Without CUDA and without --dry-run it stops with one line before any work.
# On the lent device (its image has torch but not gymnasium, xarray, ...), carry wheels as the device
# tool's README says and start the command with its pip --target line, then run this script with
# PYTHON=python3. Every step's output lands in DIR (default results/gpu_check), one log per step.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=results/gpu_check
DRY=0
while (($#)); do
  case $1 in
    --dry-run) DRY=1 ;;
    --out) OUT=$2; shift ;;
    *) echo "gpu_check.sh: unknown argument '$1'; allowed: --dry-run, --out DIR" >&2; exit 2 ;;
  esac
  shift
done

# the slice: two widths x two depths x 8 seeds of `dense` (its own budgets), timed
SLICE=(--preset dense --set width=64,128 --set depth=1,2 --device cuda --no-report)
STEPS=(
  "pytest:$PY -m pytest -x -q"
  "env_throughput:$PY benchmarks/env_throughput.py"
  "seed_batching:$PY benchmarks/seed_batching.py --widths 8 32"
  "grid_throughput:$PY benchmarks/grid_throughput.py"
  "cell_speed:$PY benchmarks/cell_speed.py --device cuda"
  "dense_slice:$PY -m aha.cli grid ${SLICE[*]} --out $OUT/dense_slice"
)
read -r N_DENSE N_SLICE < <($PY - <<'EOF'
from aha.presets import get_preset
dense = get_preset("dense")
print(dense.n_cells, dense.with_overrides({"width": [64, 128], "depth": [1, 2]}).n_cells)
EOF
)

if ((DRY)); then
  echo "gpu_check (dry run): $((${#STEPS[@]})) steps, logs in $OUT/<step>.log"
  for s in "${STEPS[@]}"; do echo "  ${s%%:*}: ${s#*:}"; done
  echo "projection: dense has $N_DENSE cells; the slice has $N_SLICE; GPU hours = slice seconds x $N_DENSE / $N_SLICE / 3600"
  echo "  (widths 64 and 128 sit in the middle of dense's 8..512; the projection says so when it prints)"
  exit 0
fi
if ! $PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu_check.sh: torch sees no CUDA device here; run it on a GPU machine, or with --dry-run" >&2
  exit 2
fi
mkdir -p "$OUT"
for s in "${STEPS[@]}"; do
  name=${s%%:*}
  echo "== $name"
  t0=$(date +%s.%N)
  bash -c "${s#*:}" 2>&1 | tee "$OUT/$name.log" | tail -n 15
  t1=$(date +%s.%N)
  echo "$name $($PY -c "print(round($t1 - $t0, 1))")" >> "$OUT/times.txt"
done
slice_s=$(awk '$1 == "dense_slice" {print $2}' "$OUT/times.txt")
echo "dense slice: $N_SLICE cells in ${slice_s} s; whole dense preset ($N_DENSE cells) projected at" \
     "$($PY -c "print(round($slice_s * $N_DENSE / $N_SLICE / 3600, 2))") GPU hours (from widths 64-128 only)" | tee "$OUT/projection.txt"

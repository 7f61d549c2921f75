"""CPU time to load and to write one cell file: storage.load_dataset/atomic_write_dataset (through
storage._MemoH5File, issue 24) against the plain xarray calls they replaced, in the same process.

    python benchmarks/cell_io.py [CELL.nc] [--rounds 15]

Without CELL.nc, one cell of docs/demo/grid.nc (length-1 grid dims, as the cells/ files hold them).
Prints the median process-CPU milliseconds per call of each and the ratio old / new.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toymodels.storage import ENGINE, atomic_write_dataset, load_dataset  # noqa: E402


def old_load(path: Path) -> xr.Dataset:
    """load_dataset before issue 24 (less its error message)."""
    with xr.open_dataset(path, engine=ENGINE) as ds:
        return ds.load()


def old_write(path: Path, ds: xr.Dataset) -> None:
    """atomic_write_dataset before issue 24."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    ds.to_netcdf(tmp, engine=ENGINE)
    os.replace(tmp, path)


def cpu_ms(fn, rounds: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(rounds):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return 1000 * statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cell", nargs="?", type=Path)
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        src = d / "cell.nc"
        if args.cell is None:
            with xr.open_dataset(ROOT / "docs" / "demo" / "grid.nc", engine=ENGINE) as g:
                g.isel(width=slice(0, 1), depth=slice(0, 1), seed=slice(0, 1)).load().to_netcdf(src, engine=ENGINE)
        else:
            src.write_bytes(args.cell.read_bytes())
        ds = old_load(src)
        rows = [
            ("load", cpu_ms(lambda: old_load(src), args.rounds), cpu_ms(lambda: load_dataset(src), args.rounds)),
            (
                "write",
                cpu_ms(lambda: old_write(d / "old.nc", ds), args.rounds),
                cpu_ms(lambda: atomic_write_dataset(d / "new.nc", ds), args.rounds),
            ),
        ]
        assert (d / "old.nc").read_bytes() == (d / "new.nc").read_bytes()
    print(f"{len(ds.data_vars)} variables, median of {args.rounds} rounds, process CPU ms per call")
    print(f"{'':6} {'old':>8} {'new':>8} {'old/new':>8}")
    for name, old, new in rows:
        print(f"{name:6} {old:8.1f} {new:8.1f} {old / new:8.2f}")


if __name__ == "__main__":
    main()

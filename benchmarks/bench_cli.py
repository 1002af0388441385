"""End-to-end speed of ``monai-refine propagate`` as a ratio to ``python -c "import monai"``, and its peak memory.

Issue 12.5's measure: on the full IRCAD patient 17 (119 slices of 512²), the whole command
``monai-refine propagate --ircad ../shared/data/ircad/patient17 --slice 57`` (fresh interpreter: imports, reading
both series, propagation, writing the mask, history and overlay) against a fresh ``python -c "import monai"``,
both measured in this run, alternating, so that the ratio does not depend on how loaded the machine is. Target:
ratio <= 1.6 and peak RSS <= 1 GB. It also prints the graph cut's ms/slice from the CLI's own history and the Dice.
Each ``--workers`` value is a separate row (``propagate --workers N``: the directions in N forked processes); peak RSS
is that of the largest process (``wait4`` reports the maximum over the command and its reaped workers, which share
the parent's pages copy-on-write).

``--baseline DIR`` also times another checkout of the package (e.g. ``git archive <commit> | tar -x -C DIR``) in the
same loop, alternating which runs first in each repeat, so that a before/after comparison shares the machine's state.

Run (about a minute per repeat on 2 cores, twice that with ``--baseline``)::

    python benchmarks/bench_cli.py [--data ../shared/data/ircad/patient17] [--slice 57] [--repeats 3] [--workers 1 2]
        [--baseline /tmp/old_checkout]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "ircad" / "patient17"


def run_child(argv: list[str], cwd: str, root: Path = REPO_ROOT) -> tuple[float, float, str]:
    """Run ``argv`` with ``root`` on ``PYTHONPATH``; return (wall s, peak RSS in MB of that child, stdout), reaped
    with ``wait4`` for its own RSS."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        tic = time.perf_counter()
        pid = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err).pid
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - tic
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{err.read()[-2000:]}")
        return wall, usage.ru_maxrss / 1024, out.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="IRCAD patient folder")
    parser.add_argument("--slice", type=int, default=57)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="propagate --workers values to time")
    parser.add_argument("--baseline", help="another checkout of the package to time in the same loop (before/after)")
    args = parser.parse_args()
    if not Path(args.data).is_dir():
        raise SystemExit(f"IRCAD patient folder {args.data} not found (pass --data).")
    trees = {"this checkout": REPO_ROOT}
    if args.baseline:
        if not (Path(args.baseline) / "monai_refine" / "cli.py").is_file():
            raise SystemExit(f"--baseline {args.baseline} holds no monai_refine/cli.py.")
        trees = {"baseline": Path(args.baseline).resolve(), **trees}
    cli = [sys.executable, "-m", "monai_refine.cli", "propagate", "--ircad", str(Path(args.data).resolve())]
    cli += ["--slice", str(args.slice), "-q"]
    monai_times = []
    runs = {(t, w): {"wall": [], "rss": [], "ms": [], "dice": None} for t in trees for w in args.workers}
    with tempfile.TemporaryDirectory() as work:
        for k in range(args.repeats):
            monai_times.append(run_child([sys.executable, "-c", "import monai"], work)[0])
            print(f"repeat {k}: import monai {monai_times[-1]:.2f} s", end="")
            for workers in args.workers:
                for tree in list(trees)[:: 1 if k % 2 == 0 else -1]:  # alternate which checkout runs first
                    run = runs[tree, workers]
                    out_dir = Path(work) / f"run{k}_{workers}_{len(run['wall'])}_{tree.split()[0]}"
                    argv = [*cli, "--workers", str(workers), "--output-dir", str(out_dir)]
                    wall, peak, stdout = run_child(argv, work, trees[tree])
                    run["wall"].append(wall)
                    run["rss"].append(peak)
                    history = json.loads(next(out_dir.glob("*_history.json")).read_text())
                    run["ms"].append(statistics.mean(r["ms"] for r in history if r["direction"]))
                    found = re.search(r"dice (\d\.\d+)", stdout)
                    run["dice"] = float(found.group(1)) if found else None
                    label = f"{tree} " if len(trees) > 1 else ""
                    print(f", {label}propagate --workers {workers} {wall:.2f} s ({peak:.0f} MB)", end="")
            print()
    t_monai = statistics.median(monai_times)
    print(f"python -c 'import monai': {t_monai:.2f} s (median of {args.repeats})")
    for (tree, workers), run in runs.items():
        t_cli = statistics.median(run["wall"])
        label = f"[{tree}] " if len(trees) > 1 else ""
        print(
            f"{label}monai-refine propagate --ircad {args.data} --slice {args.slice} --workers {workers}: "
            f"{t_cli:.2f} s (median), ratio {t_cli / t_monai:.2f} (target <= 1.6), peak RSS {max(run['rss']):.0f} MB "
            f"(target <= 1024), graph cut ms/slice (CLI history) {statistics.median(run['ms']):.0f}, Dice {run['dice']}"
        )


if __name__ == "__main__":
    main()

"""Parameter count, CPU forward latency and peak memory of the refinement networks next to MONAI's U-Nets.

Every network runs in ``eval()`` mode under ``torch.inference_mode()`` with its default configuration and its
documented input channels. The reference is MONAI's ``BasicUNet`` with the same base filters
(``features=(32, 32, 64, 128, 256, 32)``) and the refinement networks' default batch norm and ReLU, measured in
the same run at the same size and batch; MONAI's default ``BasicUNet`` (instance norm, LeakyReLU) and a ``UNet``
of similar size are listed too. Latency is the minimum of ``--repeats`` timed forwards after one untimed forward,
interleaved across networks so that load from other processes on a shared machine hits every network alike; one
thread by default, which keeps the ratios stable on a small shared machine. Peak memory is the highest net CPU
allocation during one forward, from ``torch.profiler``'s memory events (activations and workspace, not the weights).

Usage::

    python benchmarks/bench_networks.py                                   # 256^2 batch 1, 8; 96^3 batch 1
    python benchmarks/bench_networks.py --batches-3d 1 8 --repeats 5 --repeats-3d 2   # the full grid
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
import torch.nn as nn
from monai.networks.nets import BasicUNet, UNet
from torch.profiler import ProfilerActivity, profile

from monai_refine.networks.nets import CDNN, IterativeUNet, QualityUNet, RefineNet

REFERENCE = "BasicUNet (BN, ReLU)"
_FEATURES = (32, 32, 64, 128, 256, 32)

# name -> (constructor taking spatial_dims, number of input channels)
NETWORKS: dict[str, tuple[Callable[[int], nn.Module], int]] = {
    REFERENCE: (lambda d: BasicUNet(d, 1, 1, _FEATURES, act=("relu", {"inplace": True}), norm="batch"), 1),
    "BasicUNet (MONAI default)": (lambda d: BasicUNet(d, 1, 1, _FEATURES), 1),
    "UNet": (lambda d: UNet(d, 1, 1, channels=(32, 64, 128, 256, 512), strides=(2, 2, 2, 2), num_res_units=1), 1),
    "IterativeUNet": (lambda d: IterativeUNet(d, 2, 1), 2),
    "RefineNet": (lambda d: RefineNet(d, 3, 1), 3),
    "QualityUNet": (lambda d: QualityUNet(d, 2, 1), 2),
    "CDNN": (lambda d: CDNN(d, 7, 1), 7),
}


def peak_memory_mb(net: nn.Module, x: torch.Tensor) -> float:
    """Highest net CPU allocation (MiB) during one forward: op allocations plus frees, in time order."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        net(x)
    changes = sorted(
        (e.time_range.start, e.cpu_memory_usage if e.name == "[memory]" else e.self_cpu_memory_usage)
        for e in prof.events()
    )
    current = peak = 0
    for _, change in changes:
        current += change
        peak = max(peak, current)
    return peak / 2**20


def run(spatial_dims: int, size: int, batches: list[int], repeats: int) -> list[dict]:
    """Measure every network at ``size`` per side for each batch size (see the module docstring)."""
    torch.manual_seed(0)
    nets = {name: (build(spatial_dims).eval(), in_channels) for name, (build, in_channels) in NETWORKS.items()}
    rows = []
    for batch in batches:
        inputs = {name: torch.rand(batch, c, *(size,) * spatial_dims) for name, (_, c) in nets.items()}
        times: dict[str, list[float]] = {name: [] for name in nets}
        with torch.inference_mode():
            memory = {name: peak_memory_mb(net, inputs[name]) for name, (net, _) in nets.items()}  # and warm-up
            for _ in range(repeats):
                for name, (net, _) in nets.items():
                    start = time.perf_counter()
                    net(inputs[name])
                    times[name].append(time.perf_counter() - start)
        for name, (net, _) in nets.items():
            rows.append(
                {"net": name, "dims": spatial_dims, "size": size, "batch": batch,
                 "params": sum(p.numel() for p in net.parameters()), "latency": 1000 * min(times[name]),
                 "memory": memory[name]}
            )  # fmt: skip
    return rows


def table(rows: list[dict]) -> str:
    """Markdown table with ratios to the reference at the same dims, size and batch."""
    ref = {(r["dims"], r["batch"]): r for r in rows if r["net"] == REFERENCE}
    lines = [
        "| network | input | batch | params (M) | latency (ms) | x reference | peak memory (MiB) | x reference |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: (r["dims"], r["batch"])):
        base = ref[(r["dims"], r["batch"])]
        shape = "x".join([str(r["size"])] * r["dims"])
        lines.append(
            f"| {r['net']} | {shape} | {r['batch']} | {r['params'] / 1e6:.2f} | {r['latency']:.0f} "
            f"| {r['latency'] / base['latency']:.2f} | {r['memory']:.0f} | {r['memory'] / base['memory']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-2d", type=int, default=256, help="side of the 2D input (default 256)")
    parser.add_argument("--size-3d", type=int, default=96, help="side of the 3D input (default 96)")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8], help="2D batch sizes (default 1 8)")
    parser.add_argument("--batches-3d", type=int, nargs="*", default=[1], help="3D batch sizes (default 1; none: skip)")
    parser.add_argument("--repeats", type=int, default=3, help="timed 2D forwards per case, minimum kept (default 3)")
    parser.add_argument("--repeats-3d", type=int, default=1, help="timed 3D forwards per case (default 1)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1, see docstring)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    rows = run(2, args.size_2d, args.batches, args.repeats)
    if args.batches_3d:
        rows += run(3, args.size_3d, args.batches_3d, args.repeats_3d)
    print(f"reference: {REFERENCE}\n")
    print(table(rows))
    print(f"\n{torch.get_num_threads()} threads, torch {torch.__version__}, {time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()

"""Turn a 2D propagation network trained on slices rotated by 180° into one for unrotated slices (exact).

The first liver checkpoints of issue 15 were trained on IRCAD slices as stored (affine diag(-0.57, -0.57, 1.6): both
in-plane axes point against RAS), while :class:`~monai_refine.inferers.SlicePropagator` hands segmenters slices in
RAS layout, i.e. rotated by 180°. For a network of convolutions (zero padding), 2×2 pooling and 2×2 transposed
convolutions on even sizes, normalisation and global pooling, ``f(rot(x)) = rot(f'(x))`` exactly when ``f'`` has every
convolution kernel rotated by 180°; this script writes ``f'`` and checks the identity on a random input.
(:class:`~monai_refine.data.PropagationSliceDataset` now reorients volumes to RAS, so new trainings need no such step.)

Run: ``python benchmarks/rotate_checkpoint.py IN.pt OUT.pt [--config-files inference.json control_inference.json]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from monai.bundle import ConfigParser

BUNDLE = Path(__file__).resolve().parents[1] / "bundles" / "liver_ct_slice_propagation"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--config-files", nargs="+", default=["inference.json"])
    args = parser.parse_args()
    state = torch.load(args.source, map_location="cpu", weights_only=True)
    rotated = {k: v.flip(-2, -1) if v.ndim == 4 else v for k, v in state.items()}
    config = ConfigParser()
    config.read_config([str(BUNDLE / "configs" / name) for name in args.config_files])
    original, converted = config.get_parsed_content("network_def"), config.get_parsed_content("network_def", lazy=False)
    original.load_state_dict(state)
    converted.load_state_dict(rotated)
    original.eval(), converted.eval()
    x = torch.rand(2, int(config["network_def"]["in_channels"]), 96, 96)
    with torch.no_grad():
        a, b = original(x.flip(-2, -1)), converted(x)
    a, b = (a, b) if isinstance(a, dict) else ({"out": a}, {"out": b})
    for key in a:
        expected = a[key] if a[key].ndim == 2 else a[key].flip(-2, -1)
        error = float((expected - b[key]).abs().max())
        print(f"{key}: max |f(rot x) - rot f'(x)| = {error:.2e}")
        if error > 1e-4:
            raise SystemExit(f"{key} is not rotation-equivariant ({error}); not writing {args.target}")
    torch.save(rotated, args.target)
    print(f"wrote {args.target}")


if __name__ == "__main__":
    main()

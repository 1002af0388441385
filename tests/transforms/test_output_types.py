"""Every array transform returns its documented dtype, in the input's container, whatever dtype it is given.

The docstrings (``Shapes:``) promise float32 seeds, seed maps, colour channels, stretched images and FOV / lesion
masks, and the input's own dtype for the perturbed mask and the dual-threshold mask; all of them return a numpy array
for a numpy input and a tensor for a tensor. Checked on the example data of
:data:`tests.argument_tables.TRANSFORM_CASES` (so a new transform is covered once it has its case), given as uint8
and float64, numpy and torch: a transform that hands its result back with ``convert_to_dst_type(x, like)`` but
forgets ``dtype=np.float32`` returns uint8 seeds for a uint8 mask here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from monai_refine.transforms import DiscrepancySeeds, DualThreshold, RandMaskPerturb
from tests.argument_tables import TRANSFORM_CASES

#: the transforms documented to return the input's dtype; every other one returns float32
SAME_DTYPE = {DualThreshold, RandMaskPerturb}

#: how to call a transform on its example data, when not ``t(x)`` for each array of it
CALLS = {
    DiscrepancySeeds: lambda t, d: [t(d["pred"], d["label"])],
    RandMaskPerturb: lambda t, d: [t(d["a"]), t(d["b"], randomize=False)],
}

FLAVOURS = {
    "numpy-uint8": lambda x: np.asarray(x).astype(np.uint8),
    "numpy-float64": lambda x: np.asarray(x).astype(np.float64),
    "torch-uint8": lambda x: torch.as_tensor(np.asarray(x).astype(np.uint8)),
    "torch-float64": lambda x: torch.as_tensor(np.asarray(x).astype(np.float64)),
}


@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
@pytest.mark.parametrize("cls", sorted(TRANSFORM_CASES, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_output_dtype_and_type(cls, flavour):
    case = TRANSFORM_CASES[cls]
    convert = FLAVOURS[flavour]
    data = {key: convert(value) for key, value in case.data().items()}
    transform = cls(**case.fixed)
    if case.seed is not None:
        transform.set_random_state(case.seed)
    outputs = CALLS.get(cls, lambda t, d: [t(x) for x in d.values()])(transform, data)
    given = next(iter(data.values()))
    for out in outputs:
        assert type(out) is type(given)
        expected = given.dtype if cls in SAME_DTYPE else (torch.float32 if torch.is_tensor(given) else np.float32)
        assert out.dtype == expected, f"{cls.__name__}: {out.dtype} for a {flavour} input"

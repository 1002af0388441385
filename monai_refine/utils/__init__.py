from __future__ import annotations

from .checks import (
    as_binary_mask,
    as_numpy,
    check_array,
    check_finite,
    check_positive_int,
    check_probability,
    check_range,
    check_spacing,
)
from .enums import RefineKeys, RefineOutputs, SeedChannel, StopReason
from .geometry import bounding_box, check_same_geometry, resolve_spacing, slice_axis_from_affine, spacing_from_affine
from .network_output import split_network_output
from .randomness import seed_from_numpy

from __future__ import annotations

from .enums import RefineKeys, RefineOutputs, SeedChannel, StopReason
from .geometry import check_same_geometry

from __future__ import annotations

from .enums import RefineKeys, RefineOutputs, SeedChannel, StopReason

from __future__ import annotations

from .enums import RefineKeys, SeedChannel, StopReason

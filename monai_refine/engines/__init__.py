from __future__ import annotations

from .interaction import SeedInteraction

"""Transforms, re-exported like ``monai.transforms`` so ``from monai_refine.transforms import MaskSeedsd`` works."""

from __future__ import annotations


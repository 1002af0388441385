"""Colour inputs and contrast augmentation for dermoscopy (paper 003)."""

from __future__ import annotations

from .array import COLOR_SPACES, ColorSpaceChannels, RandPercentileContrast
from .dictionary import (
    ColorSpaceChannelsD,
    ColorSpaceChannelsd,
    ColorSpaceChannelsDict,
    RandPercentileContrastD,
    RandPercentileContrastd,
    RandPercentileContrastDict,
)

__all__ = [
    "COLOR_SPACES",
    "ColorSpaceChannels",
    "ColorSpaceChannelsD",
    "ColorSpaceChannelsDict",
    "ColorSpaceChannelsd",
    "RandPercentileContrast",
    "RandPercentileContrastD",
    "RandPercentileContrastDict",
    "RandPercentileContrastd",
]

from __future__ import annotations

from .unet import UNetDecoder, UNetEncoder, UNetFeatures

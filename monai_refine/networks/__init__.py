from __future__ import annotations

from .blocks import UNetDecoder, UNetEncoder, UNetFeatures
from .nets import CDNN, IterativeUNet, QualityUNet, RefineNet

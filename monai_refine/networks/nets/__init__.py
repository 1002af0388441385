from __future__ import annotations

from .cdnn import CDNN
from .iterative_unet import IterativeUNet
from .quality_unet import QualityUNet
from .refinenet import RefineNet

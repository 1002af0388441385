"""Refinement U-Net with a quality output (Rebelo, Fernandes and Cardoso, 2019)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
from monai.networks.layers.factories import Conv, Pool
from monai.networks.layers.utils import get_act_layer

from monai_refine.networks.blocks import UNetFeatures
from monai_refine.networks.utils import check_features, check_split_arguments, split_channels
from monai_refine.utils import RefineOutputs

__all__ = ["QualityUNet"]


class QualityUNet(nn.Module):
    """U-Net that refines an input mask and predicts that mask's quality (its Dice with the ground truth).

    Rebelo, Fernandes and Cardoso, "Quality-based regularization for iterative deep image segmentation", 2019.
    The image and an existing mask are concatenated as input channels; the U-Net outputs a refined mask and a
    quality head on the bottleneck (global average pooling, then two dense layers) predicts the Dice of the input
    mask. Training both with :py:class:`monai_refine.losses.QualityRegularizedLoss` regularises the refinement;
    at inference the quality can decide when to stop refining.

    Architecture: ``L`` levels of two 3x3 convolutions (the paper's Table I: 4 levels, 2 convolutions, 32 base
    filters, ReLU), 2x max pooling between levels, BasicUNet's decoder and skips, a 1x1 output convolution.

    Departures from the paper, and why:

    - the paper gives only the base width (32 filters); the deeper widths default to BasicUNet's first four,
      ``(32, 32, 64, 128)`` (level 1 not doubled), which keeps the network within 1.5x BasicUNet's latency;
      ``(32, 64, 128, 256, 32)`` doubles at every level for about 2x BasicUNet's time at 256x256;
    - the dense layers have as many units as the bottleneck (not given in the paper) and the second ends with a
      sigmoid so that ``quality`` is directly a Dice estimate in [0, 1]; the mask output stays logits;
    - batch normalisation is added by default (``norm``), the paper's L2 regularisation belongs to the optimiser
      (``weight_decay``).

    Odd spatial sizes are accepted as in BasicUNet (upsampled features are replicate-padded by one voxel).

    Args:
        spatial_dims: number of spatial dimensions, 2 or 3.
        in_channels: total input channels: the image channels followed by ``mask_channels`` mask channels.
        out_channels: number of output channels of the refined mask (logits).
        mask_channels: channels of the input mask.
        features: ``L + 1`` widths, ``L >= 2``: the encoder levels, then the width of the last decoder stage.
        act: activation type and arguments.
        norm: feature normalization type and arguments.
        bias: whether the convolutions have a bias term.
        dropout: dropout ratio.
        upsample: ``"deconv"``, ``"pixelshuffle"`` or ``"nontrainable"``, as in BasicUNet.

    Input channel order: ``x = cat([image, mask], dim=1)`` of shape ``(B, in_channels, *spatial)``, or ``x`` the
    image alone and ``mask`` given separately, ``(B, mask_channels, *spatial)`` with values in [0, 1].

    Outputs (a dict keyed by :py:class:`monai_refine.utils.RefineOutputs`): ``MASK`` ``(B, out_channels,
    *spatial)`` logits and ``QUALITY`` ``(B, 1)`` in [0, 1].

    MONAI post-processing of the dict (e.g. in a ``SupervisedEvaluator`` whose ``pred`` is this dict):
    ``FlattenSubKeysd(keys="pred")`` lifts the outputs to top-level keys, then the stock
    ``Activationsd(keys="mask", sigmoid=True)`` and ``AsDiscreted(keys="mask", threshold=0.5)`` apply.

    Example:
        >>> net = QualityUNet(spatial_dims=2, in_channels=4, out_channels=1, features=(8, 16, 32, 64, 8))
        >>> out = net(torch.rand(2, 3, 32, 32), mask=torch.rand(2, 1, 32, 32))
        >>> out[RefineOutputs.MASK].shape, out[RefineOutputs.QUALITY].shape
        (torch.Size([2, 1, 32, 32]), torch.Size([2, 1]))
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int = 2,
        out_channels: int = 1,
        mask_channels: int = 1,
        features: Sequence[int] = (32, 32, 64, 128, 32),
        act: str | tuple = ("relu", {"inplace": True}),
        norm: str | tuple = "batch",
        bias: bool = True,
        dropout: float | tuple = 0.0,
        upsample: str = "deconv",
    ) -> None:
        super().__init__()
        check_split_arguments(spatial_dims, in_channels, out_channels, mask_channels, "mask_channels")
        f = check_features(features, levels=2)
        self.spatial_dims = spatial_dims
        self.in_channels = in_channels
        self.mask_channels = mask_channels
        self.unet = UNetFeatures(spatial_dims, in_channels, f, act, norm, bias, dropout, upsample)
        self.final_conv = Conv[Conv.CONV, spatial_dims](f[-1], out_channels, kernel_size=1)
        self.quality_head = nn.Sequential(
            Pool[Pool.ADAPTIVEAVG, spatial_dims](1),
            nn.Flatten(),
            nn.Linear(f[-2], f[-2]),
            get_act_layer(act),
            nn.Linear(f[-2], 1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """
        Args:
            x: ``(B, in_channels, *spatial)`` image and mask concatenated, or the image alone when ``mask`` is given.
            mask: optional ``(B, mask_channels, *spatial)`` mask to refine, values in [0, 1].

        Returns:
            ``{MASK: (B, out_channels, *spatial) logits, QUALITY: (B, 1) predicted Dice of the input mask}``.

        Raises:
            ValueError: when the channels of ``x`` / ``mask`` do not match ``in_channels`` / ``mask_channels``.
        """
        image, mask = split_channels(x, mask, self.in_channels, self.mask_channels, "mask", self.spatial_dims)
        encoded, decoded = self.unet(torch.cat([image, mask], dim=1))
        return {
            RefineOutputs.MASK.value: self.final_conv(decoded[-1]),
            RefineOutputs.QUALITY.value: self.quality_head(encoded[-1]),
        }

"""U-Net encoder and decoder stacks shared by the refinement networks.

They chain MONAI's own ``BasicUNet`` blocks (``TwoConv``, ``Down``, ``UpCat``), so a refinement network built from
them has BasicUNet's layers, odd-size handling and speed, plus the extra inputs and outputs its paper adds.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
from monai.networks.nets.basic_unet import Down, TwoConv, UpCat

__all__ = ["UNetDecoder", "UNetEncoder", "UNetFeatures"]


class UNetEncoder(nn.Module):
    """BasicUNet's encoder as a stack that returns the features of every level.

    Level 0 is two 3x3 convolutions at the input resolution (skipped when ``downsample_first``); each further
    level is a 2x max pooling followed by two convolutions.

    Args:
        spatial_dims: number of spatial dimensions, 2 or 3.
        in_channels: number of input channels.
        features: output channels of each level, finest first.
        act: activation type and arguments.
        norm: feature normalization type and arguments.
        bias: whether the convolutions have a bias term.
        dropout: dropout ratio.
        downsample_first: whether level 0 also starts with a max pooling (for an encoder that continues another).

    Example:
        >>> encoder = UNetEncoder(2, 1, (8, 16, 32), act="relu", norm="batch")
        >>> [f.shape[1:] for f in encoder(torch.rand(1, 1, 32, 32))]
        [torch.Size([8, 32, 32]), torch.Size([16, 16, 16]), torch.Size([32, 8, 8])]
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int,
        features: Sequence[int],
        act: str | tuple,
        norm: str | tuple,
        bias: bool = True,
        dropout: float | tuple = 0.0,
        downsample_first: bool = False,
    ) -> None:
        super().__init__()
        channels = [in_channels, *features]
        self.levels = nn.ModuleList()
        for i, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:])):
            block = Down if (i > 0 or downsample_first) else TwoConv
            self.levels.append(block(spatial_dims, c_in, c_out, act, norm, bias, dropout))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return the features of every level, ``features[i]`` channels at ``1 / 2**i`` of the input size."""
        outputs: list[torch.Tensor] = []
        for level in self.levels:
            x = level(x)
            outputs.append(x)
        return outputs


class UNetDecoder(nn.Module):
    """BasicUNet's decoder as a stack that returns the features of every stage.

    Each stage upsamples (transposed convolution by default), concatenates the skip features of the same
    resolution and applies two 3x3 convolutions. As in BasicUNet, every stage but the last halves the channels
    while upsampling, and odd input sizes are handled by replicate-padding the upsampled features by one voxel.

    Args:
        spatial_dims: number of spatial dimensions, 2 or 3.
        in_channels: channels of the coarsest (bottleneck) features.
        skip_channels: channels of the skip features each stage concatenates, coarsest first.
        features: output channels of each stage, coarsest first; same length as ``skip_channels``.
        act: activation type and arguments.
        norm: feature normalization type and arguments.
        bias: whether the convolutions have a bias term.
        dropout: dropout ratio.
        upsample: ``"deconv"``, ``"pixelshuffle"`` or ``"nontrainable"``, as in BasicUNet.

    Example:
        >>> decoder = UNetDecoder(2, 32, (16, 8), (16, 8), act="relu", norm="batch")
        >>> skips = [torch.rand(1, 16, 16, 16), torch.rand(1, 8, 32, 32)]
        >>> [f.shape[1:] for f in decoder(torch.rand(1, 32, 8, 8), skips)]
        [torch.Size([16, 16, 16]), torch.Size([8, 32, 32])]
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int,
        skip_channels: Sequence[int],
        features: Sequence[int],
        act: str | tuple,
        norm: str | tuple,
        bias: bool = True,
        dropout: float | tuple = 0.0,
        upsample: str = "deconv",
    ) -> None:
        super().__init__()
        if len(skip_channels) != len(features):
            raise ValueError(
                f"skip_channels and features must have the same length, got {len(skip_channels)} and {len(features)}."
            )
        self.stages = nn.ModuleList()
        c_in = in_channels
        for i, (c_skip, c_out) in enumerate(zip(skip_channels, features)):
            halves = i < len(features) - 1
            self.stages.append(
                UpCat(spatial_dims, c_in, c_skip, c_out, act, norm, bias, dropout, upsample, halves=halves)
            )
            c_in = c_out

    def forward(self, x: torch.Tensor, skips: list[torch.Tensor]) -> list[torch.Tensor]:
        """Decode ``x`` with ``skips`` (coarsest first); return every stage's output, coarsest first."""
        outputs: list[torch.Tensor] = []
        for i, stage in enumerate(self.stages):
            x = stage(x, skips[i])
            outputs.append(x)
        return outputs


class UNetFeatures(nn.Module):
    """BasicUNet without its output convolution: the features of every encoder level and decoder stage.

    Args:
        spatial_dims: number of spatial dimensions, 2 or 3.
        in_channels: number of input channels.
        features: ``L + 1`` widths, ``L >= 2``: the ``L`` encoder levels (finest first), then the width of the
            last decoder stage; the other decoder stages mirror the encoder, as in BasicUNet.
        act: activation type and arguments.
        norm: feature normalization type and arguments.
        bias: whether the convolutions have a bias term.
        dropout: dropout ratio.
        upsample: ``"deconv"``, ``"pixelshuffle"`` or ``"nontrainable"``, as in BasicUNet.

    Example:
        >>> unet = UNetFeatures(2, 1, (8, 16, 32, 8), act="relu", norm="batch")
        >>> encoded, decoded = unet(torch.rand(1, 1, 32, 32))
        >>> encoded[-1].shape, decoded[-1].shape
        (torch.Size([1, 32, 8, 8]), torch.Size([1, 8, 32, 32]))
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int,
        features: Sequence[int],
        act: str | tuple,
        norm: str | tuple,
        bias: bool = True,
        dropout: float | tuple = 0.0,
        upsample: str = "deconv",
    ) -> None:
        super().__init__()
        f = tuple(features)
        self.encoder = UNetEncoder(spatial_dims, in_channels, f[:-1], act, norm, bias, dropout)
        self.decoder = UNetDecoder(
            spatial_dims, f[-2], f[-3::-1], (*f[-3:0:-1], f[-1]), act, norm, bias, dropout, upsample
        )

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Return ``(encoder features, finest first; decoder features, coarsest first)``."""
        encoded = self.encoder(x)
        return encoded, self.decoder(encoded[-1], encoded[-2::-1])

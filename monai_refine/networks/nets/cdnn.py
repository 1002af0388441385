"""Convolutional-deconvolutional neural network, CDNN-29 (Yuan and Lo, IEEE JBHI 2019)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
from monai.networks.blocks import Convolution, UpSample
from monai.networks.layers.factories import Conv, Pad, Pool

from monai_refine.networks.utils import check_input_rank, check_positive, check_spatial_dims

__all__ = ["CDNN"]

# (kind, kernel or scale) of the paper's Table I, in order; "pool"/"ups" are 2x max pooling / 2x upsampling and
# "drop" the paper's dropout layers (before conv-4-1 and decv-5-1). The widths come from ``features``.
_LAYERS: tuple[tuple[str, int], ...] = (
    ("conv", 3), ("conv", 3), ("pool", 2),  # conv-1-1, conv-1-2, pool-1
    ("conv", 3), ("conv", 3), ("pool", 2),  # conv-2-1, conv-2-2, pool-2
    ("conv", 3), ("conv", 4), ("pool", 2),  # conv-3-1, conv-3-2, pool-3
    ("drop", 0), ("conv", 3), ("conv", 3), ("pool", 2),  # conv-4-1, conv-4-2, pool-4
    ("conv", 3),  # conv-5
    ("conv", 3), ("ups", 2),  # decv-1, ups-1
    ("conv", 3), ("conv", 3), ("ups", 2),  # decv-2-1, decv-2-2, ups-2
    ("conv", 4), ("conv", 3), ("ups", 2),  # decv-3-1, decv-3-2, ups-3
    ("conv", 3), ("conv", 3), ("ups", 2),  # decv-4-1, decv-4-2, ups-4
    ("drop", 0), ("conv", 3),  # decv-5-1
)  # fmt: skip

_NEAREST = {"interp_mode": "nearest", "align_corners": None}


def _same_size_conv(
    spatial_dims: int, c_in: int, c_out: int, kernel: int, act: str | tuple, norm: str | tuple, bias: bool
) -> nn.Module:
    """Convolution, norm and activation keeping the spatial size; even kernels are zero-padded (k/2 - 1, k/2)."""
    if kernel % 2:
        return Convolution(spatial_dims, c_in, c_out, kernel_size=kernel, act=act, norm=norm, bias=bias)
    return nn.Sequential(
        Pad[Pad.CONSTANTPAD, spatial_dims]((kernel // 2 - 1, kernel // 2) * spatial_dims, 0.0),
        Convolution(spatial_dims, c_in, c_out, kernel_size=kernel, act=act, norm=norm, bias=bias, padding=0),
    )


class CDNN(nn.Module):
    """The 29-layer convolutional-deconvolutional network of the ISBI 2017 skin-lesion challenge winner.

    Yuan and Lo, "Improving dermoscopic image segmentation with enhanced convolutional-deconvolutional
    networks", IEEE JBHI 2019. A plain encoder-decoder without skip connections (Table I): 9 convolutions with
    4 max poolings (16-32, 64-64, 128-128, 256-256, 512 channels), 8 deconvolutions with 4 upsamplings
    (256 | 256-128 | 128-128 | 64-32 | 16 channels) and a 1x1 output layer, 3x3 kernels except the 4x4 conv-3-2
    and decv-3-1; every layer has batch normalisation and ReLU, and dropout (p = 0.5) precedes conv-4-1 and
    decv-5-1. The dropout is element-wise (``torch.nn.Dropout``, each activation dropped on its own, as the
    paper's Lasagne ``DropoutLayer``), not channel dropout, which before decv-5-1 would zero about half of 32 maps.
    The paper's configuration is ``CDNN(2, 7, 1)`` on 192x256 inputs (5,042,589 trainable
    parameters; this implementation has 5,039,329, within 0.1 %). Train with MONAI's
    ``DiceLoss(sigmoid=True, jaccard=True, squared_pred=True)``, the paper's Jaccard distance.

    Input channels in the paper: R, G, B, H, S, V (HSV) and L (CIELAB), see
    :py:class:`monai_refine.transforms.ColorSpaceChannels`; any ``in_channels`` works.

    Departures from the paper, and why:

    - the stride-1 deconvolutions are written as convolutions, which compute the same family of functions with
      the same parameter count and need no output padding;
    - the 4x4 layers are zero-padded asymmetrically (1 before, 2 after, as PyTorch's ``padding="same"``) so that
      every level keeps its size, which Table I implies;
    - the output is logits: the paper's sigmoid belongs to the loss (``sigmoid=True``) or post-transform;
    - the upsampling layers are parameter-free nearest-neighbour upsampling, as the paper's parameter count implies
      (learned 2x2 up-convolutions would add 0.4 M parameters).

    Without skip connections the decoder cannot align to odd sizes: inputs whose spatial size is not divisible
    by 16 are rejected with a ``ValueError``; pad them first, e.g. with ``monai.transforms.DivisiblePad(k=16)``.

    Args:
        spatial_dims: number of spatial dimensions, 2 or 3.
        in_channels: number of input channels (7 in the paper).
        out_channels: number of output channels (logits).
        features: the 17 widths of Table I's convolutions and deconvolutions, in order (conv-1-1 ... decv-5-1).
        act: activation type and arguments.
        norm: feature normalization type and arguments.
        dropout: probability of the two element-wise dropout layers.
        bias: whether the convolutions have a bias term.

    Example:
        >>> net = CDNN(spatial_dims=2, in_channels=7, out_channels=1)
        >>> sum(p.numel() for p in net.parameters())  # the paper's 5,042,589 within 0.1 %
        5039329
        >>> net.eval()(torch.rand(1, 7, 32, 48)).shape
        torch.Size([1, 1, 32, 48])
    """

    paper_features: tuple[int, ...] = (16, 32, 64, 64, 128, 128, 256, 256, 512, 256, 256, 128, 128, 128, 64, 32, 16)

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int = 7,
        out_channels: int = 1,
        features: Sequence[int] = paper_features,
        act: str | tuple = ("relu", {"inplace": True}),
        norm: str | tuple = "batch",
        dropout: float = 0.5,
        bias: bool = True,
    ) -> None:
        super().__init__()
        check_spatial_dims(spatial_dims)
        check_positive("in_channels", in_channels)
        check_positive("out_channels", out_channels)
        n_convs = sum(kind == "conv" for kind, _ in _LAYERS)
        if len(features) != n_convs:
            raise ValueError(f"features must have {n_convs} values (Table I), got {len(features)}: {features}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        self.spatial_dims = spatial_dims
        self.in_channels = in_channels
        self.divisor = 2 ** sum(kind == "pool" for kind, _ in _LAYERS)
        widths = iter(features)
        layers: list[nn.Module] = []
        c_in = in_channels
        for kind, size in _LAYERS:
            if kind == "pool":
                layers.append(Pool[Pool.MAX, spatial_dims](kernel_size=size))
            elif kind == "ups":
                layers.append(UpSample(spatial_dims, scale_factor=size, mode="nontrainable", **_NEAREST))
            elif kind == "drop":
                layers.append(nn.Dropout(dropout))  # element-wise, as the paper's layer (not Dropout2d/3d)
            else:
                c_out = next(widths)
                layers.append(_same_size_conv(spatial_dims, c_in, c_out, size, act, norm, bias))
                c_in = c_out
        layers.append(Conv[Conv.CONV, spatial_dims](c_in, out_channels, kernel_size=1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: ``(B, in_channels, *spatial)``, every spatial size divisible by 16.

        Returns:
            ``(B, out_channels, *spatial)`` logits.

        Raises:
            ValueError: when ``x`` is not a batch of ``spatial_dims`` spatial dims with ``in_channels`` channels, or a
                spatial size of ``x`` is not divisible by 16.
        """
        check_input_rank(x, self.spatial_dims)
        if x.shape[1] != self.in_channels:
            raise ValueError(f"x must have in_channels={self.in_channels} channels, got shape {x.shape}.")
        for size in x.shape[2:]:
            if size % self.divisor != 0:
                raise ValueError(
                    f"x must have spatial sizes divisible by {self.divisor} (CDNN has no skips to align odd sizes), "
                    f"got shape {x.shape}; pad it, e.g. with monai.transforms.DivisiblePad(k={self.divisor})."
                )
        return self.layers(x)

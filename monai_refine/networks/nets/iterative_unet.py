"""Iterative encoder-decoder refinement network (Kim, Kim and Ro, EMBC 2017)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
from monai.networks.blocks import Convolution
from monai.networks.layers.factories import Conv
from monai.networks.nets.basic_unet import Down

from monai_refine.networks.blocks import UNetDecoder, UNetEncoder
from monai_refine.networks.utils import check_features, check_split_arguments, split_channels

__all__ = ["IterativeUNet"]


class IterativeUNet(nn.Module):
    """U-Net with a second input for the previous iteration's segmentation, refined by feeding its output back.

    Kim, Kim and Ro, "Iterative deep convolutional encoder-decoder network for medical image segmentation",
    EMBC 2017. At iteration ``t`` the network sees the image and the segmentation of iteration ``t - 1`` (0.5
    everywhere at the first iteration) and predicts a new segmentation; train it with
    :py:class:`monai_refine.losses.DiceImprovementLoss`.

    Architecture, with ``features = (f0, f1, ..., f_L)`` (``L`` encoder levels, then the last decoder width):

    - layer 1: one 3x3 convolution on the image and one on the prior mask, ``f0 // 2`` channels each;
    - layer 2: the paper's *copy connection*: both layer-1 outputs are concatenated, image features first
      (``f0`` channels), and convolved (``f0``);
    - layers 3-4: max pooling and two convolutions on the encoder (``f1``) and on the mask branch (``f1 // 2``,
      from its layer-1 features); the mask branch's fourth-layer features are concatenated into the encoder
      again, after the encoder's (``f1 + f1 // 2`` channels);
    - further levels, decoder and skips as in MONAI's ``BasicUNet``; a 1x1 convolution gives the logits.

    Departures from the paper, and why:

    - the paper gives no widths: they default to BasicUNet's ``(32, 32, 64, 128, 256, 32)`` rather than doubling
      at every level, and each branch gets half of a level's width, which keeps the network close to BasicUNet's
      latency; pass ``(32, 64, 128, 256, 512, 32)`` for doubling;
    - the decoder upsamples with a 2x transposed convolution followed by two 3x3 convolutions (BasicUNet's
      ``UpCat``) instead of 3x3 deconvolutions, so that skips and odd sizes work as in MONAI;
    - normalisation and activation are arguments (batch norm and ReLU by default; the paper names neither);
    - the output is logits: the paper's final sigmoid belongs to the loss (``sigmoid=True``) or post-transform.

    Odd spatial sizes are accepted: as in BasicUNet, upsampled features are replicate-padded by one voxel to the
    skip's size. Sizes divisible by ``2 ** (L - 1)`` avoid that padding.

    Args:
        spatial_dims: number of spatial dimensions, 2 or 3.
        in_channels: total input channels: the image channels followed by ``prior_channels`` mask channels.
        out_channels: number of output channels (segmentation logits).
        prior_channels: channels of the previous segmentation, usually ``out_channels`` after the activation.
        features: ``L + 1`` widths, ``L >= 3``: the encoder levels, then the width of the last decoder stage.
        act: activation type and arguments.
        norm: feature normalization type and arguments. For paper 000's self-fed training prefer ``"instance"``:
            with BatchNorm each training batch is normalised with its own step's statistics (a constant 0.5 prior
            or the network's own output) but inference uses the running mean over both, and on PH2 every step after
            the first then lost Dice (0.919 -> 0.902); with InstanceNorm each step gained (0.934 -> 0.937,
            ``docs/results.md``).
        bias: whether the convolutions have a bias term.
        dropout: dropout ratio.
        upsample: ``"deconv"``, ``"pixelshuffle"`` or ``"nontrainable"``, as in BasicUNet.

    Input channel order: ``x = cat([image, prior], dim=1)`` of shape ``(B, in_channels, *spatial)``, or ``x`` the
    image alone and ``prior`` given separately, ``(B, prior_channels, *spatial)`` with values in [0, 1].

    Example:
        >>> net = IterativeUNet(spatial_dims=2, in_channels=2, out_channels=1, features=(8, 8, 16, 32, 8))
        >>> image = torch.rand(2, 1, 32, 32)
        >>> prior = torch.full_like(image, 0.5)  # first iteration
        >>> for _ in range(3):
        ...     prior = torch.sigmoid(net(image, prior))
        >>> prior.shape
        torch.Size([2, 1, 32, 32])
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int = 2,
        out_channels: int = 1,
        prior_channels: int = 1,
        features: Sequence[int] = (32, 32, 64, 128, 256, 32),
        act: str | tuple = ("relu", {"inplace": True}),
        norm: str | tuple = "batch",
        bias: bool = True,
        dropout: float | tuple = 0.0,
        upsample: str = "deconv",
    ) -> None:
        super().__init__()
        check_split_arguments(spatial_dims, in_channels, out_channels, prior_channels, "prior_channels")
        f = check_features(features, levels=3)
        self.spatial_dims = spatial_dims
        self.in_channels = in_channels
        self.prior_channels = prior_channels
        image_channels = in_channels - prior_channels

        def conv(c_in: int, c_out: int) -> Convolution:
            return Convolution(spatial_dims, c_in, c_out, act=act, norm=norm, dropout=dropout, bias=bias)

        branch_0, branch_1 = max(1, f[0] // 2), max(1, f[1] // 2)
        self.image_conv = conv(image_channels, branch_0)
        self.prior_conv = conv(prior_channels, branch_0)
        self.copy_conv = conv(2 * branch_0, f[0])
        self.down_1 = Down(spatial_dims, f[0], f[1], act, norm, bias, dropout)
        self.prior_down_1 = Down(spatial_dims, branch_0, branch_1, act, norm, bias, dropout)
        level_1 = f[1] + branch_1
        self.encoder = UNetEncoder(spatial_dims, level_1, f[2:-1], act, norm, bias, dropout, downsample_first=True)
        skip_channels = (*f[-3:1:-1], level_1, f[0])
        self.decoder = UNetDecoder(
            spatial_dims, f[-2], skip_channels, (*f[-3:0:-1], f[-1]), act, norm, bias, dropout, upsample
        )
        self.final_conv = Conv[Conv.CONV, spatial_dims](f[-1], out_channels, kernel_size=1)

    def forward(self, x: torch.Tensor, prior: torch.Tensor | None = None) -> torch.Tensor:
        """
        Args:
            x: ``(B, in_channels, *spatial)`` image and prior concatenated, or the image alone when ``prior``
                is given.
            prior: optional ``(B, prior_channels, *spatial)`` previous segmentation in [0, 1].

        Returns:
            ``(B, out_channels, *spatial)`` logits.

        Raises:
            ValueError: when the channels of ``x`` / ``prior`` do not match ``in_channels`` / ``prior_channels``.
        """
        image, prior = split_channels(x, prior, self.in_channels, self.prior_channels, "prior", self.spatial_dims)
        prior_features = self.prior_conv(prior)
        x0 = self.copy_conv(torch.cat([self.image_conv(image), prior_features], dim=1))
        x1 = torch.cat([self.down_1(x0), self.prior_down_1(prior_features)], dim=1)
        deeper = self.encoder(x1)
        skips = deeper[-2::-1] + [x1, x0]
        return self.final_conv(self.decoder(deeper[-1], skips)[-1])

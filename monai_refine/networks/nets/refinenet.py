"""Interactive deep refinement network (RefineNet, paper 001 of the project's references)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
from monai.networks.layers.factories import Conv, Pool
from monai.networks.layers.utils import get_act_layer
from monai.networks.nets.basic_unet import TwoConv, UpCat

from monai_refine.networks.blocks import UNetFeatures
from monai_refine.networks.utils import check_features, check_positive, check_split_arguments, split_channels
from monai_refine.utils import RefineOutputs

__all__ = ["RefineNet"]


class _SideOutputUNet(nn.Module):
    """BasicUNet-style backbone whose last three decoder stages each emit 1x1-convolution logits (1x, 1/2x, 1/4x)."""

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int,
        out_channels: int,
        features: tuple[int, ...],
        act: str | tuple,
        norm: str | tuple,
        bias: bool,
        dropout: float | tuple,
        upsample: str,
    ) -> None:
        super().__init__()
        self.unet = UNetFeatures(spatial_dims, in_channels, features, act, norm, bias, dropout, upsample)
        conv = Conv[Conv.CONV, spatial_dims]
        widths = (features[-1], features[1], features[2])  # decoder widths at 1x, 1/2x, 1/4x
        self.heads = nn.ModuleList([conv(c, out_channels, kernel_size=1) for c in widths])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return the side logits ``[1x, 1/2x, 1/4x]``."""
        _, decoded = self.unet(x)
        sides: list[torch.Tensor] = []
        for i, head in enumerate(self.heads):
            sides.append(head(decoded[-1 - i]))
        return sides


class _PooledSides(nn.Module):
    """Wrap any full-resolution backbone: its output and its 2x and 4x average-pooled versions are the sides."""

    def __init__(self, backbone: nn.Module, spatial_dims: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.pool = Pool[Pool.AVG, spatial_dims](kernel_size=2)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return ``[1x, 1/2x, 1/4x]`` logits of the wrapped backbone."""
        side_1 = self.backbone(x)
        side_2 = self.pool(side_1)
        return [side_1, side_2, self.pool(side_2)]


class RefineNet(nn.Module):
    """Segmentation backbone plus a refinement head guided by foreground/background seed maps.

    The paper's RefineNet (IRCAD liver, slice by slice): a U-Net backbone produces initial segmentations at 1x,
    1/2x and 1/4x of the input size (1x1 convolutions on its last three decoder stages); the refinement
    network concatenates each with the Gaussian seed maps at the same scale and merges the scales coarse to
    fine by up-convolution and concatenation, ending at full resolution with the image, where a 1x1 convolution
    gives the refined segmentation. Backbone and refinement head are trained together; supervise every output
    with :py:class:`monai_refine.losses.DeepSupervisionDictLoss`.

    Seed maps come from :py:class:`monai_refine.transforms.GaussianSeedMap`: ``seed_channels`` (default 2)
    channels, channel 0 foreground, channel 1 background, values in [0, 1].

    Departures from the paper, and why:

    - the backbone is MONAI's BasicUNet layout (widths ``(32, 32, 64, 128, 256, 32)`` by default) rather than
      the original U-Net, so that it reuses MONAI's blocks and odd-size handling;
    - each refinement scale applies two 3x3 convolutions of ``refine_features`` channels (BasicUNet's ``UpCat``
      between scales); the paper does not give the head's widths;
    - the seed maps are average-pooled to 1/2x and 1/4x; the image joins at full resolution only: the guide of
      each scale is ``cat([side, seed_maps])`` at 1/4x and 1/2x and ``cat([side_1, seed_maps, image])`` at 1x, in
      that channel order (trained weights rely on it);
    - any MONAI network can be the ``backbone`` (image in, ``out_channels`` logits out at full resolution); as
      it exposes only its final output, its 1/2x and 1/4x initial segmentations are that output average-pooled;
    - all outputs are logits; the paper's softmax belongs to the loss or post-transform.

    Odd spatial sizes are accepted as in BasicUNet (upsampled features are replicate-padded by one voxel).

    Args:
        spatial_dims: number of spatial dimensions, 2 or 3.
        in_channels: total input channels: the image channels followed by ``seed_channels`` seed-map channels.
        out_channels: number of output channels of every segmentation (logits).
        seed_channels: channels of the seed maps (foreground, background).
        features: ``L + 1`` widths of the built-in U-Net backbone, ``L >= 4``: the encoder levels, then the
            width of the last decoder stage (the 1/4x side output needs a decoder stage at 1/4x, hence 4 levels).
            Ignored when ``backbone`` is given.
        refine_features: channels of the refinement head.
        backbone: optional network mapping the image ``(B, in_channels - seed_channels, *spatial)`` to
            ``(B, out_channels, *spatial)`` logits, used instead of the built-in U-Net.
        act: activation type and arguments.
        norm: feature normalization type and arguments.
        bias: whether the convolutions have a bias term.
        dropout: dropout ratio.
        upsample: ``"deconv"``, ``"pixelshuffle"`` or ``"nontrainable"``, as in BasicUNet.
        quality_head: add a head that predicts the Dice of the refined segmentation (output ``QUALITY``, a logit of
            shape ``(B, 1)``): global average and max pooling of the refinement features, then two linear layers
            with the ``act`` activation between them. Slice propagation stops on it where an organ ends (train it with
            :py:class:`monai_refine.losses.OutputQualityLoss`).

    Input channel order: ``x = cat([image, seed_maps], dim=1)`` of shape ``(B, in_channels, *spatial)``, or ``x``
    the image alone and ``seed_maps`` given separately, ``(B, seed_channels, *spatial)``.

    Outputs (a dict keyed by :py:class:`monai_refine.utils.RefineOutputs`): ``REFINED`` and ``SIDE_1``
    ``(B, out_channels, *spatial)``, ``SIDE_2`` and ``SIDE_4`` at 1/2 and 1/4 of the spatial size (rounded down).

    MONAI post-processing of the dict (e.g. in a ``SupervisedEvaluator`` whose ``pred`` is this dict):
    ``FlattenSubKeysd(keys="pred")`` lifts the outputs to top-level keys, then the stock
    ``Activationsd(keys="refined", sigmoid=True)`` and ``AsDiscreted(keys="refined", threshold=0.5)`` apply.

    Example:
        >>> net = RefineNet(spatial_dims=2, in_channels=3, out_channels=1, features=(8, 8, 16, 32, 8))
        >>> image, seed_maps = torch.rand(2, 1, 32, 32), torch.rand(2, 2, 32, 32)
        >>> out = net(torch.cat([image, seed_maps], dim=1))
        >>> [tuple(out[k].shape) for k in (RefineOutputs.REFINED, RefineOutputs.SIDE_2, RefineOutputs.SIDE_4)]
        [(2, 1, 32, 32), (2, 1, 16, 16), (2, 1, 8, 8)]
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int = 3,
        out_channels: int = 1,
        seed_channels: int = 2,
        features: Sequence[int] = (32, 32, 64, 128, 256, 32),
        refine_features: int = 16,
        backbone: nn.Module | None = None,
        act: str | tuple = ("relu", {"inplace": True}),
        norm: str | tuple = "batch",
        bias: bool = True,
        dropout: float | tuple = 0.0,
        upsample: str = "deconv",
        quality_head: bool = False,
    ) -> None:
        super().__init__()
        check_split_arguments(spatial_dims, in_channels, out_channels, seed_channels, "seed_channels")
        check_positive("refine_features", refine_features)
        self.spatial_dims = spatial_dims
        self.in_channels = in_channels
        self.seed_channels = seed_channels
        image_channels = in_channels - seed_channels
        self.backbone: nn.Module
        if backbone is None:
            f = check_features(features, levels=4)
            self.backbone = _SideOutputUNet(
                spatial_dims, image_channels, out_channels, f, act, norm, bias, dropout, upsample
            )
        else:
            self.backbone = _PooledSides(backbone, spatial_dims)
        self.pool = Pool[Pool.AVG, spatial_dims](kernel_size=2)
        guide = out_channels + seed_channels
        rf = refine_features
        self.refine_4 = TwoConv(spatial_dims, guide, rf, act, norm, bias, dropout)
        self.refine_2 = UpCat(spatial_dims, rf, guide, rf, act, norm, bias, dropout, upsample, halves=False)
        self.refine_1 = UpCat(
            spatial_dims, rf, guide + image_channels, rf, act, norm, bias, dropout, upsample, halves=False
        )
        self.final_conv = Conv[Conv.CONV, spatial_dims](rf, out_channels, kernel_size=1)
        self.quality: nn.Module | None = None
        if quality_head:
            self.quality = nn.Sequential(nn.Linear(2 * rf, rf), get_act_layer(act), nn.Linear(rf, 1))

    def forward(self, x: torch.Tensor, seed_maps: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """
        Args:
            x: ``(B, in_channels, *spatial)`` image and seed maps concatenated, or the image alone when
                ``seed_maps`` is given.
            seed_maps: optional ``(B, seed_channels, *spatial)`` foreground/background Gaussian seed maps.

        Returns:
            A dict of logits: ``REFINED`` and ``SIDE_1`` ``(B, out_channels, *spatial)``, ``SIDE_2`` and ``SIDE_4``
            ``(B, out_channels, *(s // 2 for s in spatial))`` and ``(B, out_channels, *(s // 4 for s in spatial))``;
            with ``quality_head``, also ``QUALITY`` ``(B, 1)``, the logit of the refined segmentation's predicted Dice.

        Raises:
            ValueError: when the channels of ``x`` / ``seed_maps`` do not match ``in_channels`` / ``seed_channels``.
        """
        image, seeds_1 = split_channels(
            x, seed_maps, self.in_channels, self.seed_channels, "seed_maps", self.spatial_dims
        )
        side_1, side_2, side_4 = self.backbone(image)
        seeds_2 = self.pool(seeds_1)
        seeds_4 = self.pool(seeds_2)
        h = self.refine_4(torch.cat([side_4, seeds_4], dim=1))
        h = self.refine_2(h, torch.cat([side_2, seeds_2], dim=1))
        h = self.refine_1(h, torch.cat([side_1, seeds_1, image], dim=1))
        out = {
            RefineOutputs.REFINED.value: self.final_conv(h),
            RefineOutputs.SIDE_1.value: side_1,
            RefineOutputs.SIDE_2.value: side_2,
            RefineOutputs.SIDE_4.value: side_4,
        }
        if self.quality is not None:
            pooled = torch.cat([h.flatten(2).mean(2), h.flatten(2).amax(2)], dim=1)
            out[RefineOutputs.QUALITY.value] = self.quality(pooled)
        return out

"""Argument and input checks shared by the refinement networks.

``split_channels`` runs inside ``forward``, so it is written in the TorchScript subset (plain f-strings, no kwargs).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = [
    "check_features",
    "check_input_rank",
    "check_positive",
    "check_spatial_dims",
    "check_split_arguments",
    "split_channels",
]


def check_spatial_dims(spatial_dims: int) -> None:
    """Raise a ``ValueError`` unless ``spatial_dims`` is 2 or 3, the dimensions the refinement networks support."""
    if spatial_dims not in (2, 3):
        raise ValueError(f"spatial_dims must be 2 or 3, got {spatial_dims}.")


def check_positive(name: str, value: int) -> None:
    """Raise a ``ValueError`` naming the argument ``name`` unless ``value`` is a positive integer."""
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}.")


def check_split_arguments(
    spatial_dims: int, in_channels: int, out_channels: int, extra_channels: int, extra_name: str
) -> None:
    """Check the arguments of a network whose input is image channels followed by ``extra_channels`` channels.

    Raises:
        ValueError: naming the argument, when ``spatial_dims`` is not 2 or 3, ``out_channels`` or the argument
            ``extra_name`` (holding ``extra_channels``) is not positive, or ``in_channels`` leaves no image channel.
    """
    check_spatial_dims(spatial_dims)
    check_positive("out_channels", out_channels)
    check_positive(extra_name, extra_channels)
    if in_channels <= extra_channels:
        raise ValueError(
            f"in_channels ({in_channels}) must exceed {extra_name} ({extra_channels}): the input holds the image "
            "channels followed by those channels."
        )


def check_features(features: Sequence[int], levels: int) -> tuple[int, ...]:
    """Return ``features`` as a tuple, raising a ``ValueError`` unless it has at least ``levels`` encoder widths
    plus the output width."""
    if len(features) < levels + 1:
        raise ValueError(
            f"features must have at least {levels + 1} values ({levels} encoder levels + output), got {features}."
        )
    return tuple(features)


def split_channels(
    x: torch.Tensor,
    extra: torch.Tensor | None,
    in_channels: int,
    extra_channels: int,
    extra_name: str,
    spatial_dims: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(image, extra)`` from either one channel-concatenated tensor or two tensors.

    Args:
        x: ``(B, in_channels, *spatial)`` when ``extra`` is None, the last ``extra_channels`` channels being the
            extra input (prior mask, seed maps); otherwise the image alone, ``(B, in_channels - extra_channels,
            *spatial)``.
        extra: ``(B, extra_channels, *spatial)`` or None.
        in_channels: total number of input channels, image plus extra.
        extra_channels: number of channels of the extra input.
        extra_name: the name of the extra argument, used in the error message.
        spatial_dims: the network's number of spatial dimensions.

    Raises:
        ValueError: when ``x`` is not a batch ``(B, C, *spatial)`` of ``spatial_dims`` spatial dims, the channel counts
            do not match ``in_channels`` and ``extra_channels``, or ``extra`` differs from ``x`` in batch or spatial
            size.
    """
    check_input_rank(x, spatial_dims)
    image_channels = in_channels - extra_channels
    if extra is None:
        if x.shape[1] != in_channels:
            raise ValueError(
                f"x must have in_channels={in_channels} channels (image, then {extra_name}) when {extra_name} is "
                f"not given, got shape {x.shape}."
            )
        return x[:, :image_channels], x[:, image_channels:]
    if x.shape[1] != image_channels:
        raise ValueError(
            f"x must have {image_channels} image channels (in_channels - {extra_name} channels) when {extra_name} "
            f"is given, got shape {x.shape}."
        )
    if extra.shape[1] != extra_channels:
        raise ValueError(f"{extra_name} must have {extra_channels} channels, got shape {extra.shape}.")
    if extra.dim() != x.dim() or extra.shape[0] != x.shape[0] or extra.shape[2:] != x.shape[2:]:
        raise ValueError(f"{extra_name} must have the batch and spatial size of x {x.shape}, got shape {extra.shape}.")
    return x, extra


def check_input_rank(x: torch.Tensor, spatial_dims: int) -> None:
    """Raise a ``ValueError`` unless ``x`` is a batch ``(B, C, *spatial)`` with ``spatial_dims`` spatial dims (a
    missing batch or channel dim would otherwise reach a convolution as an unbatched input or fail deep inside)."""
    if x.dim() != spatial_dims + 2:
        raise ValueError(f"x must be a batch (B, C, *spatial) with {spatial_dims} spatial dims, got shape {x.shape}.")

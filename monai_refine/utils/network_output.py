"""Read a refinement network's output, a tensor of logits or a dict of named outputs, the same way everywhere."""

from __future__ import annotations

import torch

__all__ = ["split_network_output"]


def split_network_output(
    output: torch.Tensor | dict[str, torch.Tensor], output_key: str | None, quality_key: str | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The segmentation logits and, when ``quality_key`` is given, the predicted quality of a network's output.

    Networks return either logits or a dict of outputs (``RefineNet``, ``QualityUNet``; keys in
    :class:`~monai_refine.utils.RefineOutputs`).

    Raises:
        ValueError: a dict output without ``output_key``, or a ``quality_key`` for a network that returns a tensor.

    Example:
        >>> import torch
        >>> outputs = {"mask": torch.zeros(1), "quality": torch.ones(1)}
        >>> logits, quality = split_network_output(outputs, "mask", "quality")
        >>> float(quality[0])
        1.0
    """
    if not isinstance(output, dict):
        if quality_key is not None:
            raise ValueError("quality_key needs a network that returns a dict of outputs.")
        return output, None
    if output_key is None:
        raise ValueError(f"the network returns a dict {list(output)}: pass output_key to pick the segmentation.")
    return output[output_key], None if quality_key is None else output[quality_key]

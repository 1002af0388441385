"""Gradient-flow contract of every refinement network, 2D and 3D, tiny widths.

For each output a network returns (mask logits, quality, deep-supervision sides), backpropagating that output
alone (``torch.autograd.grad(..., allow_unused=True)``) must give

- a non-zero gradient to every parameter the architecture says feeds it (the first encoder convolution for every
  head; a head's own layers only for its own output), and to every input it reads;
- exactly zero (or no) gradient to every parameter and input that must not feed it: QualityUNet's mask does not
  use the quality head, its quality does not use the decoder; RefineNet's sides do not use the refinement stages,
  the quality head or the seed maps, its ``SIDE_4`` / ``SIDE_2`` not the finer decoder stages or the other sides'
  1x1 heads, its refined mask not the quality head, its quality not the final 1x1 convolution.

The expected feeding sets are written from the docstrings / architecture (parameter-name prefixes), never read
from a gradient. A ``.detach()`` on the way (e.g. the quality head reading detached bottleneck features, so that
its loss no longer trains the encoder) or an output built from the wrong features shows as a mismatch.
Networks run in eval mode (batch norm then is a fixed affine map, so a bias before it keeps its gradient) with
leaky ReLU (no dead units in tiny random networks).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from monai.networks.nets import BasicUNet

from monai_refine.networks.nets import CDNN, IterativeUNet, QualityUNet, RefineNet
from monai_refine.utils import RefineOutputs

pytestmark = pytest.mark.usefixtures("single_thread")

SPATIAL = {2: (16, 32), 3: (16, 16, 16)}  # divisible by 16 (CDNN)
LEAKY = {"act": ("leakyrelu", {"negative_slope": 0.1})}
REFINE = {"features": (3, 3, 4, 4, 3), "refine_features": 3, **LEAKY}
Out = RefineOutputs

#: RefineNet's built-in backbone: decoder stage 0 is at 1/4x, 1 at 1/2x, 2 at 1x; heads 0, 1, 2 give 1x, 1/2x, 1/4x
_ENC = "backbone.unet.encoder."
_DEC = "backbone.unet.decoder.stages."
_REFINE_STAGES = ("refine_4.", "refine_2.", "refine_1.", "final_conv.")
_SIDES = {
    Out.SIDE_1.value: (_ENC, f"{_DEC}0.", f"{_DEC}1.", f"{_DEC}2.", "backbone.heads.0."),
    Out.SIDE_2.value: (_ENC, f"{_DEC}0.", f"{_DEC}1.", "backbone.heads.1."),
    Out.SIDE_4.value: (_ENC, f"{_DEC}0.", "backbone.heads.2."),
}
_ALL_BUT_QUALITY = ("backbone.", *_REFINE_STAGES)
_QUALITY = ("backbone.", "refine_4.", "refine_2.", "refine_1.", "quality.")

# name: (constructor(dims), image channels, extra channels (prior / seeds, 0: none),
#        {output key: (parameter-name prefixes that feed it, inputs that feed it)})
NETS: dict[str, tuple[Callable[[int], torch.nn.Module], int, int, dict[str, tuple[tuple[str, ...], set[str]]]]] = {
    "IterativeUNet": (
        lambda d: IterativeUNet(d, 3, 1, 1, features=(3, 4, 4, 4, 3), **LEAKY),
        2,
        1,
        {"out": (("",), {"image", "extra"})},
    ),
    "QualityUNet": (
        lambda d: QualityUNet(d, 3, 1, 1, features=(3, 4, 4, 3), **LEAKY),
        2,
        1,
        {
            Out.MASK.value: (("unet.", "final_conv."), {"image", "extra"}),
            Out.QUALITY.value: (("unet.encoder.", "quality_head."), {"image", "extra"}),
        },
    ),
    "RefineNet": (
        lambda d: RefineNet(d, 3, 1, 2, **REFINE),
        1,
        2,
        {
            Out.REFINED.value: (_ALL_BUT_QUALITY, {"image", "extra"}),
            **{k: (v, {"image"}) for k, v in _SIDES.items()},
        },
    ),
    "RefineNet_quality": (
        lambda d: RefineNet(d, 3, 1, 2, quality_head=True, **REFINE),
        1,
        2,
        {
            Out.REFINED.value: (_ALL_BUT_QUALITY, {"image", "extra"}),
            Out.QUALITY.value: (_QUALITY, {"image", "extra"}),
            **{k: (v, {"image"}) for k, v in _SIDES.items()},
        },
    ),
    "RefineNet_backbone": (  # any MONAI network as backbone: its sides are its output, pooled
        lambda d: RefineNet(
            d, 4, 1, 2, backbone=BasicUNet(d, 2, 1, features=(3, 3, 4, 4, 4, 3), norm="batch", **LEAKY), **REFINE
        ),
        2,
        2,
        {
            Out.REFINED.value: (_ALL_BUT_QUALITY, {"image", "extra"}),
            Out.SIDE_1.value: (("backbone.",), {"image"}),
            Out.SIDE_2.value: (("backbone.",), {"image"}),
            Out.SIDE_4.value: (("backbone.",), {"image"}),
        },
    ),
    "CDNN": (lambda d: CDNN(d, 2, 1, features=(2,) * 17, **LEAKY), 2, 0, {"out": (("",), {"image"})}),
}


def _forward(name: str, dims: int) -> tuple[torch.nn.Module, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    make, image_channels, extra_channels, _ = NETS[name]
    torch.manual_seed(0)
    net = make(dims).eval()
    generator = torch.Generator().manual_seed(dims)
    inputs = {"image": torch.randn((2, image_channels, *SPATIAL[dims]), generator=generator).requires_grad_()}
    if extra_channels:
        inputs["extra"] = torch.rand((2, extra_channels, *SPATIAL[dims]), generator=generator).requires_grad_()
    out = net(*inputs.values())
    return net, inputs, (dict(out) if isinstance(out, dict) else {"out": out})


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("name", sorted(NETS))
def test_each_output_trains_exactly_what_feeds_it(name, dims):
    net, inputs, outputs = _forward(name, dims)
    expected = NETS[name][3]
    assert set(outputs) == set(expected)
    params = dict(net.named_parameters())
    # the first encoder convolution feeds every head: a guard that the prefixes name real parameters
    first = next(iter(params))
    for key, (prefixes, feeding_inputs) in expected.items():
        assert first.startswith(prefixes), (key, first)
        # a random weighting so no output element (or sum of sigmoids) cancels out
        weight = torch.randn(outputs[key].shape, generator=torch.Generator().manual_seed(7))
        grads = torch.autograd.grad(
            (outputs[key] * weight).sum(),
            [*params.values(), *inputs.values()],
            retain_graph=True,
            allow_unused=True,
        )
        names = [*params, *inputs]
        feeds = {n for n in params if n.startswith(prefixes)} | feeding_inputs
        assert len(feeds) > len(feeding_inputs)
        for n, g in zip(names, grads):
            norm = 0.0 if g is None else g.abs().sum().item()
            if n in feeds:
                assert norm > 0, f"{name} {dims}D: {key} gives no gradient to {n}, which feeds it"
            else:
                assert norm == 0, f"{name} {dims}D: {key} gives a gradient to {n}, which must not feed it"


@pytest.mark.parametrize("dims", [2, 3])
def test_quality_loss_trains_the_shared_encoder(dims):
    """QualityUNet's quality head sits on the bottleneck: its loss alone moves the encoder's first convolution."""
    net, _, outputs = _forward("QualityUNet", dims)
    conv = net.unet.encoder.levels[0].conv_0.conv.weight
    (grad,) = torch.autograd.grad(outputs[Out.QUALITY.value].sum(), [conv])
    assert grad.abs().sum() > 0

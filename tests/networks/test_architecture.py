"""The networks' structure against their papers and docstrings, by enumerating the modules of tiny instances.

Every network of ``monai_refine.networks.nets`` needs an entry in :data:`SPECS`: how many 3x3 (CDNN: Table I's)
convolutions it has for ``L`` encoder levels (each followed by one normalisation and one activation of the configured
kinds, and, in MONAI's BasicUNet blocks, one dropout), how many activations its heads add, its pooling layers and its
transposed and 1x1 convolutions. The counts come from the docstrings (and paper 003's Table I for CDNN), written out
below, not from printing the models. Then the kind of every upsampling (each ``upsample`` mode of the U-Nets, as in
BasicUNet; CDNN's nearest-neighbour) and pooling layer (RefineNet's average pooling of the seed maps and of a custom
backbone's output), the widths of every stage against ``features``, CDNN's layer order and kernels, and the quality
heads' layer sequence.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
import torch.nn as nn
from monai.networks.blocks import SubpixelUpsample
from monai.networks.layers.factories import Act, Conv, Norm

import monai_refine.networks.nets
from monai_refine.networks.nets import CDNN, IterativeUNet, QualityUNet, RefineNet

L = 4  # encoder levels of the tiny U-Nets
UNET_FEATURES = (4, 6, 8, 10, 5)  # L encoder widths, then the last decoder width: all different
CDNN_FEATURES = tuple(range(2, 19))  # Table I's 17 widths, all different
REFINE_FEATURES = 3

ACTIVATIONS = tuple(
    cls
    for cls in vars(nn.modules.activation).values()
    if isinstance(cls, type) and issubclass(cls, nn.Module) and cls.__module__ == nn.modules.activation.__name__
)
NORMS = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm, nn.GroupNorm, nn.LayerNorm)
MAX_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
AVG_POOLS = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)


@dataclass(frozen=True)
class Spec:
    """What a tiny instance must contain (see the module docstring)."""

    build: Callable[..., nn.Module]
    convs: int  # kxk convolutions (k > 1, not transposed), each with one norm, one activation and (BasicUNet) a dropout
    head_acts: int  # activations of the configured kind outside the convolution blocks
    max_pools: int
    avg_pools: int
    up_convs: int  # 2x transposed convolutions (BasicUNet's "deconv" upsampling)
    one_by_one: int  # 1x1 output convolutions
    dropouts: int | None = None  # dropout modules, when not one per convolution


SPECS = {
    # image, prior and copy convolutions (3), two per Down of the image and the prior branch at level 1 (4), two per
    # further encoder level (L - 2) and per decoder stage (L - 1); max pooling on both level-1 branches and below
    "IterativeUNet": Spec(
        lambda dims, **kw: IterativeUNet(dims, 2, 1, features=UNET_FEATURES, **kw),
        convs=3 + 4 + 2 * (L - 2) + 2 * (L - 1),
        head_acts=0,
        max_pools=2 + (L - 2),
        avg_pools=0,
        up_convs=L - 1,
        one_by_one=1,
    ),
    # two convolutions per encoder level and decoder stage; the quality head: global average pooling, Linear, act,
    # Linear, sigmoid (the sigmoid is the output's, not the configured activation)
    "QualityUNet": Spec(
        lambda dims, **kw: QualityUNet(dims, 2, 1, features=UNET_FEATURES, **kw),
        convs=2 * L + 2 * (L - 1),
        head_acts=1,
        max_pools=L - 1,
        avg_pools=1,
        up_convs=L - 1,
        one_by_one=1,
    ),
    # the backbone's U-Net, plus two convolutions at each of the refinement head's three scales; 1x1 side outputs at
    # 1x, 1/2x and 1/4x and the refined output; the seed maps' 2x average pooling; the quality head Linear, act, Linear
    "RefineNet": Spec(
        lambda dims, **kw: RefineNet(
            dims, 3, 1, features=UNET_FEATURES, refine_features=REFINE_FEATURES, quality_head=True, **kw
        ),
        convs=2 * L + 2 * (L - 1) + 3 * 2,
        head_acts=1,
        max_pools=L - 1,
        avg_pools=1,
        up_convs=L - 1 + 2,
        one_by_one=4,
    ),
    # paper 003, Table I: 17 convolutions and deconvolutions, 4 max-pooling layers, 4 upsamplings (parameter-free),
    # a 1x1 output layer, and two dropout layers (before conv-4-1 and decv-5-1)
    "CDNN": Spec(
        lambda dims, **kw: CDNN(dims, 7, 1, features=CDNN_FEATURES, **kw),
        convs=17,
        head_acts=0,
        max_pools=4,
        avg_pools=0,
        up_convs=0,
        one_by_one=1,
        dropouts=2,
    ),
}

DIMS = (2, 3)


def _modules(net: nn.Module, kinds) -> list[nn.Module]:
    return [m for m in net.modules() if isinstance(m, kinds)]


def _convs(net: nn.Module) -> list[nn.modules.conv._ConvNd]:
    return _modules(net, nn.modules.conv._ConvNd)


def _configured_activations(net: nn.Module) -> list[nn.Module]:
    """The activation modules, without QualityUNet's output sigmoid (the last module of its quality head)."""
    skip = {id(net.quality_head[-1])} if isinstance(net, QualityUNet) else set()
    return [m for m in _modules(net, ACTIVATIONS) if id(m) not in skip]


def test_every_network_has_a_spec():
    nets = {n for n, c in inspect.getmembers(monai_refine.networks.nets, inspect.isclass) if issubclass(c, nn.Module)}
    assert nets == set(SPECS)


@pytest.mark.parametrize("dims", DIMS)
@pytest.mark.parametrize("name", sorted(SPECS))
def test_convolutions(name, dims):
    spec = SPECS[name]
    convs = _convs(spec.build(dims))
    assert all(c.__class__.__name__.endswith(f"{dims}d") for c in convs)
    transposed = [c for c in convs if c.transposed]
    assert len(transposed) == spec.up_convs
    assert all(c.kernel_size == (2,) * dims and c.stride == (2,) * dims for c in transposed)
    plain = [c for c in convs if not c.transposed]
    assert sum(c.kernel_size == (1,) * dims for c in plain) == spec.one_by_one
    assert len(plain) - spec.one_by_one == spec.convs
    if name != "CDNN":  # CDNN's kernels: test_cdnn_follows_table_1
        assert all(c.kernel_size in ((1,) * dims, (3,) * dims) for c in plain)


@pytest.mark.parametrize("dims", DIMS)
@pytest.mark.parametrize("act", ["relu", ("leakyrelu", {"negative_slope": 0.2}), "elu"])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_activation_is_the_configured_one(name, act, dims):
    spec = SPECS[name]
    activations = _configured_activations(spec.build(dims, act=act))
    expected = Act[act if isinstance(act, str) else act[0]]
    assert len(activations) == spec.convs + spec.head_acts
    assert all(type(a) is expected for a in activations), {type(a).__name__ for a in activations}
    if isinstance(act, tuple):  # the activation's arguments are handed on too
        assert all(a.negative_slope == 0.2 for a in activations)


@pytest.mark.parametrize("dims", DIMS)
@pytest.mark.parametrize("norm", ["batch", "instance"])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_normalisation_is_the_configured_one(name, norm, dims):
    spec = SPECS[name]
    norms = _modules(spec.build(dims, norm=norm), NORMS)
    assert len(norms) == spec.convs
    assert all(type(n) is Norm[norm, dims] for n in norms), {type(n).__name__ for n in norms}


@pytest.mark.parametrize("dims", DIMS)
@pytest.mark.parametrize("name", sorted(SPECS))
def test_dropout(name, dims):
    spec = SPECS[name]
    count = spec.dropouts if spec.dropouts is not None else spec.convs
    dropouts = _modules(spec.build(dims, dropout=0.25), nn.modules.dropout._DropoutNd)
    assert len(dropouts) == count and all(d.p == 0.25 for d in dropouts)
    if name == "CDNN":  # element-wise, as the paper's Lasagne DropoutLayer (class docstring)
        assert all(type(d) is nn.Dropout for d in dropouts)
    # MONAI's blocks keep a Dropout(p=0) when dropout is 0: none may drop anything
    assert all(d.p == 0 for d in _modules(spec.build(dims, dropout=0.0), nn.modules.dropout._DropoutNd))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_convolution_block_follows_bias(name, bias):
    """``bias`` (docstrings: whether the convolutions have a bias term) reaches every convolution block: each kxk
    convolution (k > 1, not transposed) of the spec has a bias exactly when ``bias`` is set. The 1x1 output
    convolutions and BasicUNet's up-convolutions keep theirs, as in BasicUNet."""
    convs = [c for c in _convs(SPECS[name].build(2, bias=bias)) if not c.transposed and c.kernel_size != (1, 1)]
    assert len(convs) == SPECS[name].convs
    assert [c.bias is not None for c in convs] == [bias] * len(convs)


@pytest.mark.parametrize("dims", DIMS)
@pytest.mark.parametrize("name", sorted(SPECS))
def test_pooling(name, dims):
    spec = SPECS[name]
    net = spec.build(dims)
    max_pools = _modules(net, MAX_POOLS)
    assert len(max_pools) == spec.max_pools and len(_modules(net, AVG_POOLS)) == spec.avg_pools
    assert all(type(p).__name__ == f"MaxPool{dims}d" and p.kernel_size in (2, (2,) * dims) for p in max_pools)


def _doubles(upsample: nn.Upsample, dims: int) -> bool:
    """Whether ``upsample`` scales every spatial axis by 2."""
    factor = upsample.scale_factor
    return tuple(factor) == (2.0,) * dims if isinstance(factor, tuple) else factor == 2


@pytest.mark.parametrize("dims", DIMS)
@pytest.mark.parametrize("upsample", ["deconv", "pixelshuffle", "nontrainable"])
@pytest.mark.parametrize("name", sorted(set(SPECS) - {"CDNN"}))
def test_upsampling_follows_the_upsample_argument(name, upsample, dims):
    """``upsample`` (docstrings: as in BasicUNet) sets every 2x upsampling, the refinement head's included: 2x
    transposed convolutions, sub-pixel convolutions, or interpolation (BasicUNet's ``UpCat`` default
    ``interp_mode="linear"``, bilinear or trilinear), one per up-convolution of the spec and no other kind."""
    net = SPECS[name].build(dims, upsample=upsample)
    count = SPECS[name].up_convs
    transposed = [c for c in _convs(net) if c.transposed]
    subpixel, interpolate = _modules(net, SubpixelUpsample), _modules(net, nn.Upsample)
    expected = {"deconv": (count, 0, 0), "pixelshuffle": (0, count, 0), "nontrainable": (0, 0, count)}[upsample]
    assert (len(transposed), len(subpixel), len(interpolate)) == expected
    assert all(u.mode == ("bilinear", "trilinear")[dims - 2] and _doubles(u, dims) for u in interpolate)


@pytest.mark.parametrize("dims", DIMS)
def test_cdnn_upsamples_by_nearest_neighbour(dims):
    """Class docstring: the four upsamplings are parameter-free nearest-neighbour 2x upsampling."""
    ups = _modules(SPECS["CDNN"].build(dims), nn.Upsample)
    assert len(ups) == 4 and all(u.mode == "nearest" and _doubles(u, dims) for u in ups)


@pytest.mark.parametrize("dims", DIMS)
def test_refinenet_custom_backbone_pools_by_average(dims):
    """Docstring: a custom backbone's 1/2x and 1/4x initial segmentations are its output average-pooled, and the seed
    maps are average-pooled: 2x average pooling only (one module each), no max pooling."""
    net = RefineNet(dims, 3, 1, backbone=Conv[Conv.CONV, dims](1, 1, 1), refine_features=REFINE_FEATURES)
    pools = _modules(net, MAX_POOLS + AVG_POOLS)
    assert [type(p).__name__ for p in pools] == [f"AvgPool{dims}d"] * 2
    assert all(p.kernel_size in (2, (2,) * dims) for p in pools)


# paper 003, Table I, in order: conv-1-1 ... conv-5, decv-1 ... decv-5-1 ("drop": the two dropout layers, "out": the
# 1x1 output layer) and the kernel of each convolution
TABLE_1 = (
    "conv conv pool conv conv pool conv conv pool drop conv conv pool conv "
    "conv ups conv conv ups conv conv ups conv conv ups drop conv out"
).split()
TABLE_1_KERNELS = (3, 3, 3, 3, 3, 4, 3, 3, 3, 3, 3, 3, 4, 3, 3, 3, 3)


def _kind(layer: nn.Module) -> str:
    if isinstance(layer, MAX_POOLS + AVG_POOLS):
        return "pool"
    if isinstance(layer, nn.modules.dropout._DropoutNd):
        return "drop"
    convs = _convs(layer)
    if convs:
        return "out" if len(list(layer.modules())) == 1 else "conv"
    return "ups"


@pytest.mark.parametrize("dims", DIMS)
def test_cdnn_follows_table_1(dims):
    net = SPECS["CDNN"].build(dims)
    assert [_kind(layer) for layer in net.layers] == TABLE_1
    convs = _convs(net)
    assert [c.kernel_size for c in convs] == [(k,) * dims for k in (*TABLE_1_KERNELS, 1)]
    assert [c.out_channels for c in convs] == [*CDNN_FEATURES, 1]
    assert [c.in_channels for c in convs] == [7, *CDNN_FEATURES]
    ups = [layer for layer in net.layers if _kind(layer) == "ups"]
    assert all(not list(u.parameters()) for u in ups)  # parameter-free upsampling (class docstring)


def _stage_widths(net: nn.Module, module: nn.Module, x: torch.Tensor) -> list[int]:
    """Channels of every tensor ``module`` returns (a list of stages, or one tensor) when ``net`` runs on ``x``."""
    seen: list[int] = []

    def hook(_module, _args, output):
        outputs = output if isinstance(output, (list, tuple)) else [output]
        seen.extend(o.shape[1] for o in outputs)

    handle = module.register_forward_hook(hook)
    with torch.no_grad():
        net.eval()(x)
    handle.remove()
    return seen


f = UNET_FEATURES
#: BasicUNet's layout (docstrings): encoder widths f[0] ... f[L-1]; decoder stages mirror them, coarsest first,
#: f[L-2] ... f[1], and the last stage is f[L]
DECODER = [*f[L - 2 : 0 : -1], f[L]]
#: each decoder stage's 2x up-convolution halves its input's channels, but the last one keeps them (BasicUNet)
STAGE_INPUTS = [f[L - 1], *DECODER[:-1]]
UP_CONVS = [(c, c // 2) for c in STAGE_INPUTS[:-1]] + [(STAGE_INPUTS[-1], STAGE_INPUTS[-1])]


def _up_convs(module: nn.Module) -> list[tuple[int, int]]:
    return [(c.in_channels, c.out_channels) for c in _convs(module) if c.transposed]


def test_quality_unet_stage_widths(single_thread):
    net = SPECS["QualityUNet"].build(2)
    assert _stage_widths(net, net.unet.encoder, torch.rand(1, 2, 16, 16)) == list(f[:L])
    assert _stage_widths(net, net.unet.decoder, torch.rand(1, 2, 16, 16)) == DECODER
    assert _up_convs(net.unet.decoder) == UP_CONVS


def test_refinenet_stage_widths(single_thread):
    net = SPECS["RefineNet"].build(2)
    x = torch.rand(1, 3, 16, 16)
    assert _stage_widths(net, net.backbone.unet.encoder, x) == list(f[:L])
    assert _stage_widths(net, net.backbone.unet.decoder, x) == DECODER
    assert _up_convs(net.backbone.unet.decoder) == UP_CONVS
    # the side outputs read the decoder at 1x (f[L]), 1/2x (f[1]) and 1/4x (f[2])
    assert [h.in_channels for h in net.backbone.heads] == [f[L], f[1], f[2]]
    for stage in (net.refine_4, net.refine_2, net.refine_1):
        assert _stage_widths(net, stage, x) == [REFINE_FEATURES]
    # the refinement head is refine_features wide throughout: its up-convolutions keep the channels
    assert _up_convs(net.refine_2) == _up_convs(net.refine_1) == [(REFINE_FEATURES, REFINE_FEATURES)]


def test_iterative_unet_stage_widths(single_thread):
    """Layer 1: f0 // 2 channels on the image and on the prior; the copy convolution f0; level 1: f1 on the image
    branch and f1 // 2 on the mask branch, concatenated; further levels and the decoder as in BasicUNet."""
    net = SPECS["IterativeUNet"].build(2)
    x = torch.rand(1, 2, 16, 16)
    assert _stage_widths(net, net.image_conv, x) == _stage_widths(net, net.prior_conv, x) == [f[0] // 2]
    assert _stage_widths(net, net.copy_conv, x) == [f[0]]
    assert _stage_widths(net, net.down_1, x) == [f[1]] and _stage_widths(net, net.prior_down_1, x) == [f[1] // 2]
    assert _stage_widths(net, net.encoder, x) == list(f[2:L])
    assert _stage_widths(net, net.decoder, x) == DECODER
    assert _up_convs(net.decoder) == UP_CONVS


@pytest.mark.parametrize("act", ["relu", "elu"])
def test_quality_heads(act):
    """QualityUNet (docstring): global average pooling, Linear to as many units as the bottleneck, the activation,
    Linear to one unit, sigmoid. RefineNet: Linear from the mean and max of the refinement features, the activation,
    Linear to one logit."""
    head = SPECS["QualityUNet"].build(2, act=act).quality_head
    kinds = [nn.AdaptiveAvgPool2d, nn.Flatten, nn.Linear, Act[act], nn.Linear, nn.Sigmoid]
    assert [type(m) for m in head] == kinds
    assert (head[2].in_features, head[2].out_features, head[4].in_features, head[4].out_features) == (
        f[L - 1],
        f[L - 1],
        f[L - 1],
        1,
    )
    head = SPECS["RefineNet"].build(2, act=act).quality
    assert [type(m) for m in head] == [nn.Linear, Act[act], nn.Linear]
    assert (head[0].in_features, head[0].out_features, head[2].out_features) == (
        2 * REFINE_FEATURES,
        REFINE_FEATURES,
        1,
    )

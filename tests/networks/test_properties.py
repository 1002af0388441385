"""Properties every refinement network has, checked for each one, 2D and 3D, on non-square inputs.

- in eval mode (batch-norm statistics made non-trivial by a few training forwards first) each sample's outputs,
  quality included, are those it gets alone, and reordering the batch reorders the outputs;
- the two call forms agree: ``net(cat([image, extra]))`` equals ``net(image, extra)``;
- every input channel matters: changing one image channel or one prior / seed channel alone changes the output
  (a channel dropped or swapped on the way, e.g. the seed maps not reaching the refinement head, shows);
- the documented output structure holds on non-square inputs (a swapped axis shows): logits of the input's size,
  RefineNet's sides at ``s // 2`` and ``s // 4``, QualityUNet's quality in [0, 1], ``(B, 1)``.
"""

from __future__ import annotations

import pytest
import torch

from monai_refine.networks.nets import CDNN, IterativeUNet, QualityUNet, RefineNet
from monai_refine.utils import RefineOutputs

pytestmark = pytest.mark.usefixtures("single_thread")

SPATIAL = {2: (16, 32), 3: (16, 32, 16)}  # divisible by 16 (CDNN), no two neighbours equal

LEAKY = {"act": ("leakyrelu", {"negative_slope": 0.1})}  # no dead units in tiny random networks
UNET = {"features": (4, 4, 8, 8, 4), "refine_features": 4, **LEAKY}
# name: (constructor(dims), in_channels, extra channels (prior / seeds; 0: none), out_channels)
NETS = {
    "IterativeUNet": (lambda d: IterativeUNet(d, 3, 2, 1, features=(4, 4, 8, 8, 4), **LEAKY), 3, 1, 2),
    "QualityUNet": (lambda d: QualityUNet(d, 3, 1, 1, features=(4, 8, 8, 4), **LEAKY), 3, 1, 1),
    "RefineNet": (lambda d: RefineNet(d, 4, 2, 2, **UNET), 4, 2, 2),
    "RefineNet_quality": (lambda d: RefineNet(d, 3, 1, 2, quality_head=True, **UNET), 3, 2, 1),
    "CDNN": (lambda d: CDNN(d, 2, 1, features=(4,) * 17, **LEAKY), 2, 0, 1),
}
#: RefineNet's side outputs are its backbone's, from the image channels alone (the seed maps guide the refinement)
IMAGE_ONLY = {RefineOutputs.SIDE_1, RefineOutputs.SIDE_2, RefineOutputs.SIDE_4}


def _outputs(out) -> dict[str, torch.Tensor]:
    return dict(out) if isinstance(out, dict) else {"out": out}


def _network(name: str, dims: int) -> torch.nn.Module:
    """The network with batch-norm running statistics set by three training forwards, then in eval mode."""
    make, in_channels, _, _ = NETS[name]
    torch.manual_seed(0)
    net = make(dims)
    for module in net.modules():  # running statistics = the mean over the training forwards (not 0.1 of them)
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.momentum = None
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(2, in_channels, *SPATIAL[dims]) * 2 + 1)
    return net.eval()


def _batch(dims: int, in_channels: int, batch: int = 3) -> torch.Tensor:
    generator = torch.Generator().manual_seed(dims)
    scale = torch.tensor([0.3, 1.0, 3.0, 0.1][:batch]).reshape(-1, 1, *([1] * dims))
    return torch.randn((batch, in_channels, *SPATIAL[dims]), generator=generator) * scale + scale


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("name", sorted(NETS))
def test_each_sample_is_computed_alone(name, dims):
    net = _network(name, dims)
    x = _batch(dims, NETS[name][1])
    with torch.no_grad():
        together = _outputs(net(x))
        alone = [_outputs(net(x[b : b + 1])) for b in range(x.shape[0])]
        reordered = _outputs(net(x[[2, 0, 1]]))
    for key, value in together.items():
        for b in range(x.shape[0]):
            torch.testing.assert_close(value[b : b + 1], alone[b][key], rtol=1e-4, atol=1e-5, msg=f"{key}, {b}")
        torch.testing.assert_close(reordered[key], value[[2, 0, 1]], rtol=1e-4, atol=1e-5)
        assert not torch.allclose(value[0], value[1])  # the samples do differ


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("name", sorted(set(NETS) - {"CDNN"}))
def test_the_two_call_forms_agree(name, dims):
    _, in_channels, extra, _ = NETS[name]
    net = _network(name, dims)
    x = _batch(dims, in_channels, batch=2)
    with torch.no_grad():
        joined = _outputs(net(x))
        split = _outputs(net(x[:, : in_channels - extra], x[:, in_channels - extra :]))
    assert set(joined) == set(split)
    for key in joined:
        torch.testing.assert_close(joined[key], split[key], rtol=0, atol=0)


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("name", sorted(NETS))
def test_every_input_channel_matters(name, dims):
    """Changing channel ``c`` of sample 0 alone changes its segmentation (and its quality) and nothing of sample 1;
    RefineNet's side outputs change with the image channels only."""
    _, in_channels, extra, _ = NETS[name]
    net = _network(name, dims)
    x = _batch(dims, in_channels, batch=2)
    with torch.no_grad():
        reference = _outputs(net(x))
        for c in range(in_channels):
            changed = x.clone()
            changed[0, c] = torch.flip(changed[0, c], dims=[-1]) * 1.5 + 0.7
            out = _outputs(net(changed))
            for key, value in out.items():
                if name.startswith("RefineNet") and key in IMAGE_ONLY and c >= in_channels - extra:
                    torch.testing.assert_close(value, reference[key], rtol=0, atol=0)
                    continue
                assert not torch.allclose(value[0], reference[key][0], atol=1e-6), f"channel {c} leaves {key}"
                torch.testing.assert_close(value[1], reference[key][1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("name", sorted(NETS))
def test_documented_output_structure_on_non_square_inputs(name, dims):
    _, in_channels, _, out_channels = NETS[name]
    net = _network(name, dims)
    spatial = SPATIAL[dims]
    with torch.no_grad():
        out = net(_batch(dims, in_channels, batch=4))
    if name == "IterativeUNet" or name == "CDNN":
        assert isinstance(out, torch.Tensor) and out.shape == (4, out_channels, *spatial)
    elif name == "QualityUNet":
        assert set(out) == {RefineOutputs.MASK, RefineOutputs.QUALITY}
        assert out[RefineOutputs.MASK].shape == (4, out_channels, *spatial)
        quality = out[RefineOutputs.QUALITY]
        assert quality.shape == (4, 1) and ((quality >= 0) & (quality <= 1)).all()
        assert len(set(quality.flatten().tolist())) == 4
    else:
        sizes = {
            RefineOutputs.REFINED: spatial,
            RefineOutputs.SIDE_1: spatial,
            RefineOutputs.SIDE_2: tuple(s // 2 for s in spatial),
            RefineOutputs.SIDE_4: tuple(s // 4 for s in spatial),
        }
        with_quality = name == "RefineNet_quality"
        assert set(out) == set(sizes) | ({RefineOutputs.QUALITY} if with_quality else set())
        for key, size in sizes.items():
            assert out[key].shape == (4, out_channels, *size), key
        if with_quality:  # a logit: (B, 1), any real value
            assert out[RefineOutputs.QUALITY].shape == (4, 1)
            assert len(set(out[RefineOutputs.QUALITY].flatten().tolist())) == 4


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("name", sorted(NETS))
def test_wrong_inputs_are_refused(name, dims):
    """Channel counts off by one either way, a missing batch dim or a spatial dim too many or too few; in the split
    form, an image or extra input with a channel too many, another batch size or another spatial size."""
    _, in_channels, extra, _ = NETS[name]
    net = _network(name, dims)
    x = _batch(dims, in_channels + 1, batch=2)
    image_channels = in_channels - extra
    bad = [
        ((x,), "channels"),  # one channel too many
        ((x[:, : in_channels - 1],), "channels"),  # one too few
        ((x[0, :in_channels],), "batch"),  # no batch dim
        ((x[:, :in_channels, ..., None],), "batch"),  # a spatial dim too many
        ((x[:, :in_channels, 0],), "batch"),  # one too few
    ]
    if extra:
        bad += [
            ((x[:, : image_channels + 1], x[:, :extra]), "channels"),  # split: an image channel too many
            ((x[:, :image_channels], x[:, : extra + 1]), "channels"),  # split: an extra channel too many
            ((x[:, :image_channels], x[:1, :extra]), "batch and spatial size"),  # another batch size
            ((x[:, :image_channels], x[:, :extra, ..., :8]), "batch and spatial size"),  # another spatial size
        ]
    for args, match in bad:
        with pytest.raises(ValueError, match=match):
            net(*args)


def _mean_pool(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Average pooling by ``factor`` along every spatial axis, written as a reshape and a mean."""
    dims = x.ndim - 2
    shape = list(x.shape[:2])
    for s in x.shape[2:]:
        shape += [s // factor, factor]
    return x.reshape(shape).mean(dim=tuple(3 + 2 * i for i in range(dims)))


def _record_inputs(net: torch.nn.Module, names: list[str]) -> dict[str, tuple]:
    seen: dict[str, tuple] = {}
    for name in names:
        getattr(net, name).register_forward_hook(lambda module, args, out, name=name: seen.__setitem__(name, args))
    return seen


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("name", ["RefineNet", "RefineNet_quality"])
def test_refinenet_guides_each_scale_with_its_side_output_and_the_seed_maps(name, dims):
    """Class docstring: each side output is concatenated with the seed maps at its scale (1/4x, 1/2x, 1x), and the
    full-resolution stage also with the image."""
    _, in_channels, extra, _ = NETS[name]
    net = _network(name, dims)
    seen = _record_inputs(net, ["refine_4", "refine_2", "refine_1"])
    x = _batch(dims, in_channels, batch=2)
    image, seeds = x[:, : in_channels - extra], x[:, in_channels - extra :]
    with torch.no_grad():
        out = net(x)
    expected = {
        "refine_4": torch.cat([out[RefineOutputs.SIDE_4], _mean_pool(seeds, 4)], 1),
        "refine_2": torch.cat([out[RefineOutputs.SIDE_2], _mean_pool(seeds, 2)], 1),
        "refine_1": torch.cat([out[RefineOutputs.SIDE_1], seeds, image], 1),
    }
    for stage, guide in expected.items():
        torch.testing.assert_close(seen[stage][-1], guide, rtol=1e-5, atol=1e-6, msg=stage)


@pytest.mark.parametrize("dims", [2, 3])
def test_iterative_unet_branches_get_the_image_and_the_prior(dims):
    """Layer 1 of the paper: one convolution on the image channels, one on the prior channels."""
    net = _network("IterativeUNet", dims)
    seen = _record_inputs(net, ["image_conv", "prior_conv"])
    x = _batch(dims, 3, batch=2)
    with torch.no_grad():
        net(x)
    torch.testing.assert_close(seen["image_conv"][0], x[:, :2], rtol=0, atol=0)
    torch.testing.assert_close(seen["prior_conv"][0], x[:, 2:], rtol=0, atol=0)


# name: (constructor(dims, features), the shortest documented features length, or the only one (CDNN))
FEATURE_LENGTHS = {
    "IterativeUNet": (lambda d, f: IterativeUNet(d, 2, 1, features=f, **LEAKY), 4),  # L + 1, L >= 3
    "QualityUNet": (lambda d, f: QualityUNet(d, 2, 1, features=f, **LEAKY), 3),  # L + 1, L >= 2
    "RefineNet": (lambda d, f: RefineNet(d, 3, 1, features=f, refine_features=4, **LEAKY), 5),  # L + 1, L >= 4
}


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("name", sorted(FEATURE_LENGTHS))
def test_documented_feature_lengths_build_and_run(name, dims):
    """The shortest documented ``features`` and a longer one build and give full-size logits; one value fewer is
    refused with a ValueError naming ``features``."""
    make, shortest = FEATURE_LENGTHS[name]
    x = torch.rand(1, 3 if name == "RefineNet" else 2, *SPATIAL[dims])
    for length in (shortest, shortest + 1):
        net = make(dims, (4,) * length).eval()
        with torch.no_grad():
            out = _outputs(net(x))
        segmentation = out.get(RefineOutputs.REFINED, out.get(RefineOutputs.MASK, out.get("out")))
        assert segmentation.shape == (1, 1, *SPATIAL[dims]), length
    with pytest.raises(ValueError, match="features"):
        make(dims, (4,) * (shortest - 1))


@pytest.mark.parametrize("length", [16, 18])
def test_cdnn_takes_exactly_seventeen_widths(length):
    with pytest.raises(ValueError, match="features"):
        CDNN(2, 2, 1, features=(4,) * length)

"""Every network's eval output goes through MONAI's stock post transforms: tensors directly, dicts by key."""

from __future__ import annotations

import pytest
import torch
from monai.data import decollate_batch
from monai.transforms import Activations, Activationsd, AsDiscrete, AsDiscreted, Compose, DeleteItemsd, FlattenSubKeysd

from monai_refine.networks.nets import CDNN, IterativeUNet, QualityUNet, RefineNet
from monai_refine.utils import RefineOutputs

_TENSOR_NETS = {
    "iterative_unet": lambda: IterativeUNet(2, in_channels=2, features=(4, 4, 8, 8, 4)),
    "cdnn": lambda: CDNN(2, in_channels=2, features=(4,) * 17),
}


@pytest.mark.parametrize("name", sorted(_TENSOR_NETS))
def test_tensor_output_through_activations_and_as_discrete(name):
    torch.manual_seed(0)
    net = _TENSOR_NETS[name]().eval()
    with torch.no_grad():
        logits = net(torch.rand(2, 2, 16, 16))
    post = Compose([Activations(sigmoid=True), AsDiscrete(threshold=0.5)])
    for sample_logits, mask in zip(logits, [post(p) for p in decollate_batch(logits)], strict=True):
        assert mask.shape == (1, 16, 16)
        torch.testing.assert_close(torch.as_tensor(mask), (sample_logits > 0).float())


@pytest.mark.parametrize(
    "make, x, key",
    [
        (lambda: RefineNet(2, in_channels=3, features=(4, 4, 8, 8, 4)), torch.rand(2, 3, 16, 16), "refined"),
        (lambda: QualityUNet(2, in_channels=2, features=(4, 4, 8, 4)), torch.rand(2, 2, 16, 16), "mask"),
    ],
)
def test_dict_output_through_key_selection(make, x, key):
    """Dict outputs (the convention of the multi-output nets): lift the sub-keys with ``FlattenSubKeysd``, then the
    stock dict post transforms act on the segmentation key; ``QUALITY`` is already a probability and is kept as is."""
    torch.manual_seed(0)
    net = make().eval()
    with torch.no_grad():
        output = net(x)
    post = [
        FlattenSubKeysd(keys="pred", delete_keys=True),
        Activationsd(keys=str(key), sigmoid=True),
        AsDiscreted(keys=str(key), threshold=0.5),
    ]
    side_outputs = [k for k in output if k not in (key, RefineOutputs.QUALITY)]
    post = Compose(post + ([DeleteItemsd(keys=side_outputs)] if side_outputs else []))
    for i, item in enumerate(decollate_batch({"pred": output})):
        result = post(item)
        assert set(result) == {str(key)} | ({str(RefineOutputs.QUALITY)} if RefineOutputs.QUALITY in output else set())
        torch.testing.assert_close(torch.as_tensor(result[key]), (output[key][i] > 0).float())
        if RefineOutputs.QUALITY in output:
            torch.testing.assert_close(torch.as_tensor(result[RefineOutputs.QUALITY]), output[RefineOutputs.QUALITY][i])

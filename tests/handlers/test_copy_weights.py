from __future__ import annotations

import pytest
import torch
from ignite.engine import Engine

from monai_refine.handlers import CopyWeights


def _net() -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))


def test_target_gets_the_weights_of_each_epochs_start():
    source, target = _net(), _net()
    seen = []

    def step(engine, batch):  # a "training step": every weight and buffer of the source rises by 1
        seen.append(float(target[0].weight[0, 0].detach() - source[0].weight[0, 0].detach()))
        with torch.no_grad():
            for tensor in [*source.parameters(), source[1].running_mean]:
                tensor.add_(1.0)

    engine = Engine(step)
    CopyWeights(source, target).attach(engine)
    start = float(source[0].weight[0, 0].detach())
    engine.run([0, 1], max_epochs=2)  # two steps per epoch
    assert seen == pytest.approx([0.0, -1.0, 0.0, -1.0])  # refreshed at each epoch's start, not within an epoch
    assert float(target[0].weight[0, 0].detach()) == pytest.approx(start + 2)  # the weights at the start of epoch 2
    torch.testing.assert_close(target[1].running_mean, torch.full((2,), 2.0))  # buffers too
    assert float(source[0].weight[0, 0].detach()) == pytest.approx(start + 4)  # the source is not touched


def test_source_as_target_is_a_no_op_and_mismatch_raises():
    source = _net()
    before = {k: v.clone() for k, v in source.state_dict().items()}
    engine = Engine(lambda engine, batch: None)
    CopyWeights(source, source).attach(engine)
    engine.run([0], max_epochs=1)
    assert all(torch.equal(before[k], v) for k, v in source.state_dict().items())
    with pytest.raises(ValueError, match=r"differ: \['0.weight'"):
        CopyWeights(source, torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)))
    with pytest.raises(ValueError, match="differ"):
        CopyWeights(source, torch.nn.Linear(2, 2))

"""Every loss equals a direct numpy transcription of its docstring's formula, on random inputs.

Each combination of the MONAI flags (``sigmoid`` / ``softmax`` / neither, ``include_background``, ``to_onehot_y``,
``batch``, ``reduction``, the cross-entropy term) on 2D and 3D batches whose samples differ (one holds an empty
target channel), with asymmetric values (logits and qualities away from 0, where ``sigmoid(x) = 1 - sigmoid(x)``
would hide a sign): a reduction over the wrong axis, a flag not applied to one of the inputs, a wrong empty-target
convention or a swapped weight shows as a different number. The gradient of each loss moves every logit towards
its target.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch
from monai.losses import DiceLoss

from monai_refine.losses import (
    DeepSupervisionDictLoss,
    DiceImprovementLoss,
    OutputQualityLoss,
    QualityRegularizedLoss,
)

SPATIAL = {2: (5, 7), 3: (4, 5, 3)}  # non-square: a reduction over a wrong spatial axis changes nothing, a wrong
# batch/channel axis does


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(1, keepdims=True))


def _data(ndim: int, channels: int, onehot_labels: bool, seed: int = 0):
    """``(logits, target, previous)`` numpy float64 for a batch of 3: logits ~ N(0.4, 2) (asymmetric), ``previous``
    in [0, 1]. ``target``: labels ``(3, 1, ...)`` in 0..C-1 with ``onehot_labels``, else binary ``(3, C, ...)``; in
    both, sample 1 has no voxel of class ``C - 1`` (an empty target channel)."""
    rng = np.random.default_rng(seed)
    shape = (3, channels, *SPATIAL[ndim])
    logits = rng.normal(0.4, 2.0, shape)
    previous = rng.uniform(0.0, 1.0, shape)
    if onehot_labels:
        target = rng.integers(0, channels, (3, 1, *SPATIAL[ndim])).astype(np.float64)
        target[1][target[1] == channels - 1] = 0
    else:
        target = (rng.uniform(size=shape) < 0.4).astype(np.float64)
        target[1, channels - 1] = 0
    return logits, target, previous


def _one_hot(labels: np.ndarray, channels: int) -> np.ndarray:
    return np.concatenate([(labels == c).astype(np.float64) for c in range(channels)], axis=1)


def _reduce(per_item: np.ndarray, reduction: str) -> np.ndarray:
    return {"none": per_item, "mean": per_item.mean(), "sum": per_item.sum()}[reduction]


def _improvement_reference(logits, target, previous, *, include_background, to_onehot_y, sigmoid, softmax,
                           batch, reduction, lambda_ce, smooth_nr=1e-5, smooth_dr=1e-5, epsilon=0.1):  # fmt: skip
    """DiceImprovementLoss's docstring: ``(1 - D_t) / (D_{t-1} + eps) [+ lambda_ce CE]`` per (sample, channel)."""
    channels = logits.shape[1]
    p, log_p = logits, None
    if sigmoid:
        p = _sigmoid(logits)
    elif softmax and channels > 1:
        log_p = _log_softmax(logits)
        p = np.exp(log_p)
    if to_onehot_y and channels > 1:
        target = _one_hot(target, channels)
    keep = slice(1, None) if not include_background and channels > 1 else slice(None)
    p, target, previous, logits = p[:, keep], target[:, keep], previous[:, keep], logits[:, keep]
    log_p = None if log_p is None else log_p[:, keep]
    axes = tuple(range(2, p.ndim))
    if batch:
        axes = (0, *axes)

    def score(q):
        total = target.sum(axes, keepdims=True)
        dice = (2 * (q * target).sum(axes, keepdims=True) + smooth_nr) / (
            total + q.sum(axes, keepdims=True) + smooth_dr
        )
        return np.where(total == 0, 1 - q.mean(axes, keepdims=True), dice)

    loss = (1 - score(p)) / (score(previous) + epsilon)
    if lambda_ce:
        if sigmoid:  # binary cross-entropy of the probabilities
            voxel = -(target * np.log(p) + (1 - target) * np.log(1 - p))
        else:
            voxel = -target * log_p
        loss = loss + lambda_ce * voxel.mean(axes, keepdims=True)
    return _reduce(loss, reduction)


FLAGS = [  # (sigmoid, softmax, include_background, to_onehot_y, channels)
    (s, m, b, o, c)
    for (s, m), b, o, c in itertools.product(
        [(True, False), (False, True), (False, False)], [True, False], [True, False], [1, 3]
    )  # fmt: skip
    if c == 3 or (s and b and not o)  # one channel: sigmoid only (the other flags warn and are ignored)
]


@pytest.mark.parametrize("sigmoid, softmax, include_background, to_onehot_y, channels", FLAGS)
@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("ndim", [2, 3])
def test_dice_improvement_is_its_formula(sigmoid, softmax, include_background, to_onehot_y, channels, batch,
                                         reduction, ndim):  # fmt: skip
    logits, target, previous = _data(ndim, channels, to_onehot_y, seed=ndim + channels)
    flags = {"include_background": include_background, "to_onehot_y": to_onehot_y, "sigmoid": sigmoid,
             "softmax": softmax, "batch": batch, "reduction": reduction}  # fmt: skip
    for lambda_ce in [0.0, 0.7] if (sigmoid or softmax) else [0.0]:
        loss = DiceImprovementLoss(lambda_ce=lambda_ce, smooth_nr=1e-5, smooth_dr=2e-5, epsilon=0.15, **flags)
        value = loss(*(torch.as_tensor(a, dtype=torch.float64) for a in (logits, target, previous)))
        expected = _improvement_reference(logits, target, previous, lambda_ce=lambda_ce, smooth_dr=2e-5,
                                          epsilon=0.15, **flags)  # fmt: skip
        assert value.shape == np.shape(expected)
        np.testing.assert_allclose(value.numpy(), expected, rtol=1e-10, atol=1e-12, err_msg=f"lambda_ce={lambda_ce}")


def _monai_dice(q: np.ndarray, target: np.ndarray, smooth_nr: float, smooth_dr: float) -> np.ndarray:
    """MONAI's soft Dice per (sample, channel), ``(B, C)``, with no special empty-target case."""
    axes = tuple(range(2, q.ndim))
    return (2 * (q * target).sum(axes) + smooth_nr) / (q.sum(axes) + target.sum(axes) + smooth_dr)


@pytest.mark.parametrize("sigmoid, softmax, include_background, to_onehot_y, channels", FLAGS)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("ndim", [2, 3])
def test_quality_regularized_is_its_formula(sigmoid, softmax, include_background, to_onehot_y, channels, reduction,
                                            ndim):  # fmt: skip
    """``(1 - D(mask, y)) + lambda (q_b - mean_c D(prior, y))^2`` per (sample, channel); the prior is used as given,
    the activation on the mask only; each sample its own quality (0.9, 0.2, 0.55)."""
    logits, target, prior = _data(ndim, channels, to_onehot_y, seed=10 + ndim + channels)
    quality = np.array([[0.9], [0.2], [0.55]])
    loss = QualityRegularizedLoss(lambda_quality=1.7, include_background=include_background, to_onehot_y=to_onehot_y,
                                  sigmoid=sigmoid, softmax=softmax, smooth_nr=1e-4, smooth_dr=3e-4,
                                  reduction=reduction)  # fmt: skip
    args = (torch.as_tensor(a, dtype=torch.float64) for a in (logits, target, prior, quality))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = loss(*args)
    p = logits
    if sigmoid:
        p = _sigmoid(logits)
    elif softmax and channels > 1:
        p = np.exp(_log_softmax(logits))
    if to_onehot_y and channels > 1:
        target = _one_hot(target, channels)
    keep = slice(1, None) if not include_background and channels > 1 else slice(None)
    p, target, prior = p[:, keep], target[:, keep], prior[:, keep]
    true_quality = _monai_dice(prior, target, 1e-4, 3e-4).mean(1, keepdims=True)
    per_item = (1 - _monai_dice(p, target, 1e-4, 3e-4)) + 1.7 * (quality - true_quality) ** 2
    expected = _reduce(per_item.reshape(per_item.shape + (1,) * ndim), reduction)
    assert value.shape == np.shape(expected)
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("lambda_quality", [0.0, 0.6, 2.5])
def test_output_quality_is_its_formula(ndim, lambda_quality):
    """``segmentation_loss(input, target) + lambda mean_b (sigmoid(q_b) - D_b)^2``, ``D_b`` the Dice of
    ``logits > 0`` (a logit of exactly 0 is background) against ``target > 0``, 1 when both are empty."""
    rng = np.random.default_rng(ndim)
    shape = (4, 1, *SPATIAL[ndim])
    logits = np.round(rng.normal(0.3, 1.0, shape), 0)  # rounding makes many logits exactly 0
    logits[2] = -1.0  # sample 2: empty output
    target = (rng.uniform(size=shape) < 0.5).astype(np.float64) * rng.uniform(0.5, 2.0, shape)  # non-binary > 0
    target[2] = 0  # ... and empty target: Dice 1
    target[3] = 0  # sample 3: empty target, non-empty output: Dice 0
    q = np.array([[1.3], [-0.4], [2.2], [-1.7]])
    seen = []

    def segmentation_loss(inputs, y):
        seen.append((set(inputs), y))
        return torch.tensor(0.375, dtype=torch.float64)

    loss = OutputQualityLoss(segmentation_loss, lambda_quality=lambda_quality, output_key="out", quality_key="q")
    outputs = {"out": torch.as_tensor(logits), "q": torch.as_tensor(q), "other": torch.zeros(1)}
    value = loss(outputs, torch.as_tensor(target))
    pred, truth = (logits > 0).reshape(4, -1), (target > 0).reshape(4, -1)
    dice = []
    for b in range(4):
        total = pred[b].sum() + truth[b].sum()
        dice.append(1.0 if total == 0 else 2 * (pred[b] & truth[b]).sum() / total)
    assert dice[2] == 1.0 and dice[3] == 0.0 and 0 < dice[0] < 1
    expected = 0.375 + lambda_quality * np.mean((_sigmoid(q[:, 0]) - np.array(dice)) ** 2)
    assert float(value) == pytest.approx(expected, rel=1e-6)
    assert seen[0][0] == {"out", "q", "other"} and seen[0][1] is not None  # the whole dict and the target


WEIGHTS = {"exp": [1.0, 0.5, 0.25], "two": [1.0, 0.5, 0.5], "same": [1.0, 1.0, 1.0]}


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("weight_mode", sorted(WEIGHTS))
@pytest.mark.parametrize("explicit", [False, True])
def test_deep_supervision_is_the_weighted_sum_at_each_size(ndim, weight_mode, explicit):
    """Outputs at 1x, 1/2x and 1/4x of a non-square target (16 x 24 [x 8]), keys in a custom order; the target is
    taken at voxel ``2i + 1`` (1/2x, "half") and ``4i + 2`` (1/4x, "coarse"), nearest-exact's centres."""
    generator = torch.Generator().manual_seed(ndim)
    size = (16, 24, 8)[:ndim]
    target = (torch.rand((2, 1, *size), generator=generator) > 0.6).float()
    outputs = {
        "coarse": torch.randn((2, 1, *(s // 4 for s in size)), generator=generator) + 0.5,
        "full": torch.randn((2, 1, *size), generator=generator) - 0.3,
        "half": torch.randn((2, 1, *(s // 2 for s in size)), generator=generator),
    }
    keys = ("full", "half", "coarse")
    weights = [0.3, 2.0, 0.0] if explicit else None
    dice = DiceLoss(sigmoid=True)
    value = DeepSupervisionDictLoss(dice, keys=keys, weight_mode=weight_mode, weights=weights)(outputs, target)
    half = target[(Ellipsis, *[slice(1, None, 2)] * ndim)]
    quarter = target[(Ellipsis, *[slice(2, None, 4)] * ndim)]
    targets = {"full": target, "half": half, "coarse": quarter}
    expected = sum(w * dice(outputs[k], targets[k]) for w, k in zip(weights or WEIGHTS[weight_mode], keys))
    torch.testing.assert_close(value, expected)


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("lambda_ce", [0.0, 0.5])
@pytest.mark.parametrize("batch", [False, True])
def test_gradients_move_each_logit_towards_its_target(ndim, lambda_ce, batch):
    """With sigmoid, the loss falls as a foreground voxel's logit rises and as a background voxel's falls (also on
    the empty target channel, where the soft true-negative rate takes over)."""
    logits, target, previous = _data(ndim, 2, onehot_labels=False, seed=5)
    x = torch.as_tensor(logits).requires_grad_(True)
    loss = DiceImprovementLoss(sigmoid=True, lambda_ce=lambda_ce, batch=batch)
    loss(x, torch.as_tensor(target), torch.as_tensor(previous)).backward()
    grad = x.grad.numpy()
    assert (grad[target > 0] < 0).all() and (grad[target == 0] > 0).all()
    x = torch.as_tensor(logits).requires_grad_(True)
    quality = torch.full((3, 1), 0.5, dtype=torch.float64)
    QualityRegularizedLoss(sigmoid=True)(x, torch.as_tensor(target), torch.as_tensor(previous), quality).backward()
    grad = x.grad.numpy()
    non_empty = target.reshape(3, 2, -1).any(-1)[..., None] * np.ones_like(target.reshape(3, 2, -1))
    non_empty = non_empty.reshape(target.shape) > 0  # MONAI's Dice has no gradient signal on an empty target
    assert (grad[(target > 0) & non_empty] < 0).all() and (grad[(target == 0) & non_empty] > 0).all()


@pytest.mark.parametrize("loss", ["improvement", "quality"])
def test_mean_and_sum_are_those_of_none(loss):
    """The three reductions agree: mean == mean("none"), sum == sum("none"), on a batch of different samples."""
    logits, target, previous = (torch.as_tensor(a) for a in _data(2, 3, onehot_labels=True, seed=9))
    quality = torch.tensor([[0.1], [0.8], [0.4]], dtype=torch.float64)

    def value(reduction):
        if loss == "improvement":
            return DiceImprovementLoss(softmax=True, to_onehot_y=True, reduction=reduction)(logits, target, previous)
        return QualityRegularizedLoss(softmax=True, to_onehot_y=True, reduction=reduction)(
            logits, target, torch.softmax(torch.as_tensor(previous), 1), quality
        )

    none = value("none")
    assert none.shape == (3, 3, 1, 1)
    assert len({round(float(v), 9) for v in none.flatten()}) == 9  # every (sample, channel) its own value
    torch.testing.assert_close(value("mean"), none.mean())
    torch.testing.assert_close(value("sum"), none.sum())

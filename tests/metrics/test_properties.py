"""``overlap_scores`` and ``dice_coefficient`` against independent definitions, on random masks.

A brute-force voxel loop counts TP, FP and FN; the module docstring's empty-mask convention turns the counts into
scores; MONAI's ``compute_dice`` and confusion-matrix metrics give the same numbers on non-empty masks. The masks
are 2D and 3D, non-square, of densities from empty to full (so each of the empty cases occurs), as numpy, torch
and MetaTensor, bool, integer and float. Swapping prediction and reference swaps sensitivity and PPV and keeps the
Dice.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from monai.metrics import compute_confusion_matrix_metric, compute_dice, get_confusion_matrix

from monai_refine.metrics import dice_coefficient, overlap_scores
from tests.utils import TEST_NDARRAYS

SPATIAL = {2: (7, 11), 3: (5, 6, 4)}
DENSITIES = [0.0, 0.02, 0.3, 0.8, 1.0]


def _mask(ndim: int, density: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = rng.uniform(size=(1, *SPATIAL[ndim])) < density
    if 0 < density < 1 and not mask.any():
        mask.flat[seed % mask.size] = True
    return mask


def _counted(pred: np.ndarray, label: np.ndarray, ignore_empty: bool) -> dict[str, float]:
    """The scores from a voxel loop and the module docstring's convention."""
    tp = fp = fn = 0
    for p, g in zip(pred.ravel().tolist(), label.ravel().tolist()):
        tp += p and g
        fp += p and not g
        fn += g and not p
    n_pred, n_label = tp + fp, tp + fn
    if ignore_empty and n_label == 0:
        return {"dice": math.nan, "sensitivity": math.nan, "ppv": math.nan}
    if n_pred == 0 and n_label == 0:
        return {"dice": 1.0, "sensitivity": 1.0, "ppv": 1.0}
    return {
        "dice": 2 * tp / (n_pred + n_label),
        "sensitivity": tp / n_label if n_label else 0.0,
        "ppv": tp / n_pred if n_pred else 0.0,
    }


def _same(scores: dict[str, float], expected: dict[str, float]) -> None:
    assert set(scores) == set(expected)
    for key, value in expected.items():
        if math.isnan(value):
            assert math.isnan(scores[key]), key
        else:
            assert scores[key] == pytest.approx(value, abs=1e-12), key
        assert isinstance(scores[key], float)


CASES = list(itertools.product(DENSITIES, DENSITIES))


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("ignore_empty", [False, True])
@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_overlap_scores_are_the_counted_scores(ndim, ignore_empty, convert):
    for k, (pred_density, label_density) in enumerate(CASES):
        pred, label = _mask(ndim, pred_density, 2 * k), _mask(ndim, label_density, 2 * k + 1)
        for dtype in (bool, np.uint8, np.float32):
            scores = overlap_scores(convert(pred.astype(dtype)), convert(label.astype(dtype)), ignore_empty)
            _same(scores, _counted(pred, label, ignore_empty))


@pytest.mark.parametrize("ndim", [2, 3])
def test_swapping_prediction_and_reference(ndim):
    for k, (pred_density, label_density) in enumerate(CASES):
        pred, label = _mask(ndim, pred_density, 3 * k), _mask(ndim, label_density, 3 * k + 1)
        forward, backward = overlap_scores(pred, label), overlap_scores(label, pred)
        expected = {"dice": forward["dice"], "sensitivity": forward["ppv"], "ppv": forward["sensitivity"]}
        _same(backward, expected)
        assert dice_coefficient(pred, label) == dice_coefficient(label, pred) == forward["dice"]


@pytest.mark.parametrize("ndim", [2, 3])
def test_equal_monai_on_non_empty_masks(ndim):
    """MONAI's ``compute_dice`` (batch of samples) and ``sensitivity`` / ``precision`` of the confusion matrix, each
    sample scored on its own (a batch mean would hide a wrong per-sample count)."""
    pairs = [(_mask(ndim, a, 5 * k), _mask(ndim, b, 5 * k + 1)) for k, (a, b) in enumerate(CASES) if 0 < a and 0 < b]
    pred = torch.as_tensor(np.stack([p for p, _ in pairs]), dtype=torch.float32)
    label = torch.as_tensor(np.stack([g for _, g in pairs]), dtype=torch.float32)
    dice = compute_dice(pred, label).ravel().tolist()
    matrix = get_confusion_matrix(pred, label)
    sensitivity = compute_confusion_matrix_metric("sensitivity", matrix).ravel().tolist()
    ppv = compute_confusion_matrix_metric("precision", matrix).ravel().tolist()
    assert len(set(np.round(dice, 6))) > 5  # the samples differ
    for b, (p, g) in enumerate(pairs):
        expected = {"dice": dice[b], "sensitivity": sensitivity[b], "ppv": ppv[b]}
        assert overlap_scores(p, g) == pytest.approx(expected, abs=1e-6)
        assert dice_coefficient(p[0], g[0]) == pytest.approx(dice[b], abs=1e-6)


@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
def test_dice_coefficient_is_the_counted_dice_for_any_shape(ndim):
    """No channel needed, any rank: ``2 |A & B| / (|A| + |B|)``, 1.0 for two empty masks."""
    rng = np.random.default_rng(ndim)
    shape = (3, 5, 4, 2)[:ndim]
    for density_a, density_b in CASES:
        a, b = rng.uniform(size=shape) < density_a, rng.uniform(size=shape) < density_b
        expected = _counted(a[None], b[None], ignore_empty=False)["dice"]
        assert dice_coefficient(a, b) == pytest.approx(expected, abs=1e-12)

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from monai.metrics import DiceMetric, compute_confusion_matrix_metric, get_confusion_matrix

from monai_refine.metrics import dice_coefficient, overlap_scores
from tests.utils import TEST_NDARRAYS


def _masks():
    """Reference: rows 0-3 of an 8 x 8 slice (32 px); prediction: rows 2-5 (32 px), 16 px shared."""
    label = np.zeros((1, 8, 8), np.uint8)
    label[0, :4] = 1
    pred = np.zeros((1, 8, 8), np.uint8)
    pred[0, 2:6] = 1
    return pred, label


@pytest.mark.parametrize("convert", TEST_NDARRAYS)
def test_hand_checked_scores(convert):
    pred, label = _masks()
    assert overlap_scores(convert(pred), convert(label)) == {"dice": 0.5, "sensitivity": 0.5, "ppv": 0.5}
    pred[0, 6:] = 1  # 16 more false positives: PPV 16/48, sensitivity unchanged, Dice 32/80
    scores = overlap_scores(convert(pred), convert(label))
    assert scores == pytest.approx({"dice": 0.4, "sensitivity": 0.5, "ppv": 1 / 3})


def test_3d_and_asymmetric():
    label = np.zeros((1, 4, 4, 4), bool)
    label[0, :2, :2, :2] = True  # 8 voxels
    pred = np.zeros_like(label)
    pred[0, :2, :2, :1] = True  # 4 of them
    assert overlap_scores(pred, label) == pytest.approx({"dice": 8 / 12, "sensitivity": 0.5, "ppv": 1.0})
    assert overlap_scores(label, pred) == pytest.approx({"dice": 8 / 12, "sensitivity": 1.0, "ppv": 0.5})


def test_equals_monai_on_non_empty_masks():
    rng = np.random.default_rng(0)
    pred, label = (rng.random((2, 1, 16, 16, 8)) > 0.6).astype(np.float32)
    matrix = get_confusion_matrix(torch.as_tensor(pred[None]), torch.as_tensor(label[None]))
    expected = {
        name: float(compute_confusion_matrix_metric(metric, matrix).mean())
        for name, metric in (("sensitivity", "sensitivity"), ("ppv", "precision"))
    }
    expected["dice"] = float(DiceMetric()(torch.as_tensor(pred[None]), torch.as_tensor(label[None])).mean())
    assert overlap_scores(pred, label) == pytest.approx(expected, abs=1e-6)


def test_empty_masks_one_convention():
    empty = np.zeros((1, 8, 8), np.uint8)
    pred, label = _masks()
    # both empty: a perfect empty prediction, 1.0 for every score (the Dice alone was 1.0 before, SEN/PPV 0.0)
    assert overlap_scores(empty, empty) == {"dice": 1.0, "sensitivity": 1.0, "ppv": 1.0}
    # one empty: 0.0 for every score
    assert overlap_scores(pred, empty) == {"dice": 0.0, "sensitivity": 0.0, "ppv": 0.0}
    assert overlap_scores(empty, label) == {"dice": 0.0, "sensitivity": 0.0, "ppv": 0.0}
    # ignore_empty: NaN whenever the reference is empty, as MONAI's DiceMetric(ignore_empty=True)
    for scores in (overlap_scores(empty, empty, ignore_empty=True), overlap_scores(pred, empty, ignore_empty=True)):
        assert set(scores) == {"dice", "sensitivity", "ppv"} and all(math.isnan(v) for v in scores.values())
    assert overlap_scores(empty, label, ignore_empty=True) == {"dice": 0.0, "sensitivity": 0.0, "ppv": 0.0}
    monai_dice = DiceMetric(ignore_empty=True)(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))
    assert torch.isnan(monai_dice).all()
    assert float(DiceMetric(ignore_empty=False)(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))) == 1.0


def test_dice_coefficient():
    pred, label = _masks()
    assert dice_coefficient(pred > 0, label > 0) == 0.5
    assert dice_coefficient(label > 0, label > 0) == 1.0
    assert dice_coefficient(np.zeros(5, bool), np.zeros(5, bool)) == 1.0
    assert dice_coefficient(np.zeros(5, bool), np.ones(5, bool)) == 0.0
    assert dice_coefficient(np.array([1, 1, 0, 0], bool), np.array([1, 0, 0, 0], bool)) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="same shape"):
        dice_coefficient(np.zeros(4, bool), np.zeros(5, bool))


@pytest.mark.parametrize(
    "pred, label, match",
    [
        (np.zeros((1, 8, 8)), np.zeros((1, 8, 7)), "same shape"),
        (np.full((1, 8, 8), 0.5), np.zeros((1, 8, 8)), "pred must be binary"),
        (np.zeros((1, 8, 8)), np.zeros((2, 8, 8)), "label must have 1 channel"),
    ],
)
def test_bad_input(pred, label, match):
    with pytest.raises(ValueError, match=match):
        overlap_scores(pred, label)


@pytest.mark.parametrize("convert", TEST_NDARRAYS)
@pytest.mark.parametrize(
    "dtype, on",
    [(np.uint8, 255), (np.uint8, 1), (np.int64, 1), (np.int16, -1), (bool, True), (np.float32, 1.0)],
)
@pytest.mark.parametrize("ndim", [2, 3])
def test_dice_coefficient_reads_any_non_zero_voxel_as_one(convert, dtype, on, ndim):
    """Docstring: inputs are read as boolean, so a 0/255 (or 0/-1) mask scores as its 0/1 form. ``a``: 2 voxels,
    ``b``: 1 of them and 1 more; Dice 2 * 1 / (2 + 2) = 0.5, with ``b`` empty 0.0, and ``a`` with itself 1.0."""
    a = np.zeros((4,) * ndim, dtype)
    b = np.zeros((4,) * ndim, dtype)
    a.flat[[0, 1]] = on
    b.flat[[1, 5]] = on
    assert dice_coefficient(convert(a), convert(b)) == 0.5
    assert dice_coefficient(convert(a), convert(a)) == 1.0
    assert dice_coefficient(convert(a), convert(np.zeros_like(b))) == 0.0


def test_overlap_scores_of_a_meta_tensor_against_a_plain_array():
    """Geometry is compared only when both inputs carry one: a MetaTensor prediction against a plain array label is
    scored like two arrays (the MetaTensor's affine is not checked against nothing)."""
    pred = np.zeros((1, 4, 4))
    pred[0, :2] = 1
    label = np.zeros((1, 4, 4))
    label[0, 1:3] = 1
    meta = MetaTensor(torch.as_tensor(pred), affine=torch.diag(torch.tensor([2.0, 3.0, 1.0, 1.0])))
    expected = {"dice": 0.5, "sensitivity": 0.5, "ppv": 0.5}
    assert overlap_scores(meta, label) == expected
    assert overlap_scores(pred, MetaTensor(torch.as_tensor(label))) == expected
